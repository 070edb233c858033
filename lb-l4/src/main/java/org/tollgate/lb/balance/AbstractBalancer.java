package org.tollgate.lb.balance;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What every algorithm shares: the backend list, and a copy-on-write snapshot of the
 * available backends plus whatever the algorithm derives from them (a schedule, a lookup
 * table). Picks read the snapshot with one volatile read; a change of membership, weight
 * or state bumps a generation number, and the next pick rebuilds the snapshot. Only the
 * rebuild takes a lock, so the hot path never does.
 *
 * @param <T> what the algorithm derives from the available backends
 */
abstract class AbstractBalancer<T> implements Balancer {

    /** Available backends at one generation, and the algorithm's data built from them. */
    static final class Snapshot<T> {
        final long generation;
        final Backend[] available;
        final T data;

        Snapshot(long generation, Backend[] available, T data) {
            this.generation = generation;
            this.available = available;
            this.data = data;
        }
    }

    private final AtomicLong generation = new AtomicLong();
    private final Runnable onBackendChange = generation::incrementAndGet;
    private volatile List<Backend> backends = List.of();
    private volatile Snapshot<T> snapshot;

    AbstractBalancer(List<Backend> backends) {
        setBackends(backends);
    }

    @Override
    public final synchronized void setBackends(List<Backend> newBackends) {
        List<Backend> copy = List.copyOf(newBackends);
        Set<String> names = new HashSet<>();
        for (Backend b : copy) {
            if (!names.add(b.name())) {
                throw new IllegalArgumentException("two backends are named " + b.name());
            }
        }
        checkBackends(copy);
        Set<Backend> old = identitySet(backends);
        Set<Backend> now = identitySet(copy);
        for (Backend b : old) {
            if (!now.contains(b)) {
                b.removeChangeListener(onBackendChange);
            }
        }
        for (Backend b : now) {
            if (!old.contains(b)) {
                b.addChangeListener(onBackendChange);
            }
        }
        backends = copy;
        generation.incrementAndGet();
    }

    @Override
    public final List<Backend> backends() {
        return backends;
    }

    /** The current snapshot, rebuilt first if anything changed since it was made. */
    final Snapshot<T> snapshot() {
        Snapshot<T> s = snapshot;
        if (s != null && s.generation == generation.get()) {
            return s;
        }
        synchronized (this) {
            long g = generation.get();
            s = snapshot;
            if (s != null && s.generation == g) {
                return s;
            }
            List<Backend> up = new ArrayList<>();
            for (Backend b : backends) {
                if (b.isAvailable()) {
                    up.add(b);
                }
            }
            Backend[] available = up.toArray(new Backend[0]);
            s = new Snapshot<>(g, available, build(available));
            snapshot = s;
            return s;
        }
    }

    /** Derives the algorithm's data from the available backends (called under the rebuild lock). */
    abstract T build(Backend[] available);

    /** Lets an algorithm refuse a backend set it cannot serve. */
    void checkBackends(List<Backend> backends) {
    }

    /** Load of a backend as HAProxy and nginx compare it: active connections per unit of weight. */
    static boolean lessLoaded(Backend a, Backend b) {
        // a.active / a.weight < b.active / b.weight, cross-multiplied to stay in integers
        return (long) a.activeConnections() * b.weight() < (long) b.activeConnections() * a.weight();
    }

    private static Set<Backend> identitySet(List<Backend> list) {
        Set<Backend> set = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (Backend b : list) {
            set.add(Objects.requireNonNull(b, "backend"));
        }
        return set;
    }
}
