package org.tollgate.lb.l4;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.lb.balance.Backend;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lb-l4}: the TCP load balancer on the command line, and {@code lb-l4 demo}, which
 * shows how each algorithm spreads connections over a few local backends.
 */
@Command(name = "lb-l4", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        subcommands = Main.Demo.class,
        description = {"An L4 (TCP) load balancer written over raw NIO (Tollgate): it picks a backend per connection "
                + "and copies bytes both ways without looking at them."},
        footer = {"", "Examples:",
            "  lb-l4 --listen 127.0.0.1:8080 --backend 127.0.0.1:9001 --backend 127.0.0.1:9002,weight=3 "
                    + "--algorithm weighted-round-robin",
            "  lb-l4 demo"})
public final class Main implements Callable<Integer> {

    @Option(names = "--listen", paramLabel = "HOST:PORT", converter = AddressConverter.class,
            description = "Address to accept clients on.")
    InetSocketAddress listen;

    @Option(names = "--backend", paramLabel = "HOST:PORT[,weight=N]",
            description = "A backend; repeat for each (weight 1 to 1000, default 1).")
    List<String> backends = new ArrayList<>();

    @Option(names = "--algorithm", paramLabel = "NAME", converter = AlgorithmConverter.class,
            description = "round-robin, weighted-round-robin, least-connections, ip-hash or two-choices (default: ${DEFAULT-VALUE}).")
    Algorithm algorithm = Algorithm.WEIGHTED_ROUND_ROBIN;

    @Option(names = "--connect-timeout", paramLabel = "MILLIS", description = "Backend connect timeout (default: ${DEFAULT-VALUE}).")
    long connectTimeoutMillis = 3000;

    @Option(names = "--idle-timeout", paramLabel = "SECONDS", description = "Close connections idle this long (default: ${DEFAULT-VALUE}).")
    long idleTimeoutSeconds = 60;

