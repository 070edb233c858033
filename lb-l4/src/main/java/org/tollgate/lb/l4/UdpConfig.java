package org.tollgate.lb.l4;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/** Settings of a {@link UdpForwarder}: 30 s flow idle timeout and 10000 flows by default. */
public final class UdpConfig {
    private final InetSocketAddress listen;
    private final Duration flowIdleTimeout;
    private final int maxFlows;

    private UdpConfig(Builder b) {
        this.listen = Objects.requireNonNull(b.listen, "listen address");
        if (b.flowIdleTimeout == null || b.flowIdleTimeout.isZero() || b.flowIdleTimeout.isNegative()) {
            throw new IllegalArgumentException("flow idle timeout must be positive, not " + b.flowIdleTimeout);
        }
        this.flowIdleTimeout = b.flowIdleTimeout;
        if (b.maxFlows < 1) {
            throw new IllegalArgumentException("max flows must be at least 1, not " + b.maxFlows);
        }
        this.maxFlows = b.maxFlows;
    }

    /**
     * {@return a builder with a 30 s flow idle timeout and 10000 flows at most}
     * @param listen the address to receive datagrams on
     */
    public static Builder builder(InetSocketAddress listen) {
        return new Builder(listen);
    }

    /** {@return the address clients send datagrams to} */
    public InetSocketAddress listen() {
        return listen;
    }

    /** {@return how long a flow may see no datagram either way before it ends} */
    public Duration flowIdleTimeout() {
        return flowIdleTimeout;
    }

    /**
     * Most flows at once; beyond, datagrams that would start one are dropped.
     * @return the flow limit
     */
    public int maxFlows() {
        return maxFlows;
    }

    /** Builds a {@link UdpConfig}. */
    public static final class Builder {
        private final InetSocketAddress listen;
        private Duration flowIdleTimeout = Duration.ofSeconds(30);
        private int maxFlows = 10_000;

        private Builder(InetSocketAddress listen) {
            this.listen = listen;
        }

        /**
         * See {@link UdpConfig#flowIdleTimeout()}.
         * @param d the timeout
         * @return this builder
         */
        public Builder flowIdleTimeout(Duration d) {
            this.flowIdleTimeout = d;
            return this;
        }

        /**
         * See {@link UdpConfig#maxFlows()}.
         * @param n the limit
         * @return this builder
         */
        public Builder maxFlows(int n) {
            this.maxFlows = n;
            return this;
        }

        /**
         * {@return the configuration}
         * @throws IllegalArgumentException when a setting is out of range
         */
        public UdpConfig build() {
            return new UdpConfig(this);
        }
    }
}
