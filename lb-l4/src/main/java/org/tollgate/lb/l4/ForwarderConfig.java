package org.tollgate.lb.l4;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link TcpForwarder}. Defaults are safe for a small deployment: 3 s to
 * connect to a backend, 60 s idle timeout, 10000 connections, 64 KiB per direction per
 * connection, up to 3 backends tried per connection.
 */
public final class ForwarderConfig {
    /** Room kept in the first buffer towards a backend for a PROXY protocol header (v2 with IPv6 is 52 bytes). */
    static final int PREAMBLE_ROOM = 256;

    private final InetSocketAddress listen;
    private final Duration connectTimeout;
    private final Duration idleTimeout;
    private final int maxConnections;
    private final int bufferSize;
    private final int connectAttempts;
    private final int eventLoops;
    private final int backlog;
    private final HealthConfig health;
    private final SniRoutes sniRoutes;
    private final ProxyProtocol proxyProtocol;
    private final java.util.function.Consumer<String> explain;

    private ForwarderConfig(Builder b) {
        this.listen = Objects.requireNonNull(b.listen, "listen address");
        this.connectTimeout = positive(b.connectTimeout, "connect timeout");
        this.idleTimeout = positive(b.idleTimeout, "idle timeout");
        this.maxConnections = atLeastOne(b.maxConnections, "max connections");
        this.bufferSize = b.bufferSize;
        if (bufferSize < 1024 || bufferSize > 16 << 20) {
            throw new IllegalArgumentException("buffer size must be between 1 KiB and 16 MiB, not " + bufferSize);
        }
        this.connectAttempts = atLeastOne(b.connectAttempts, "connect attempts");
        this.eventLoops = atLeastOne(b.eventLoops, "event loops");
        this.backlog = atLeastOne(b.backlog, "backlog");
        this.health = b.health;
        this.sniRoutes = b.sniRoutes;
        this.proxyProtocol = b.proxyProtocol;
        this.explain = b.explain;
        if (sniRoutes != null && sniRoutes.maxClientHelloBytes() + PREAMBLE_ROOM > bufferSize) {
            throw new IllegalArgumentException("buffer size " + bufferSize + " cannot hold a ClientHello of "
                    + sniRoutes.maxClientHelloBytes() + " bytes and a PROXY header");
        }
    }

    /**
     * {@return a builder with the defaults described on each getter}
     * @param listen the address to accept clients on
     */
    public static Builder builder(InetSocketAddress listen) {
        return new Builder(listen);
    }

    /** {@return the address clients connect to} */
    public InetSocketAddress listen() {
        return listen;
    }

    /** {@return how long a non-blocking connect to a backend may take before the next backend is tried} */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** {@return how long a connection may have no bytes moving either way before it is closed} */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** {@return the most open client connections; past it the forwarder stops accepting (they wait in the backlog)} */
    public int maxConnections() {
        return maxConnections;
    }

    /** {@return the bytes buffered per direction per connection: the forwarder's memory bound} */
    public int bufferSize() {
        return bufferSize;
    }

    /** {@return how many backends one connection tries when connecting fails before any byte was sent} */
    public int connectAttempts() {
        return connectAttempts;
    }

    /**
     * Selector threads; connections are spread over them.
     * @return the number of loops
     */
    public int eventLoops() {
        return eventLoops;
    }

    /** {@return the listen backlog: connections the kernel queues while {@code accept} is paused} */
    public int backlog() {
        return backlog;
    }

    /**
     * SNI passthrough routing; empty (the default) to forward without reading anything.
     * @return the SNI routes, if any
     */
    public java.util.Optional<SniRoutes> sniRoutes() {
        return java.util.Optional.ofNullable(sniRoutes);
    }

    /**
     * The PROXY protocol header sent to backends first; empty (the default) for none.
     * @return the PROXY protocol version, if any
     */
    public java.util.Optional<ProxyProtocol> proxyProtocol() {
        return java.util.Optional.ofNullable(proxyProtocol);
    }

    /**
     * Where a line per connection explaining the backend choice goes; empty (the default) for none.
     * @return the explain sink, if any
     */
    public java.util.Optional<java.util.function.Consumer<String>> explain() {
        return java.util.Optional.ofNullable(explain);
    }

