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

    public static Builder builder(InetSocketAddress listen) {
        return new Builder(listen);
    }

    public InetSocketAddress listen() {
        return listen;
    }

    /** A flow with no datagram either way for this long ends. */
    public Duration flowIdleTimeout() {
        return flowIdleTimeout;
    }

    /** Most flows at once; beyond, datagrams that would start one are dropped. */
    public int maxFlows() {
        return maxFlows;
    }

    public static final class Builder {
        private final InetSocketAddress listen;
        private Duration flowIdleTimeout = Duration.ofSeconds(30);
        private int maxFlows = 10_000;

        private Builder(InetSocketAddress listen) {
            this.listen = listen;
        }

        public Builder flowIdleTimeout(Duration d) {
            this.flowIdleTimeout = d;
            return this;
        }

        public Builder maxFlows(int n) {
            this.maxFlows = n;
            return this;
        }

        public UdpConfig build() {
            return new UdpConfig(this);
        }
    }
}
