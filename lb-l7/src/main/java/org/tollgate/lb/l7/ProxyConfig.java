package org.tollgate.lb.l7;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.tollgate.lb.l7.http.HttpLimits;
import org.tollgate.tls.TlsConfig;

/**
 * Everything an {@link L7Proxy} needs: where to listen, TLS (optional), the pools and the
 * ordered routes, the limits and timeouts.
 *
 * <pre>{@code
 * ProxyConfig config = ProxyConfig.builder(new InetSocketAddress("127.0.0.1", 8080))
 *         .pool(BackendPool.of("web", Algorithm.ROUND_ROBIN, backends))
 *         .route(Route.all("web"))
 *         .build();
 * }</pre>
 */
public final class ProxyConfig {
    private final InetSocketAddress listen;
    private final TlsConfig tls;
    private final Map<String, BackendPool> pools;
    private final List<Route> routes;
    private final HttpLimits requestLimits;
    private final HttpLimits responseLimits;
    private final Duration headerTimeout;
    private final Duration keepAliveTimeout;
    private final Duration backendTimeout;
    private final Duration connectTimeout;
    private final Duration backendIdleTimeout;
    private final int maxIdlePerBackend;
    private final int maxConnections;
    private final int eventLoops;
    private final int retryAfterSeconds;
    private final Set<InetAddress> trustedProxies;
    private final TrafficPolicy traffic;
    private final AccessLog accessLog;
    private final Consumer<String> explain;
    private final Duration tunnelIdleTimeout;

    private ProxyConfig(Builder b) {
        this.listen = b.listen;
        this.tls = b.tls;
        this.pools = Collections.unmodifiableMap(new LinkedHashMap<>(b.pools));
        this.routes = List.copyOf(b.routes);
        this.requestLimits = b.requestLimits;
        this.responseLimits = b.responseLimits;
        this.headerTimeout = b.headerTimeout;
        this.keepAliveTimeout = b.keepAliveTimeout;
        this.backendTimeout = b.backendTimeout;
        this.connectTimeout = b.connectTimeout;
        this.backendIdleTimeout = b.backendIdleTimeout;
        this.maxIdlePerBackend = b.maxIdlePerBackend;
        this.maxConnections = b.maxConnections;
        this.eventLoops = b.eventLoops;
        this.retryAfterSeconds = b.retryAfterSeconds;
        this.trustedProxies = Set.copyOf(b.trustedProxies);
        this.traffic = b.traffic;
        this.accessLog = b.accessLog;
        this.explain = b.explain;
        this.tunnelIdleTimeout = b.tunnelIdleTimeout;
    }

    /**
     * {@return a builder with the defaults named on each getter}
     * @param listen the address to accept clients on
     */
    public static Builder builder(InetSocketAddress listen) {
        return new Builder(listen);
    }

    /** {@return the address clients connect to} */
    public InetSocketAddress listen() {
        return listen;
    }

    /** {@return TLS termination settings, or null for plain HTTP} */
    public TlsConfig tls() {
        return tls;
    }

    /** {@return the pools by name, in the order they were added} */
    public Map<String, BackendPool> pools() {
        return pools;
    }

    /** {@return in evaluation order: the first match wins} */
    public List<Route> routes() {
        return routes;
    }

    /** {@return the limits on requests (line, header section, body), RFC 9112 §2.3} */
    public HttpLimits requestLimits() {
        return requestLimits;
    }

    /** {@return the limits on responses from backends} */
    public HttpLimits responseLimits() {
        return responseLimits;
    }

    /**
     * How long a request head may take: on a new connection from the accept (TLS handshake
     * included), on a kept-alive connection from the first byte of the next request. A
     * client that sent part of a head by then gets 408; a new connection that sent nothing
     * is closed silently.
     * @return the header timeout
     */
    public Duration headerTimeout() {
        return headerTimeout;
    }

    /**
     * How long a kept-alive client connection may sit idle between a response and the first
     * byte of its next request (HAProxy's {@code timeout http-keep-alive}, nginx's
     * {@code keepalive_timeout}); then it is closed without a response (nothing was asked).
     * @return the idle keep-alive timeout
     */
    public Duration keepAliveTimeout() {
        return keepAliveTimeout;
    }

    /** {@return longest silence from a backend while a request is outstanding: 504 before the response, abort after} */
    public Duration backendTimeout() {
        return backendTimeout;
    }

    /** {@return how long a connect to a backend may take before the next is tried} */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** {@return how long an idle keep-alive connection to a backend stays in the pool} */
    public Duration backendIdleTimeout() {
        return backendIdleTimeout;
    }

