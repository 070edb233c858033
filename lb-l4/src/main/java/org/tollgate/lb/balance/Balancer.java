package org.tollgate.lb.balance;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Chooses the backend for each new connection. One implementation per algorithm:
 * {@link RoundRobin}, {@link SmoothWeightedRoundRobin}, {@link LeastConnections},
 * {@link MaglevHash}, {@link TwoRandomChoices}; {@link Algorithm} names them for
 * command lines.
 *
 * <p>Every implementation is safe to call from many threads at once, takes no lock when
 * picking, skips backends that are not {@link Backend.State#UP}, and follows weight and
 * state changes of its backends from the next pick on.
 */
public interface Balancer {

    /**
     * The backend for a new connection from {@code client}, skipping those in
     * {@code excluded} (backends already tried for this connection); empty when no
     * backend is available. Only hashing algorithms look at {@code client}.
     * @param client the client's address (the key of IP hash)
     * @param excluded backends not to choose
     * @return the backend, or empty when none is available
     */
    Optional<Backend> choose(InetAddress client, Set<Backend> excluded);

    /**
     * {@link #choose(InetAddress, Set)} with nothing excluded.
     * @param client the client's address
     * @return the backend, or empty when none is available
     */
    default Optional<Backend> choose(InetAddress client) {
        return choose(client, Set.of());
    }

    /**
     * A choice and the reason for it, in words (for {@code --explain}).
     * @param backend the backend chosen, or empty when none can take the connection
     * @param why the reason, for a person to read
     */
    record Decision(Optional<Backend> backend, String why) {
    }

    /**
     * {@link #choose(InetAddress, Set)}, and why: for teaching and debugging, not the hot
     * path. The reason is worked out just after the pick, from the state then, so under
     * concurrent load it may differ slightly from what the pick saw.
     * @param client the client's address
     * @param excluded backends not to choose
     * @return the choice and its reason
     */
    default Decision decide(InetAddress client, Set<Backend> excluded) {
        Optional<Backend> b = choose(client, excluded);
        return new Decision(b, b.map(x -> explain(client, x)).orElse("no backend available"));
    }

    /**
     * Why this algorithm gives {@code chosen} to {@code client}; the algorithm's name first.
     * @param client the client's address
     * @param chosen the backend chosen for it
     * @return the reason, one line
     */
    default String explain(InetAddress client, Backend chosen) {
        return getClass().getSimpleName() + " chose " + chosen.name();
    }

    /**
     * Replaces the set of backends (names must be unique).
     * @param backends the new backends
     */
    void setBackends(List<Backend> backends);

    /** {@return the current backends, whatever their state, in the order given} */
    List<Backend> backends();
}
