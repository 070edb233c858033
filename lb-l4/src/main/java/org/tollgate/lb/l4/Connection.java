package org.tollgate.lb.l4;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnresolvedAddressException;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.balance.Balancer;
import org.tollgate.tls.nio.EventLoop;

/**
 * One client connection and its backend connection, on one loop thread.
 *
 * <ol>
 * <li>Connect: pick a backend, connect without blocking, bounded by the connect timeout.
 *     A refusal or timeout happens before any client byte was sent (the client is not
 *     read until the backend is connected), so the next backend is tried, up to
 *     {@link ForwarderConfig#connectAttempts()}.</li>
 * <li>Pump: at most one buffer per direction, taken from the loop's pool
 *     ({@link LoopContext}) for a read and given back as soon as it is empty. A side is
 *     read only when nothing waits towards the other side; what the other side cannot
 *     take at once stays in the buffer, that side gets {@code OP_WRITE} and the reading
 *     side loses {@code OP_READ} until it drains (Netty's HexDumpProxy shape). So a slow
 *     reader stops the fast writer through TCP flow control, and memory stays at two
 *     buffers.</li>
 * <li>Half-close: end of stream from one side becomes {@code shutdownOutput()} on the
 *     other once its buffer is flushed; the other direction keeps flowing. When both
 *     directions have ended, both sockets close.</li>
 * <li>Reset: an error on one side (a reset, a broken pipe) closes the other side with
 *     {@code SO_LINGER 0}, which sends a reset too.</li>
 * <li>Idle: no byte either way for the idle timeout closes both sides.</li>
 * </ol>
 *
 * <p>System calls are counted: a short read is taken to have emptied the socket (the
 * selector is level-triggered, so anything that came since is reported again), the last
 * half-close before closing both sockets is left to the close, and sockets are closed only
 * after the selector has dropped them, so that the JDK closes them at once instead of
 * querying {@code SO_LINGER} and shutting their output down first.
 */
final class Connection {
    private static final System.Logger LOG = System.getLogger(Connection.class.getName());
    /** Reads per readiness event before yielding to other connections on the loop. */
    private static final int SPINS = 16;

    private final TcpForwarder forwarder;
    private final LoopContext context;
    private final EventLoop loop;
    private final SocketChannel client;
    private final InetAddress clientAddress;
    private final Set<Backend> tried = new HashSet<>();
    private SelectionKey clientKey;
    private SocketChannel server;
    private SelectionKey serverKey;
    private Backend backend;
    /** {@code System.nanoTime()} by which the pending backend connect must complete; 0 when none is pending. */
    private long connectDeadline;
    private long lastActivity;
    private boolean clientNoDelay;
    private boolean closed;
    /** The neighbours in the loop's list of connections ({@link LoopContext}). */
    Connection nextOnLoop;
    Connection previousOnLoop;
    /** The pool this connection is balanced over: the forwarder's, or the one its SNI route names. */
    private Balancer pool;
    /** SNI routing: the client's first bytes, kept to be forwarded first; null once decided. */
    private ByteBuffer preread;
    private EventLoop.Timer prereadTimer;
    /** What the first flight said, for logs: the server name, or why none was used. */
    private String routeNote;

    /** Client to backend, and backend to client. */
    private Direction up;
    private Direction down;

    Connection(TcpForwarder forwarder, LoopContext context, SocketChannel client) {
        this.forwarder = forwarder;
        this.context = context;
        this.loop = context.loop;
        this.client = client;
        InetAddress a;
        try {
            a = ((InetSocketAddress) client.getRemoteAddress()).getAddress();
        } catch (IOException | NullPointerException e) {
            a = InetAddress.getLoopbackAddress();
        }
        this.clientAddress = a;
        this.pool = forwarder.balancer();
    }

    EventLoop loop() {
        return loop;
    }

    /** On the loop thread: register the client (not read yet) and connect to a backend. */
    void start() {
        loop.register(client, 0, this::clientReady).whenComplete((key, failure) -> {
            if (failure != null) {
                LOG.log(Level.DEBUG, "client could not be registered: " + failure);
                close();
                return;
            }
            clientKey = key;
            lastActivity = System.nanoTime();
            context.add(this); // the loop's sweep checks the idle and connect deadlines
            SniRoutes routes = forwarder.config().sniRoutes().orElse(null);
            if (routes == null) {
                connectNext();
                return;
            }
            // SNI passthrough: read the first flight before choosing, bounded in bytes and time.
            preread = ByteBuffer.allocate(routes.maxClientHelloBytes());
            prereadTimer = loop.schedule(routes.timeout(), () -> routeBy(routes, ClientHelloPeek.Result.of(
                    ClientHelloPeek.Status.NEED_MORE, "no complete ClientHello within " + routes.timeout().toMillis() + " ms")));
            clientKey.interestOps(SelectionKey.OP_READ);
        });
    }

