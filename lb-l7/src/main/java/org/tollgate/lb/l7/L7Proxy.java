package org.tollgate.lb.l7;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
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
    /** The listener's key (accepts on the first loop). */
    private volatile SelectionKey acceptKey;
    /** Accepting stopped at {@link ProxyConfig#maxConnections()}; the first close below it resumes. */
    private final AtomicBoolean acceptPaused = new AtomicBoolean();
    final Stats stats = new Stats();
    /** The configuration in force, with the count of exchanges that started under it. */
    private volatile InForce current;
    private volatile RateLimiter rateLimiter;
    /** Open (admitted) connections per client address, when there is a per-client limit. */
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perClient = new ConcurrentHashMap<>();

    /** Counters shared by the loops (live; {@link L7Proxy#snapshot()} copies them out with the pools' state). */
    public static final class Stats {
        final AtomicLong accepted = new AtomicLong();
        final AtomicLong requests = new AtomicLong();
        final AtomicLong backendFailures = new AtomicLong();
        final AtomicLong reloads = new AtomicLong();
        private final Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
        private final Map<Integer, AtomicLong> refusals = new ConcurrentHashMap<>();
        private final Map<Refusal, AtomicLong> reasons = new EnumMap<>(Refusal.class);
        /** Keyed by identity (Backend does not override equals): two pools may have backends of one name. */
        private final Map<Backend, BackendCounters> perBackend = new ConcurrentHashMap<>();

        static final class BackendCounters {
            final LongAdder requests = new LongAdder();
            final LongAdder failures = new LongAdder();
        }

        Stats() {
            for (Refusal r : Refusal.values()) {
                reasons.put(r, new AtomicLong());
            }
        }

        void responded(int status) {
            statuses.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
        }

        void refused(Refusal reason, int status) {
            reasons.get(reason).incrementAndGet();
            refusals.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
        }

        void forwarded(Backend b) {
            counters(b).requests.increment();
        }

        void backendFailed(Backend b) {
            counters(b).failures.increment();
        }

        BackendCounters counters(Backend b) {
            BackendCounters c = perBackend.get(b); // no lock on the hot path once the entry exists
            return c != null ? c : perBackend.computeIfAbsent(b, k -> new BackendCounters());
        }

        /** {@return the number of client connections accepted} */
        public long accepted() {
            return accepted.get();
        }

        /** {@return the number of request heads parsed and accepted} */
        public long requests() {
            return requests.get();
        }

        /** {@return the number of connect failures, resets, timeouts and invalid responses from backends} */
        public long backendFailures() {
            return backendFailures.get();
        }

        /**
         * Responses sent to clients with {@code status} (from backends or our own).
         * @param status an HTTP status code
         * @return the number of responses with it
         */
        public long responses(int status) {
            AtomicLong n = statuses.get(status);
            return n == null ? 0 : n.get();
        }

        /**
         * Requests refused by the parser, a filter or a limit with {@code status}.
         * @param status an HTTP status code
         * @return the number of refusals with it
         */
        public long refusals(int status) {
            AtomicLong n = refusals.get(status);
            return n == null ? 0 : n.get();
        }

        /**
         * Requests refused for {@code reason}.
         * @param reason why requests were refused
         * @return the number refused for it
         */
        public long refusals(Refusal reason) {
            return reasons.get(reason).get();
        }

        /**
         * Configurations put in force by {@link L7Proxy#reload(ProxyConfig)}.
         *
         * @return the number of reloads
         */
        public long reloads() {
            return reloads.get();
        }

        /**
         * Attempts sent to backends named {@code name} (retries included), over all pools.
         * @param name a backend's name
         * @return the number of attempts sent to it
         */
        public long forwardedTo(String name) {
            long n = 0;
            for (Map.Entry<Backend, BackendCounters> e : perBackend.entrySet()) {
                if (e.getKey().name().equals(name)) {
                    n += e.getValue().requests.sum();
                }
            }
            return n;
        }
    }

    /**
     * A configuration put in force, and the exchanges that started under it. When a reload
     * replaces it and its last exchange has finished, its pools are released (their health
     * checkers stop and their balancers stop listening to the backends the next
     * configuration reuses), unless the next configuration holds them too.
     */
    static final class InForce {
        final ProxyConfig config;
        private int exchanges;
        private boolean retired;
        private boolean released;

        InForce(ProxyConfig config) {
            this.config = config;
            config.pools().values().forEach(BackendPool::acquire);
        }

        /** An exchange starts under this configuration; false once it has been released (read the next). */
        synchronized boolean enter() {
            if (released) {
                return false;
            }
            exchanges++;
            return true;
        }

        /** An exchange that {@link #enter() entered} has ended. */
        void leave() {
            boolean release;
            synchronized (this) {
                exchanges--;
                release = releasable();
            }
            if (release) {
                releasePools();
            }
        }

        /** Replaced by another configuration (or the proxy stopped): released once no exchange holds it. */
        void retire() {
            boolean release;
            synchronized (this) {
                retired = true;
                release = releasable();
            }
            if (release) {
                releasePools();
            }
        }

        private boolean releasable() {
            if (retired && exchanges == 0 && !released) {
                released = true;
                return true;
            }
            return false;
        }

        private void releasePools() {
            config.pools().values().forEach(BackendPool::release);
        }

        /** {@return true once its pools have been released} */
        synchronized boolean isReleased() {
            return released;
        }
    }

    private L7Proxy(ProxyConfig config) throws IOException {
        this.config = config;
        this.loops = new EventLoopGroup(config.eventLoops(), "lb-l7");
        for (EventLoop l : loops.loops()) {
            upstreams.put(l, new UpstreamPool(l, this));
        }
        TrafficPolicy.RateLimit limit = config.traffic().rateLimit();
        this.rateLimiter = limit == null ? null : new RateLimiter(limit, System::nanoTime);
        try {
            // pools (and their health checkers) first: ready before any connection can use them
            current = new InForce(config);
            server = ServerSocketChannel.open();
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(config.listen(), 1024);
            bound = (InetSocketAddress) server.getLocalAddress();
            acceptKey = loops.loops().get(0).register(server, SelectionKey.OP_ACCEPT, key -> acceptReady()).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            if (current != null) {
                current.retire();
            }
            loops.close();
            if (e instanceof IOException) {
                throw (IOException) e;
            }
            throw new IOException("could not listen on " + config.listen() + ": " + e, e);
        }
        LOG.log(Level.INFO, "lb-l7 listening on " + localAddress() + (config.tls() != null ? " (TLS)" : "")
                + " with " + config.routes().size() + " routes over " + config.pools().size() + " pools");
    }

    /**
     * Binds the listening socket and starts the event loops.
     * @param config the configuration
     * @return the running proxy
     * @throws IOException when the address cannot be bound
     */
    public static L7Proxy start(ProxyConfig config) throws IOException {
        return new L7Proxy(Objects.requireNonNull(config));
    }

    /** {@return the address the proxy listens on (with the port chosen when the configuration asked for port 0); still known after close} */
    public InetSocketAddress localAddress() {
        return bound;
    }

    /**
     * The configuration in force: the one given to {@link #start} or the last {@link #reload}.
     *
     * @return the configuration
     */
    public ProxyConfig config() {
        return config;
    }

    /**
     * Puts {@code next} in force without touching open connections: requests whose head
     * is parsed from now on are routed by its routes to its pools (with its filters and
     * limits), connections accepted from now on get its TLS settings, and exchanges in
     * flight finish with the pools they started with. Pools with health checks get new
     * checkers (a backend kept from the old configuration keeps its state); the old
     * configuration's pools are released when its last exchange has finished: their
     * checkers stop and their balancers stop listening to the backends. The listening
     * address and the number of event loops cannot change (start another proxy for that).
     *
     * @param next the configuration to put in force
     * @throws IllegalArgumentException if {@code next} listens elsewhere or wants another loop count
     */
    public synchronized void reload(ProxyConfig next) {
        Objects.requireNonNull(next);
        ProxyConfig now = config;
        if (!next.listen().equals(now.listen())) {
            throw new IllegalArgumentException("a reload cannot move the listener from " + now.listen() + " to " + next.listen());
        }
        if (next.eventLoops() != now.eventLoops()) {
            throw new IllegalArgumentException("a reload cannot change the number of event loops");
        }
        InForce old = current;
        InForce replacement = new InForce(next);
        TrafficPolicy.RateLimit limit = next.traffic().rateLimit();
        if (!Objects.equals(limit, now.traffic().rateLimit())) {
            rateLimiter = limit == null ? null : new RateLimiter(limit, System::nanoTime);
        }
        current = replacement;
        config = next;
        old.retire();
        if (acceptPaused.get() && connections.size() < next.maxConnections() && acceptPaused.compareAndSet(true, false)) {
            resumeAccepting(); // a higher connection limit
        }
        stats.reloads.incrementAndGet();
        LOG.log(Level.INFO, "lb-l7 on " + localAddress() + " reloaded: " + next.routes().size() + " routes over "
                + next.pools().size() + " pools");
    }

    /** {@return the live counters} */
    public Stats stats() {
        return stats;
    }

    /** {@return the counters and every pool's and backend's state now, as plain records (for stats pages and metrics)} */
    public StatsSnapshot snapshot() {
        Map<Integer, Long> responses = new TreeMap<>();
        for (int status : stats.statuses.keySet()) {
            responses.put(status, stats.responses(status));
        }
        Map<Refusal, Long> refusals = new EnumMap<>(Refusal.class);
        for (Refusal r : Refusal.values()) {
            refusals.put(r, stats.refusals(r));
        }
        List<StatsSnapshot.PoolStats> pools = new ArrayList<>();
        for (BackendPool pool : current.config.pools().values()) {
            PoolHealth health = pool.health();
            List<StatsSnapshot.BackendStats> backends = new ArrayList<>();
            for (Backend b : pool.backends()) {
                Stats.BackendCounters c = stats.counters(b);
                backends.add(new StatsSnapshot.BackendStats(b.name(), b.address(), b.state(), b.weight(), b.activeConnections(),
                        c.requests.sum(), c.failures.sum(), health == null ? 0 : health.checks(b),
                        health == null ? null : health.lastFailure(b)));
            }
            pools.add(new StatsSnapshot.PoolStats(pool.name(), pool.algorithmName(),
                    pool.stickyCookie() == null ? null : pool.stickyCookie().name(), List.copyOf(backends)));
        }
        return new StatsSnapshot(stats.accepted(), connections.size(), stats.requests(), stats.backendFailures(),
                Collections.unmodifiableMap(responses), Collections.unmodifiableMap(refusals), List.copyOf(pools));
    }

    /**
     * The configuration in force, entered by an exchange that starts now; the exchange
     * calls {@link InForce#leave()} when it ends.
     */
    InForce enterExchange() {
        while (true) {
            InForce c = current;
            if (c.enter()) {
                return c;
            }
        }
    }

    /** The configuration in force now (for tests). */
    InForce inForce() {
        return current;
    }

    /** Takes a token for {@code client}: 0, or the seconds to wait when the rate limit refuses. */
    long rateLimit(InetAddress client) {
        RateLimiter r = rateLimiter;
        return r == null ? 0 : r.acquire(client);
    }

    /**
     * Whether a new connection from {@code client} may come in: null, or the refusal its
     * first request gets. An admitted connection is counted until {@link #released(InetAddress)}.
     */
    private Refusal admit(InetAddress client) {
        TrafficPolicy t = config.traffic();
        Refusal r = t.checkAddress(client);
        if (r != null || t.maxConnectionsPerClient() == 0) {
            return r;
        }
        int max = t.maxConnectionsPerClient();
        boolean[] admitted = {false};
        perClient.compute(client, (k, n) -> {
            AtomicInteger count = n == null ? new AtomicInteger() : n;
            if (count.get() < max) {
                count.incrementAndGet();
                admitted[0] = true;
            }
            return count;
        });
        return admitted[0] ? null : Refusal.TOO_MANY_CONNECTIONS;
    }

    /** An admitted connection from {@code client} closed. */
    void released(InetAddress client) {
        if (config.traffic().maxConnectionsPerClient() > 0) {
            perClient.computeIfPresent(client, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
        }
    }

    /** {@return client connections open now} */
    public int openConnections() {
        return connections.size();
    }

    /** The client connections open now (for tests). */
    Set<ClientConnection> connectionSet() {
        return connections;
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
     * @param grace how long requests in flight may take to finish
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
        while (true) {
            if (connections.size() >= config.maxConnections()) {
                pauseAccepting();
                return;
            }
            client = server.accept();
            if (client == null) {
                return;
            }
            stats.accepted.incrementAndGet();
            InetAddress address;
            Transport t;
            try {
                InetSocketAddress remote = (InetSocketAddress) client.getRemoteAddress();
                if (remote == null) {
                    throw new IOException("the client is already gone");
                }
                address = Cidr.canonical(remote.getAddress());
                client.configureBlocking(false);
                client.setOption(StandardSocketOptions.TCP_NODELAY, true);
                t = config.tls() == null ? Transport.plain(client) : Transport.tls(TlsChannel.server(client, config.tls()));
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "accepted connection failed at once: " + e.getMessage());
                BackendConnection.closeQuietly(client);
                continue;
            }
            EventLoop loop = loops.next();
            Refusal refusal = admit(address);
            ClientConnection c = new ClientConnection(this, upstreams.get(loop), t, address, refusal);
            connections.add(c);
            try {
                loop.execute(c::start);
            } catch (IllegalStateException e) {
                connections.remove(c);
                if (refusal == null) {
                    released(address);
                }
                t.close();
            }
        }
    }

    void connectionClosed(ClientConnection c) {
        connections.remove(c);
        if (acceptPaused.get() && connections.size() < config.maxConnections() && acceptPaused.compareAndSet(true, false)) {
            resumeAccepting();
        }
    }

    /**
     * At the connection limit: stop accepting (HAProxy's maxconn), so new clients wait in the
     * kernel's listen backlog rather than being accepted and turned away. Loop thread.
     */
    private void pauseAccepting() {
        SelectionKey k = acceptKey;
        if (k != null && k.isValid()) {
            k.interestOps(0);
        }
        if (acceptPaused.compareAndSet(false, true)) {
            LOG.log(Level.INFO, "lb-l7 on " + localAddress() + ": " + connections.size() + " connections open, the most allowed ("
                    + config.maxConnections() + "): new clients wait in the listen backlog");
        }
        // a connection may have closed between the count and the pause: look again
        if (connections.size() < config.maxConnections() && acceptPaused.compareAndSet(true, false)) {
            resumeAccepting();
        }
    }

    private void resumeAccepting() {
        try {
            loops.loops().get(0).execute(() -> {
                SelectionKey k = acceptKey;
                if (k != null && k.isValid() && !closing.get()) {
                    k.interestOps(SelectionKey.OP_ACCEPT);
                }
            });
        } catch (IllegalStateException e) {
            // the loop is closing
        }
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
        current.retire();
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
