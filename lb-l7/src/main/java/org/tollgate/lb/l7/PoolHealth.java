package org.tollgate.lb.l7;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.l4.HealthChecker;

/**
 * The health of one pool's backends: lb-l4's {@link HealthChecker} with the pool's
 * {@link HttpHealthProbe}, and the last failure of each backend (a failed active check,
 * or a failure seen in real traffic, which is what passive ejection counts) with its time,
 * for the stats page and metrics. One per pool, whatever the number of listeners that
 * route to it ({@link BackendPool#acquire()}).
 */
final class PoolHealth implements AutoCloseable {
    private final HealthChecker checker;
    /** Backend does not override equals: keyed by identity. */
    private final Map<Backend, StatsSnapshot.Failure> lastFailure = new ConcurrentHashMap<>();

    PoolHealth(BackendPool pool) {
        HealthCheck h = pool.healthCheck();
        HttpHealthProbe probe = new HttpHealthProbe(h, pool.tls(), pool.tlsServerName(), (b, why) -> note(b, "check", why));
        this.checker = HealthChecker.start(h.timing(), pool::backends, HealthLoop.acquire(), probe);
    }

    /** Passive report: {@code b} failed a request ({@link HealthChecker#failed}). */
    void failed(Backend b, String why) {
        note(b, "traffic", why);
        checker.failed(b, why);
    }

    /** Passive report: {@code b} served a request well. */
    void succeeded(Backend b) {
        checker.succeeded(b);
    }

    /** Active checks done on {@code b}. */
    long checks(Backend b) {
        return checker.checks(b);
    }

    /** The last failure of {@code b}, or null. */
    StatsSnapshot.Failure lastFailure(Backend b) {
        return lastFailure.get(b);
    }

    private void note(Backend b, String kind, String why) {
        lastFailure.put(b, new StatsSnapshot.Failure(kind, why == null ? "unknown" : why, Instant.now()));
    }

    @Override
    public void close() {
        checker.close();
        HealthLoop.release();
    }
}
