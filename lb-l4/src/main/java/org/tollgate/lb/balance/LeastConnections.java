package org.tollgate.lb.balance;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Weighted least connections: the backend with the fewest active connections per unit
 * of weight ({@code active / weight}, compared by cross-multiplying so it stays in
 * integers), as nginx's {@code least_conn} and HAProxy's {@code leastconn} do. Among
 * backends tied for the least load the choice rotates, so idle backends share new
 * connections evenly instead of the first one taking them all.
 *
 * <p>Two threads picking at the same instant can both see the same least loaded backend
 * before either counts its connection; nginx avoids that with a lock per upstream, this
 * class accepts it (the next picks see the counts) to keep picks lock-free.
 */
public final class LeastConnections extends AbstractBalancer<Void> {
    private final AtomicInteger next = new AtomicInteger();

    /**
     * Balances over {@code backends}, which may change later through {@link #setBackends(List)}.
     * @param backends the initial backends
     */
    public LeastConnections(List<Backend> backends) {
        super(backends);
    }

    @Override
    public Optional<Backend> choose(InetAddress client, Set<Backend> excluded) {
        Backend[] up = snapshot().available;
        int n = up.length;
        if (n == 0) {
            return Optional.empty();
        }
        // Scan from just after the last pick: the first least loaded backend met wins,
        // so tied backends take turns.
        int start = Math.floorMod(next.get(), n);
        int best = -1;
        for (int i = 0; i < n; i++) {
            int idx = (start + i) % n;
            Backend b = up[idx];
            if (!excluded.contains(b) && (best < 0 || lessLoaded(b, up[best]))) {
                best = idx;
            }
        }
        if (best < 0) {
            return Optional.empty();
        }
        next.set(best + 1); // racing picks may overwrite each other: only the rotation's order suffers
        return Optional.of(up[best]);
    }

    @Override
    public String explain(InetAddress client, Backend chosen) {
        StringBuilder loads = new StringBuilder();
        for (Backend b : snapshot().available) {
            loads.append(loads.length() == 0 ? "" : ", ").append(b.name()).append(' ').append(b.activeConnections())
                    .append('/').append(b.weight());
        }
        return "least-connections: lowest active/weight among " + loads + " (ties in rotation): " + chosen.name();
    }

    @Override
    Void build(Backend[] available) {
        return null;
    }
}
