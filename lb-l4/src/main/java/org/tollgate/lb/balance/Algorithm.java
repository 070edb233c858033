package org.tollgate.lb.balance;

import java.util.List;
import java.util.Locale;
import java.util.Random;

/** The balancing algorithms by the names the command line uses. */
public enum Algorithm {
    /** Each available backend in turn, weights ignored: {@link RoundRobin}. */
    ROUND_ROBIN("round-robin"),
    /** nginx's smooth weighted round robin: {@link SmoothWeightedRoundRobin}. */
    WEIGHTED_ROUND_ROBIN("weighted-round-robin"),
    /** Fewest active connections per unit of weight: {@link LeastConnections}. */
    LEAST_CONNECTIONS("least-connections"),
    /** IP hash, consistent: the Maglev table of {@link MaglevHash}. */
    IP_HASH("ip-hash"),
    /** Power of two random choices: {@link TwoRandomChoices}. */
    TWO_CHOICES("two-choices");

    private final String cliName;

    Algorithm(String cliName) {
        this.cliName = cliName;
    }

    /** {@return the name on the command line, e.g. {@code least-connections}} */
    public String cliName() {
        return cliName;
    }

    /**
     * A new balancer of this kind over {@code backends}.
     * @param backends the backends to balance over
     * @return the balancer
     */
    public Balancer create(List<Backend> backends) {
        return create(backends, new Random());
    }

    /**
     * As {@link #create(List)}, with the randomness two-choices draws from.
     * @param backends the backends to balance over
     * @param random where two-choices draws its pairs
     * @return the balancer
     */
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

    /**
     * The algorithm named {@code name} ({@link #cliName()}), with a message listing the names otherwise.
     * @param name a command-line name
     * @return the algorithm
     * @throws IllegalArgumentException naming the known algorithms when {@code name} is not one
     */
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
