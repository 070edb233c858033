package org.tollgate.lb.balance;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/** Test helpers: backends by name, and picks written as a string of names. */
final class Backends {
    static final InetAddress CLIENT = address(192, 0, 2, 1);

    private Backends() {
    }

    static Backend backend(String name, int weight) {
        return new Backend(name, InetSocketAddress.createUnresolved(name + ".test", 80), weight);
    }

    static List<Backend> named(String... names) {
        List<Backend> list = new ArrayList<>();
        for (String n : names) {
            list.add(backend(n, 1));
        }
        return list;
    }

    /** {@code count} picks as space-separated names ("-" for none). */
    static String picks(Supplier<Optional<Backend>> pick, int count) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < count; i++) {
            sb.append(i == 0 ? "" : " ").append(pick.get().map(Backend::name).orElse("-"));
        }
        return sb.toString();
    }

    static String picks(Balancer balancer, int count) {
        return picks(() -> balancer.choose(CLIENT), count);
    }

    static InetAddress address(int a, int b, int c, int d) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
