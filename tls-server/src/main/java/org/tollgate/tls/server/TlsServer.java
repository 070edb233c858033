package org.tollgate.tls.server;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.nio.EventLoop;
import org.tollgate.tls.nio.EventLoopGroup;

/**
 * A non-blocking TLS server: one listening socket, accepted on the first event loop, and
 * connections handed round robin to a group of loops (one per core by default). Each
 * connection gets its own {@link ConnectionHandler}.
 *
 * <pre>{@code
 * try (TlsServer server = TlsServer.builder()
 *         .config(TlsConfig.builder().certificate(key).build())
 *         .bind(new InetSocketAddress("127.0.0.1", 8443))
 *         .handler(HttpsHandler::new)
 *         .onHandshake((peer, summary) -> System.out.println(peer + " " + summary.oneLine()))
 *         .build()) {
 *     ...
 * }
 * }</pre>
 *
 * A connection that fails (garbage, a bad alert, a stalled handshake, an idle client)
 * is closed on its own; the others never notice.
 */
public final class TlsServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(TlsServer.class.getName());

    /** Largest amount of decrypted input buffered per connection for its handler. */
    public static final int MAX_BUFFERED_INPUT = 16 * 1024;

    final TlsConfig config;
    final Supplier<? extends ConnectionHandler> handlers;
    final Duration idleTimeout;
    /** Where each connection's explanation goes, as one block when it ends (--explain); null for none. */
    final PrintStream explainOut;
    /** After our close_notify, how long a connection waits for the client's FIN before it is closed anyway. */
    final Duration lingerTimeout;
    private final int maxConnections;
    private final BiConsumer<SocketAddress, HandshakeSummary> onHandshake;
    private final BiConsumer<SocketAddress, TlsException> onFailure;
    private final EventLoopGroup loops;
    private final ServerSocketChannel listener;
    private final InetSocketAddress localAddress;
    private final Set<ServerConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong handshakeTimeouts = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong nextId = new AtomicLong(1);
    private volatile boolean closed;

    private TlsServer(Builder b) throws IOException {
        Objects.requireNonNull(b.config, "config");
        this.explainOut = b.explainOut;
        this.config = b.config;
        this.lingerTimeout = b.lingerTimeout;
        this.handlers = Objects.requireNonNull(b.handlers, "handler");
        this.idleTimeout = b.idleTimeout;
        this.maxConnections = b.maxConnections;
        this.onHandshake = b.onHandshake;
        this.onFailure = b.onFailure;
        if (config.certificates().isEmpty()) {
            throw new IllegalArgumentException("a TLS server needs a certificate in its TlsConfig");
        }
        this.loops = new EventLoopGroup(b.eventLoops, "tls-server");
        ServerSocketChannel ch = null;
        try {
            ch = ServerSocketChannel.open();
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.bind(b.bind, b.backlog);
            this.listener = ch;
            this.localAddress = (InetSocketAddress) ch.getLocalAddress();
            loops.loops().get(0).register(ch, SelectionKey.OP_ACCEPT, key -> acceptReady()).join();
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                ch.close();
            }
            loops.close();
            throw e;
        }
        LOG.log(Level.INFO, "listening on {0} with {1} event loops", localAddress, loops.size());
    }

    /**
     * {@return a builder: bind, TLS configuration and handler are set on it, then {@code build()} starts the server}
     */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the address the server listens on (with the real port when bound to port 0)} */
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    /** {@return connections open now (handshaking or established)} */
    public int activeConnections() {
        return active.get();
    }

    /** {@return connections accepted and served since start} */
    public long acceptedConnections() {
        return accepted.get();
    }

    /** {@return connections closed at once because {@code maxConnections} were open} */
    public long rejectedConnections() {
        return rejected.get();
    }

    /** {@return connections closed because the handshake did not finish in time} */
    public long handshakeTimeouts() {
        return handshakeTimeouts.get();
    }

    /** {@return connections ended by a TLS alert (sent or received)} */
    public long failedConnections() {
        return failures.get();
    }

    private void acceptReady() throws IOException {
        for (int i = 0; i < 64; i++) { // bounded: the acceptor loop serves connections too
            SocketChannel socket = listener.accept();
            if (socket == null) {
                return;
            }
            if (active.get() >= maxConnections) {
                rejected.incrementAndGet();
                LOG.log(Level.WARNING, "connection limit of {0} reached: closing {1}", maxConnections,
                        remote(socket));
                socket.close();
                continue;
            }
            active.incrementAndGet();
            accepted.incrementAndGet();
            try {
                socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
                EventLoop loop = loops.next();
                ServerConnection c = new ServerConnection(this, nextId.getAndIncrement(), loop, socket);
                connections.add(c);
                loop.execute(c::start);
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "cannot start a connection from " + remote(socket), e);
                active.decrementAndGet();
                socket.close();
            }
        }
    }

    private static SocketAddress remote(SocketChannel socket) {
        try {
            return socket.getRemoteAddress();
        } catch (IOException e) {
            return null;
        }
    }

    // ------------------------------------------------------------------ events from connections

    void handshakeCompleted(ServerConnection c, HandshakeSummary summary) {
        LOG.log(Level.DEBUG, "#{0} {1}: {2}", c.id(), c.remoteAddress(), summary.oneLine());
        if (onHandshake != null) {
            notify(() -> onHandshake.accept(c.remoteAddress(), summary));
        }
    }

    void failed(ServerConnection c, TlsException e) {
        failures.incrementAndGet();
        LOG.log(Level.INFO, "#{0} {1}: {2}", c.id(), c.remoteAddress(), e);
        if (onFailure != null) {
            notify(() -> onFailure.accept(c.remoteAddress(), e));
        }
    }

    void handshakeTimedOut(ServerConnection c) {
        handshakeTimeouts.incrementAndGet();
        LOG.log(Level.INFO, "#{0} {1}: handshake not finished after {2}, closing", c.id(), c.remoteAddress(),
                config.handshakeTimeout());
    }

    void removed(ServerConnection c) {
        if (connections.remove(c)) {
            active.decrementAndGet();
        }
    }

    private static void notify(Runnable listener) {
        try {
            listener.run();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "listener failed", e);
        }
    }

    /**
     * Stops accepting, closes every connection (with close_notify where the socket takes
     * it) and stops the event loops.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            listener.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "closing listener", e);
        }
        List<ServerConnection> open = new ArrayList<>(connections);
        CountDownLatch done = new CountDownLatch(open.size());
        for (ServerConnection c : open) {
            try {
                c.eventLoop().execute(() -> {
                    c.abort(false);
                    done.countDown();
                });
            } catch (IllegalStateException e) {
                done.countDown();
            }
        }
        try {
            done.await(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        loops.close();
        LOG.log(Level.INFO, "closed {0}", localAddress);
    }

    /** Configures a {@link TlsServer}; {@link #build()} binds and starts it. */
    public static final class Builder {
        private TlsConfig config;
        private InetSocketAddress bind = new InetSocketAddress("127.0.0.1", 0);
        private Supplier<? extends ConnectionHandler> handlers;
        private int eventLoops = Runtime.getRuntime().availableProcessors();
        private int maxConnections = 10_000;
        private int backlog = 1024;
        private Duration idleTimeout = Duration.ofSeconds(60);
        private BiConsumer<SocketAddress, HandshakeSummary> onHandshake;
        private BiConsumer<SocketAddress, TlsException> onFailure;
        private PrintStream explainOut;
        private Duration lingerTimeout = Duration.ofSeconds(2);

        private Builder() {
        }

        /**
         * The TLS configuration: certificates, suites, groups, ALPN, handshake timeout, trace.
         * @param c the TLS configuration, with at least one certificate
         * @return this builder
         */
        public Builder config(TlsConfig c) {
            this.config = Objects.requireNonNull(c);
            return this;
        }

        /**
         * Address to listen on; port 0 picks a free port (see {@link TlsServer#localAddress()}). Default 127.0.0.1:0.
         * @param address the listening address
         * @return this builder
         */
        public Builder bind(InetSocketAddress address) {
            this.bind = Objects.requireNonNull(address);
            return this;
        }

        /**
         * Address to listen on, by host name or literal and port.
         * @param host the host to bind
         * @param port the port, 0 for a free one
         * @return this builder
         */
        public Builder bind(String host, int port) {
            return bind(new InetSocketAddress(host, port));
        }

        /**
         * Makes the handler of each new connection, e.g. {@code HttpsHandler::new}.
         * @param factory called once per connection
         * @return this builder
         */
        public Builder handler(Supplier<? extends ConnectionHandler> factory) {
            this.handlers = Objects.requireNonNull(factory);
            return this;
        }

        /**
         * Number of event loop threads; default one per available processor.
         * @param n the number of loops
         * @return this builder
         */
        public Builder eventLoops(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("at least one event loop, not " + n);
            }
            this.eventLoops = n;
            return this;
        }

        /**
         * Connections served at once; more are accepted and closed at once. Default 10 000.
         * @param n the connection limit
         * @return this builder
         */
        public Builder maxConnections(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxConnections must be at least 1, not " + n);
            }
            this.maxConnections = n;
            return this;
        }

        /**
         * The listen backlog: connections the kernel queues before {@code accept}.
         * @param n the backlog length
         * @return this builder
         */
        public Builder backlog(int n) {
            this.backlog = n;
            return this;
        }

        /**
         * An established connection with no traffic either way for this long is closed. Default 60 s.
         * @param d the idle timeout
         * @return this builder
         */
        public Builder idleTimeout(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("idle timeout must be positive");
            }
            this.idleTimeout = d;
            return this;
        }

        /**
         * Called (on an event loop thread) after each successful handshake.
         * @param listener receives the client's address and the summary
         * @return this builder
         */
        public Builder onHandshake(BiConsumer<SocketAddress, HandshakeSummary> listener) {
            this.onHandshake = listener;
            return this;
        }

        /**
         * Called (on an event loop thread) when a connection ends with a TLS alert, sent or received.
         * @param listener receives the client's address and the failure
         * @return this builder
         */
        public Builder onFailure(BiConsumer<SocketAddress, TlsException> listener) {
            this.onFailure = listener;
            return this;
        }

        /**
         * Explains every connection (the six steps of TLS, see
         * {@link org.tollgate.tls.explain.HandshakeExplainer}): each connection gets its own
         * explainer, wired into its TLS configuration beside the trace and key log already there,
         * which also tells the application data it received and sent and its close (step 6). A
         * connection's explanation is printed to {@code out} as one block when the connection ends
         * (a long keep-alive connection in parts of about 256 KB), so concurrent connections never
         * interleave; its heading carries the connection's number.
         * @param out where the blocks go, or null to explain nothing
         * @return this builder
         */
        public Builder explain(PrintStream out) {
            this.explainOut = out;
            return this;
        }

        /**
         * After the server's close_notify and FIN, how long a connection keeps reading (and
         * discarding) what the client still sends until the client's FIN, before the socket is
         * closed anyway. Closing a socket with unread input makes the kernel send a TCP RST,
         * which can destroy the end of the response before the client reads it. Default 2 s.
         * @param d the longest wait for the client's FIN
         * @return this builder
         */
        public Builder lingerTimeout(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("linger timeout must be positive");
            }
            this.lingerTimeout = d;
            return this;
        }

        /**
         * Binds and starts the server.
         * @return the running server
         * @throws IOException when the address cannot be bound
         */
        public TlsServer build() throws IOException {
            return new TlsServer(this);
        }
    }
}
