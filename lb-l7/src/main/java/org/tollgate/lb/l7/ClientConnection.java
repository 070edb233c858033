package org.tollgate.lb.l7;

import java.io.EOFException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.balance.Balancer;
import org.tollgate.lb.l7.http.BodyFraming;
import org.tollgate.lb.l7.http.HttpException;
import org.tollgate.lb.l7.http.HttpHeaders;
import org.tollgate.lb.l7.http.HttpParser;
import org.tollgate.lb.l7.http.HttpVersion;
import org.tollgate.lb.l7.http.RequestHead;
import org.tollgate.lb.l7.http.ResponseHead;
import org.tollgate.tls.nio.EventLoop;

/**
 * One client connection and the exchange in progress on it, on one event loop thread.
 *
 * <ol>
 * <li>{@code READ_HEAD}: read and parse until a request head is complete (408 if that
 *     takes longer than the header timeout). Pipelined requests wait in the input buffer
 *     (and then in TCP) until the current response is done, so responses keep their order.</li>
 * <li>Check the {@link TrafficPolicy} (address lists and the per-client connection limit were
 *     decided at accept; rate limit, method, path now): a refusal is answered and closes.</li>
 * <li>Route the head to a pool, pick a backend (the sticky cookie's, or the pool's balancer's), take a keep-alive
 *     connection from the {@link UpstreamPool} or open one, send the rewritten head
 *     (hop-by-hop fields removed, X-Forwarded-For / -Proto and Forwarded added), then
 *     stream the body: chunked bodies are re-chunked, so what the backend reads is framed
 *     exactly as we parsed it.</li>
 * <li>Stream the response back the same way. Backpressure both ways: a side is read only
 *     when what was read before has been passed on.</li>
 * <li>When the backend fails before its first response byte: connect failures try the
 *     next backend; a request already sent is retried once on another backend if it is
 *     idempotent and has no body; otherwise 502. No backend up: 503 with Retry-After.
 *     Backend silent for the backend timeout: 504. After the response started, a failure
 *     can only cut the client connection.</li>
 * <li>An {@code Upgrade} request (WebSocket) answered with 101 turns the connection into a
 *     tunnel: raw bytes both ways until both sides have closed (RFC 9110 §7.8). Any other
 *     answer is an ordinary response.</li>
 * </ol>
 * Each exchange ends in exactly one access log line ({@link AccessLogLine}).
 */
final class ClientConnection {
    private static final System.Logger LOG = System.getLogger(ClientConnection.class.getName());
    private static final int BUFFER = 16 * 1024;
    /**
     * Most bytes held for one direction: a side is read only when the queue towards the
     * other side has room for a whole read (and its chunk framing) below this.
     */
    static final int HIGH_WATER = 64 * 1024;
    /** Chunk framing we may add to one read's bytes beyond the framing they came with (a chunk split by the read). */
    private static final int CHUNK_FRAMING = 32;
    private static final Duration LINGER = Duration.ofSeconds(2);

    private enum State { READ_HEAD, EXCHANGE, TUNNEL, CLOSING, LINGER, CLOSED }

    private final L7Proxy proxy;
    private final UpstreamPool upstreams;
    private final EventLoop loop;
    private final Transport transport;
    private final InetAddress clientAddress;
    private final int clientPort;
    /** Decided at accept: null, or why every request on this connection is refused. */
    private final Refusal admission;
    private final ByteBuffer in = ByteBuffer.allocate(BUFFER).flip();
    private final ByteQueue out = new ByteQueue(BUFFER);
    private final HttpParser parser;
    private SelectionKey key;
    private State state = State.READ_HEAD;
    private boolean clientEof;
    /** The header timer, or (while {@link #keptAliveIdle}) the idle keep-alive timer. */
    private EventLoop.Timer headerTimer;
    /** Between a response and the first byte of the next request. */
    private boolean keptAliveIdle;
    private EventLoop.Timer backendTimer;
    private EventLoop.Timer lingerTimer;
    private long upstreamActivity;
    /** Most bytes ever held towards the client (queue plus the backend read buffer), for the backpressure test. */
    private volatile int peakBufferedToClient;

    // the exchange in progress
    private RequestHead request;
    private byte[] upstreamHead;
    private BackendPool pool;
    /** The configuration the exchange in progress started under (held until it ends), or null. */
    private L7Proxy.InForce inForce;
    private final Set<Backend> tried = new HashSet<>();
    private Backend backend;
    private BackendConnection upstream;
    private boolean retried;
    private boolean headSent;        // the request head was queued to the current upstream
    private boolean requestDone;     // the whole request went to the upstream queue
    private boolean responseStarted; // a byte came from the backend
    private boolean responseHeadSent;
    private boolean chunkedToClient;
    private boolean closeAfter;
    private boolean continueSent;
    private String stickyIn;         // the request's sticky cookie value, or null
    private String stickyNote;       // what the sticky cookie did, for --explain
    private boolean upgradeRequested;
    private boolean connectFailed;   // the last attempt failed to connect (access log: SC rather than SH)
    private StringBuilder explain;

    // the upgraded connection (TUNNEL)
    private boolean upstreamEof;
    private boolean upstreamShut;
    private EventLoop.Timer tunnelTimer;
    private long tunnelActivity;

