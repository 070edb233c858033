package org.tollgate.lb.l4;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.balance.Balancer;

/**
 * SNI passthrough routing: the forwarder reads the server name from the client's TLS
 * ClientHello (without decrypting, without consuming the bytes) and picks the backend
 * pool serving that name, as HAProxy's {@code use_backend ... if { req.ssl_sni ... }} and
 * nginx's {@code ssl_preread} with a {@code map} do. The bytes read are forwarded first,
 * so the backend sees the TLS connection from its first byte.
 *
 * <ul>
 * <li>Names: exact ({@code a.example.com}) or a leading wildcard ({@code *.example.com},
 *     matching any name that ends in {@code .example.com}, at any depth, as nginx's
 *     {@code server_name} does; not {@code example.com} itself). Exact beats wildcard, the
 *     longest wildcard beats shorter ones; case does not matter.</li>
 * <li>A ClientHello with no name, or a name no route matches, goes to the forwarder's own
 *     balancer (the default pool).</li>
 * <li>A first flight that is not TLS (plain HTTP, SSLv2) or is malformed, or no complete
 *     ClientHello within {@link #maxClientHelloBytes()} and {@link #timeout()}, goes to
 *     the default pool or is closed: {@link #fallback()}. Waiting is bounded both ways
 *     so a slow or silent client holds at most one small buffer for a short time.</li>
 * </ul>
 */
public final class SniRoutes {

    /** What happens to a connection whose first bytes give no usable ClientHello. */
    public enum Fallback {
        /** Forward it to the default pool (the forwarder's balancer), bytes and all. */
        DEFAULT_POOL,
        /** Close it. */
        CLOSE
    }

    private final Map<String, Balancer> exact;
    private final List<Map.Entry<String, Balancer>> wildcards; // suffix ".example.com", longest first
    private final Map<String, Balancer> all;
    private final Fallback fallback;
    private final int maxClientHelloBytes;
    private final Duration timeout;

    private SniRoutes(Builder b) {
        this.exact = Map.copyOf(b.exact);
        List<Map.Entry<String, Balancer>> w = new ArrayList<>(b.wildcards.entrySet());
        w.sort((x, y) -> Integer.compare(y.getKey().length(), x.getKey().length()));
        this.wildcards = List.copyOf(w);
        this.all = Collections.unmodifiableMap(new LinkedHashMap<>(b.all));
        this.fallback = b.fallback;
        this.maxClientHelloBytes = b.maxClientHelloBytes;
        this.timeout = b.timeout;
    }

    /** {@return a builder with the defaults: fallback to the default pool, 16 KiB and 5 s to see a whole ClientHello} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The pool for {@code serverName}, empty when no route matches.
     * @param serverName the SNI name from the ClientHello
     * @return the pool, or empty
     */
    public Optional<Balancer> poolFor(String serverName) {
        String name = normalize(serverName);
        Balancer b = exact.get(name);
        if (b != null) {
            return Optional.of(b);
        }
        for (Map.Entry<String, Balancer> w : wildcards) {
            if (name.endsWith(w.getKey()) && name.length() > w.getKey().length()) {
                return Optional.of(w.getValue());
            }
        }
        return Optional.empty();
    }

    /** {@return the route patterns and their pools, in the order they were added} */
    public Map<String, Balancer> routes() {
        return all;
    }

    /** {@return every backend of every route (a backend in two pools is listed once)} */
    public List<Backend> backends() {
        List<Backend> list = new ArrayList<>();
        java.util.Set<Backend> seen = Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Balancer b : all.values()) {
            for (Backend backend : b.backends()) {
                if (seen.add(backend)) {
                    list.add(backend);
                }
            }
        }
        return list;
    }

    /** {@return what happens to a connection whose ClientHello cannot be read or has no matching name} */
    public Fallback fallback() {
        return fallback;
    }

    /** {@return the most bytes (TLS record headers included) read while waiting for a whole ClientHello} */
    public int maxClientHelloBytes() {
        return maxClientHelloBytes;
    }

    /** {@return the longest wait for a whole ClientHello} */
    public Duration timeout() {
        return timeout;
    }

    private static String normalize(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    /** Builds {@link SniRoutes}: routes in order, then the fallback and limits. */
    public static final class Builder {
        /** An empty builder; {@link SniRoutes#builder()} makes one. */
        public Builder() {
        }

        private final Map<String, Balancer> exact = new HashMap<>();
        private final Map<String, Balancer> wildcards = new HashMap<>();
        private final Map<String, Balancer> all = new LinkedHashMap<>();
        private Fallback fallback = Fallback.DEFAULT_POOL;
        private int maxClientHelloBytes = 16 * 1024;
        private Duration timeout = Duration.ofSeconds(5);

        /**
         * Routes {@code pattern} ({@code name} or {@code *.domain}) to {@code pool}.
         * @param pattern a host name or {@code *.domain}
         * @param pool the balancer of that pool
         * @return this builder
         */
        public Builder route(String pattern, Balancer pool) {
            Objects.requireNonNull(pool, "pool");
            String p = normalize(Objects.requireNonNull(pattern, "pattern"));
            if (p.startsWith("*.")) {
                String suffix = p.substring(1);
                checkName(suffix.substring(1), pattern);
                putOnce(wildcards, suffix, pool, pattern);
            } else {
                checkName(p, pattern);
                putOnce(exact, p, pool, pattern);
            }
            all.put(p, pool);
            return this;
        }

        /**
         * See {@link SniRoutes#fallback()}; default {@link Fallback#DEFAULT_POOL}.
         * @param f the fallback
         * @return this builder
         */
        public Builder fallback(Fallback f) {
            this.fallback = Objects.requireNonNull(f);
            return this;
        }

        /**
         * See {@link SniRoutes#maxClientHelloBytes()}; default 16 KiB.
         * @param n the limit in bytes
         * @return this builder
         */
        public Builder maxClientHelloBytes(int n) {
            if (n < 512 || n > 64 * 1024) {
                throw new IllegalArgumentException("max ClientHello bytes must be between 512 and 65536, not " + n);
            }
            this.maxClientHelloBytes = n;
            return this;
        }

        /**
         * See {@link SniRoutes#timeout()}; default 5 s.
         * @param d the timeout
         * @return this builder
         */
        public Builder timeout(Duration d) {
            if (d == null || d.isZero() || d.isNegative()) {
                throw new IllegalArgumentException("ClientHello timeout must be positive, not " + d);
            }
            this.timeout = d;
            return this;
        }

        /**
         * {@return the routes}
         * @throws IllegalArgumentException when no route was added
         */
        public SniRoutes build() {
            return new SniRoutes(this);
        }

        private static void putOnce(Map<String, Balancer> map, String key, Balancer pool, String pattern) {
            if (map.putIfAbsent(key, pool) != null) {
                throw new IllegalArgumentException("two routes for " + pattern);
            }
        }

        private static void checkName(String name, String pattern) {
            if (name.isEmpty() || name.contains("*") || name.startsWith(".") || name.contains("..")
                    || !name.matches("[a-z0-9._-]+")) {
                throw new IllegalArgumentException("'" + pattern + "' is not a server name or *.domain pattern");
            }
        }
    }
}