    /**
     * Most client connections open at once on this listener (HAProxy's {@code maxconn}):
     * at the limit the proxy stops accepting, so further clients wait in the kernel's
     * listen backlog (their connect succeeds, their request waits) and are accepted, in
     * order, as connections close. Connections refused by a filter count while they are open.
     * @return the limit (default 10 000)
     */
    public int maxConnections() {
        return maxConnections;
    }

    /** {@return idle keep-alive connections kept per backend and event loop} */
    public int maxIdlePerBackend() {
        return maxIdlePerBackend;
    }

    /** {@return the number of event loop threads} */
    public int eventLoops() {
        return eventLoops;
    }

    /** {@return retry-After on 503 when every backend of a pool is down} */
    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /**
     * Addresses whose X-Forwarded-For, X-Forwarded-Proto and Forwarded values are kept and
     * appended to; from anyone else they are replaced (a client cannot forge its origin).
     * @return the trusted proxies
     */
    public Set<InetAddress> trustedProxies() {
        return trustedProxies;
    }

    /** {@return the abnormal-traffic filters ({@link TrafficPolicy#NONE} by default)} */
    public TrafficPolicy traffic() {
        return traffic;
    }

    /** {@return where one line per request goes, or null for no access log (the default)} */
    public AccessLog accessLog() {
        return accessLog;
    }

    /**
     * Where {@code --explain} text goes for each request (which route matched and why the
     * earlier ones did not, the pool, its algorithm and candidates, the choice and why),
     * or null (the default) for none.
     * @return the explain sink, or null
     */
    public Consumer<String> explain() {
        return explain;
    }

    /** {@return longest silence in both directions of an upgraded connection (WebSocket) before it is closed} */
    public Duration tunnelIdleTimeout() {
        return tunnelIdleTimeout;
    }

    /** The pool of the first route matching, or null. */
    BackendPool route(org.tollgate.lb.l7.http.RequestHead request) {
        for (Route r : routes) {
            if (r.matches(request)) {
                return pools.get(r.pool());
            }
        }
        return null;
    }

    /** Builds a {@link ProxyConfig}: pools, routes, TLS, limits and timeouts. */
    public static final class Builder {
        private final InetSocketAddress listen;
        private TlsConfig tls;
        private final Map<String, BackendPool> pools = new LinkedHashMap<>();
        private final List<Route> routes = new ArrayList<>();
        private HttpLimits requestLimits = HttpLimits.REQUEST_DEFAULTS;
        private HttpLimits responseLimits = HttpLimits.RESPONSE_DEFAULTS;
        private Duration headerTimeout = Duration.ofSeconds(10);
        private Duration keepAliveTimeout = Duration.ofSeconds(10);
        private Duration backendTimeout = Duration.ofSeconds(30);
        private Duration connectTimeout = Duration.ofSeconds(3);
        private Duration backendIdleTimeout = Duration.ofSeconds(30);
        private int maxIdlePerBackend = 32;
        private int maxConnections = 10_000;
        private int eventLoops = Math.max(1, Runtime.getRuntime().availableProcessors());
        private int retryAfterSeconds = 5;
        private final List<InetAddress> trustedProxies = new ArrayList<>();
        private TrafficPolicy traffic = TrafficPolicy.NONE;
        private AccessLog accessLog;
        private Consumer<String> explain;
        private Duration tunnelIdleTimeout = Duration.ofHours(1);

        private Builder(InetSocketAddress listen) {
            this.listen = Objects.requireNonNull(listen);
        }

        /**
         * Terminates TLS with this configuration (its certificates, chosen by SNI); null for plain HTTP.
         * @param c the TLS configuration
         * @return this builder
         */
        public Builder tls(TlsConfig c) {
            this.tls = c;
            return this;
        }

        /**
         * Adds a pool; its name must be unique.
         * @param p the pool
         * @return this builder
         */
        public Builder pool(BackendPool p) {
            if (pools.putIfAbsent(p.name(), p) != null) {
                throw new IllegalArgumentException("two pools are named " + p.name());
            }
            return this;
        }

        /**
         * Appends a route: routes are evaluated in the order they were added.
         * @param r the route
         * @return this builder
         */
        public Builder route(Route r) {
            routes.add(Objects.requireNonNull(r));
            return this;
        }

