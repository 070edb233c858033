package org.tollgate.lb.l7;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.balance.Balancer;
import org.tollgate.lb.balance.LeastConnections;
import org.tollgate.lb.balance.MaglevHash;
import org.tollgate.lb.balance.RoundRobin;
import org.tollgate.lb.balance.SmoothWeightedRoundRobin;
import org.tollgate.lb.balance.TwoRandomChoices;

/**
 * A named set of backends with its own balancing algorithm from lb-l4, and optionally a
 * sticky cookie ({@link StickyCookie}) and health checks ({@link HealthCheck}). Immutable
 * in its configuration (the backends themselves carry live state and counters).
 *
 * <pre>{@code
 * BackendPool web = BackendPool.builder("web", Algorithm.LEAST_CONNECTIONS, backends)
 *         .stickyCookie(StickyCookie.of("SRV"))
 *         .healthCheck(new HealthCheck("/health", 200, HealthConfig.builder().interval(Duration.ofSeconds(2)).build()))
 *         .build();
 * }</pre>
 */
public final class BackendPool {
    private final String name;
    private final Balancer balancer;
    private final StickyCookie sticky;
    private final HealthCheck healthCheck;
    /** Cookie value -> backend, for the backend list it was computed from (recomputed when the list changes). */
    private volatile StickyTable stickyTable;

    private record StickyTable(List<Backend> backends, Map<String, Backend> byValue, Map<Backend, String> byBackend) {
    }

    /** A pool without sticky cookie or health checks. */
    public BackendPool(String name, Balancer balancer) {
        this(name, balancer, null, null);
    }

    private BackendPool(String name, Balancer balancer, StickyCookie sticky, HealthCheck healthCheck) {
        this.name = Objects.requireNonNull(name);
        this.balancer = Objects.requireNonNull(balancer);
        this.sticky = sticky;
        this.healthCheck = healthCheck;
    }

    /** A pool balancing {@code backends} with {@code algorithm}. */
    public static BackendPool of(String name, Algorithm algorithm, List<Backend> backends) {
        return new BackendPool(name, algorithm.create(backends));
    }

    /** Starts a pool with sticky cookie and health checks to add. */
    public static Builder builder(String name, Algorithm algorithm, List<Backend> backends) {
        return new Builder(name, algorithm.create(backends));
    }

    /** Starts a pool over a balancer built by the caller. */
    public static Builder builder(String name, Balancer balancer) {
        return new Builder(name, balancer);
    }

    /** The pool's name, as routes name it. */
    public String name() {
        return name;
    }

    /** The balancing algorithm over the pool's backends. */
    public Balancer balancer() {
        return balancer;
    }

    /** The backends, whatever their state, in configuration order. */
    public List<Backend> backends() {
        return balancer.backends();
    }

    /** The sticky cookie, or null when the pool has none. */
    public StickyCookie stickyCookie() {
        return sticky;
    }

    /** The health checks, or null when there are none. */
    public HealthCheck healthCheck() {
        return healthCheck;
    }

    /** The algorithm's command-line name ({@code least-connections}, ...), or the class name of a foreign balancer. */
    public String algorithmName() {
        Algorithm a = balancer instanceof RoundRobin ? Algorithm.ROUND_ROBIN
                : balancer instanceof SmoothWeightedRoundRobin ? Algorithm.WEIGHTED_ROUND_ROBIN
                : balancer instanceof LeastConnections ? Algorithm.LEAST_CONNECTIONS
                : balancer instanceof MaglevHash ? Algorithm.IP_HASH
                : balancer instanceof TwoRandomChoices ? Algorithm.TWO_CHOICES : null;
        return a != null ? a.cliName() : balancer.getClass().getSimpleName();
    }

    /** The backend a sticky cookie value stands for, or null (unknown value, or no sticky cookie). */
    Backend stickyBackend(String value) {
        return value == null || sticky == null ? null : stickyTable().byValue().get(value);
    }

    /** The sticky cookie value of {@code b}. */
    String stickyValue(Backend b) {
        String v = stickyTable().byBackend().get(b);
        return v != null ? v : sticky.valueFor(name, b);
    }

    private StickyTable stickyTable() {
        List<Backend> now = balancer.backends();
        StickyTable t = stickyTable;
        if (t == null || t.backends() != now) {
            Map<String, Backend> byValue = new HashMap<>();
            Map<Backend, String> byBackend = new java.util.IdentityHashMap<>();
            for (Backend b : now) {
                String v = sticky.valueFor(name, b);
                byValue.put(v, b);
                byBackend.put(b, v);
            }
            t = new StickyTable(now, byValue, byBackend);
            stickyTable = t;
        }
        return t;
    }

    @Override
    public String toString() {
        return name + " " + algorithmName() + " " + backends() + (sticky != null ? " sticky " + sticky.name() : "")
                + (healthCheck != null ? " health " + healthCheck.path() : "");
    }

    /** Builds a {@link BackendPool}. */
    public static final class Builder {
        private final String name;
        private final Balancer balancer;
        private StickyCookie sticky;
        private HealthCheck healthCheck;

        private Builder(String name, Balancer balancer) {
            this.name = Objects.requireNonNull(name);
            this.balancer = Objects.requireNonNull(balancer);
        }

        /** Sticky sessions by this inserted cookie; null for none. */
        public Builder stickyCookie(StickyCookie c) {
            this.sticky = c;
            return this;
        }

        /** Active checks and passive ejection; null for none. */
        public Builder healthCheck(HealthCheck h) {
            this.healthCheck = h;
            return this;
        }

        /** The pool. */
        public BackendPool build() {
            return new BackendPool(name, balancer, sticky, healthCheck);
        }
    }
}
