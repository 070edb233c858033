package org.tollgate.lb.l7;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.tollgate.lb.balance.Backend;

/**
 * The proxy's counters at one moment, for a stats page or Prometheus metrics
 * ({@link L7Proxy#snapshot()}). Counters only grow while the proxy runs; a reader computes
 * rates from two snapshots.
 *
 * @param accepted        client connections accepted
 * @param openConnections client connections open now
 * @param requests        request heads parsed and accepted
 * @param backendFailures connect failures, resets, timeouts and invalid responses from backends
 * @param responses       responses sent to clients, by status (backend's or our own)
 * @param refusals        requests refused by the proxy itself, by reason (every reason present, 0 if none)
 * @param pools           every pool, in configuration order
 */
public record StatsSnapshot(long accepted, int openConnections, long requests, long backendFailures,
                            Map<Integer, Long> responses, Map<Refusal, Long> refusals, List<PoolStats> pools) {

    /**
     * One pool.
     *
     * @param name         pool name
     * @param algorithm    the algorithm's command-line name
     * @param stickyCookie the sticky cookie's name, or null
     * @param backends     its backends, in configuration order
     */
    public record PoolStats(String name, String algorithm, String stickyCookie, List<BackendStats> backends) {
    }

    /**
     * One backend of a pool.
     *
     * @param name         backend name
     * @param address      where it listens
     * @param state        UP, DOWN or DRAINING
     * @param weight       its weight now
     * @param active       requests in progress (and WebSocket tunnels open) to it
     * @param requests     attempts sent to it (retries included)
     * @param failures     connect errors, resets, timeouts, invalid responses and 5xx from it
     * @param healthChecks active health checks done on it
     * @param lastFailure  its last failed health check or failure in traffic (pools with health checks), or null
     */
    public record BackendStats(String name, InetSocketAddress address, Backend.State state, int weight, int active,
                               long requests, long failures, long healthChecks, Failure lastFailure) {

        /**
         * A backend with no failure noted.
         *
         * @param name         backend name
         * @param address      where it listens
         * @param state        UP, DOWN or DRAINING
         * @param weight       its weight now
         * @param active       requests in progress to it
         * @param requests     attempts sent to it
         * @param failures     failures counted
         * @param healthChecks active health checks done on it
         */
        public BackendStats(String name, InetSocketAddress address, Backend.State state, int weight, int active,
                            long requests, long failures, long healthChecks) {
            this(name, address, state, weight, active, requests, failures, healthChecks, null);
        }
    }

    /**
     * Why a backend last failed, and when: what the log says when it goes DOWN, kept for the
     * stats page and metrics.
     *
     * @param kind   {@code check} (an active health check failed) or {@code traffic} (a request
     *               failed: connect error, reset, timeout, invalid response or 5xx; what passive
     *               ejection counts)
     * @param reason the reason, for a person to read
     * @param at     when it happened
     */
    public record Failure(String kind, String reason, Instant at) {
    }
}
