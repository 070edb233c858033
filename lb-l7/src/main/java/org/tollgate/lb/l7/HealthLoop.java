package org.tollgate.lb.l7;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.tollgate.tls.nio.EventLoop;

/**
 * The one event loop every pool's health checker runs on, started with the first checker
 * and stopped with the last. Checks are a few connections per interval, so one thread
 * serves every pool of every listener; it is not one of a proxy's loops, so a listener
 * that stops does not stop the checks another listener relies on.
 */
final class HealthLoop {
    private static EventLoop loop;
    private static int users;

    private HealthLoop() {
    }

    /** The loop, started if needed; each call must be matched by one {@link #release()}. */
    static synchronized EventLoop acquire() {
        if (loop == null) {
            try {
                loop = new EventLoop("lb-l7-health");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the health check loop", e);
            }
        }
        users++;
        return loop;
    }

    /** One user less; the loop stops with the last. */
    static synchronized void release() {
        if (users > 0 && --users == 0) {
            EventLoop l = loop;
            loop = null;
            // after the checkers' own close tasks (queued before this one) have run
            l.execute(() -> new Thread(l::close, "lb-l7-health-stop").start());
        }
    }

    /** Pools checked now, over the whole process (for tests). */
    static synchronized int users() {
        return users;
    }
}