    /**
     * Health checks and passive ejection; empty (the default) for none.
     * @return the health configuration, if any
     */
    public java.util.Optional<HealthConfig> health() {
        return java.util.Optional.ofNullable(health);
    }

    /** Builds a {@link ForwarderConfig}. */
    public static final class Builder {
        private final InetSocketAddress listen;
        private Duration connectTimeout = Duration.ofSeconds(3);
        private Duration idleTimeout = Duration.ofSeconds(60);
        private int maxConnections = 10_000;
        private int bufferSize = 64 * 1024;
        private int connectAttempts = 3;
        private int eventLoops = Runtime.getRuntime().availableProcessors();
        private int backlog = 1024;
        private HealthConfig health;
        private SniRoutes sniRoutes;
        private ProxyProtocol proxyProtocol;
        private java.util.function.Consumer<String> explain;

        private Builder(InetSocketAddress listen) {
            this.listen = listen;
        }

        /**
         * See {@link ForwarderConfig#connectTimeout()}; default 5 s.
         * @param d the timeout
         * @return this builder
         */
        public Builder connectTimeout(Duration d) {
            this.connectTimeout = d;
            return this;
        }

        /**
         * See {@link ForwarderConfig#idleTimeout()}; default 60 s.
         * @param d the timeout
         * @return this builder
         */
        public Builder idleTimeout(Duration d) {
            this.idleTimeout = d;
            return this;
        }

        /**
         * See {@link ForwarderConfig#maxConnections()}; default 10000.
         * @param n the limit
         * @return this builder
         */
        public Builder maxConnections(int n) {
            this.maxConnections = n;
            return this;
        }

        /**
         * See {@link ForwarderConfig#bufferSize()}; default 64 KiB.
         * @param bytes the size per direction
         * @return this builder
         */
        public Builder bufferSize(int bytes) {
            this.bufferSize = bytes;
            return this;
        }

        /**
         * See {@link ForwarderConfig#connectAttempts()}; default 3.
         * @param n the number of backends to try
         * @return this builder
         */
        public Builder connectAttempts(int n) {
            this.connectAttempts = n;
            return this;
        }

        /**
         * See {@link ForwarderConfig#eventLoops()}; default one per processor.
         * @param n the number of loops
         * @return this builder
         */
        public Builder eventLoops(int n) {
            this.eventLoops = n;
            return this;
        }

        /**
         * See {@link ForwarderConfig#backlog()}.
         * @param n the backlog length
         * @return this builder
         */
        public Builder backlog(int n) {
            this.backlog = n;
            return this;
        }

        /**
         * Turns on health checks and passive ejection.
         * @param h the health configuration
         * @return this builder
         */
        public Builder health(HealthConfig h) {
            this.health = h;
            return this;
        }

        /**
         * Turns on SNI passthrough routing: the ClientHello is peeked at before a backend is chosen.
         * @param routes the routes
         * @return this builder
         */
        public Builder sniRoutes(SniRoutes routes) {
            this.sniRoutes = routes;
            return this;
        }

        /**
         * Sends HAProxy's PROXY header to backends before the first client byte.
         * @param version v1 (text) or v2 (binary)
         * @return this builder
         */
        public Builder proxyProtocol(ProxyProtocol version) {
            this.proxyProtocol = version;
            return this;
        }

        /**
         * Teaching and debugging: a line per connection saying which backend was chosen and why (called on loop threads).
         * @param sink receives one line per backend choice
         * @return this builder
         */
        public Builder explain(java.util.function.Consumer<String> sink) {
            this.explain = sink;
            return this;
        }

        /**
         * {@return the configuration}
         * @throws IllegalArgumentException when a setting is out of range
         */
        public ForwarderConfig build() {
            return new ForwarderConfig(this);
        }
    }

    private static Duration positive(Duration d, String what) {
        if (d == null || d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(what + " must be positive, not " + d);
        }
        return d;
    }

    private static int atLeastOne(int n, String what) {
        if (n < 1) {
            throw new IllegalArgumentException(what + " must be at least 1, not " + n);
        }
        return n;
    }
}
