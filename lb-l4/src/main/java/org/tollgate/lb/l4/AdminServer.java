package org.tollgate.lb.l4;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.tollgate.lb.balance.Backend;
import org.tollgate.tls.nio.EventLoop;

/**
 * The admin port: per-backend state, weight, connections and bytes, as JSON at
 * {@code /stats} and in the Prometheus text format (version 0.0.4) at {@code /metrics}.
 *
 * <p>A tiny, strict HTTP/1.1 responder (RFC 9112), one request per connection: it reads
 * the request head (at most 8 KiB, within 5 s), answers {@code GET} and {@code HEAD} and
 * closes. Anything else gets the status the RFCs give it: 400 for a malformed request
 * line or header, a bare LF, obsolete line folding, a missing {@code Host} in HTTP/1.1 or
 * a body; 404 for other paths; 405 for other methods; 431 for a head too large; 505 for
 * other versions. It never echoes request bytes back. Bind it to loopback or a management
 * network: it has no authentication.
 */
public final class AdminServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AdminServer.class.getName());
    static final int MAX_HEAD = 8 * 1024;
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

    private final Supplier<List<Backend>> backends;
    private final EventLoop loop;
    private final boolean ownsLoop;
    private final ServerSocketChannel server;
    private volatile boolean closed;

    private AdminServer(InetSocketAddress listen, Supplier<List<Backend>> backends, EventLoop loop, boolean ownsLoop) throws IOException {
        this.backends = backends;
        this.loop = loop;
        this.ownsLoop = ownsLoop;
        try {
            server = ServerSocketChannel.open();
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(listen, 64);
            loop.register(server, SelectionKey.OP_ACCEPT, k -> accept()).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            if (ownsLoop) {
                loop.close();
            }
            if (e instanceof IOException) {
                throw (IOException) e;
            }
            throw new IOException("could not listen on " + listen + ": " + e, e);
        }
    }

    /**
     * Serves the stats of the backends {@code backends} gives (asked on every request) on a loop of its own.
     * @param listen the address to serve on (keep it on loopback: no authentication)
     * @param backends gives the backends to report
     * @return the running server
     * @throws IOException when the address cannot be bound
     */
    public static AdminServer start(InetSocketAddress listen, Supplier<List<Backend>> backends) throws IOException {
        return new AdminServer(Objects.requireNonNull(listen), Objects.requireNonNull(backends), new EventLoop("lb-l4-admin"), true);
    }

    /**
     * As {@link #start(InetSocketAddress, Supplier)}, on {@code loop} (left running by {@link #close()}).
     * @param listen the address to serve on
     * @param backends gives the backends to report
     * @param loop the event loop to run on
     * @return the running server
     * @throws IOException when the address cannot be bound
     */
    public static AdminServer start(InetSocketAddress listen, Supplier<List<Backend>> backends, EventLoop loop) throws IOException {
        return new AdminServer(Objects.requireNonNull(listen), Objects.requireNonNull(backends), Objects.requireNonNull(loop), false);
    }

    /** {@return the address actually bound} */
    public InetSocketAddress localAddress() {
        try {
            return (InetSocketAddress) server.getLocalAddress();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        closed = true;
        Connection.closeQuietly(server);
        if (ownsLoop) {
            loop.close();
        }
    }

    private void accept() throws IOException {
        SocketChannel ch;
        while (!closed && (ch = server.accept()) != null) {
            Exchange x = new Exchange(ch);
            loop.register(ch, SelectionKey.OP_READ, x::ready).whenComplete((key, failure) -> {
                if (failure == null) {
                    x.key = key;
                    x.timer = loop.schedule(REQUEST_TIMEOUT, x::end);
                }
            });
        }
    }

    /** One request and its response. */
    private final class Exchange {
        final SocketChannel channel;
        final ByteBuffer in = ByteBuffer.allocate(MAX_HEAD);
        ByteBuffer out;
        boolean lingering;
        SelectionKey key;
        EventLoop.Timer timer;

        Exchange(SocketChannel channel) {
            this.channel = channel;
        }

        void ready(SelectionKey k) {
            try {
                if (lingering) {
                    in.clear();
                    if (channel.read(in) < 0) {
                        end();
                    }
                    return;
                }
                if (out != null) {
                    write();
                    return;
                }
                int n = channel.read(in);
                if (n < 0) {
                    end();
                    return;
                }
                if (bareLineFeed(in.array(), in.position())) {
                    respond(Response.error(400, "Bad Request", "bare LF (RFC 9112 §2.2)"), false);
                    return;
                }
                int headEnd = headEnd(in.array(), in.position());
                if (headEnd < 0) {
                    if (!in.hasRemaining()) {
                        respond(Response.error(431, "Request Header Fields Too Large", "request head over " + MAX_HEAD + " bytes"), false);
                    }
                    return;
                }
                String head = new String(in.array(), 0, headEnd, StandardCharsets.ISO_8859_1);
                Request r = Request.parse(head);
                respond(r.error != null ? r.error : answer(r.target), r.head);
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "admin connection failed: " + e.getMessage());
                end();
            }
        }

        void respond(Response r, boolean headOnly) throws IOException {
            out = ByteBuffer.wrap(r.bytes(headOnly));
            key.interestOps(SelectionKey.OP_WRITE);
            write();
        }

        void write() throws IOException {
            channel.write(out);
            if (!out.hasRemaining()) {
                // Connection: close. A lingering close: send our FIN, then read and drop what the
                // client still sends until its FIN, so that closing with unread bytes does not
                // turn into a reset that could destroy the response before the client reads it.
                channel.shutdownOutput();
                lingering = true;
                key.interestOps(SelectionKey.OP_READ);
                timer.cancel();
                timer = loop.schedule(Duration.ofSeconds(1), this::end);
            }
        }

        void end() {
            if (timer != null) {
                timer.cancel();
            }
            Connection.closeQuietly(channel);
        }
    }

    private Response answer(String target) {
        String path = target.contains("?") ? target.substring(0, target.indexOf('?')) : target;
        switch (path) {
            case "/stats":
                return new Response(200, "OK", "application/json", StatsFormat.json(backends.get()));
            case "/metrics":
                return new Response(200, "OK", "text/plain; version=0.0.4; charset=utf-8", StatsFormat.prometheus(backends.get()));
            default:
                return Response.error(404, "Not Found", "try /stats (JSON) or /metrics (Prometheus)");
        }
    }

    /** True when a LF comes without its CR: this responder takes CRLF only. */
    static boolean bareLineFeed(byte[] b, int length) {
        for (int i = 0; i < length; i++) {
            if (b[i] == '\n' && (i == 0 || b[i - 1] != '\r')) {
                return true;
            }
        }
        return false;
    }

    /** Index just past the CRLF CRLF ending the head, or -1. */
    static int headEnd(byte[] b, int length) {
        for (int i = 3; i < length; i++) {
            if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r') {
                return i + 1;
            }
        }
        return -1;
    }

    /** The request head, checked strictly; either a target or the error response to send. */
    static final class Request {
        String target;
        boolean head;
        Response error;

        static Request parse(String head) {
            Request r = new Request();
            String[] lines = head.substring(0, head.length() - 4).split("\r\n", -1);
            for (String line : lines) {
                if (line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0) {
                    return r.fail(400, "bare CR or LF (RFC 9112 §2.2)");
                }
            }
            String[] parts = lines[0].split(" ", -1);
            // RFC 9112 §3: request-line = method SP request-target SP HTTP-version
            if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
                return r.fail(400, "malformed request line");
            }
            if (!parts[2].matches("HTTP/\\d\\.\\d")) {
                return r.fail(400, "malformed HTTP version");
            }
            if (!parts[2].equals("HTTP/1.1") && !parts[2].equals("HTTP/1.0")) {
                return r.fail(505, "only HTTP/1.1 and HTTP/1.0");
            }
            if (!parts[1].startsWith("/")) {
                return r.fail(400, "request target must be a path (RFC 9112 §3.2.1)");
            }
            boolean host = false;
            for (int i = 1; i < lines.length; i++) {
                String line = lines[i];
                if (line.startsWith(" ") || line.startsWith("\t")) {
                    return r.fail(400, "obsolete line folding (RFC 9112 §5.2)");
                }
                int colon = line.indexOf(':');
                // RFC 9112 §5.1: no whitespace between the field name and the colon
                if (colon <= 0 || !line.substring(0, colon).matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
                    return r.fail(400, "malformed header field");
                }
                String name = line.substring(0, colon).toLowerCase(Locale.ROOT);
                String value = line.substring(colon + 1).trim();
                if (name.equals("host")) {
                    if (host) {
                        return r.fail(400, "two Host fields (RFC 9112 §3.2)");
                    }
                    host = true;
                }
                if (name.equals("transfer-encoding") || (name.equals("content-length") && !value.equals("0"))) {
                    return r.fail(400, "a request body is not accepted here");
                }
            }
            if (!host && parts[2].equals("HTTP/1.1")) {
                return r.fail(400, "HTTP/1.1 request without Host (RFC 9112 §3.2)");
            }
            if (!parts[0].equals("GET") && !parts[0].equals("HEAD")) {
                return r.fail(405, "only GET and HEAD");
            }
            r.head = parts[0].equals("HEAD");
            r.target = parts[1];
            return r;
        }

        private Request fail(int status, String why) {
            String reason = switch (status) {
                case 405 -> "Method Not Allowed";
                case 505 -> "HTTP Version Not Supported";
                default -> "Bad Request";
            };
            error = Response.error(status, reason, why);
            return this;
        }
    }

    static final class Response {
        final int status;
        final String reason;
        final String contentType;
        final byte[] body;

        Response(int status, String reason, String contentType, String body) {
            this.status = status;
            this.reason = reason;
            this.contentType = contentType;
            this.body = body.getBytes(StandardCharsets.UTF_8);
        }

        static Response error(int status, String reason, String detail) {
            return new Response(status, reason, "text/plain; charset=utf-8", status + " " + reason + ": " + detail + "\n");
        }

        byte[] bytes(boolean headOnly) {
            StringBuilder h = new StringBuilder();
            h.append("HTTP/1.1 ").append(status).append(' ').append(reason).append("\r\n");
            h.append("Content-Type: ").append(contentType).append("\r\n");
            h.append("Content-Length: ").append(body.length).append("\r\n");
            if (status == 405) {
                h.append("Allow: GET, HEAD\r\n"); // RFC 9110 §15.5.6
            }
            h.append("Cache-Control: no-store\r\nConnection: close\r\n\r\n");
            byte[] head = h.toString().getBytes(StandardCharsets.US_ASCII);
            if (headOnly) {
                return head;
            }
            byte[] all = java.util.Arrays.copyOf(head, head.length + body.length);
            System.arraycopy(body, 0, all, head.length, body.length);
            return all;
        }
    }
}
