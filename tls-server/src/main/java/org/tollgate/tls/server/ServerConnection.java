package org.tollgate.tls.server;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.explain.HandshakeExplainer;
import org.tollgate.tls.nio.EventLoop;
import org.tollgate.tls.nio.TlsChannel;
import org.tollgate.tls.nio.TlsIOException;

/**
 * One accepted connection on its event loop: handshake under a deadline, then decrypted
 * bytes to the handler and the handler's bytes back, reading only while nothing waits to
 * be written (backpressure). Every method runs on the loop thread.
 */
final class ServerConnection implements Connection, EventLoop.Handler {
    private static final System.Logger LOG = System.getLogger(ServerConnection.class.getName());
    /** Reads per readiness event before yielding to the other connections on the loop. */
    private static final int READS_PER_EVENT = 16;

    private final TlsServer server;
    private final long id;
    private final EventLoop loop;
    private final TlsChannel tls;
    private final SocketAddress remote;
    /** --explain for this connection, printed as one block when it ends; null when the server explains nothing. */
    private final ExplainReport explain;
    private SelectionKey key;
    private ConnectionHandler handler;
    private HandshakeSummary summary;
    private EventLoop.Timer handshakeTimer;
    private EventLoop.Timer idleTimer;
    /** Bounds the wait for the client's FIN after ours; null until the graceful close starts. */
    private EventLoop.Timer lingerTimer;
    private long lastActivity;

    /** Decrypted input for the handler, in write mode: bytes 0..position wait to be consumed. */
    private ByteBuffer input;
    /** Handler output the TLS channel could not take yet, in read mode; null when none. */
    private ByteBuffer pending;
    /** The handler left input while writes were pending: offer it again once they are flushed. */
    private boolean offerAgain;
    private boolean closeRequested;
    /** Closed for the application: no more reads or writes. The socket may still linger. */
    private boolean closed;
    /** Graceful close: close_notify and FIN sent or being sent, client input read and dropped until its FIN. */
    private boolean lingering;
    /** The socket is closed and the server has forgotten this connection. */
    private boolean released;

    ServerConnection(TlsServer server, long id, EventLoop loop, SocketChannel socket) throws IOException {
        this.server = server;
        this.id = id;
        this.loop = loop;
        this.remote = socket.getRemoteAddress();
        if (server.explainOut == null) {
            this.explain = null;
            this.tls = TlsChannel.server(socket, server.config);
        } else {
            // One explainer per connection, so concurrent connections do not interleave.
            this.explain = new ExplainReport(id, server.explainOut);
            this.tls = TlsChannel.server(socket, HandshakeExplainer.wire(server.config, explain.explainer()));
        }
    }

