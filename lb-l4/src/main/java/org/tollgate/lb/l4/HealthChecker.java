package org.tollgate.lb.l4;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
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
 * {@link HealthConfig} describes: active TCP checks on a timer, and passive ejection
 * after client connects fail.
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
    /** Backend does not override equals: this map is keyed by identity. */
    private final Map<Backend, Health> health = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private EventLoop.Timer tick;

    private HealthChecker(HealthConfig config, Supplier<List<Backend>> backends, EventLoop loop) {
        this.config = config;
        this.backends = backends;
        this.loop = loop;
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
        HealthChecker c = new HealthChecker(Objects.requireNonNull(config), Objects.requireNonNull(backends), Objects.requireNonNull(loop));
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
        int n = health(b).connectFailures.incrementAndGet();
        if (config.ejectAfter() > 0 && n >= config.ejectAfter() && b.state() == Backend.State.UP && !closed) {
            try {
                loop.execute(() -> eject(b, n));
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

    /** A TCP connect to the backend, bounded by the timeout; the socket is closed as soon as it is connected. */
    private void probe(Backend b) {
        Health h = health(b);
        if (h.probing) {
            return; // the last check has not finished yet: never pile them up
        }
        h.probing = true;
        Probe p = new Probe(b, h);
        try {
            p.channel = SocketChannel.open();
            p.channel.configureBlocking(false);
            if (p.channel.connect(b.address())) {
                p.finish(true, null);
                return;
            }
        } catch (IOException | RuntimeException e) {
            p.finish(false, e.toString());
            return;
        }
        loop.register(p.channel, SelectionKey.OP_CONNECT, p::ready).whenComplete((key, failure) -> {
            if (failure != null) {
                p.finish(false, failure.toString());
            } else {
                p.timer = loop.schedule(config.timeout(), () -> p.finish(false, "timed out after " + config.timeout().toMillis() + " ms"));
            }
        });
    }

    private final class Probe {
        final Backend backend;
        final Health health;
        SocketChannel channel;
        EventLoop.Timer timer;
        boolean done;

        Probe(Backend backend, Health health) {
            this.backend = backend;
            this.health = health;
        }

        void ready(SelectionKey key) {
            try {
                if (channel.finishConnect()) {
                    finish(true, null);
                }
            } catch (IOException e) {
                finish(false, e.getMessage());
            }
        }

        void finish(boolean good, String why) {
            if (done) {
                return;
            }
            done = true;
            if (timer != null) {
                timer.cancel();
            }
            if (channel != null) {
                Connection.closeQuietly(channel);
            }
            checked(backend, health, good, why);
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
    private void eject(Backend b, int failures) {
        if (closed || b.state() != Backend.State.UP) {
            return;
        }
        Health h = health(b);
        h.ejected = true;
        h.goodInARow = 0; // with active checks, it must earn its way back with 'rise' good checks
        LOG.log(Level.WARNING, b.name() + " ejected (DOWN): " + failures + " client connects failed in a row");
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
