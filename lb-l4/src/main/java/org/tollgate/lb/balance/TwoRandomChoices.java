package org.tollgate.lb.balance;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

/**
 * The power of two random choices (Mitzenmacher): draw two available backends at random,
 * with replacement, and keep the less loaded one ({@code active / weight}; the first drawn
 * on ties). HAProxy's default {@code random(2)} and Envoy's least request balancer work
 * this way. It comes close to least connections without scanning every backend, and
 * unlike least connections it does not send a burst of new connections all to the one
 * backend that looks idle.
 */
public final class TwoRandomChoices extends AbstractBalancer<Void> {
    private final Random random;

    /**
     * With a {@link Random} of its own; pass a seeded one to {@link #TwoRandomChoices(List, Random)} for a repeatable run.
     * @param backends the initial backends
     */
    public TwoRandomChoices(List<Backend> backends) {
        this(backends, new Random());
    }

    /**
     * Draws from {@code random}; a seeded one makes the picks repeatable.
     * @param backends the initial backends
     * @param random the source of the random draws
     */
    public TwoRandomChoices(List<Backend> backends, Random random) {
        super(backends);
        this.random = Objects.requireNonNull(random, "random");
    }

    @Override
    public Optional<Backend> choose(InetAddress client, Set<Backend> excluded) {
        return pick(excluded, null);
    }

    @Override
    public Decision decide(InetAddress client, Set<Backend> excluded) {
        StringBuilder why = new StringBuilder();
        Optional<Backend> b = pick(excluded, why);
        return new Decision(b, b.isPresent() ? why.toString() : "no backend available");
    }

    private Optional<Backend> pick(Set<Backend> excluded, StringBuilder why) {
        Backend[] up = snapshot().available;
        if (!excluded.isEmpty()) {
            List<Backend> left = new ArrayList<>(up.length);
            for (Backend b : up) {
                if (!excluded.contains(b)) {
                    left.add(b);
                }
            }
            up = left.toArray(new Backend[0]);
        }
        if (up.length == 0) {
            return Optional.empty();
        }
        Backend first = up[random.nextInt(up.length)];
        Backend second = up[random.nextInt(up.length)];
        Backend chosen = lessLoaded(second, first) ? second : first;
        if (why != null) {
            why.append("two-choices: drew ").append(first.name()).append(" (").append(first.activeConnections()).append('/')
                    .append(first.weight()).append(") and ").append(second.name()).append(" (").append(second.activeConnections())
                    .append('/').append(second.weight()).append(") of ").append(up.length)
                    .append(" at random, kept the lower active/weight: ").append(chosen.name());
        }
        return Optional.of(chosen);
    }

    @Override
    Void build(Backend[] available) {
        return null;
    }
}