    /** On the loop: register for reads and start the handshake clock. */
    void start() {
        try {
            key = loop.register(tls.socket(), SelectionKey.OP_READ, this).join();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "#" + id + " cannot register: " + e);
            server.removed(this);
            return;
        }
        handshakeTimer = loop.schedule(server.config.handshakeTimeout(), this::handshakeDeadline);
    }

    @Override
    public void ready(SelectionKey k) {
        if (lingering) {
            linger();
            return;
        }
        try {
            if (summary == null) {
                if (!tls.handshake()) {
                    updateInterest();
                    return;
                }
                established();
                if (closed) {
                    return;
                }
            }
            lastActivity = System.nanoTime();
            if (flushPending()) {
                readAndDeliver();
            }
            updateInterest();
        } catch (TlsIOException e) {
            server.failed(this, e.tlsException());
            abort(true);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "#{0} {1}: {2}", id, remote, e.toString());
            abort(true);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "#" + id + " " + remote + ": handler failed", e);
            abort(true);
        }
    }

    private void established() throws IOException {
        handshakeTimer.cancel();
        summary = tls.summary();
        server.handshakeCompleted(this, summary);
        input = ByteBuffer.allocate(TlsServer.MAX_BUFFERED_INPUT);
        handler = server.handlers.get();
        lastActivity = System.nanoTime();
        idleTimer = loop.schedule(server.idleTimeout, this::idleCheck);
        handler.onOpen(this);
    }

    /** Reads while the handler can take more and nothing waits to be written. */
    private void readAndDeliver() throws IOException {
        for (int i = 0; i < READS_PER_EVENT; i++) {
            if (closed || closeRequested || hasPendingWrites()) {
                return;
            }
            if (offerAgain) {
                offerAgain = false;
                deliver();
                continue;
            }
            if (!input.hasRemaining()) {
                // RFC-less rule of ours: a handler must consume something from a full buffer.
                LOG.log(Level.INFO, "#{0} {1}: {2} bytes buffered and none consumed, closing", id, remote,
                        input.position());
                close();
                return;
            }
            int n = tls.read(input);
            if (n < 0) {
                // The client sent close_notify or closed TCP; what it sent before was delivered.
                // close() sends our close_notify after the pending responses (RFC 8446 §6.1 half-close;
                // in TLS 1.2 the engine has already answered, RFC 5246 §7.2.1).
                close();
                return;
            }
            if (n == 0) {
                return;
            }
            if (explain != null) {
                explain.received(input, input.position() - n, input.position());
            }
            deliver();
        }
        // More may be waiting inside the channel with nothing new on the socket: come back soon.
        loop.execute(() -> {
            if (!closed) {
                ready(key);
            }
        });
    }

    private void deliver() throws IOException {
        input.flip();
        try {
            handler.onData(this, input);
            if (explain != null) {
                explain.delivered();
            }
        } finally {
            input.compact();
        }
        offerAgain = input.position() > 0 && hasPendingWrites();
    }

    /** Moves pending handler output into the channel; true when nothing waits any more. */
    private boolean flushPending() throws IOException {
        if (!tls.flush()) {
            return false;
        }
        while (pending != null) {
            if (tls.write(pending) == 0 && pending.hasRemaining()) {
                return false;
            }
            if (!pending.hasRemaining()) {
                pending = null;
            }
        }
        if (!tls.flush()) {
            return false;
        }
        if (closeRequested) {
            abort(false);
            return false;
        }
        return true;
    }

    private void updateInterest() {
        if (closed || !key.isValid()) {
            return;
        }
        int ops;
        if (summary == null) {
            ops = SelectionKey.OP_READ | (tls.wantsWrite() ? SelectionKey.OP_WRITE : 0);
        } else if (hasPendingWrites()) {
            ops = SelectionKey.OP_WRITE; // backpressure: no reading while output waits
        } else {
            ops = closeRequested ? 0 : SelectionKey.OP_READ;
        }
        key.interestOps(ops);
    }

    private void handshakeDeadline() {
        if (!closed && summary == null) {
            server.handshakeTimedOut(this);
            abort(true);
        }
    }

    private void idleCheck() {
        if (closed) {
            return;
        }
        long idleNanos = System.nanoTime() - lastActivity;
        long limit = server.idleTimeout.toNanos();
        if (idleNanos >= limit) {
            LOG.log(Level.DEBUG, "#{0} {1}: idle for {2}, closing", id, remote, server.idleTimeout);
            abort(false);
        } else {
            idleTimer = loop.schedule(java.time.Duration.ofNanos(limit - idleNanos), this::idleCheck);
        }
    }

    /**
     * Closes for the application now. Unless {@code abortive}, a healthy connection closes
     * gracefully: close_notify and FIN, then the socket lingers (see {@link #linger()}); a
     * failed or stalled one is just closed.
     */
    void abort(boolean abortive) {
        if (closed) {
            return;
        }
        closed = true;
        if (handshakeTimer != null) {
            handshakeTimer.cancel();
        }
        if (idleTimer != null) {
            idleTimer.cancel();
        }
        pending = null;
        if (abortive || summary == null || key == null || !key.isValid()) {
            release();
        } else {
            if (explain != null) {
                explain.closing();
            }
            lingering = true;
            lingerTimer = loop.schedule(server.lingerTimeout, this::lingerTimedOut);
            try {
                tls.shutdownOutput(); // close_notify (TLS 1.2: unless the engine already answered the client's), FIN behind it
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "#{0} {1}: closing: {2}", id, remote, e.toString());
                release();
            }
            linger();
        }
        if (explain != null) {
            explain.finish();
        }
        if (handler != null) {
            try {
                handler.onClose(this);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "#" + id + " onClose failed", e);
            }
        }
    }

    /**
     * The graceful close: sends what is left up to our FIN, then reads and drops what the
     * client still sends until its FIN, then closes the socket. Closing with unread input
     * would make the kernel send a TCP RST instead of our FIN (RFC 1122 §4.2.2.13), and the
     * RST can destroy the end of the response before the client has read it (RFC 9112 §9.6).
     * A client that never sends its FIN is cut off by {@link #lingerTimedOut()}.
     */
    private void linger() {
        if (released) {
            return;
        }
        try {
            if (!tls.flush()) {
                key.interestOps(SelectionKey.OP_WRITE);
                return;
            }
            int n = tls.discardInput();
            if (n < 0) {
                release(); // the client's FIN: both directions are closed, a clean close
                return;
            }
            key.interestOps(SelectionKey.OP_READ);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "#{0} {1}: closing: {2}", id, remote, e.toString());
            release();
        }
    }

    private void lingerTimedOut() {
        if (!released) {
            LOG.log(Level.DEBUG, "#{0} {1}: no FIN from the client after {2}, closing", id, remote,
                    server.lingerTimeout);
            release();
        }
    }

    /** Closes the socket and forgets the connection. */
    private void release() {
        if (released) {
            return;
        }
        released = true;
        if (lingerTimer != null) {
            lingerTimer.cancel();
        }
        try {
            tls.socket().close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "closing", e);
        }
        if (key != null) {
            key.cancel();
        }
        server.removed(this);
    }

    // ------------------------------------------------------------------ Connection

    @Override
    public long id() {
        return id;
    }

    @Override
    public SocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public HandshakeSummary summary() {
        return summary;
    }

    @Override
    public void write(ByteBuffer data) {
        if (!loop.inEventLoop()) {
            throw new IllegalStateException("Connection.write outside its event loop: use eventLoop().execute(...)");
        }
        if (closed || closeRequested) {
            data.position(data.limit());
            return;
        }
        if (tls.engine().isOutboundClosed()) {
            // TLS 1.2: the client's close_notify was answered at once (RFC 5246 §7.2.1), so a
            // response to a request sent just before it cannot go out any more.
            LOG.log(Level.DEBUG, "#{0} {1}: the client closed first (TLS 1.2); {2} response bytes dropped", id,
                    remote, data.remaining());
            data.position(data.limit());
            close();
            return;
        }
        if (explain != null) {
            explain.sending(data);
        }
        try {
            if (pending == null) {
                while (data.hasRemaining() && tls.write(data) > 0) {
                    // the channel took a batch; go on
                }
            }
            if (data.hasRemaining()) {
                keep(data);
            }
            lastActivity = System.nanoTime();
            updateInterest();
        } catch (TlsIOException e) {
            server.failed(this, e.tlsException());
            abort(true);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "#{0} {1}: {2}", id, remote, e.toString());
            abort(true);
        }
    }

    /** Copies what the channel could not take; reading stays paused until it is flushed. */
    private void keep(ByteBuffer data) {
        if (pending == null) {
            pending = ByteBuffer.allocate(Math.max(data.remaining(), 4096));
            pending.put(data).flip();
            return;
        }
        if (pending.capacity() - pending.remaining() < data.remaining()) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(pending.capacity() * 2, pending.remaining() + data.remaining()));
            bigger.put(pending);
            pending = bigger;
        } else {
            pending.compact();
        }
        pending.put(data).flip();
    }

    @Override
    public boolean hasPendingWrites() {
        return pending != null || tls.wantsWrite();
    }

    @Override
    public void close() {
        if (closed || closeRequested) {
            return;
        }
        closeRequested = true;
        if (!hasPendingWrites()) {
            abort(false);
        } else {
            updateInterest();
        }
    }

    @Override
    public boolean isOpen() {
        return !closed;
    }

    @Override
    public EventLoop eventLoop() {
        return loop;
    }

    @Override
    public String toString() {
        return "connection #" + id + " from " + remote;
    }
}
