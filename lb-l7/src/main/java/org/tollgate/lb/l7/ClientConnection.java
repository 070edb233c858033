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
 * <li>Route the head to a pool, pick a backend with the pool's balancer, take a keep-alive
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
 * </ol>
 */
final class ClientConnection {
    private static final System.Logger LOG = System.getLogger(ClientConnection.class.getName());
    private static final int BUFFER = 16 * 1024;
    /** Most bytes queued for one side before the other side's reading stops. */
    private static final int HIGH_WATER = 64 * 1024;
    private static final Duration LINGER = Duration.ofSeconds(2);

    private enum State { READ_HEAD, EXCHANGE, CLOSING, LINGER, CLOSED }

    private final L7Proxy proxy;
    private final UpstreamPool upstreams;
    private final EventLoop loop;
    private final Transport transport;
    private final InetAddress clientAddress;
    private final ByteBuffer in = ByteBuffer.allocate(BUFFER).flip();
    private final ByteQueue out = new ByteQueue(BUFFER);
    private final HttpParser parser;
    private SelectionKey key;
    private State state = State.READ_HEAD;
    private boolean clientEof;
    private EventLoop.Timer headerTimer;
    private EventLoop.Timer backendTimer;
    private EventLoop.Timer lingerTimer;
    private long upstreamActivity;

    // the exchange in progress
    private RequestHead request;
    private byte[] upstreamHead;
    private BackendPool pool;
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