    // for the access log line of the exchange in progress
    private long headStart;          // nanoTime of its first byte, 0 before
    private long headStartMillis;
    private long headDone;
    private long connectStart;
    private long connectDone;        // 0: not connected (yet)
    private long firstByte;
    private int status;
    private long bodyBytes;
    private String termination;      // set before an abnormal close
    private boolean logged = true;   // nothing to log until a request starts

    ClientConnection(L7Proxy proxy, UpstreamPool upstreams, Transport transport, InetAddress clientAddress, Refusal admission) {
        this.proxy = proxy;
        this.upstreams = upstreams;
        this.loop = upstreams.loop();
        this.transport = transport;
        this.clientAddress = clientAddress;
        int port;
        try {
            port = ((InetSocketAddress) transport.socket().getRemoteAddress()).getPort();
        } catch (IOException | NullPointerException e) {
            port = 0;
        }
        this.clientPort = port;
        this.admission = admission;
        this.parser = HttpParser.forRequests(proxy.config().requestLimits());
    }

    EventLoop loop() {
        return loop;
    }

    /** On the loop thread. */
    void start() {
        loop.register(transport.socket(), SelectionKey.OP_READ, k -> drive()).whenComplete((k, failure) -> {
            if (failure != null) {
                close();
                return;
            }
            key = k;
            armHeaderTimer();
            drive();
        });
    }

    // ------------------------------------------------------------------ the pump