        /**
         * See {@link ProxyConfig#requestLimits()}.
         * @param l the limits
         * @return this builder
         */
        public Builder requestLimits(HttpLimits l) {
            this.requestLimits = Objects.requireNonNull(l);
            return this;
        }

        /**
         * See {@link ProxyConfig#responseLimits()}.
         * @param l the limits
         * @return this builder
         */
        public Builder responseLimits(HttpLimits l) {
            this.responseLimits = Objects.requireNonNull(l);
            return this;
        }

        /**
         * See {@link ProxyConfig#headerTimeout()}.
         * @param d the timeout
         * @return this builder
         */
        public Builder headerTimeout(Duration d) {
            this.headerTimeout = positive(d);
            return this;
        }

        /**
         * See {@link ProxyConfig#keepAliveTimeout()}.
         * @param d the timeout
         * @return this builder
         */
        public Builder keepAliveTimeout(Duration d) {
            this.keepAliveTimeout = positive(d);
            return this;
        }

        /**
         * See {@link ProxyConfig#backendTimeout()}.
         * @param d the timeout
         * @return this builder
         */
        public Builder backendTimeout(Duration d) {
            this.backendTimeout = positive(d);
            return this;
        }

        /**
         * See {@link ProxyConfig#connectTimeout()}.
         * @param d the timeout
         * @return this builder
         */
        public Builder connectTimeout(Duration d) {
            this.connectTimeout = positive(d);
            return this;
        }

        /**
         * See {@link ProxyConfig#backendIdleTimeout()}.
         * @param d the timeout
         * @return this builder
         */
        public Builder backendIdleTimeout(Duration d) {
            this.backendIdleTimeout = positive(d);
            return this;
        }

        /**
         * See {@link ProxyConfig#maxConnections()}.
         * @param n the limit, at least 1
         * @return this builder
         */
        public Builder maxConnections(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxConnections must be at least 1, not " + n);
            }
            this.maxConnections = n;
            return this;
        }

        /**
         * See {@link ProxyConfig#maxIdlePerBackend()}.
         * @param n the number of idle connections
         * @return this builder
         */
        public Builder maxIdlePerBackend(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("maxIdlePerBackend must be >= 0");
            }
            this.maxIdlePerBackend = n;
            return this;
        }

        /**
         * See {@link ProxyConfig#eventLoops()}.
         * @param n the number of loops
         * @return this builder
         */
        public Builder eventLoops(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("at least one event loop");
            }
            this.eventLoops = n;
            return this;
        }

        /**
         * See {@link ProxyConfig#retryAfterSeconds()}.
         * @param s the seconds
         * @return this builder
         */
        public Builder retryAfterSeconds(int s) {
            this.retryAfterSeconds = s;
            return this;
        }

        /**
         * Adds an address whose forwarding headers are trusted (see {@link ProxyConfig#trustedProxies()}).
         * @param a the proxy's address
         * @return this builder
         */
        public Builder trustedProxy(InetAddress a) {
            trustedProxies.add(Objects.requireNonNull(a));
            return this;
        }

        /**
         * The abnormal-traffic filters.
         * @param t the policy
         * @return this builder
         */
        public Builder traffic(TrafficPolicy t) {
            this.traffic = Objects.requireNonNull(t);
            return this;
        }

        /**
         * One line per request to {@code log}; null for none.
         * @param log the access log, or null
         * @return this builder
         */
        public Builder accessLog(AccessLog log) {
            this.accessLog = log;
            return this;
        }

        /**
         * Explanations of every routing and balancing decision to {@code sink}; null for none.
         * @param sink the sink, or null
         * @return this builder
         */
        public Builder explain(Consumer<String> sink) {
            this.explain = sink;
            return this;
        }

        /**
         * Idle timeout of upgraded (WebSocket) connections; default one hour, like HAProxy's usual {@code timeout tunnel}.
         * @param d the timeout
         * @return this builder
         */
        public Builder tunnelIdleTimeout(Duration d) {
            this.tunnelIdleTimeout = positive(d);
            return this;
        }

        /** {@return checks that every route names a pool that exists} */
        public ProxyConfig build() {
            if (routes.isEmpty()) {
                throw new IllegalArgumentException("no route: add at least one (Route.all(pool) for everything)");
            }
            for (Route r : routes) {
                if (!pools.containsKey(r.pool())) {
                    throw new IllegalArgumentException("route '" + r + "' names pool '" + r.pool() + "', which does not exist");
                }
            }
            return new ProxyConfig(this);
        }

        private static Duration positive(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("timeout must be positive: " + d);
            }
            return d;
        }
    }
}
