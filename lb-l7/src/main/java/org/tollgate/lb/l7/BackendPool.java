package org.tollgate.lb.l7;

import java.util.List;
import java.util.Objects;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.balance.Balancer;
import org.tollgate.tls.TlsConfig;

/**
 * A named set of backends with its own balancing algorithm from lb-l4, reached over plain
 * HTTP or, with {@link #withTls(TlsConfig, String)}, over TLS (re-encryption).
 */
public final class BackendPool {
    private final String name;
    private final Balancer balancer;
    private final TlsConfig tls;
    private final String tlsServerName;

    /** A pool reached over plain HTTP. */
    public BackendPool(String name, Balancer balancer) {
        this(name, balancer, null, null);
    }

    private BackendPool(String name, Balancer balancer, TlsConfig tls, String tlsServerName) {
        this.name = Objects.requireNonNull(name);
        this.balancer = Objects.requireNonNull(balancer);
        this.tls = tls;
        this.tlsServerName = tlsServerName;
    }

    /** A pool of {@code backends} balanced by a new balancer of {@code algorithm}. */
    public static BackendPool of(String name, Algorithm algorithm, List<Backend> backends) {
        return new BackendPool(name, algorithm.create(backends));
    }

    /**
     * This pool, reached over TLS: each backend connection is a tls-client handshake with
     * {@code config} (whose verifier decides which certificates are trusted), sending
     * {@code serverName} as SNI and requiring the backend's certificate to match it; a null
     * name uses each backend's host address text.
     */
    public BackendPool withTls(TlsConfig config, String serverName) {
        return new BackendPool(name, balancer, Objects.requireNonNull(config), serverName);
    }

    public String name() {
        return name;
    }

    public Balancer balancer() {
        return balancer;
    }

    public List<Backend> backends() {
        return balancer.backends();
    }

    /** The TLS settings towards the backends, or null for plain HTTP. */
    public TlsConfig tls() {
        return tls;
    }

    /** The name the backends' certificates must match (and the SNI sent), or null for each backend's host. */
    public String tlsServerName() {
        return tlsServerName;
    }

    @Override
    public String toString() {
        return name + " " + balancer.getClass().getSimpleName() + " " + backends() + (tls != null ? " over TLS" : "");
    }
}
