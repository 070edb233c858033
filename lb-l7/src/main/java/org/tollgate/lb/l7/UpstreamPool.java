package org.tollgate.lb.l7;

import java.nio.channels.SelectionKey;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.tollgate.lb.balance.Backend;
import org.tollgate.tls.nio.EventLoop;

/**
 * The idle keep-alive connections to each backend, for one event loop (so only that
 * loop's thread touches it, without locks). Most recently used first, like nginx's
 * upstream keepalive cache.
 */
final class UpstreamPool {
    private final EventLoop loop;
    private final ProxyConfig config;
    private final Map<Backend, ArrayDeque<BackendConnection>> idle = new HashMap<>();

    UpstreamPool(EventLoop loop, ProxyConfig config) {
        this.loop = loop;
        this.config = config;
    }

    EventLoop loop() {
        return loop;
    }

    ProxyConfig config() {
        return config;
    }

    /** An idle connection to {@code backend}, or a new one being connected. */
    BackendConnection acquire(Backend backend, ClientConnection owner) {
        ArrayDeque<BackendConnection> q = idle.get(backend);
        while (q != null && !q.isEmpty()) {
            BackendConnection c = q.pollFirst();
            if (!c.closed && c.socket.isOpen()) {
                c.owner = owner;
                c.reused = true;
                c.interest(0);
                return c;
            }
        }
        return BackendConnection.connect(this, backend, owner);
    }

    /** Takes back a connection whose exchange ended cleanly; it is watched for closing while idle. */
    void release(BackendConnection c) {
        c.owner = null;
        ArrayDeque<BackendConnection> q = idle.computeIfAbsent(c.backend, b -> new ArrayDeque<>());
        if (q.size() >= config.maxIdlePerBackend() || c.closed) {
            c.close();
            return;
        }
        c.idleSince = System.nanoTime();
        c.interest(SelectionKey.OP_READ);
        q.addFirst(c);
        if (!c.idleTimerPending) { // one pending timer per connection, not one per release
            c.idleTimerPending = true;
            loop.schedule(config.backendIdleTimeout(), () -> idleCheck(c));
        }
    }

    /** Closes {@code c} if it has been idle for the timeout; else looks again when it could be. */
    private void idleCheck(BackendConnection c) {
        c.idleTimerPending = false;
        if (c.owner != null || c.closed) {
            return; // in use: its next release arms the check again
        }
        long left = config.backendIdleTimeout().toNanos() - (System.nanoTime() - c.idleSince);
        if (left > 0) {
            c.idleTimerPending = true;
            loop.schedule(java.time.Duration.ofNanos(left), () -> idleCheck(c));
            return;
        }
        remove(c);
        c.close();
    }

    void remove(BackendConnection c) {
        ArrayDeque<BackendConnection> q = idle.get(c.backend);
        if (q != null) {
            q.remove(c);
        }
    }

    /** Idle connections now (loop thread). */
    int idleCount() {
        int n = 0;
        for (ArrayDeque<BackendConnection> q : idle.values()) {
            n += q.size();
        }
        return n;
    }
}
