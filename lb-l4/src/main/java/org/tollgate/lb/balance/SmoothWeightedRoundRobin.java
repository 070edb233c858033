package org.tollgate.lb.balance;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Weighted round robin, smooth as nginx does it ({@code ngx_http_upstream_get_peer}):
 * for each pick every backend's {@code current} grows by its weight, the largest
 * {@code current} wins (the first on ties) and loses the sum of the weights. Weights
 * 5, 1, 1 give {@code a a b a c a a}: the heavy backend's turns are spread out instead
 * of coming in a burst of five.
 *
 * <p>After as many picks as the weights add up to, every {@code current} is back at zero,
 * so the sequence repeats with that period. This class runs nginx's algorithm once over
 * one period when the backends change and stores the result; a pick is then one atomic
 * increment and an array read, with no lock, however many threads pick at once. Weights
 * are divided by their greatest common divisor first (the sequence is the same), so the
 * schedule holds at most {@code backends x 1000} entries and usually far fewer. Unlike
 * nginx, a change of weights or state restarts the sequence from its beginning.
 */
public final class SmoothWeightedRoundRobin extends AbstractBalancer<SmoothWeightedRoundRobin.Schedule> {

    /** One period of picks, as indexes into the snapshot's available backends. */
    static final class Schedule {
        final int[] order;
        final AtomicLong next = new AtomicLong();

        Schedule(int[] order) {
            this.order = order;
        }
    }

    /**
     * Balances over {@code backends}, precomputing one period of picks.
     * @param backends the initial backends
     */
    public SmoothWeightedRoundRobin(List<Backend> backends) {
        super(backends);
    }

    @Override
    public Optional<Backend> choose(InetAddress client, Set<Backend> excluded) {
        Snapshot<Schedule> s = snapshot();
        int[] order = s.data.order;
        if (order.length == 0) {
            return Optional.empty();
        }
        long start = s.data.next.getAndIncrement();
        for (int i = 0; i < order.length; i++) {
            Backend b = s.available[order[(int) Math.floorMod(start + i, (long) order.length)]];
            if (!excluded.contains(b)) {
                return Optional.of(b);
            }
        }
        return Optional.empty();
    }

    @Override
    public String explain(InetAddress client, Backend chosen) {
        Snapshot<Schedule> s = snapshot();
        int[] order = s.data.order;
        if (order.length == 0) {
            return "weighted-round-robin: nothing available";
        }
        StringBuilder period = new StringBuilder();
        for (int i = 0; i < order.length && i < 40; i++) {
            period.append(i == 0 ? "" : " ").append(s.available[order[i]].name());
        }
        long turn = Math.floorMod(s.data.next.get() - 1, (long) order.length);
        return "weighted-round-robin (nginx smooth): one period of " + order.length + " picks is [" + period
                + (order.length > 40 ? " ..." : "") + "]; this was pick " + (turn + 1) + ", " + chosen.name()
                + " (weight " + chosen.weight() + ")";
    }

    @Override
    Schedule build(Backend[] available) {
        int n = available.length;
        int[] weight = new int[n];
        int gcd = 0;
        for (int i = 0; i < n; i++) {
            weight[i] = available[i].weight();
            gcd = gcd(gcd, weight[i]);
        }
        int total = 0;
        for (int i = 0; i < n; i++) {
            weight[i] /= gcd;
            total += weight[i];
        }
        int[] order = new int[total];
        long[] current = new long[n];
        for (int pick = 0; pick < total; pick++) {
            int best = -1;
            for (int i = 0; i < n; i++) {
                current[i] += weight[i];
                if (best < 0 || current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= total;
            order[pick] = best;
        }
        return new Schedule(order);
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}