    /** Reads the client's first bytes until they show a whole ClientHello, or something else. */
    private void prereadReady() {
        SniRoutes routes = forwarder.config().sniRoutes().orElseThrow();
        int n;
        try {
            n = client.read(preread);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "client failed before its ClientHello: " + e.getMessage());
            close();
            return;
        }
        if (n < 0) {
            LOG.log(Level.DEBUG, "client closed after " + preread.position() + " bytes, before a whole ClientHello");
            close();
            return;
        }
        byte[] bytes = preread.array();
        int length = preread.position();
        ClientHelloPeek.Result r = ClientHelloPeek.peek(bytes, length);
        if (r.status() == ClientHelloPeek.Status.NEED_MORE) {
            int announced = ClientHelloPeek.announcedSize(bytes, length);
            if (announced > preread.capacity() || !preread.hasRemaining()) {
                r = ClientHelloPeek.Result.of(ClientHelloPeek.Status.NEED_MORE, "ClientHello larger than "
                        + preread.capacity() + " bytes" + (announced > 0 ? " (announces " + announced + ")" : ""));
            } else {
                return; // wait for more, within the timeout
            }
        }
        routeBy(routes, r);
    }

    /** Chooses the pool from what the first flight showed, then connects. */
    private void routeBy(SniRoutes routes, ClientHelloPeek.Result r) {
        if (closed || preread == null || up != null || backend != null) {
            return;
        }
        cancel(prereadTimer);
        prereadTimer = null;
        clientKey.interestOps(0); // nothing more is read until a backend is connected
        switch (r.status()) {
            case FOUND:
                Optional<Balancer> route = routes.poolFor(r.serverName());
                routeNote = "SNI " + r.serverName() + (route.isPresent() ? "" : " (no route: default pool)");
                route.ifPresent(p -> pool = p);
                break;
            case NO_SERVER_NAME:
                routeNote = "TLS without SNI (" + r.reason() + "): default pool";
                break;
            default:
                boolean toDefault = routes.fallback() == SniRoutes.Fallback.DEFAULT_POOL;
                routeNote = (r.status() == ClientHelloPeek.Status.NEED_MORE ? "" : r.status() + ": ") + r.reason()
                        + (toDefault ? ": default pool" : ": closed");
                if (!toDefault) {
                    LOG.log(Level.INFO, "closing " + clientAddress.getHostAddress() + ": " + routeNote);
                    close();
                    return;
                }
        }
        if (LOG.isLoggable(Level.DEBUG)) {
            LOG.log(Level.DEBUG, clientAddress.getHostAddress() + ": " + routeNote);
        }
        preread.flip();
        connectNext();
    }

    private void connectNext() {
        ForwarderConfig config = forwarder.config();
        java.util.function.Consumer<String> explain = config.explain().orElse(null);
        Optional<Backend> choice;
        if (tried.size() >= config.connectAttempts()) {
            choice = Optional.empty();
        } else if (explain == null) {
            choice = pool.choose(clientAddress, tried);
        } else {
            Balancer.Decision d = pool.decide(clientAddress, tried);
            choice = d.backend();
            explain.accept(Explain.line(client, routeNote, pool, tried, d));
        }
        if (choice.isEmpty()) {
            LOG.log(Level.WARNING, "no backend for " + clientAddress.getHostAddress()
                    + (tried.isEmpty() ? ": none available" : ": tried " + tried.size()));
            close();
            return;
        }
        backend = choice.get();
        tried.add(backend);
        backend.connectionOpened();
        try {
            InetSocketAddress address = backend.address();
            // An IPv4 socket for an IPv4 backend: a dual-stack one costs an IPV6_V6ONLY setsockopt.
            server = address.getAddress() instanceof Inet4Address ? SocketChannel.open(StandardProtocolFamily.INET) : SocketChannel.open();
            server.configureBlocking(false);
            server.setOption(StandardSocketOptions.TCP_NODELAY, true);
            if (!clientNoDelay) { // once, not again on a retry
                client.setOption(StandardSocketOptions.TCP_NODELAY, true);
                clientNoDelay = true;
            }
            boolean connected = server.connect(address);
            loop.register(server, connected ? 0 : SelectionKey.OP_CONNECT, this::serverReady).whenComplete((key, failure) -> {
                if (failure != null) {
                    connectFailed(failure);
                    return;
                }
                serverKey = key;
                if (connected) {
                    connected();
                } else {
                    connectDeadline = System.nanoTime() + config.connectTimeout().toNanos();
                    connectDeadline |= connectDeadline == 0 ? 1 : 0; // 0 means none
                }
            });
        } catch (IOException | UnresolvedAddressException | SecurityException e) {
            connectFailed(e);
        }
    }

    private void connectFailed(Throwable e) {
        if (closed) {
            return;
        }
        LOG.log(Level.INFO, "connect to " + backend.name() + " failed: " + e.getMessage());
        forwarder.stats.connectFailures.incrementAndGet();
        forwarder.health().ifPresent(h -> h.connectFailed(backend));
        connectDeadline = 0;
        backend.connectionClosed();
        backend = null;
        if (serverKey != null) {
            serverKey.cancel();
            serverKey = null;
        }
        if (server != null) {
            closeQuietly(server);
            server = null;
        }
        connectNext(); // no client byte has been read yet, so another backend may take over
    }

    private void connected() {
        connectDeadline = 0;
        forwarder.health().ifPresent(h -> h.connectSucceeded(backend));
        up = new Direction(client, server, context, forwarder.stats, backend, true);
        down = new Direction(server, client, context, forwarder.stats, backend, false);
        up.other = down;
        down.other = up;
        forwarder.config().proxyProtocol().ifPresent(v -> up.preload(ByteBuffer.wrap(proxyHeader(v))));
        if (preread != null) {
            up.preload(preread); // the ClientHello goes first, exactly as it came
            preread = null;
        }
        touch();
        updateInterest();
    }

    /** The client's address and the address it connected to, as the PROXY header tells them. */
    private byte[] proxyHeader(ProxyProtocol version) {
        try {
            return version.header((InetSocketAddress) client.getRemoteAddress(), (InetSocketAddress) client.getLocalAddress());
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "client addresses unknown for the PROXY header: " + e);
            return version.header(null, null); // UNKNOWN / AF_UNSPEC
        }
    }

    private void serverReady(SelectionKey key) {
        if (key.isConnectable()) {
            try {
                if (!server.finishConnect()) {
                    return;
                }
            } catch (IOException e) {
                connectFailed(e);
                return;
            }
            connected();
            return;
        }
        pump(key.isReadable() ? down : null, key.isWritable() ? up : null);
    }

    private void clientReady(SelectionKey key) {
        if (up == null && preread != null && backend == null && !closed) {
            prereadReady();
            return;
        }
        if (up == null) {
            return; // not connected yet
        }
        pump(key.isReadable() ? up : null, key.isWritable() ? down : null);
    }

    /** Moves bytes for a readable side and a writable side, then sets the interest ops both sockets need now. */
    private void pump(Direction readable, Direction writable) {
        if (closed) {
            return;
        }
        try {
            if (writable != null && writable.flush()) {
                touch();
            }
            if (readable != null && readable.transfer()) {
                touch();
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "connection through " + backend.name() + " failed: " + e.getMessage());
            reset();
            return;
        }
        if (up.finished() && down.finished()) {
            close();
            return;
        }
        updateInterest();
    }

    private void updateInterest() {
        if (closed) {
            return;
        }
        clientKey.interestOps((up.wantsRead() ? SelectionKey.OP_READ : 0) | (down.wantsWrite() ? SelectionKey.OP_WRITE : 0));
        serverKey.interestOps((down.wantsRead() ? SelectionKey.OP_READ : 0) | (up.wantsWrite() ? SelectionKey.OP_WRITE : 0));
    }

    private void touch() {
        lastActivity = System.nanoTime();
    }

    /** Called by the loop's sweep: fails a connect past its timeout, closes an idle connection. */
    void checkDeadlines(long now) {
        if (closed) {
            return;
        }
        ForwarderConfig config = forwarder.config();
        if (connectDeadline != 0 && now - connectDeadline >= 0) {
            connectFailed(new IOException("connect timed out after " + config.connectTimeout().toMillis() + " ms"));
            return;
        }
        if (now - lastActivity >= config.idleTimeout().toNanos()) {
            if (LOG.isLoggable(Level.DEBUG)) {
                LOG.log(Level.DEBUG, "closing idle connection from " + clientAddress.getHostAddress());
            }
            close();
        }
    }

    /** Passes a failure on: both sockets close with a reset (SO_LINGER 0). */
    private void reset() {
        for (SocketChannel ch : new SocketChannel[] {client, server}) {
            if (ch != null && ch.isOpen()) {
                try {
                    ch.setOption(StandardSocketOptions.SO_LINGER, 0);
                } catch (IOException | RuntimeException e) {
                    LOG.log(Level.TRACE, "SO_LINGER", e);
                }
            }
        }
        close();
    }

    /** Closes both sockets and settles the counters; safe to call twice. Loop thread only. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        connectDeadline = 0;
        cancel(prereadTimer);
        context.remove(this);
        if (up != null) {
            up.discard();
            down.discard();
        }
        context.closeSoon(client, clientKey, forwarder.isClosed());
        if (server != null) {
            context.closeSoon(server, serverKey, forwarder.isClosed());
        }
        if (backend != null) {
            backend.connectionClosed();
            backend = null;
        }
        forwarder.connectionClosed(this);
    }

    static void closeQuietly(java.nio.channels.Channel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "closing channel", e);
        }
    }

    private static void cancel(EventLoop.Timer t) {
        if (t != null) {
            t.cancel();
        }
    }

    /** One direction: bytes read from {@code from} wait in {@code buffer} until {@code to} takes them. */
    static final class Direction {
        private final SocketChannel from;
        private final SocketChannel to;
        private final LoopContext context;
        /** Null when nothing waits; else kept flipped: the bytes waiting for 'to' are [position, limit). */
        private ByteBuffer buffer;
        /** Set once a read filled a small buffer: from then on this direction reads into full-size ones. */
        private boolean bulk;
        private final TcpForwarder.Stats stats;
        private final boolean towardsBackend;
        private final Backend backend;
        /** The opposite direction of the same connection. */
        Direction other;
        private boolean endOfStream;
        private boolean shutdownSent;

        Direction(SocketChannel from, SocketChannel to, LoopContext context, TcpForwarder.Stats stats, Backend backend,
                boolean towardsBackend) {
            this.backend = backend;
            this.from = from;
            this.to = to;
            this.context = context;
            this.stats = stats;
            this.towardsBackend = towardsBackend;
        }

        /** Puts bytes to send before anything read (a PROXY header, a peeked ClientHello). */
        void preload(ByteBuffer bytes) {
            if (buffer == null) {
                buffer = context.take(true).flip();
            }
            buffer.compact(); // keep what is already waiting, then append
            buffer.put(bytes);
            buffer.flip();
        }

        /** Read only when everything read before has been passed on. */
        boolean wantsRead() {
            return !endOfStream && buffer == null;
        }

        boolean wantsWrite() {
            return buffer != null;
        }

        /** End of stream seen and passed on. */
        boolean finished() {
            return shutdownSent;
        }

        /** Reads and passes bytes on until the reader is empty, the writer is full, or SPINS rounds. True if bytes moved. */
        boolean transfer() throws IOException {
            boolean moved = false;
            for (int i = 0; i < SPINS && wantsRead(); i++) {
                buffer = context.take(bulk);
                int n = from.read(buffer);
                boolean filled = !buffer.hasRemaining();
                buffer.flip();
                if (n < 0) {
                    endOfStream = true;
                    break;
                }
                if (n == 0) {
                    break;
                }
                stats.buffered(n);
                moved = true;
                bulk |= filled;
                flush();
                if (!filled) {
                    break; // a short read emptied the socket; the level-triggered selector reports what comes next
                }
            }
            flush();
            return moved;
        }

        /** Gives the buffer back to the pool, bytes waiting or not: the connection is closing. */
        void discard() {
            if (buffer != null) {
                context.give(buffer);
                buffer = null;
            }
        }

        /** Writes what waits; sends the half-close once the stream has ended and all is written. True if bytes moved. */
        boolean flush() throws IOException {
            boolean moved = false;
            if (buffer != null) {
                int n = to.write(buffer);
                if (n > 0) {
                    moved = true;
                    if (towardsBackend) {
                        stats.bytesToBackends.addAndGet(n);
                        backend.addBytesToBackend(n);
                    } else {
                        stats.bytesToClients.addAndGet(n);
                        backend.addBytesFromBackend(n);
                    }
                }
            }
            if (buffer != null && !buffer.hasRemaining()) {
                context.give(buffer);
                buffer = null;
            }
            if (endOfStream && buffer == null && !shutdownSent) {
                shutdownSent = true;
                if (!other.finished()) { // else both sockets close now, which sends the FIN
                    to.shutdownOutput(); // RFC 9293 §3.6: the FIN travels on, the other direction stays open
                }
            }
            return moved;
        }
    }
}
