package org.tollgate.lb.l7;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.tollgate.lb.balance.Backend;
import org.tollgate.tls.nio.EventLoop;
import org.tollgate.tls.nio.EventLoopGroup;
import org.tollgate.tls.nio.TlsChannel;

/**
 * The L7 reverse proxy: accepts HTTP/1.1 (or HTTPS, terminating TLS with tls-core's
 * {@link TlsChannel}), parses each request strictly, routes it to a pool, balances it
 * over the pool's backends with an lb-l4 algorithm and streams the response back.
 *
 * <pre>{@code
 * try (L7Proxy proxy = L7Proxy.start(config)) {
 *     ... proxy.localAddress() ...
 * }
 * }</pre>
 *
 * <p>Each client connection, and the backend connections serving it, live on one event
 * loop of the group; each loop keeps its own pool of idle keep-alive backend connections.
 * How one connection proceeds is described in {@code ClientConnection}.
 */
public final class L7Proxy implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(L7Proxy.class.getName());

    private volatile ProxyConfig config;
    private final EventLoopGroup loops;
    private final Map<EventLoop, UpstreamPool> upstreams = new HashMap<>();
    private final ServerSocketChannel server;
    private final InetSocketAddress bound;
    private final Set<ClientConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    final Stats stats = new Stats();

    /** Counters shared by the loops. */
    public static final class Stats {
        final AtomicLong accepted = new AtomicLong();
        final AtomicLong requests = new AtomicLong();
        final AtomicLong backendFailures = new AtomicLong();
        private final Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
        private final Map<Integer, AtomicLong> refusals = new ConcurrentHashMap<>();
        private final Map<String, AtomicLong> perBackend = new ConcurrentHashMap<>();
        private final Map<String, AtomicLong> failuresPerBackend = new ConcurrentHashMap<>();
        final AtomicLong reloads = new AtomicLong();

        void responded(int status) {
            statuses.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
        }

        void refused(int status) {
            refusals.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
        }

        void forwarded(Backend b) {
            perBackend.computeIfAbsent(b.name(), s -> new AtomicLong()).incrementAndGet();
        }

        void backendFailed(Backend b) {
            backendFailures.incrementAndGet();
            if (b != null) {
                failuresPerBackend.computeIfAbsent(b.name(), s -> new AtomicLong()).incrementAndGet();
            }
        }

        public long accepted() {
            return accepted.get();
        }

        /** Request heads parsed and accepted. */
        public long requests() {
            return requests.get();
        }

        /** Connect failures, resets, timeouts and invalid responses from backends. */
        public long backendFailures() {
            return backendFailures.get();
        }

        /** Responses sent to clients with {@code status} (from backends or our own). */
        public long responses(int status) {
            AtomicLong n = statuses.get(status);
            return n == null ? 0 : n.get();
        }

        /** Requests refused by the parser or a limit with {@code status}. */
        public long refusals(int status) {
            AtomicLong n = refusals.get(status);
            return n == null ? 0 : n.get();
        }

        /** Connect failures, resets, timeouts and invalid responses of the backend named {@code name}. */
        public long failuresOf(String name) {
            AtomicLong n = failuresPerBackend.get(name);
            return n == null ? 0 : n.get();
        }

        /** Every status answered so far with its count, in status order. */
        public Map<Integer, Long> responsesByStatus() {
            return snapshot(statuses);
        }

        /** Every refusal status (parser, limits) with its count, in status order. */
        public Map<Integer, Long> refusalsByStatus() {
            return snapshot(refusals);
        }

        /** Configurations applied by {@link L7Proxy#reload(ProxyConfig)}. */
        public long reloads() {
            return reloads.get();
        }

        private static Map<Integer, Long> snapshot(Map<Integer, AtomicLong> counters) {
            Map<Integer, Long> m = new java.util.TreeMap<>();
            counters.forEach((k, v) -> m.put(k, v.get()));
            return m;
        }

        /** Attempts sent to the backend named {@code name} (retries included). */
        public long forwardedTo(String name) {
            AtomicLong n = perBackend.get(name);
            return n == null ? 0 : n.get();
        }
    }

    private L7Proxy(ProxyConfig config) throws IOException {
        this.config = config;
        this.loops = new EventLoopGroup(config.eventLoops(), "lb-l7");
        for (EventLoop l : loops.loops()) {
            upstreams.put(l, new UpstreamPool(l, this));
        }
        try {
            server = ServerSocketChannel.open();
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(config.listen(), 1024);
            bound = (InetSocketAddress) server.getLocalAddress();
            loops.loops().get(0).register(server, SelectionKey.OP_ACCEPT, key -> acceptReady()).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            loops.close();
            if (e instanceof IOException) {
                throw (IOException) e;
            }
            throw new IOException("could not listen on " + config.listen() + ": " + e, e);
        }
        LOG.log(Level.INFO, "lb-l7 listening on " + localAddress() + (config.tls() != null ? " (TLS)" : "")
                + " with " + config.routes().size() + " routes over " + config.pools().size() + " pools");
    }

    /** Binds the listening socket and starts the event loops. */
    public static L7Proxy start(ProxyConfig config) throws IOException {
        return new L7Proxy(Objects.requireNonNull(config));
    }

    /** The address bound (the port chosen when 0 was asked for); still known after close. */
    public InetSocketAddress localAddress() {
        return bound;
    }

    /** The configuration in force: the one given to {@link #start} or the last {@link #reload}. */
    public ProxyConfig config() {
        return config;
    }

    /**
     * Puts {@code next} in force without touching open connections: requests whose head
     * is parsed from now on are routed by its routes to its pools, connections accepted
     * from now on get its TLS settings, and exchanges in flight finish with the pools they
     * started with. The listening address and the number of event loops cannot change
     * (start another proxy for that).
     *
     * @throws IllegalArgumentException if {@code next} listens elsewhere or wants another loop count
     */
    public void reload(ProxyConfig next) {
        Objects.requireNonNull(next);
        ProxyConfig now = config;
        if (!next.listen().equals(now.listen())) {
            throw new IllegalArgumentException("a reload cannot move the listener from " + now.listen() + " to " + next.listen());
        }
        if (next.eventLoops() != now.eventLoops()) {
            throw new IllegalArgumentException("a reload cannot change the number of event loops");
        }
        config = next;
        stats.reloads.incrementAndGet();
        LOG.log(Level.INFO, "lb-l7 on " + localAddress() + " reloaded: " + next.routes().size() + " routes over "
                + next.pools().size() + " pools");
    }

    public Stats stats() {
        return stats;
    }

    /** Client connections open now. */
    public int openConnections() {
        return connections.size();
    }

    boolean isClosing() {
        return closing.get();
    }

    /**
     * Stops gracefully: the listener closes at once (new clients are refused), idle
     * keep-alive connections are closed, requests in flight finish (their responses say
     * {@code Connection: close}) for up to {@code grace}; then whatever is left is cut and
     * the loops stop.
     *
     * @return true when every connection ended by itself within {@code grace}
     */
    public boolean shutdown(java.time.Duration grace) {
        if (!closing.compareAndSet(false, true)) {
            return connections.isEmpty();
        }
        try {
            server.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "closing listener", e);
        }
        for (ClientConnection c : connections) {
            try {
                c.loop().execute(c::drainIfIdle);
            } catch (IllegalStateException e) {
                // loop already gone
            }
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (!connections.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        boolean drained = connections.isEmpty();
        if (!drained) {
            LOG.log(Level.WARNING, connections.size() + " connections still open after " + grace.toMillis() + " ms: cutting them");
        }
        closeConnectionsAndLoops();
        return drained;
    }

    private void acceptReady() throws IOException {
        SocketChannel client;
        while ((client = server.accept()) != null) {
            stats.accepted.incrementAndGet();
            client.configureBlocking(false);
            client.setOption(StandardSocketOptions.TCP_NODELAY, true);
            Transport t = config.tls() == null ? Transport.plain(client) : Transport.tls(TlsChannel.server(client, config.tls()));
            EventLoop loop = loops.next();
            ClientConnection c = new ClientConnection(this, upstreams.get(loop), t);
            connections.add(c);
            try {
                loop.execute(c::start);
            } catch (IllegalStateException e) {
                connections.remove(c);
                t.close();
            }
        }
    }

    void connectionClosed(ClientConnection c) {
        connections.remove(c);
    }

    /** Stops listening and closes every connection and the loops at once ({@link #shutdown} drains first). */
    @Override
    public void close() {
        closing.set(true);
        try {
            server.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "closing listener", e);
        }
        closeConnectionsAndLoops();
    }

    private void closeConnectionsAndLoops() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (ClientConnection c : connections) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            try {
                c.loop().execute(() -> {
                    c.close();
                    f.complete(null);
                });
                done.add(f);
            } catch (IllegalStateException e) {
                // loop already gone
            }
        }
        try {
            CompletableFuture.allOf(done.toArray(new CompletableFuture<?>[0])).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.log(Level.WARNING, "connections did not all close in time: " + e);
        }
        loops.close();
    }
}
