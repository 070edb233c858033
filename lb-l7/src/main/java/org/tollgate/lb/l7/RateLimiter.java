package org.tollgate.lb.l7;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * One token bucket per client address (the algorithm of RFC 2697's committed burst, and of
 * nginx's {@code limit_req} with {@code burst ... nodelay}): a bucket holds at most
 * {@code burst} tokens, gains {@code perSecond} tokens a second, and each request takes one.
 *
 * <p>Buckets live in a concurrent map; when it grows past {@link #MAX_TRACKED} addresses,
 * the buckets that have refilled completely (their clients have been quiet) are dropped:
 * a full bucket is exactly what a new one would be, so nothing is forgotten that matters.
 */
final class RateLimiter {
    static final int MAX_TRACKED = 100_000;

    private final double perNano;
    private final double perSecond;
    private final int burst;
    private final LongSupplier nanoTime;
    private final ConcurrentHashMap<InetAddress, Bucket> buckets = new ConcurrentHashMap<>();

    private static final class Bucket {
        double tokens;
        long stamp;

        Bucket(double tokens, long stamp) {
            this.tokens = tokens;
            this.stamp = stamp;
        }
    }

    RateLimiter(TrafficPolicy.RateLimit limit, LongSupplier nanoTime) {
        this.perSecond = limit.perSecond();
        this.perNano = limit.perSecond() / 1e9;
        this.burst = limit.burst();
        this.nanoTime = nanoTime;
    }

    /** Takes a token for {@code client}: 0 when there was one, else the whole seconds until there will be (at least 1). */
    long acquire(InetAddress client) {
        long now = nanoTime.getAsLong();
        Bucket b = buckets.computeIfAbsent(client, k -> new Bucket(burst, now));
        long wait;
        synchronized (b) {
            refill(b, now);
            if (b.tokens >= 1) {
                b.tokens -= 1;
                wait = 0;
            } else {
                wait = Math.max(1, (long) Math.ceil((1 - b.tokens) / perSecond));
            }
        }
        if (buckets.size() > MAX_TRACKED) {
            sweep(now);
        }
        return wait;
    }

    private void refill(Bucket b, long now) {
        long elapsed = now - b.stamp;
        if (elapsed > 0) {
            b.tokens = Math.min(burst, b.tokens + elapsed * perNano);
            b.stamp = now;
        }
    }

    private void sweep(long now) {
        buckets.values().removeIf(b -> {
            synchronized (b) {
                refill(b, now);
                return b.tokens >= burst;
            }
        });
    }

    /** Addresses with a bucket now (for tests). */
    int tracked() {
        return buckets.size();
    }
}