    ClientConnection(L7Proxy proxy, UpstreamPool upstreams, Transport transport) {
        this.proxy = proxy;
        this.upstreams = upstreams;
        this.loop = upstreams.loop();
        this.transport = transport;
        InetAddress a;
        try {
            a = ((InetSocketAddress) transport.socket().getRemoteAddress()).getAddress();
        } catch (IOException | NullPointerException e) {
            a = InetAddress.getLoopbackAddress();
        }
        this.clientAddress = a;
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
                        && upstream.out.size() < HIGH_WATER && !in.hasRemaining();
            case LINGER:
                return true;
            default:
                return false;
        }
    }

    private boolean wantUpstreamRead() {
        return upstream != null && upstream.connected && !upstream.closed && headSent
                && !upstream.in.hasRemaining() && out.size() < HIGH_WATER;
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
            return true;
        }
        if (n == 0) {
            return false;
        }
        clientEof = true;
        switch (state) {
            case READ_HEAD:
            case LINGER:
                close(); // gone between requests, or in the middle of a head: nobody to answer
                break;
            case EXCHANGE:
                if (!requestDone) {
                    LOG.log(Level.DEBUG, "client " + clientAddress.getHostAddress() + " left in the middle of its request");
                    close();
                } else {
                    closeAfter = true; // finish the response, then close
                }
                break;
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
            responseStarted = true;
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

    // ------------------------------------------------------------------ requests

    private boolean processClientInput() {
        if (state == State.LINGER) {
            in.position(in.limit()); // discard: we are only draining before close
            return false;
        }
        if (state == State.READ_HEAD) {
            try {
                if (parser.next(in) == HttpParser.Event.HEAD) {
                    startExchange(parser.request());
                    return true;
                }
            } catch (HttpException e) {
                proxy.stats.refused(e.status());
                LOG.log(Level.INFO, "refused request from " + clientAddress.getHostAddress() + ": " + e);
                sendError(e.status(), e.getMessage(), 0);
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
            proxy.stats.refused(e.status());
            LOG.log(Level.INFO, "refused request body from " + clientAddress.getHostAddress() + ": " + e);
            sendError(e.status(), e.getMessage(), 0);
            return true;
        }
        return progress;
    }

    private void startExchange(RequestHead req) {
        cancel(headerTimer);
        proxy.stats.requests.incrementAndGet();
        request = req;
        tried.clear();
        retried = false;
        headSent = false;
        requestDone = false;
        responseStarted = false;
        responseHeadSent = false;
        continueSent = false;
        closeAfter = !req.keepAlive();
        state = State.EXCHANGE;
        if (req.method().equals("CONNECT")) {
            sendError(501, "CONNECT is not supported by this reverse proxy", 0);
            return;
        }
        pool = proxy.config().route(req);
        if (pool == null) {
            sendError(404, "no route for " + req.method() + " " + req.path(), 0);
            return;
        }
        upstreamHead = upstreamHead(req);
        connectUpstream();
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
        // We always speak HTTP/1.1 to backends and keep the connection (RFC 9112 §9.3).
        return new RequestHead(req.method(), req.target(), HttpVersion.HTTP_1_1, h, req.framing(),
                req.contentLength(), true, false).toBytes();
    }

    private void connectUpstream() {
        Optional<Backend> choice = tried.size() < 3 ? pool.balancer().choose(clientAddress, tried) : Optional.empty();
        if (choice.isEmpty()) {
            if (tried.isEmpty()) {
                sendError(503, "no backend of pool '" + pool.name() + "' is available", proxy.config().retryAfterSeconds());
            } else {
                sendError(502, "the backend failed before responding (" + tried.size() + " tried)", 0);
            }
            return;
        }
        backend = choice.get();
        tried.add(backend);
        backend.connectionOpened();
        proxy.stats.forwarded(backend);
        headSent = false;
        upstream = upstreams.acquire(pool, backend, this);
        if (upstream.connected) {
            upstreamConnected(upstream);
        }
    }

    /** The upstream connected (or was taken from the pool): send the head. */
    void upstreamConnected(BackendConnection u) {
        if (u != upstream || headSent) {
            return;
        }
        headSent = true;
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
        proxy.stats.backendFailed(backend);
        cancel(backendTimer);
        LOG.log(Level.INFO, "backend " + backend.name() + ": " + e.getMessage());
        Backend failed = backend;
        backend = null;
        if (responseStarted) {
            LOG.log(Level.INFO, "response from " + failed.name() + " cut short; closing the client connection");
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
            sendError(502, "backend " + failed.name() + " failed before responding", 0);
        }
        drive();
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
                    sendError(502, "the backend closed the connection in the middle of its response head", 0);
                } else {
                    upstreamFailed(u, new EOFException(ex.getMessage()), false);
                }
            } else {
                LOG.log(Level.INFO, "backend " + u.backend.name() + " closed in the middle of a response body");
                close();
            }
        }
    }

    // ------------------------------------------------------------------ responses

    private boolean processUpstreamInput() {
        BackendConnection u = upstream;
        if (u == null || !u.connected || u.closed || !u.in.hasRemaining()) {
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
                            throw new HttpException(502, "backend switched protocols, which was not asked for");
                        }
                        if (!r.isInformational()) {
                            sendResponseHead(r);
                        }
                        break;
                    case BODY:
                        progress = true;
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
            proxy.stats.backendFailed(u.backend);
            sendError(502, "the backend sent an invalid response", 0);
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
        ResponseHead mine = new ResponseHead(HttpVersion.HTTP_1_1, r.status(), r.reason(), h, r.framing(),
                r.contentLength(), !closeAfter);
        out.append(mine.toBytes());
        responseHeadSent = true;
        proxy.stats.responded(r.status());
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
        if (closeAfter || clientEof || !requestDone || proxy.isClosing()) {
            state = State.CLOSING;
        } else {
            state = State.READ_HEAD;
            armHeaderTimer();
        }
    }

    /** Our own response; the connection closes after it. Mid-response, the connection is just cut. */
    private void sendError(int status, String message, int retryAfter) {
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
        proxy.stats.responded(status);
        out.append(Responses.error(status, message, retryAfter));
        responseHeadSent = true;
        state = State.CLOSING;
    }

    // ------------------------------------------------------------------ timers and closing

    private void armHeaderTimer() {
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
            proxy.stats.refused(408);
            sendError(408, "the request head did not arrive within " + proxy.config().headerTimeout().toMillis() + " ms", 0);
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
            proxy.stats.backendFailed(upstream.backend);
            if (responseHeadSent) {
                close();
            } else {
                sendError(504, "the backend did not answer within " + proxy.config().backendTimeout().toMillis() + " ms", 0);
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
        state = State.CLOSED;
        cancel(headerTimer);
        cancel(backendTimer);
        cancel(lingerTimer);
        if (upstream != null) {
            upstream.close();
            upstream = null;
        }
        if (backend != null) {
            backend.connectionClosed();
            backend = null;
        }
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