    /** Moves whatever can move now, on both sides, then sets the interest ops. */
    void drive() {
        if (state == State.CLOSED) {
            return;
        }
        try {
            for (int round = 0; round < 32; round++) {
                boolean progress = flushClient();
                progress |= flushUpstream();
                if (wantClientRead()) {
                    progress |= readClient();
                }
                progress |= processClientInput();
                if (wantUpstreamRead()) {
                    progress |= readUpstream();
                }
                progress |= processUpstreamInput();
                noteBufferedToClient();
                if (state == State.TUNNEL) {
                    progress |= pumpTunnel();
                }
                if (state == State.CLOSED) {
                    return;
                }
                if (state == State.CLOSING && out.isEmpty() && !transport.wantsWrite()) {
                    startLinger();
                    progress = true;
                }
                if (!progress) {
                    updateInterest();
                    return;
                }
            }
            // Still busy: let the other connections of this loop have a turn, then come back
            // (a TLS channel may hold decrypted bytes that no OP_READ will announce).
            updateInterest();
            loop.execute(this::drive);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "client " + clientAddress.getHostAddress() + ": " + e.getMessage());
            close();
        }
    }

    private boolean wantClientRead() {
        if (clientEof) {
            return false;
        }
        switch (state) {
            case READ_HEAD:
                return in.limit() < in.capacity() || in.position() > 0;
            case EXCHANGE:
                return !requestDone && upstream != null && upstream.connected && headSent
                        && roomForRead(upstream.out, in.capacity()) && !in.hasRemaining();
            case TUNNEL:
                return upstream != null && !in.hasRemaining() && roomForRead(upstream.out, in.capacity());
            case LINGER:
                return true;
            default:
                return false;
        }
    }

    private boolean wantUpstreamRead() {
        return upstream != null && upstream.connected && !upstream.closed && headSent && !upstreamEof
                && !upstream.in.hasRemaining() && roomForRead(out, upstream.in.capacity());
    }

    /** Whether a read of up to {@code capacity} bytes, once queued in {@code q}, keeps it within {@link #HIGH_WATER}. */
    private static boolean roomForRead(ByteQueue q, int capacity) {
        return q.size() + capacity + CHUNK_FRAMING <= HIGH_WATER;
    }

    /** Bytes held towards the client now: the queue and what the backend read buffer still holds. */
    private void noteBufferedToClient() {
        BackendConnection u = upstream;
        int held = out.size() + (u == null ? 0 : u.in.remaining());
        if (held > peakBufferedToClient) {
            peakBufferedToClient = held;
        }
    }

    /** {@return the most bytes this connection has held towards its client at once} */
    int peakBufferedToClient() {
        return peakBufferedToClient;
    }

    private boolean readClient() throws IOException {
        in.compact();
        int n;
        try {
            n = transport.read(in);
        } finally {
            in.flip();
        }
        if (n > 0) {
            tunnelActivity = System.nanoTime();
            return true;
        }
        if (n == 0) {
            return false;
        }
        clientEof = true;
        switch (state) {
            case READ_HEAD:
            case LINGER:
                termination = "CR";
                close(); // gone between requests, or in the middle of a head: nobody to answer
                break;
            case EXCHANGE:
                if (!requestDone) {
                    LOG.log(Level.DEBUG, "client " + clientAddress.getHostAddress() + " left in the middle of its request");
                    termination = "CR";
                    close();
                } else {
                    closeAfter = true; // finish the response, then close
                }
                break;
            case TUNNEL:
                break; // pumpTunnel passes the end on to the backend
            default:
                break;
        }
        return true;
    }

    private boolean flushClient() throws IOException {
        if (out.isEmpty() && !transport.wantsWrite()) {
            return false;
        }
        int before = out.size();
        out.writeTo(transport);
        return out.size() != before;
    }

    private boolean flushUpstream() {
        BackendConnection u = upstream;
        if (u == null || !u.connected || u.closed || (u.out.isEmpty() && !u.transport.wantsWrite())) {
            return false; // nothing queued, and nothing held inside a TLS transport either
        }
        int before = u.out.size();
        try {
            u.out.writeTo(u.transport);
        } catch (IOException e) {
            upstreamFailed(u, e, false);
            return true;
        }
        if (u.out.size() != before) {
            upstreamActivity = System.nanoTime();
            return true;
        }
        return false;
    }

    private boolean readUpstream() {
        BackendConnection u = upstream;
        u.in.compact();
        int n;
        try {
            n = u.transport.read(u.in);
        } catch (IOException e) {
            u.in.flip();
            upstreamFailed(u, e, false);
            return true;
        }
        u.in.flip();
        if (n == 0) {
            return false;
        }
        upstreamActivity = System.nanoTime();
        if (n > 0) {
            if (!responseStarted) {
                firstByte = upstreamActivity;
            }
            responseStarted = true;
            tunnelActivity = upstreamActivity;
            return true;
        }
        if (state == State.TUNNEL) {
            upstreamEof = true;
            return true;
        }
        upstreamEof(u);
        return true;
    }

    private void updateInterest() {
        if (state == State.CLOSED || key == null || !key.isValid()) {
            return;
        }
        int ops = (wantClientRead() ? SelectionKey.OP_READ : 0)
                | (!out.isEmpty() || transport.wantsWrite() ? SelectionKey.OP_WRITE : 0);
        if (key.interestOps() != ops) {
            key.interestOps(ops);
        }
        BackendConnection u = upstream;
        if (u != null && u.connected && !u.closed) {
            u.interest((wantUpstreamRead() ? SelectionKey.OP_READ : 0)
                    | (u.out.isEmpty() && !u.transport.wantsWrite() ? 0 : SelectionKey.OP_WRITE));
        }
    }

    // ------------------------------------------------------------------ upgraded connections

    /**
     * Moves raw bytes both ways once the backend said 101 (RFC 9110 §15.2.2): whatever the
     * client sent after its request head goes first. An end of stream on one side is passed
     * on as a half-close to the other once its bytes are out; when both sides have ended
     * and everything is written, the connection closes.
     */
    private boolean pumpTunnel() throws IOException {
        BackendConnection u = upstream;
        boolean progress = false;
        if (in.hasRemaining() && u.out.size() < HIGH_WATER) {
            u.out.append(in);
            progress = true;
        }
        if (u.in.hasRemaining() && out.size() < HIGH_WATER) {
            bodyBytes += u.in.remaining();
            out.append(u.in);
            progress = true;
        }
        if (clientEof && !in.hasRemaining() && u.out.isEmpty() && !u.transport.wantsWrite() && !upstreamShut) {
            upstreamShut = true;
            try {
                u.transport.shutdownOutput(); // FIN, or for an HTTPS backend close_notify (RFC 8446 §6.1)
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "tunnel: the backend is already gone: " + e.getMessage());
            }
            progress = true;
        }
        if (upstreamEof && !u.in.hasRemaining() && out.isEmpty() && !transport.wantsWrite() && !clientEof) {
            // the backend has finished: end our direction and wait for the client's end
            if (!closeAfter) {
                closeAfter = true;
                transport.shutdownOutput();
                progress = true;
            }
        }
        if (clientEof && upstreamEof && upstreamShut && out.isEmpty() && !transport.wantsWrite() && !u.transport.wantsWrite()) {
            termination = "--";
            close();
            return true;
        }
        return progress;
    }

    private void armTunnelTimer() {
        cancel(tunnelTimer);
        long limit = proxy.config().tunnelIdleTimeout().toNanos();
        long quiet = System.nanoTime() - tunnelActivity;
        tunnelTimer = loop.schedule(Duration.ofNanos(Math.max(1, limit - quiet)), () -> {
            if (state != State.TUNNEL) {
                return;
            }
            if (System.nanoTime() - tunnelActivity < limit) {
                armTunnelTimer();
                return;
            }
            LOG.log(Level.INFO, "tunnel from " + clientAddress.getHostAddress() + " idle for "
                    + proxy.config().tunnelIdleTimeout().toMillis() + " ms: closing");
            termination = "cD";
            close();
        });
    }

    // ------------------------------------------------------------------ requests

    private boolean processClientInput() {
        if (state == State.LINGER) {
            in.position(in.limit()); // discard: we are only draining before close
            return false;
        }
        if (state == State.READ_HEAD) {
            if (headStart == 0 && in.hasRemaining()) {
                beginLog();
                if (keptAliveIdle) {
                    armHeaderTimer(); // the next request has started: its head gets the header timeout from now
                }
            }
            try {
                if (parser.next(in) == HttpParser.Event.HEAD) {
                    startExchange(parser.request());
                    return true;
                }
            } catch (HttpException e) {
                proxy.stats.refused(Refusal.INVALID_REQUEST, e.status());
                LOG.log(Level.INFO, "refused request from " + clientAddress.getHostAddress() + ": " + e);
                sendError(e.status(), e.getMessage(), 0, null, "PR");
                return true;
            }
            return false;
        }
        if (state != State.EXCHANGE || requestDone || upstream == null || !upstream.connected || !headSent) {
            return false;
        }
        boolean progress = false;
        try {
            while (upstream != null && upstream.out.size() < HIGH_WATER) {
                HttpParser.Event e = parser.next(in);
                if (e == HttpParser.Event.NEED_MORE) {
                    return progress;
                }
                progress = true;
                if (e == HttpParser.Event.BODY) {
                    if (request.framing() == BodyFraming.CHUNKED) {
                        upstream.out.appendChunk(parser.body());
                    } else {
                        upstream.out.append(parser.body());
                    }
                } else if (e == HttpParser.Event.END) {
                    if (request.framing() == BodyFraming.CHUNKED) {
                        HttpHeaders trailers = parser.trailers();
                        trailers.removeHopByHop();
                        upstream.out.append("0\r\n" + trailers + "\r\n");
                    }
                    requestDone = true;
                    return true;
                }
            }
        } catch (HttpException e) {
            proxy.stats.refused(Refusal.INVALID_REQUEST, e.status());
            LOG.log(Level.INFO, "refused request body from " + clientAddress.getHostAddress() + ": " + e);
            sendError(e.status(), e.getMessage(), 0, null, "PR");
            return true;
        }
        return progress;
    }

    private void startExchange(RequestHead req) {
        cancel(headerTimer);
        proxy.stats.requests.incrementAndGet();
        request = req;
        headDone = System.nanoTime();
        tried.clear();
        retried = false;
        headSent = false;
        requestDone = false;
        responseStarted = false;
        responseHeadSent = false;
        continueSent = false;
        stickyIn = null;
        stickyNote = null;
        explain = null;
        pool = null;
        closeAfter = !req.keepAlive();
        state = State.EXCHANGE;
        if (refused(req)) {
            return;
        }
        if (req.method().equals("CONNECT")) {
            sendError(501, "CONNECT is not supported by this reverse proxy", 0, null, "PR");
            return;
        }
        inForce = proxy.enterExchange();
        if (inForce.config.explain() != null) {
            explain = L7Explain.routes(clientAddress, clientPort, req, inForce.config.routes());
        }
        pool = inForce.config.route(req);
        if (pool == null) {
            emitExplain();
            refuse(Refusal.NO_ROUTE, 404, "no route for " + req.method() + " " + req.path(), 0, null);
            return;
        }
        // RFC 9110 §7.8: Upgrade is hop-by-hop, and ignored in HTTP/1.0.
        upgradeRequested = req.version() == HttpVersion.HTTP_1_1 && req.headers().contains("upgrade")
                && req.headers().hasToken("connection", "upgrade");
        StickyCookie sticky = pool.stickyCookie();
        if (sticky != null) {
            stickyIn = req.headers().cookie(sticky.name());
        }
        upstreamHead = upstreamHead(req);
        connectUpstream();
    }

    /** The traffic filters, in {@link TrafficPolicy}'s order; true when the request was refused. */
    private boolean refused(RequestHead req) {
        TrafficPolicy t = proxy.config().traffic();
        if (admission == Refusal.TOO_MANY_CONNECTIONS) {
            refuse(admission, 503, clientAddress.getHostAddress() + " has " + t.maxConnectionsPerClient()
                    + " connections open, the most allowed", proxy.config().retryAfterSeconds(), null);
            return true;
        }
        if (admission != null) {
            refuse(admission, 403, "requests from " + clientAddress.getHostAddress() + " are not accepted", 0, null);
            return true;
        }
        long wait = proxy.rateLimit(clientAddress);
        if (wait > 0) {
            refuse(Refusal.RATE_LIMITED, 429, "too many requests from " + clientAddress.getHostAddress()
                    + "; try again in " + wait + " s", wait, null);
            return true;
        }
        Refusal m = t.checkMethod(req.method());
        if (m == Refusal.METHOD_NOT_ALLOWED) {
            // RFC 9110 §15.5.6: a 405 carries Allow
            refuse(m, 405, "method " + req.method() + " is not allowed here", 0, "Allow: " + t.allowHeader());
            return true;
        }
        if (m != null) {
            refuse(m, 501, "method " + req.method() + " is not recognized", 0, null);
            return true;
        }
        String pattern = t.deniedPattern(req.path());
        if (pattern != null) {
            refuse(Refusal.PATH_DENIED, 403, "the path " + req.path() + " is not served", 0, null);
            LOG.log(Level.DEBUG, "path " + req.path() + " met the deny pattern " + pattern);
            return true;
        }
        return false;
    }

    /** Counts, logs and answers a refusal by the proxy; the connection closes after it. */
    private void refuse(Refusal reason, int status, String message, long retryAfter, String extraHeader) {
        proxy.stats.refused(reason, status);
        LOG.log(Level.INFO, "refused " + request.method() + " " + request.path() + " from " + clientAddress.getHostAddress()
                + " (" + reason.label() + ", " + status + "): " + message);
        if (reason != Refusal.NO_ROUTE && proxy.config().explain() != null) {
            proxy.config().explain().accept("explain " + clientAddress.getHostAddress() + ":" + clientPort + " \""
                    + request.method() + " " + request.target() + " " + request.version().text() + "\"\n  refused before routing: "
                    + reason.label() + " (" + status + "): " + message);
        }
        sendError(status, message, retryAfter, extraHeader, reason == Refusal.NO_ROUTE ? "LR" : "PR");
    }

    /** The head as the backend gets it (RFC 9110 §7.6: a proxy's duties). */
    private byte[] upstreamHead(RequestHead req) {
        HttpHeaders h = new HttpHeaders(req.headers());
        h.removeHopByHop();
        h.remove("expect"); // we answer 100-continue ourselves and send the body straight on
        boolean trusted = proxy.config().trustedProxies().contains(clientAddress);
        String ip = clientAddress.getHostAddress();
        String xff = trusted ? String.join(", ", h.getAll("x-forwarded-for")) : "";
        String fwd = trusted ? String.join(", ", h.getAll("forwarded")) : "";
        h.remove("x-forwarded-for");
        h.remove("x-forwarded-proto");
        h.remove("forwarded");
        h.add("X-Forwarded-For", xff.isEmpty() ? ip : xff + ", " + ip);
        h.add("X-Forwarded-Proto", transport.scheme());
        // RFC 7239 §4-§6: IPv6 addresses are bracketed and quoted; values other than tokens quoted.
        String node = clientAddress instanceof Inet6Address ? "\"[" + ip + "]\"" : ip;
        StringBuilder f = new StringBuilder("for=").append(node).append(";proto=").append(transport.scheme());
        String host = req.headers().get("host");
        if (host != null) {
            f.append(";host=\"").append(host.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
        h.add("Forwarded", fwd.isEmpty() ? f.toString() : fwd + ", " + f);
        if (req.framing() == BodyFraming.CHUNKED) {
            h.add("Transfer-Encoding", "chunked");
        }
        if (upgradeRequested) {
            h.add("Connection", "Upgrade");
            h.add("Upgrade", req.headers().get("upgrade"));
        }
        if (pool.stickyCookie() != null && stickyIn != null) {
            removeCookie(h, pool.stickyCookie().name()); // ours, not the application's (HAProxy's "indirect")
        }
        // We always speak HTTP/1.1 to backends and keep the connection (RFC 9112 §9.3).
        return new RequestHead(req.method(), req.target(), HttpVersion.HTTP_1_1, h, req.framing(),
                req.contentLength(), true, false).toBytes();
    }

    /** Removes cookie {@code name} from the Cookie lines (RFC 6265 §5.4 syntax), dropping lines left empty. */
    private static void removeCookie(HttpHeaders h, String name) {
        java.util.List<String> lines = h.getAll("cookie");
        h.remove("cookie");
        for (String line : lines) {
            StringBuilder kept = new StringBuilder();
            for (String pair : line.split(";")) {
                String p = pair.trim();
                int eq = p.indexOf('=');
                if (p.isEmpty() || (eq > 0 && p.substring(0, eq).trim().equals(name))) {
                    continue;
                }
                kept.append(kept.length() == 0 ? "" : "; ").append(p);
            }
            if (kept.length() > 0) {
                h.add("Cookie", kept.toString());
            }
        }
    }

    /** Picks the backend (sticky cookie first, then the balancer) and starts the attempt. */
    private void connectUpstream() {
        Optional<Backend> choice = Optional.empty();
        String why = null;
        if (tried.size() < 3) {
            Backend sticky = tried.isEmpty() ? stickyBackend() : null;
            if (sticky != null) {
                choice = Optional.of(sticky);
                why = "sticky cookie " + pool.stickyCookie().name() + " keeps this client on " + sticky.name();
            } else if (explain != null) {
                Balancer.Decision d = pool.balancer().decide(clientAddress, tried);
                choice = d.backend();
                why = d.why();
            } else {
                choice = pool.balancer().choose(clientAddress, tried);
            }
        }
        if (explain != null) {
            if (!tried.isEmpty()) {
                explain.append("\n  retry after a failure of ").append(tried.size()).append(" backend(s):");
            }
            L7Explain.choice(explain, pool, tried.isEmpty() ? stickyNote : null, tried, choice.orElse(null),
                    why != null ? why : "at most 3 backends are tried");
            emitExplain();
        }
        if (choice.isEmpty()) {
            if (tried.isEmpty()) {
                sendError(503, "no backend of pool '" + pool.name() + "' is available", proxy.config().retryAfterSeconds(), null, "SC");
            } else {
                sendError(502, "the backend failed before responding (" + tried.size() + " tried)", 0, null, connectFailed ? "SC" : "SH");
            }
            return;
        }
        backend = choice.get();
        tried.add(backend);
        backend.connectionOpened();
        proxy.stats.forwarded(backend);
        headSent = false;
        connectStart = System.nanoTime();
        connectDone = 0;
        upstream = upstreams.acquire(pool, backend, this);
        if (upstream.connected) {
            upstreamConnected(upstream);
        }
    }

    /** The UP backend the request's sticky cookie names, or null (noting why for --explain). */
    private Backend stickyBackend() {
        if (pool.stickyCookie() == null) {
            return null;
        }
        String name = pool.stickyCookie().name();
        if (stickyIn == null) {
            stickyNote = "no " + name + " cookie: the algorithm chooses, the response sets the cookie";
            return null;
        }
        Backend b = pool.stickyBackend(stickyIn);
        if (b == null) {
            stickyNote = "cookie " + name + "=" + stickyIn + " names no backend of this pool: the algorithm chooses";
            return null;
        }
        if (!b.isAvailable()) {
            stickyNote = "cookie " + name + "=" + stickyIn + " names " + b.name() + ", which is " + b.state()
                    + ": the algorithm chooses, the response moves the cookie";
            return null;
        }
        stickyNote = "cookie " + name + "=" + stickyIn + " names " + b.name() + ", which is UP";
        return b;
    }

    private void emitExplain() {
        if (explain != null) {
            proxy.config().explain().accept(explain.toString());
            explain.setLength(0);
            explain.append("explain ").append(clientAddress.getHostAddress()).append(':').append(clientPort)
                    .append(" \"").append(request.method()).append(' ').append(request.target()).append("\" (continued)");
        }
    }

    /** The upstream connected (or was taken from the pool): send the head. */
    void upstreamConnected(BackendConnection u) {
        if (u != upstream || headSent) {
            return;
        }
        headSent = true;
        connectDone = System.nanoTime();
        if (u.reused) {
            connectStart = connectDone; // Tc 0: a kept-alive connection
        }
        u.out.append(upstreamHead);
        u.parser.expectResponseTo(request.method());
        upstreamActivity = System.nanoTime();
        armBackendTimer();
        if (request.expectsContinue() && request.hasBody() && !continueSent && !responseHeadSent) {
            continueSent = true; // RFC 9110 §10.1.1: we are ready for the body
            out.append(Responses.CONTINUE);
        }
        drive();
    }

    /**
     * The upstream failed. Before any response byte: another backend if nothing was sent
     * or the request can be replayed; else 502. After: the client connection is cut.
     */
    void upstreamFailed(BackendConnection u, IOException e, boolean connecting) {
        if (u != upstream || state == State.CLOSED) {
            u.close();
            return;
        }
        upstream = null;
        u.close();
        backend.connectionClosed();
        proxy.stats.backendFailures.incrementAndGet();
        cancel(backendTimer);
        LOG.log(Level.INFO, "backend " + backend.name() + ": " + e.getMessage());
        Backend failed = backend;
        backend = null;
        connectFailed = connecting;
        if (!u.reused) {
            backendFailed(failed, e.getMessage()); // a stale kept-alive connection is no sign of ill health
        }
        if (state == State.TUNNEL) {
            termination = "SD";
            close();
            return;
        }
        if (responseStarted) {
            LOG.log(Level.INFO, "response from " + failed.name() + " cut short; closing the client connection");
            termination = "SD";
            close();
            return;
        }
        boolean replayable = request.isIdempotent() && !request.hasBody();
        if (connecting && !u.reused) {
            connectUpstream(); // nothing was sent: any backend may take it
        } else if (replayable && u.reused) {
            tried.remove(failed); // a stale keep-alive connection: a fresh one to the same backend is fine
            retried = true;
            connectUpstream();
        } else if (replayable && !retried) {
            retried = true;
            connectUpstream();
        } else {
            sendError(502, "backend " + failed.name() + " failed before responding", 0, null, connecting ? "SC" : "SH");
        }
        drive();
    }

    /** Counts a failure of {@code b} and tells its pool's health checker (passive ejection). */
    private void backendFailed(Backend b, String why) {
        proxy.stats.backendFailed(b);
        PoolHealth h = pool.health();
        if (h != null) {
            h.failed(b, why);
        }
    }

    private void upstreamEof(BackendConnection u) {
        try {
            HttpParser.Event e = u.parser.finish();
            if (e == HttpParser.Event.END) {
                // A body delimited by close has ended.
                if (chunkedToClient) {
                    out.append("0\r\n\r\n");
                }
                finishExchange(false);
                return;
            }
            upstreamFailed(u, new EOFException("the backend closed the connection before responding"), false);
        } catch (HttpException ex) {
            if (!responseStarted || !responseHeadSent) {
                if (!responseHeadSent && responseStarted) {
                    backendFailed(u.backend, "closed in the middle of its response head");
                    sendError(502, "the backend closed the connection in the middle of its response head", 0, null, "SH");
                } else {
                    upstreamFailed(u, new EOFException(ex.getMessage()), false);
                }
            } else {
                LOG.log(Level.INFO, "backend " + u.backend.name() + " closed in the middle of a response body");
                termination = "SD";
                close();
            }
        }
    }

    // ------------------------------------------------------------------ responses

    private boolean processUpstreamInput() {
        BackendConnection u = upstream;
        if (state == State.TUNNEL || u == null || !u.connected || u.closed || !u.in.hasRemaining()) {
            return false;
        }
        boolean progress = false;
        try {
            while (upstream == u && out.size() < HIGH_WATER) {
                HttpParser.Event e = u.parser.next(u.in);
                switch (e) {
                    case NEED_MORE:
                        return progress;
                    case HEAD:
                        progress = true;
                        ResponseHead r = u.parser.response();
                        if (r.status() == 101) {
                            if (!upgradeRequested) {
                                throw new HttpException(502, "backend switched protocols, which was not asked for");
                            }
                            startTunnel(u, r);
                            return true;
                        }
                        if (!r.isInformational()) {
                            PoolHealth h = pool.health();
                            if (r.status() >= 500) {
                                backendFailed(u.backend, "answered " + r.status());
                            } else if (h != null) {
                                h.succeeded(u.backend);
                            }
                            sendResponseHead(r);
                        }
                        break;
                    case BODY:
                        progress = true;
                        bodyBytes += u.parser.body().remaining();
                        if (chunkedToClient) {
                            out.appendChunk(u.parser.body());
                        } else {
                            out.append(u.parser.body());
                        }
                        break;
                    case END:
                        if (chunkedToClient) {
                            HttpHeaders trailers = u.parser.trailers();
                            trailers.removeHopByHop();
                            out.append("0\r\n" + trailers + "\r\n");
                        }
                        finishExchange(u.parser.response().keepAlive());
                        return true;
                    default:
                        throw new AssertionError(e);
                }
            }
        } catch (HttpException e) {
            LOG.log(Level.WARNING, "bad response from " + u.backend.name() + ": " + e.getMessage());
            proxy.stats.backendFailures.incrementAndGet();
            backendFailed(u.backend, "invalid response: " + e.getMessage());
            sendError(502, "the backend sent an invalid response", 0, null, "SH");
            return true;
        }
        return progress;
    }

    private void sendResponseHead(ResponseHead r) {
        HttpHeaders h = new HttpHeaders(r.headers());
        h.removeHopByHop();
        chunkedToClient = false;
        if (r.framing() == BodyFraming.CHUNKED || r.framing() == BodyFraming.UNTIL_CLOSE) {
            if (request.version() == HttpVersion.HTTP_1_1) {
                h.add("Transfer-Encoding", "chunked");
                chunkedToClient = true;
            } else {
                closeAfter = true; // an HTTP/1.0 client reads to the end of the connection
            }
        }
        if (!requestDone) {
            closeAfter = true; // answered before the whole body was read: the rest cannot be framed
        }
        if (closeAfter || proxy.isClosing()) {
            closeAfter = true;
            h.add("Connection", "close");
        } else if (request.version() == HttpVersion.HTTP_1_0) {
            h.add("Connection", "keep-alive");
        }
        StickyCookie sticky = pool.stickyCookie();
        if (sticky != null) {
            String value = pool.stickyValue(backend);
            if (!value.equals(stickyIn)) {
                h.add("Set-Cookie", sticky.setCookie(value, transport.scheme().equals("https")));
            }
        }
        status = r.status();
        ResponseHead mine = new ResponseHead(HttpVersion.HTTP_1_1, r.status(), r.reason(), h, r.framing(),
                r.contentLength(), !closeAfter);
        out.append(mine.toBytes());
        responseHeadSent = true;
        proxy.stats.responded(r.status());
    }

    /** The backend switched protocols as the client asked: pass the 101 on and tunnel from now on. */
    private void startTunnel(BackendConnection u, ResponseHead r) {
        cancel(backendTimer);
        HttpHeaders h = new HttpHeaders(r.headers());
        h.removeHopByHop();
        h.add("Connection", "Upgrade");
        String protocol = r.headers().get("upgrade");
        if (protocol != null) {
            h.add("Upgrade", protocol);
        }
        out.append(new ResponseHead(HttpVersion.HTTP_1_1, 101, r.reason(), h, BodyFraming.NONE, 0, true).toBytes());
        responseHeadSent = true;
        status = 101;
        proxy.stats.responded(101);
        PoolHealth checker = pool.health();
        if (checker != null) {
            checker.succeeded(u.backend);
        }
        state = State.TUNNEL;
        requestDone = true;
        tunnelActivity = System.nanoTime();
        armTunnelTimer();
        LOG.log(Level.DEBUG, "tunnel " + clientAddress.getHostAddress() + " <-> " + u.backend.name() + " (" + protocol + ")");
    }

    private void finishExchange(boolean backendKeepsAlive) {
        cancel(backendTimer);
        BackendConnection u = upstream;
        upstream = null;
        backend.connectionClosed();
        backend = null;
        boolean reusable = backendKeepsAlive && requestDone && u.parser.isIdle() && !u.in.hasRemaining() && u.out.isEmpty();
        if (reusable) {
            upstreams.release(u);
        } else {
            u.close();
        }
        termination = "--";
        logExchange();
        leaveConfig();
        if (closeAfter || clientEof || !requestDone || proxy.isClosing()) {
            state = State.CLOSING;
        } else {
            state = State.READ_HEAD;
            armKeepAliveTimer();
        }
    }

    /**
     * Our own response; the connection closes after it. Mid-response, the connection is just
     * cut. {@code term} is the access log's termination state.
     */
    private void sendError(int code, String message, long retryAfter, String extraHeader, String term) {
        termination = term;
        if (responseHeadSent) {
            close();
            return;
        }
        cancel(backendTimer);
        cancel(headerTimer);
        if (upstream != null) {
            upstream.close();
            upstream = null;
        }
        if (backend != null) {
            backend.connectionClosed();
            backend = null;
        }
        proxy.stats.responded(code);
        byte[] bytes = Responses.error(code, message, retryAfter, extraHeader);
        out.append(bytes);
        responseHeadSent = true;
        status = code;
        bodyBytes = Responses.bodyLength(code, message);
        state = State.CLOSING;
        logExchange();
        leaveConfig();
    }

    /** The exchange has ended: its configuration no longer needs to stay usable for it. */
    private void leaveConfig() {
        L7Proxy.InForce c = inForce;
        if (c != null) {
            inForce = null;
            c.leave();
        }
    }

    // ------------------------------------------------------------------ access log

    /** A request's first byte arrived: its log line starts. */
    private void beginLog() {
        headStart = System.nanoTime();
        headStartMillis = System.currentTimeMillis();
        headDone = 0;
        connectStart = 0;
        connectDone = 0;
        firstByte = 0;
        status = 0;
        bodyBytes = 0;
        termination = null;
        request = null;
        responseHeadSent = false; // a 400 or 408 for this head is a response of its own, not the cut of the last one
        logged = false;
    }

    /** Writes the exchange's access log line, once. */
    private void logExchange() {
        AccessLog log = proxy.config().accessLog();
        if (logged) {
            return;
        }
        logged = true;
        long start = headStart;
        headStart = 0; // the next request's line starts with its first byte
        if (log == null) {
            return;
        }
        long now = System.nanoTime();
        RequestHead r = request;
        String line = r == null ? "-" : r.method() + " " + r.target() + " " + r.version().text();
        Backend b = backend != null ? backend : lastTried();
        String poolBackend = pool == null ? "-" : pool.name() + "/" + (b == null ? "-" : b.name());
        String upstreamAddress = b == null ? "-" : b.address().getAddress().getHostAddress() + ":" + b.address().getPort();
        try {
            log.write(AccessLogLine.format(clientAddress, headStartMillis, line, status, bodyBytes,
                    r == null ? null : r.headers().get("referer"), r == null ? null : r.headers().get("user-agent"),
                    poolBackend, upstreamAddress, millis(start, headDone), millis(connectStart, connectDone),
                    millis(headDone, firstByte), millis(start, now), termination == null ? "--" : termination));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "access log: " + e.getMessage());
        }
    }

    private Backend lastTried() {
        Backend last = null;
        for (Backend t : tried) {
            last = t;
        }
        return last;
    }

    /** Milliseconds from {@code from} to {@code to}, or -1 when a phase was not reached. */
    private static long millis(long from, long to) {
        return from == 0 || to == 0 ? -1 : Math.max(0, (to - from) / 1_000_000);
    }

    // ------------------------------------------------------------------ timers and closing

    /**
     * A response is done and the connection is kept: it may stay idle for the keep-alive
     * timeout, then closes without a response (a client that asked nothing gets no 408,
     * as with nginx and HAProxy). Bytes already here (a pipelined request) start the header timer.
     */
    private void armKeepAliveTimer() {
        cancel(headerTimer);
        if (in.hasRemaining()) {
            armHeaderTimer();
            return;
        }
        keptAliveIdle = true;
        headerTimer = loop.schedule(proxy.config().keepAliveTimeout(), () -> {
            if (state == State.READ_HEAD && keptAliveIdle && headStart == 0) {
                LOG.log(Level.DEBUG, "client " + clientAddress.getHostAddress() + " idle past the keep-alive timeout: closing");
                close();
            }
        });
    }

    private void armHeaderTimer() {
        keptAliveIdle = false;
        cancel(headerTimer);
        headerTimer = loop.schedule(proxy.config().headerTimeout(), () -> {
            if (state != State.READ_HEAD) {
                return;
            }
            if (parser.isIdle() && !in.hasRemaining()) {
                close(); // an idle keep-alive connection (or a TLS handshake that never finished)
                return;
            }
            LOG.log(Level.INFO, "client " + clientAddress.getHostAddress() + " too slow sending its request head");
            proxy.stats.refused(Refusal.HEADER_TIMEOUT, 408);
            sendError(408, "the request head did not arrive within " + proxy.config().headerTimeout().toMillis() + " ms", 0, null, "cR");
            drive();
        });
    }

    private void armBackendTimer() {
        cancel(backendTimer);
        long limit = proxy.config().backendTimeout().toNanos();
        long quiet = System.nanoTime() - upstreamActivity;
        backendTimer = loop.schedule(Duration.ofNanos(Math.max(1, limit - quiet)), () -> {
            if (upstream == null || state == State.CLOSED) {
                return;
            }
            if (System.nanoTime() - upstreamActivity < limit) {
                armBackendTimer();
                return;
            }
            LOG.log(Level.INFO, "backend " + upstream.backend.name() + " silent for " + proxy.config().backendTimeout().toMillis() + " ms");
            proxy.stats.backendFailures.incrementAndGet();
            backendFailed(upstream.backend, "silent for " + proxy.config().backendTimeout().toMillis() + " ms");
            if (responseHeadSent) {
                termination = "sD";
                close();
            } else {
                sendError(504, "the backend did not answer within " + proxy.config().backendTimeout().toMillis() + " ms", 0, null, "sH");
                drive();
            }
        });
    }

    /**
     * Everything is sent: end our direction and read (and drop) what the client still
     * sends for a moment, so unread request bytes do not turn our close into a reset that
     * destroys the response before the client read it (RFC 9112 §9.6).
     */
    private void startLinger() throws IOException {
        state = State.LINGER;
        if (clientEof) {
            close();
            return;
        }
        transport.shutdownOutput();
        lingerTimer = loop.schedule(LINGER, this::close);
    }

    /** Shutting down (loop thread): a connection waiting for its next request closes now; others finish first. */
    void drainIfIdle() {
        if (state == State.READ_HEAD && parser.isIdle() && !in.hasRemaining()) {
            close();
        }
    }

    void close() {
        if (state == State.CLOSED) {
            return;
        }
        State was = state;
        state = State.CLOSED;
        cancel(headerTimer);
        cancel(backendTimer);
        cancel(lingerTimer);
        cancel(tunnelTimer);
        if (!logged && (request != null || was == State.EXCHANGE || was == State.TUNNEL)) {
            if (termination == null) {
                termination = responseHeadSent ? "CD" : "CR";
            }
            logExchange();
        }
        if (admission == null) {
            proxy.released(clientAddress);
        }
        if (upstream != null) {
            upstream.close();
            upstream = null;
        }
        if (backend != null) {
            backend.connectionClosed();
            backend = null;
        }
        leaveConfig();
        if (key != null) {
            key.cancel();
        }
        transport.close();
        proxy.connectionClosed(this);
    }

    private static void cancel(EventLoop.Timer t) {
        if (t != null) {
            t.cancel();
        }
    }
}