    @Option(names = "--max-connections", paramLabel = "N", description = "Stop accepting beyond this many (default: ${DEFAULT-VALUE}).")
    int maxConnections = 10_000;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (listen == null || backends.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--listen and at least one --backend are needed (or: lb-l4 demo)");
        }
        List<Backend> list = new ArrayList<>();
        for (String b : backends) {
            try {
                list.add(parseBackend(b));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--backend " + b + ": " + e.getMessage());
            }
        }
        ForwarderConfig config = ForwarderConfig.builder(listen)
                .connectTimeout(Duration.ofMillis(connectTimeoutMillis))
                .idleTimeout(Duration.ofSeconds(idleTimeoutSeconds))
                .maxConnections(maxConnections)
                .build();
        TcpForwarder forwarder = TcpForwarder.start(config, algorithm.create(list));
        System.out.println("lb-l4 listening on " + forwarder.localAddress() + ", " + algorithm + " over " + list);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            forwarder.close();
            stop.countDown();
        }));
        stop.await();
        return 0;
    }

    /** {@code HOST:PORT[,weight=N]}; the backend is named after HOST:PORT. */
    static Backend parseBackend(String spec) {
        String[] parts = spec.split(",");
        InetSocketAddress address = parseAddress(parts[0]);
        int weight = 1;
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].trim();
            if (!p.startsWith("weight=")) {
                throw new IllegalArgumentException("unknown backend option '" + p + "' in " + spec + " (known: weight=N)");
            }
            try {
                weight = Integer.parseInt(p.substring("weight=".length()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("weight must be a number in " + spec);
            }
        }
        return new Backend(parts[0].trim(), address, weight);
    }

    /** {@code HOST:PORT} or {@code [IPv6]:PORT}. */
    static InetSocketAddress parseAddress(String text) {
        String s = text.trim();
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("expected HOST:PORT, not '" + text + "'");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port must be a number in '" + text + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range in '" + text + "'");
        }
        InetSocketAddress a = new InetSocketAddress(host, port);
        if (a.isUnresolved()) {
            throw new IllegalArgumentException("cannot resolve host '" + host + "'");
        }
        return a;
    }

    static final class AddressConverter implements CommandLine.ITypeConverter<InetSocketAddress> {
        @Override
        public InetSocketAddress convert(String value) {
            return parseAddress(value);
        }
    }

    static final class AlgorithmConverter implements CommandLine.ITypeConverter<Algorithm> {
        @Override
        public Algorithm convert(String value) {
            return Algorithm.parse(value);
        }
    }

    /** {@code lb-l4 demo}: three local backends, every algorithm, the distribution each gives. */
    @Command(name = "demo", mixinStandardHelpOptions = true,
            description = "Start three local backends (weights 5, 1, 1) that say who they are, send connections "
                    + "through the balancer with each algorithm, and print who answered.")
    static final class Demo implements Callable<Integer> {
        @Option(names = "--connections", paramLabel = "N", description = "Connections per algorithm (default: ${DEFAULT-VALUE}).")
        int connections = 14;

        @Override
        public Integer call() throws Exception {
            return run(System.out, connections);
        }

        static int run(PrintStream out, int connections) throws Exception {
            List<ServerSocket> servers = new ArrayList<>();
            try {
                String[] names = {"a", "b", "c"};
                int[] weights = {5, 1, 1};
                List<Backend> template = new ArrayList<>();
                for (int i = 0; i < names.length; i++) {
                    ServerSocket s = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
                    servers.add(s);
                    startWhoAmI(s, names[i]);
                    template.add(new Backend(names[i], new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort()), weights[i]));
                }
                out.println("Backends: a (weight 5), b (weight 1), c (weight 1). Each connection is held open;");
                out.println("clients come from 127.0.0.1 to 127.0.0.4 in turn. 'who answered' lists the backends in order.");
                out.println();
                for (Algorithm algorithm : Algorithm.values()) {
                    List<Backend> list = new ArrayList<>();
                    for (Backend b : template) {
                        list.add(new Backend(b.name(), b.address(), b.weight()));
                    }
                    ForwarderConfig config = ForwarderConfig.builder(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                            .eventLoops(1).build();
                    try (TcpForwarder f = TcpForwarder.start(config, algorithm.create(list, new Random(1)))) {
                        List<Socket> held = new ArrayList<>();
                        StringBuilder order = new StringBuilder();
                        Map<String, Integer> count = new LinkedHashMap<>();
                        for (String n : names) {
                            count.put(n, 0);
                        }
                        try {
                            for (int i = 0; i < connections; i++) {
                                Socket s = new Socket();
                                held.add(s);
                                bindClient(s, i % 4);
                                s.connect(f.localAddress(), 5000);
                                s.setSoTimeout(5000);
                                String who = readLine(s.getInputStream());
                                order.append(who);
                                count.merge(who, 1, Integer::sum);
                            }
                        } finally {
                            for (Socket s : held) {
                                s.close();
                            }
                        }
                        out.printf("%-21s %-22s %s%n", algorithm, order, count);
                    }
                }
                out.println();
                out.println("round-robin ignores weights; weighted-round-robin spreads a's five turns (nginx's smooth order);");
                out.println("least-connections balances open connections per unit of weight; ip-hash keeps each client");
                out.println("address on one backend (Maglev table); two-choices draws two and keeps the less loaded.");
                return 0;
            } finally {
                for (ServerSocket s : servers) {
                    s.close();
                }
            }
        }

        /** Binds to 127.0.0.(1 + k) where the system allows (Linux answers on all of 127/8). */
        private static void bindClient(Socket s, int k) {
            try {
                s.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) (1 + k)}), 0));
            } catch (IOException e) {
                // keep the default source address
            }
        }

        private static void startWhoAmI(ServerSocket server, String name) {
            Thread t = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        Thread c = new Thread(() -> {
                            try (s) {
                                OutputStream out = s.getOutputStream();
                                out.write((name + "\n").getBytes(StandardCharsets.US_ASCII));
                                out.flush();
                                s.getInputStream().transferTo(OutputStream.nullOutputStream());
                            } catch (IOException e) {
                                // client went away
                            }
                        });
                        c.setDaemon(true);
                        c.start();
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "demo-backend-" + name);
            t.setDaemon(true);
            t.start();
        }

        private static String readLine(InputStream in) throws IOException {
            StringBuilder sb = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                sb.append((char) c);
            }
            return sb.toString();
        }
    }

    public static void main(String[] args) {
        // The library logs each forwarder start at INFO; on the command line only warnings matter.
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
        System.exit(new CommandLine(new Main()).execute(args));
    }
}
