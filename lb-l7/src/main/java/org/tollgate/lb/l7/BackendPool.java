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
import org.tollgate.tls.TlsConfig;

/**
 * A named set of backends with its own balancing algorithm from lb-l4, and optionally a
 * sticky cookie ({@link StickyCookie}), health checks ({@link HealthCheck}) and TLS to the
 * backends (re-encryption, {@link Builder#tls(TlsConfig, String)}). Immutable
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
    private final TlsConfig tls;
    private final String tlsServerName;
    /** Cookie value -> backend, for the backend list it was computed from (recomputed when the list changes). */
    private volatile StickyTable stickyTable;
    /** Its health checker while some configuration in force holds the pool, else null. */
    private volatile PoolHealth health;
    /** Configurations in force (of any listener) that hold this pool. */
    private int users;
    /** The backends while released: the balancer is emptied so it listens to none of them. */
    private List<Backend> parked;

    private record StickyTable(List<Backend> backends, Map<String, Backend> byValue, Map<Backend, String> byBackend) {
    }

    /**
     * A pool without sticky cookie or health checks.
     * @param name the pool's name, as routes name it
     * @param balancer the algorithm over its backends
     */
    public BackendPool(String name, Balancer balancer) {
        this(name, balancer, null, null, null, null);
    }

    private BackendPool(String name, Balancer balancer, StickyCookie sticky, HealthCheck healthCheck, TlsConfig tls,
                        String tlsServerName) {
        this.name = Objects.requireNonNull(name);
        this.balancer = Objects.requireNonNull(balancer);
        this.sticky = sticky;
        this.healthCheck = healthCheck;
        this.tls = tls;
        this.tlsServerName = tlsServerName;
    }

    /**
     * A pool balancing {@code backends} with {@code algorithm}.
     * @param name the pool's name
     * @param algorithm the balancing algorithm
     * @param backends the backends
     * @return the pool
     */
    public static BackendPool of(String name, Algorithm algorithm, List<Backend> backends) {
        return new BackendPool(name, algorithm.create(backends));
    }

    /**
     * Starts a pool with sticky cookie and health checks to add.
     * @param name the pool's name
     * @param algorithm the balancing algorithm
     * @param backends the backends
     * @return the builder
     */
    public static Builder builder(String name, Algorithm algorithm, List<Backend> backends) {
        return new Builder(name, algorithm.create(backends));
    }

    /**
     * Starts a pool over a balancer built by the caller.
     * @param name the pool's name
     * @param balancer the balancer
     * @return the builder
     */
    public static Builder builder(String name, Balancer balancer) {
        return new Builder(name, balancer);
    }

    /** {@return the pool's name, as routes name it} */
    public String name() {
        return name;
    }

    /** {@return the balancing algorithm over the pool's backends} */
    public Balancer balancer() {
        return balancer;
    }

    /** {@return the backends, whatever their state, in configuration order} */
    public List<Backend> backends() {
        return balancer.backends();
    }

    /** {@return the sticky cookie, or null when the pool has none} */
    public StickyCookie stickyCookie() {
        return sticky;
    }

    /** {@return the health checks, or null when there are none} */
    public HealthCheck healthCheck() {
        return healthCheck;
    }

    /**
     * This pool, reached over TLS: see {@link Builder#tls(TlsConfig, String)}.
     *
     * @param config     the client TLS settings (its verifier decides which certificates are trusted)
     * @param serverName the SNI name and the name the certificates must carry, or null for each backend's host
     * @return a copy of this pool that speaks HTTPS to its backends
     */
    public BackendPool withTls(TlsConfig config, String serverName) {
        return new BackendPool(name, balancer, sticky, healthCheck, Objects.requireNonNull(config), serverName);
    }

    /**
     * The TLS settings towards the backends.
     *
     * @return the settings, or null for plain HTTP
     */
    public TlsConfig tls() {
        return tls;
    }

    /**
     * The name the backends' certificates must match (and the SNI sent).
     *
     * @return the name, or null for each backend's host
     */
    public String tlsServerName() {
        return tlsServerName;
    }

    /** {@return the algorithm's command-line name ({@code least-connections}, ...), or the class name of a foreign balancer} */
    public String algorithmName() {
        Algorithm a = balancer instanceof RoundRobin ? Algorithm.ROUND_ROBIN
                : balancer instanceof SmoothWeightedRoundRobin ? Algorithm.WEIGHTED_ROUND_ROBIN
                : balancer instanceof LeastConnections ? Algorithm.LEAST_CONNECTIONS
                : balancer instanceof MaglevHash ? Algorithm.IP_HASH
                : balancer instanceof TwoRandomChoices ? Algorithm.TWO_CHOICES : null;
        return a != null ? a.cliName() : balancer.getClass().getSimpleName();
    }

    /** The health of its backends (active checks, passive ejection), or null without health checks or while released. */
    PoolHealth health() {
        return health;
    }

    /**
     * A configuration holding this pool is put in force: the first user starts the health
     * checker (one per pool, however many listeners route to it) and gives the balancer
     * its backends back if it had been released.
     */
    synchronized void acquire() {
        if (users++ > 0) {
            return;
        }
        if (parked != null) {
            balancer.setBackends(parked);
            parked = null;
        }
        if (healthCheck != null) {
            health = new PoolHealth(this);
        }
    }

    /**
     * A configuration holding this pool has left force and its last exchange has finished:
     * the last user stops the health checker and empties the balancer, which removes its
     * change listeners from the backends (a reload reuses the {@code Backend} objects, so
     * they would otherwise collect one listener per reload).
     */
    synchronized void release() {
        if (users == 0 || --users > 0) {
            return;
        }
        PoolHealth h = health;
        health = null;
        if (h != null) {
            h.close();
        }
        parked = balancer.backends();
        balancer.setBackends(List.of());
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
        private TlsConfig tls;
        private String tlsServerName;

        private Builder(String name, Balancer balancer) {
            this.name = Objects.requireNonNull(name);
            this.balancer = Objects.requireNonNull(balancer);
        }

        /**
         * Sticky sessions by this inserted cookie; null for none.
         * @param c the cookie, or null
         * @return this builder
         */
        public Builder stickyCookie(StickyCookie c) {
            this.sticky = c;
            return this;
        }

        /**
         * Active checks and passive ejection; null for none.
         * @param h the health checks, or null
         * @return this builder
         */
        public Builder healthCheck(HealthCheck h) {
            this.healthCheck = h;
            return this;
        }

        /**
         * Reach the backends over TLS (re-encryption): each backend connection is a
         * tls-client handshake with {@code config} (whose verifier decides which certificates
         * are trusted), sending {@code serverName} as SNI and requiring the backend's
         * certificate to match it; a null name uses each backend's host address text.
         * A null {@code config} means plain HTTP.
         *
         * @param config     the client TLS settings, or null
         * @param serverName the SNI name and certificate name, or null for each backend's host
         * @return this builder
         */
        public Builder tls(TlsConfig config, String serverName) {
            this.tls = config;
            this.tlsServerName = serverName;
            return this;
        }

        /** {@return the pool} */
        public BackendPool build() {
            return new BackendPool(name, balancer, sticky, healthCheck, tls, tlsServerName);
        }
    }
}
