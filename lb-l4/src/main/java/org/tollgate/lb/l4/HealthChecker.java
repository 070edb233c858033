package org.tollgate.lb.l4;

import java.lang.System.Logger.Level;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.tollgate.lb.balance.Backend;
import org.tollgate.tls.nio.EventLoop;

/**
 * Decides when a backend is {@code DOWN} and when it is {@code UP} again, as
 * {@link HealthConfig} describes: active checks on a timer (a TCP connect by default, or
 * any {@link HealthProbe}, such as lb-l7's HTTP check), and passive ejection after
 * client connects (or, for lb-l7, requests) fail.
 *
 * <p>Everything except the two passive reports runs on one event loop thread, so the
 * per-backend counters need no locks; the passive reports come from any loop and touch
 * only an atomic counter, handing the ejection itself to the checker's loop.
 */
public final class HealthChecker implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(HealthChecker.class.getName());

    /** What the checker knows of one backend. Fields other than {@code connectFailures}: loop thread only. */
    private static final class Health {
        final AtomicInteger connectFailures = new AtomicInteger();
        int goodInARow;
        int badInARow;
        boolean probing;
        boolean ejected;
        long checks;
        EventLoop.Timer cooldown;
    }

    private final HealthConfig config;
    private final Supplier<List<Backend>> backends;
    private final EventLoop loop;
    private final HealthProbe probe;
    /** Backend does not override equals: this map is keyed by identity. */
    private final Map<Backend, Health> health = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private EventLoop.Timer tick;

    private HealthChecker(HealthConfig config, Supplier<List<Backend>> backends, EventLoop loop, HealthProbe probe) {
        this.config = config;
        this.backends = backends;
        this.loop = loop;
        this.probe = probe;
    }

    /**
     * Starts checking the backends {@code backends} gives (asked again on every round, so
     * a changing set is followed) on {@code loop}.
     * @param config the health configuration
     * @param backends gives the backends to check
     * @param loop the event loop the checks run on
     * @return the running checker
     */
    public static HealthChecker start(HealthConfig config, Supplier<List<Backend>> backends, EventLoop loop) {
        return start(config, backends, loop, HealthProbe.tcpConnect());
    }

    /**
     * As {@link #start(HealthConfig, Supplier, EventLoop)}, with {@code probe} as the active check.
     * @param config the health configuration
     * @param backends gives the backends to check
     * @param loop the event loop the checks run on
     * @param probe the active check, e.g. an HTTP request in lb-l7
     * @return the running checker
     */
    public static HealthChecker start(HealthConfig config, Supplier<List<Backend>> backends, EventLoop loop, HealthProbe probe) {
        HealthChecker c = new HealthChecker(Objects.requireNonNull(config), Objects.requireNonNull(backends),
                Objects.requireNonNull(loop), Objects.requireNonNull(probe));
        config.interval().ifPresent(i -> loop.execute(c::round));
        return c;
    }

    /** {@return the configuration it runs with} */
    public HealthConfig config() {
        return config;
    }

    /**
     * Active checks done on {@code b} so far (for tests and stats).
     * @param b a backend
     * @return the number of checks
     */
    public long checks(Backend b) {
        Health h = health.get(b);
        return h == null ? 0 : h.checks;
    }

    /**
     * Passive report, from any thread: a client connect to {@code b} failed.
     * @param b the backend that refused or timed out
     */
    public void connectFailed(Backend b) {
        failed(b, "client connect failed");
    }

    /**
     * Passive report, from any thread: {@code b} failed a client (lb-l7 reports connect
     * errors and 5xx responses); {@link HealthConfig#ejectAfter()} of these in a row eject it.
     * @param b the backend that failed
     * @param why what went wrong, for the log
     */
    public void failed(Backend b, String why) {
        int n = health(b).connectFailures.incrementAndGet();
        if (config.ejectAfter() > 0 && n >= config.ejectAfter() && b.state() == Backend.State.UP && !closed) {
            try {
                loop.execute(() -> eject(b, n, why));
            } catch (IllegalStateException e) {
                // the loop is closing
            }
        }
    }

    /**
     * Passive report, from any thread: a client connect to {@code b} succeeded.
     * @param b the backend that accepted
     */
    public void connectSucceeded(Backend b) {
        succeeded(b);
    }

    /**
     * Passive report, from any thread: {@code b} served a client well; the failures in a row start again from 0.
     * @param b the backend that served well
     */
    public void succeeded(Backend b) {
        AtomicInteger failures = health(b).connectFailures;
        if (failures.get() != 0) { // read first: no write, no cache-line ping-pong on the hot path
            failures.set(0);
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            loop.execute(() -> {
                if (tick != null) {
                    tick.cancel();
                }
                for (Health h : health.values()) {
                    if (h.cooldown != null) {
                        h.cooldown.cancel();
                    }
                }
            });
        } catch (IllegalStateException e) {
            // loop already closed: its timers are gone with it
        }
    }

    private Health health(Backend b) {
        return health.computeIfAbsent(b, k -> new Health());
    }

    /** One round of active checks, then the next round is scheduled. Loop thread. */
    private void round() {
        if (closed) {
            return;
        }
        List<Backend> now = backends.get();
        Set<Backend> present = Collections.newSetFromMap(new IdentityHashMap<>());
        present.addAll(now);
        health.keySet().removeIf(b -> !present.contains(b)); // forget removed backends
        for (Backend b : now) {
            probe(b);
        }
        tick = loop.schedule(config.interval().orElseThrow(), this::round);
    }

    /** One check by the probe, bounded by the timeout. Loop thread. */
    private void probe(Backend b) {
        Health h = health(b);
        if (h.probing) {
            return; // the last check has not finished yet: never pile them up
        }
        h.probing = true;
        Check check = new Check(b, h);
        check.timer = loop.schedule(config.timeout(), () -> check.failed("timed out after " + config.timeout().toMillis() + " ms"));
        try {
            check.handle = probe.start(b, loop, check);
        } catch (Exception e) {
            check.failed(e.toString());
        }
        if (check.done) {
            check.release();
        }
    }

    /** One check in progress: the first outcome counts, the timer and the probe's handle are released. */
    private final class Check implements HealthProbe.Outcome {
        final Backend backend;
        final Health health;
        EventLoop.Timer timer;
        AutoCloseable handle;
        boolean done;

        Check(Backend backend, Health health) {
            this.backend = backend;
            this.health = health;
        }

        @Override
        public void passed() {
            finish(true, null);
        }

        @Override
        public void failed(String why) {
            finish(false, why);
        }

        private void finish(boolean good, String why) {
            if (done) {
                return;
            }
            done = true;
            release();
            checked(backend, health, good, why);
        }

        void release() {
            if (timer != null) {
                timer.cancel();
            }
            if (handle != null) {
                try {
                    handle.close();
                } catch (Exception e) {
                    LOG.log(Level.DEBUG, "closing a health check of " + backend.name(), e);
                }
            }
        }
    }

    /** The rise/fall rule. Loop thread. */
    private void checked(Backend b, Health h, boolean good, String why) {
        h.probing = false;
        h.checks++;
        if (closed) {
            return;
        }
        if (good) {
            h.goodInARow++;
            h.badInARow = 0;
            if (b.state() == Backend.State.DOWN && h.goodInARow >= config.rise()) {
                h.ejected = false;
                h.connectFailures.set(0);
                LOG.log(Level.INFO, b.name() + " is UP: " + h.goodInARow + " good checks in a row (rise " + config.rise() + ")");
                b.setState(Backend.State.UP);
            }
        } else {
            h.badInARow++;
            h.goodInARow = 0;
            LOG.log(Level.DEBUG, "health check of " + b.name() + " failed: " + why);
            if (b.state() == Backend.State.UP && h.badInARow >= config.fall()) {
                LOG.log(Level.WARNING, b.name() + " is DOWN: " + h.badInARow + " failed checks in a row (fall "
                        + config.fall() + "), last: " + why);
                b.setState(Backend.State.DOWN);
            }
        }
    }

    /** Passive ejection. Loop thread. */
    private void eject(Backend b, int failures, String why) {
        if (closed || b.state() != Backend.State.UP) {
            return;
        }
        Health h = health(b);
        h.ejected = true;
        h.goodInARow = 0; // with active checks, it must earn its way back with 'rise' good checks
        LOG.log(Level.WARNING, b.name() + " ejected (DOWN): " + failures + " failures in a row, the last: " + why);
        b.setState(Backend.State.DOWN);
        if (config.interval().isEmpty()) {
            h.cooldown = loop.schedule(config.cooldown(), () -> {
                h.cooldown = null;
                if (!closed && h.ejected && b.state() == Backend.State.DOWN) {
                    h.ejected = false;
                    h.connectFailures.set(0);
                    LOG.log(Level.INFO, b.name() + " back in service after its " + config.cooldown().toMillis() + " ms cool-down");
                    b.setState(Backend.State.UP);
                }
            });
        }
    }
}
