package org.tollgate.lb.l4;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.tollgate.lb.balance.Balancer;
import org.tollgate.tls.nio.EventLoop;
import org.tollgate.tls.nio.EventLoopGroup;

/**
 * An L4 TCP load balancer: accepts client connections, picks a backend with a
 * {@link Balancer}, connects to it without blocking and copies bytes both ways without
 * looking at them.
 *
 * <pre>{@code
 * Balancer lb = new SmoothWeightedRoundRobin(backends);
 * try (TcpForwarder f = TcpForwarder.start(ForwarderConfig.builder(listen).build(), lb)) {
 *     ... f.localAddress() ...
 * }
 * }</pre>
 *
 * <p>Each connection lives on one selector thread (of {@link ForwarderConfig#eventLoops()});
 * its two sockets and two fixed buffers are touched only there, so they need no locks. The
 * balancer and the backends are shared by all threads and are lock-free. What happens to
 * each connection is described in {@code Connection}.
 */
public final class TcpForwarder implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(TcpForwarder.class.getName());

    private final ForwarderConfig config;
    private final Balancer balancer;
    private final EventLoopGroup loops;
    private final boolean ownsLoops;
    private final ServerSocketChannel server;
    private final SelectionKey acceptKey;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicBoolean acceptPaused = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final CompletableFuture<Void> allClosed = new CompletableFuture<>();
    private final HealthChecker health;
    /** Per loop: buffer pools, the connections there and their timeout sweep. */
    private final java.util.Map<EventLoop, LoopContext> contexts = new java.util.IdentityHashMap<>();
    final Stats stats = new Stats();

    /** Counters shared by the loops. */
    static final class Stats {
        final AtomicLong accepted = new AtomicLong();
        final AtomicLong bytesToBackends = new AtomicLong();
        final AtomicLong bytesToClients = new AtomicLong();
        final AtomicLong connectFailures = new AtomicLong();
        final AtomicInteger bufferedHighWater = new AtomicInteger();

        void buffered(int bytes) {
            int seen = bufferedHighWater.get();
            while (bytes > seen && !bufferedHighWater.compareAndSet(seen, bytes)) {
                seen = bufferedHighWater.get();
            }
        }
    }

    private TcpForwarder(ForwarderConfig config, Balancer balancer, EventLoopGroup group) throws IOException {
        this.config = config;
        this.balancer = balancer;
        this.ownsLoops = group == null;
        this.loops = ownsLoops ? new EventLoopGroup(config.eventLoops(), "lb-l4") : group;
        for (EventLoop loop : loops.loops()) {
            contexts.put(loop, new LoopContext(loop, config.bufferSize()));
        }
        try {
            server = ServerSocketChannel.open();
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(config.listen(), config.backlog());
            acceptKey = loops.loops().get(0).register(server, SelectionKey.OP_ACCEPT, key -> acceptReady()).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            if (ownsLoops) {
                loops.close();
            }
            if (e instanceof IOException) {
                throw (IOException) e;
            }
            throw new IOException("could not listen on " + config.listen() + ": " + e, e);
        }
        java.time.Duration sweep = LoopContext.sweepPeriod(config.connectTimeout(), config.idleTimeout());
        for (LoopContext c : contexts.values()) {
            c.startSweeping(sweep, closed::get);
        }
        health = config.health().map(h -> HealthChecker.start(h, this::allBackends, loops.loops().get(0))).orElse(null);
        LOG.log(Level.INFO, "forwarding " + localAddress() + " over " + balancer.backends().size() + " backends");
    }

    /**
     * Binds the listening socket and starts {@link ForwarderConfig#eventLoops()} selector threads of its own.
     * @param config the configuration
     * @param balancer the default pool
     * @return the running forwarder
     * @throws IOException when the address cannot be bound
     */
    public static TcpForwarder start(ForwarderConfig config, Balancer balancer) throws IOException {
        return new TcpForwarder(Objects.requireNonNull(config), Objects.requireNonNull(balancer), null);
    }

    /**
     * Binds the listening socket and runs on {@code group}'s loops (shared with other
     * servers; {@link #close()} leaves the group running).
     * @param config the configuration
     * @param balancer the default pool
     * @param group the loops to run on
     * @return the running forwarder
     * @throws IOException when the address cannot be bound
     */
    public static TcpForwarder start(ForwarderConfig config, Balancer balancer, EventLoopGroup group) throws IOException {
        return new TcpForwarder(Objects.requireNonNull(config), Objects.requireNonNull(balancer), Objects.requireNonNull(group));
    }

    /** {@return the address actually bound (the port is chosen when 0 was asked for)} */
    public InetSocketAddress localAddress() {
        try {
            return (InetSocketAddress) server.getLocalAddress();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@return the default pool: every connection unless an SNI route takes it} */
    public Balancer balancer() {
        return balancer;
    }

    /** {@return the backends of the default pool and of every SNI route, each once} */
    public List<org.tollgate.lb.balance.Backend> allBackends() {
        List<org.tollgate.lb.balance.Backend> list = new ArrayList<>(balancer.backends());
        config.sniRoutes().ifPresent(r -> {
            for (org.tollgate.lb.balance.Backend b : r.backends()) {
                if (list.stream().noneMatch(x -> x == b)) {
                    list.add(b);
                }
            }
        });
        return list;
    }

    /** {@return the configuration it runs with} */
    public ForwarderConfig config() {
        return config;
    }

    /** {@return the number of client connections open now} */
    public int openConnections() {
        return open.get();
    }

    /** {@return the number of client connections accepted since start} */
    public long acceptedConnections() {
        return stats.accepted.get();
    }

    /** {@return the number of connects to backends that failed (refused, unreachable, timed out)} */
    public long connectFailures() {
        return stats.connectFailures.get();
    }

    /** {@return the bytes sent to backends since start} */
    public long bytesToBackends() {
        return stats.bytesToBackends.get();
    }

    /** {@return the bytes sent back to clients since start} */
    public long bytesToClients() {
        return stats.bytesToClients.get();
    }

    /**
     * The most bytes ever waiting in one direction of one connection; never more than
     * {@link ForwarderConfig#bufferSize()}, which is the point of the backpressure.
     * @return the high-water mark in bytes
     */
    public int bufferedHighWater() {
        return stats.bufferedHighWater.get();
    }

    /** {@return the health checker, when {@link ForwarderConfig#health()} asked for one} */
    public java.util.Optional<HealthChecker> health() {
        return java.util.Optional.ofNullable(health);
    }

    /**
     * Graceful shutdown: stops accepting at once (new clients are refused), lets the open
     * connections run to their end for up to {@code grace}, then {@link #close()}s what is
     * left. Returns true when every connection had finished by itself. Blocks the caller,
     * so never call it from one of the forwarder's loop threads.
     * @param grace how long open connections may run on
     * @return whether every connection ended by itself within {@code grace}
     */
    public boolean shutdown(java.time.Duration grace) {
        if (stopping.compareAndSet(false, true)) {
            CompletableFuture<Void> stopped = new CompletableFuture<>();
            try {
                loops.loops().get(0).execute(() -> {
                    acceptKey.cancel();
                    Connection.closeQuietly(server);
                    stopped.complete(null);
                });
                stopped.get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                Connection.closeQuietly(server);
            }
            LOG.log(Level.INFO, "shutting down: not accepting; " + open.get() + " connections may run for up to " + grace.toMillis() + " ms");
            if (open.get() == 0) {
                allClosed.complete(null);
            }
        }
        boolean finished;
        try {
            allClosed.get(Math.max(0, grace.toMillis()), TimeUnit.MILLISECONDS);
            finished = true;
        } catch (java.util.concurrent.TimeoutException e) {
            LOG.log(Level.WARNING, open.get() + " connections still open after " + grace.toMillis() + " ms: closing them");
            finished = false;
        } catch (Exception e) {
            finished = false;
        }
        close();
        return finished;
    }

    /** Stops listening, closes every connection (counting it closed on its backend) and stops the threads. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (health != null) {
            health.close();
        }
        Connection.closeQuietly(server);
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (Connection c : connections) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            try {
                c.loop().execute(() -> {
                    c.close();
                    f.complete(null);
                });
                done.add(f);
            } catch (IllegalStateException e) {
                // that loop is already gone
            }
        }
        try {
            CompletableFuture.allOf(done.toArray(new CompletableFuture<?>[0])).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.log(Level.WARNING, "connections did not all close in time: " + e);
        }
        // Sockets of connections closed just before, still waiting for their keys to be dropped.
        List<CompletableFuture<Void>> flushed = new ArrayList<>();
        for (LoopContext c : contexts.values()) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            try {
                c.loop.execute(() -> {
                    c.closeAllNow();
                    f.complete(null);
                });
                flushed.add(f);
            } catch (IllegalStateException e) {
                c.closeAllNow(); // that loop is already gone
            }
        }
        try {
            CompletableFuture.allOf(flushed.toArray(new CompletableFuture<?>[0])).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.log(Level.WARNING, "sockets did not all close in time: " + e);
        }
        if (ownsLoops) {
            loops.close();
        } else {
            loops.loops().get(0).execute(() -> acceptKey.cancel());
        }
    }

    /** True once {@link #close()} has begun: connections then close their sockets at once. */
    boolean isClosed() {
        return closed.get();
    }

    private void acceptReady() throws IOException {
        while (open.get() < config.maxConnections()) {
            SocketChannel client = server.accept();
            if (client == null) {
                return;
            }
            open.incrementAndGet();
            stats.accepted.incrementAndGet();
            EventLoop loop = loops.next();
            Connection c = new Connection(this, contexts.get(loop), client);
            connections.add(c);
            try {
                if (loop.inEventLoop()) {
                    startHere(c);
                } else {
                    loop.execute(c::start);
                }
            } catch (IllegalStateException e) {
                connections.remove(c);
                open.decrementAndGet();
                Connection.closeQuietly(client);
            }
        }
        // Full: stop accepting; new clients wait in the listen backlog until one closes.
        acceptPaused.set(true);
        acceptKey.interestOps(0);
        LOG.log(Level.DEBUG, "at " + config.maxConnections() + " connections: accepting paused");
        resumeAcceptIfRoom();
    }

    /** Starts a connection on the accepting loop itself, without a trip through the task queue. */
    private static void startHere(Connection c) {
        try {
            c.start();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "connection failed to start: " + e, e);
            c.close();
        }
    }

    /** Called by a connection when it has closed. */
    void connectionClosed(Connection c) {
        if (connections.remove(c)) {
            if (open.decrementAndGet() == 0 && stopping.get()) {
                allClosed.complete(null);
            }
            resumeAcceptIfRoom();
        }
    }

    private void resumeAcceptIfRoom() {
        if (open.get() < config.maxConnections() && !closed.get() && !stopping.get() && acceptPaused.compareAndSet(true, false)) {
            loops.loops().get(0).execute(() -> {
                if (acceptKey.isValid()) {
                    acceptKey.interestOps(SelectionKey.OP_ACCEPT);
                }
            });
        }
    }
}
