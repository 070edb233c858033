package org.tollgate.lb.l7;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnresolvedAddressException;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.l7.http.HttpParser;
import org.tollgate.tls.nio.EventLoop;
import org.tollgate.tls.nio.TlsChannel;

/**
 * One keep-alive connection to a backend, on one event loop. While it serves a request it
 * belongs to a {@link ClientConnection} (its {@code owner}), which drives it; between
 * requests it waits in the {@link UpstreamPool}, where any readiness (the backend closing,
 * or sending bytes nobody asked for) closes it.
 */
final class BackendConnection {
    private static final int BUFFER = 16 * 1024;

    final Backend backend;
    final UpstreamPool pool;
    final SocketChannel socket;
    final Transport transport;
    final ByteBuffer in = ByteBuffer.allocate(BUFFER).flip();
    final ByteQueue out = new ByteQueue(4096);
    final HttpParser parser;
    SelectionKey key;
    boolean connected;
    boolean reused;
    boolean closed;
    ClientConnection owner;
    long idleSince;
    /** The pool's idle check for this connection is scheduled (UpstreamPool). */
    boolean idleTimerPending;
    private EventLoop.Timer connectTimer;

    /** Non-null when the backend is reached over TLS (re-encryption): the handshake comes before {@code connected}. */
    private final TlsChannel tls;

    private BackendConnection(UpstreamPool pool, Backend backend, SocketChannel socket, BackendPool target) {
        this.pool = pool;
        this.backend = backend;
        this.socket = socket;
        if (target != null && target.tls() != null && socket != null) {
            String name = target.tlsServerName() != null ? target.tlsServerName() : backend.address().getHostString();
            this.tls = TlsChannel.client(socket, target.tls(), name, backend.address().getPort());
            this.transport = Transport.tls(tls);
        } else {
            this.tls = null;
            this.transport = Transport.plain(socket);
        }
        this.parser = HttpParser.forResponses(pool.config().responseLimits());
    }

    /**
     * Starts a non-blocking connect (and, for a pool with TLS, the handshake); the owner hears
     * {@code upstreamConnected} or {@code upstreamFailed}.
     */
    static BackendConnection connect(UpstreamPool pool, BackendPool target, Backend backend, ClientConnection owner) {
        SocketChannel socket = null;
        try {
            socket = SocketChannel.open();
            socket.configureBlocking(false);
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
            BackendConnection c = new BackendConnection(pool, backend, socket, target);
            c.owner = owner;
            boolean done = socket.connect(backend.address());
            c.key = pool.loop().register(socket, done ? 0 : SelectionKey.OP_CONNECT, c::ready).getNow(null);
            if (c.key == null) {
                throw new IOException("could not register with the event loop");
            }
            if (done && c.tls == null) {
                c.connected = true;
                pool.loop().execute(() -> c.notifyConnected());
            } else {
                c.connectTimer = pool.loop().schedule(pool.config().connectTimeout(), () -> {
                    if (!c.connected && !c.closed) {
                        c.fail(new IOException((c.tls != null && c.socket.isConnected() ? "TLS handshake with " : "connect to ")
                                + backend.name() + " timed out after " + pool.config().connectTimeout().toMillis() + " ms"));
                    }
                });
                if (done) {
                    pool.loop().execute(c::handshake);
                }
            }
            return c;
        } catch (IOException | UnresolvedAddressException | SecurityException e) {
            SocketChannel s = socket;
            BackendConnection failed = new BackendConnection(pool, backend, s, null);
            failed.owner = owner;
            failed.closed = true;
            closeQuietly(s);
            IOException io = e instanceof IOException ? (IOException) e : new IOException(e.toString(), e);
            pool.loop().execute(() -> owner.upstreamFailed(failed, io, true));
            return failed;
        }
    }

    private void notifyConnected() {
        if (owner != null && !closed) {
            owner.upstreamConnected(this);
        }
    }

    private void ready(SelectionKey k) {
        if (closed) {
            return;
        }
        if (!connected) {
            if (k.isConnectable()) {
                try {
                    if (!socket.finishConnect()) {
                        return;
                    }
                } catch (IOException e) {
                    fail(new IOException("connect to " + backend.name() + " failed: " + e.getMessage(), e));
                    return;
                }
                if (tls != null) {
                    handshake();
                    return;
                }
                connected = true;
                cancel(connectTimer);
                k.interestOps(0);
                notifyConnected();
            } else if (tls != null) {
                handshake();
            }
            return;
        }
        if (owner != null) {
            owner.drive();
        } else if (tls != null && idleTlsRecordsOnly()) {
            // Idle in the pool, and what came was TLS housekeeping (a NewSessionTicket, a KeyUpdate): keep it.
        } else {
            // Idle in the pool: the backend closed it, or sent what nobody asked for.
            pool.remove(this);
            close();
        }
    }

    /**
     * Moves the TLS handshake with the backend on (the backend's certificate is verified
     * against the pool's trust and name inside the engine); once done, the connection counts
     * as connected. The connect timer bounds connect and handshake together.
     */
    private void handshake() {
        if (closed || connected) {
            return;
        }
        try {
            if (tls.handshake()) {
                connected = true;
                cancel(connectTimer);
                interest(0);
                notifyConnected();
            } else {
                interest(tls.wantsWrite() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
            }
        } catch (IOException e) {
            fail(new IOException("TLS handshake with backend " + backend.name() + " failed: " + e.getMessage(), e));
        }
    }

    /** True when an idle TLS connection's readiness carried no application data and no close. */
    private boolean idleTlsRecordsOnly() {
        try {
            return tls.read(ByteBuffer.allocate(1)) == 0;
        } catch (IOException e) {
            return false;
        }
    }

    private void fail(IOException e) {
        ClientConnection o = owner;
        close();
        if (o != null) {
            o.upstreamFailed(this, e, true);
        }
    }

    void interest(int ops) {
        if (!closed && key != null && key.isValid() && key.interestOps() != ops) {
            key.interestOps(ops);
        }
    }

    void close() {
        if (closed) {
            return;
        }
        closed = true;
        cancel(connectTimer);
        if (key != null) {
            key.cancel();
        }
        if (tls != null && connected) {
            transport.close(); // RFC 8446 §6.1: close_notify (one attempt) before the TCP close
        } else {
            closeQuietly(socket);
        }
    }

    private static void cancel(EventLoop.Timer t) {
        if (t != null) {
            t.cancel();
        }
    }

    static void closeQuietly(SocketChannel s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // nothing to do
            }
        }
    }

    @Override
    public String toString() {
        return backend.name() + (reused ? " (reused)" : "");
    }
}
