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
    private final Duration backendTimeout;
    private final Duration connectTimeout;
    private final Duration backendIdleTimeout;
    private final int maxIdlePerBackend;
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
        this.backendTimeout = b.backendTimeout;
        this.connectTimeout = b.connectTimeout;
        this.backendIdleTimeout = b.backendIdleTimeout;
        this.maxIdlePerBackend = b.maxIdlePerBackend;
        this.eventLoops = b.eventLoops;
        this.retryAfterSeconds = b.retryAfterSeconds;
        this.trustedProxies = Set.copyOf(b.trustedProxies);
        this.traffic = b.traffic;
        this.accessLog = b.accessLog;
        this.explain = b.explain;
        this.tunnelIdleTimeout = b.tunnelIdleTimeout;
    }

    public static Builder builder(InetSocketAddress listen) {
        return new Builder(listen);
    }

    public InetSocketAddress listen() {
        return listen;
    }

    /** TLS termination settings, or null for plain HTTP. */
    public TlsConfig tls() {
        return tls;
    }

    /** The pools by name, in the order they were added. */
    public Map<String, BackendPool> pools() {
        return pools;
    }

    /** In evaluation order: the first match wins. */
    public List<Route> routes() {
        return routes;
    }

    public HttpLimits requestLimits() {
        return requestLimits;
    }

    public HttpLimits responseLimits() {
        return responseLimits;
    }

    /**
     * From the moment the proxy waits for a request (connection open, or previous response
     * sent) until its head is complete. A client that sent part of a head gets 408; one
     * that sent nothing (an idle keep-alive connection) is closed silently.
     */
    public Duration headerTimeout() {
        return headerTimeout;
    }

    /** Longest silence from a backend while a request is outstanding: 504 before the response, abort after. */
    public Duration backendTimeout() {
        return backendTimeout;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** How long an idle keep-alive connection to a backend stays in the pool. */
    public Duration backendIdleTimeout() {
        return backendIdleTimeout;
    }

    /** Idle keep-alive connections kept per backend and event loop. */
    public int maxIdlePerBackend() {
        return maxIdlePerBackend;
    }

    public int eventLoops() {
        return eventLoops;
    }

    /** Retry-After on 503 when every backend of a pool is down. */
    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /**
     * Addresses whose X-Forwarded-For, X-Forwarded-Proto and Forwarded values are kept and
     * appended to; from anyone else they are replaced (a client cannot forge its origin).
     */
    public Set<InetAddress> trustedProxies() {
        return trustedProxies;
    }

    /** The abnormal-traffic filters ({@link TrafficPolicy#NONE} by default). */
    public TrafficPolicy traffic() {
        return traffic;
    }

    /** Where one line per request goes, or null for no access log (the default). */
    public AccessLog accessLog() {
        return accessLog;
    }

    /**
     * Where {@code --explain} text goes for each request (which route matched and why the
     * earlier ones did not, the pool, its algorithm and candidates, the choice and why),
     * or null (the default) for none.
     */
    public Consumer<String> explain() {
        return explain;
    }

    /** Longest silence in both directions of an upgraded connection (WebSocket) before it is closed. */
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

    public static final class Builder {
        private final InetSocketAddress listen;
        private TlsConfig tls;
        private final Map<String, BackendPool> pools = new LinkedHashMap<>();
        private final List<Route> routes = new ArrayList<>();
        private HttpLimits requestLimits = HttpLimits.REQUEST_DEFAULTS;
        private HttpLimits responseLimits = HttpLimits.RESPONSE_DEFAULTS;
        private Duration headerTimeout = Duration.ofSeconds(10);
        private Duration backendTimeout = Duration.ofSeconds(30);
        private Duration connectTimeout = Duration.ofSeconds(3);
        private Duration backendIdleTimeout = Duration.ofSeconds(30);
        private int maxIdlePerBackend = 32;
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

        public Builder tls(TlsConfig c) {
            this.tls = c;
            return this;
        }

        public Builder pool(BackendPool p) {
            if (pools.putIfAbsent(p.name(), p) != null) {
                throw new IllegalArgumentException("two pools are named " + p.name());
            }
            return this;
        }

        /** Appends a route: routes are evaluated in the order they were added. */
        public Builder route(Route r) {
            routes.add(Objects.requireNonNull(r));
            return this;
        }

        public Builder requestLimits(HttpLimits l) {
            this.requestLimits = Objects.requireNonNull(l);
            return this;
        }

        public Builder responseLimits(HttpLimits l) {
            this.responseLimits = Objects.requireNonNull(l);
            return this;
        }

        public Builder headerTimeout(Duration d) {
            this.headerTimeout = positive(d);
            return this;
        }

        public Builder backendTimeout(Duration d) {
            this.backendTimeout = positive(d);
            return this;
        }

        public Builder connectTimeout(Duration d) {
            this.connectTimeout = positive(d);
            return this;
        }

        public Builder backendIdleTimeout(Duration d) {
            this.backendIdleTimeout = positive(d);
            return this;
        }

        public Builder maxIdlePerBackend(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("maxIdlePerBackend must be >= 0");
            }
            this.maxIdlePerBackend = n;
            return this;
        }

        public Builder eventLoops(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("at least one event loop");
            }
            this.eventLoops = n;
            return this;
        }

        public Builder retryAfterSeconds(int s) {
            this.retryAfterSeconds = s;
            return this;
        }

        public Builder trustedProxy(InetAddress a) {
            trustedProxies.add(Objects.requireNonNull(a));
            return this;
        }

        /** The abnormal-traffic filters. */
        public Builder traffic(TrafficPolicy t) {
            this.traffic = Objects.requireNonNull(t);
            return this;
        }

        /** One line per request to {@code log}; null for none. */
        public Builder accessLog(AccessLog log) {
            this.accessLog = log;
            return this;
        }

        /** Explanations of every routing and balancing decision to {@code sink}; null for none. */
        public Builder explain(Consumer<String> sink) {
            this.explain = sink;
            return this;
        }

        /** Idle timeout of upgraded (WebSocket) connections; default one hour, like HAProxy's usual {@code timeout tunnel}. */
        public Builder tunnelIdleTimeout(Duration d) {
            this.tunnelIdleTimeout = positive(d);
            return this;
        }

        /** Checks that every route names a pool that exists. */
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
