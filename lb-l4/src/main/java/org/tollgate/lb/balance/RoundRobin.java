package org.tollgate.lb.balance;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Plain round robin: each available backend in turn, weights ignored (use
 * {@link SmoothWeightedRoundRobin} for weights). One atomic counter is the whole state.
 */
public final class RoundRobin extends AbstractBalancer<Void> {
    private final AtomicLong next = new AtomicLong();

    /**
     * Balances over {@code backends}, which may change later through {@link #setBackends(List)}.
     * @param backends the initial backends
     */
    public RoundRobin(List<Backend> backends) {
        super(backends);
    }

    @Override
    public Optional<Backend> choose(InetAddress client, Set<Backend> excluded) {
        Backend[] up = snapshot().available;
        int n = up.length;
        if (n == 0) {
            return Optional.empty();
        }
        int start = (int) Math.floorMod(next.getAndIncrement(), (long) n);
        for (int i = 0; i < n; i++) {
            Backend b = up[(start + i) % n];
            if (!excluded.contains(b)) {
                return Optional.of(b);
            }
        }
        return Optional.empty();
    }

    @Override
    public String explain(InetAddress client, Backend chosen) {
        return "round-robin: each available backend in turn, weights ignored; " + chosen.name() + " is next of "
                + snapshot().available.length + " available";
    }

    @Override
    Void build(Backend[] available) {
        return null;
    }
}
