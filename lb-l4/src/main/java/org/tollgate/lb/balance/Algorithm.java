package org.tollgate.lb.balance;

import java.util.List;
import java.util.Locale;
import java.util.Random;

/** The balancing algorithms by the names the command line uses. */
public enum Algorithm {
    ROUND_ROBIN("round-robin"),
    WEIGHTED_ROUND_ROBIN("weighted-round-robin"),
    LEAST_CONNECTIONS("least-connections"),
    IP_HASH("ip-hash"),
    TWO_CHOICES("two-choices");

    private final String cliName;

    Algorithm(String cliName) {
        this.cliName = cliName;
    }

    /** The name on the command line, e.g. {@code least-connections}. */
    public String cliName() {
        return cliName;
    }

    /** A new balancer of this kind over {@code backends}. */
    public Balancer create(List<Backend> backends) {
        return create(backends, new Random());
    }

    /** As {@link #create(List)}, with the randomness two-choices draws from. */
    public Balancer create(List<Backend> backends, Random random) {
        switch (this) {
            case ROUND_ROBIN:
                return new RoundRobin(backends);
            case WEIGHTED_ROUND_ROBIN:
                return new SmoothWeightedRoundRobin(backends);
            case LEAST_CONNECTIONS:
                return new LeastConnections(backends);
            case IP_HASH:
                return new MaglevHash(backends);
            case TWO_CHOICES:
                return new TwoRandomChoices(backends, random);
            default:
                throw new AssertionError(this);
        }
    }

    /** The algorithm named {@code name} ({@link #cliName()}), with a message listing the names otherwise. */
    public static Algorithm parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (Algorithm a : values()) {
            if (a.cliName.equals(n)) {
                return a;
            }
        }
        StringBuilder known = new StringBuilder();
        for (Algorithm a : values()) {
            known.append(known.length() == 0 ? "" : ", ").append(a.cliName);
        }
        throw new IllegalArgumentException("unknown algorithm '" + name + "'; known: " + known);
    }

    @Override
    public String toString() {
        return cliName;
    }
}
