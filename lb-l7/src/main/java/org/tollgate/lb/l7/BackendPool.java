package org.tollgate.lb.l7;

import java.util.List;
import java.util.Objects;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.balance.Balancer;

/** A named set of backends with its own balancing algorithm from lb-l4. */
public final class BackendPool {
    private final String name;
    private final Balancer balancer;

    public BackendPool(String name, Balancer balancer) {
        this.name = Objects.requireNonNull(name);
        this.balancer = Objects.requireNonNull(balancer);
    }

    public static BackendPool of(String name, Algorithm algorithm, List<Backend> backends) {
        return new BackendPool(name, algorithm.create(backends));
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

    @Override
    public String toString() {
        return name + " " + balancer.getClass().getSimpleName() + " " + backends();
    }
}
