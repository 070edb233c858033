package org.tollgate.lb.l7;

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
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.tollgate.lb.l7.http.HttpException;
import org.tollgate.lb.l7.http.HttpLimits;
import org.tollgate.lb.l7.http.HttpParser;
import org.tollgate.lb.l7.http.RequestHead;
import org.tollgate.tls.nio.EventLoop;

/**
 * lb-l7's admin port, read-only: {@code /} is an HTML stats page (per pool and backend:
 * state, weight, active requests, requests, errors, a bar for each backend's share and
 * the reason and time of its last failure; per listener: connections, requests, responses
 * and refusals by status), {@code /stats.json} the same as one JSON object and
 * {@code /metrics} the same numbers in the Prometheus text format (version 0.0.4).
 *
 * <p>Requests are read with lb-l7's own strict {@link HttpParser} (small limits, 5 s to
 * send the head), one per connection; {@code GET} and {@code HEAD} only (405 otherwise),
 * no body (400). It has no authentication: bind it to loopback or a management network.
 */
public final class AdminServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AdminServer.class.getName());
    private static final HttpLimits LIMITS = new HttpLimits(2048, 8192, 50, 0);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

    private final Supplier<List<L7Proxy>> proxies;
    private final EventLoop loop;
    private final ServerSocketChannel server;

    private AdminServer(InetSocketAddress listen, Supplier<List<L7Proxy>> proxies) throws IOException {
        this.proxies = proxies;
        this.loop = new EventLoop("lb-l7-admin");
        try {
            server = ServerSocketChannel.open();
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(listen, 64);
            loop.register(server, SelectionKey.OP_ACCEPT, k -> accept()).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            loop.close();
            if (e instanceof IOException) {
                throw (IOException) e;
            }
            throw new IOException("could not listen on " + listen + ": " + e, e);
        }
    }

    /**
     * Serves the stats of the proxies {@code proxies} gives (asked on every request, so a
     * reload that changes the listeners is followed) on a loop of its own.
     *
     * @param listen  the address to bind (port 0 for any)
     * @param proxies the proxies to show
     * @return the running server
     * @throws IOException if the address cannot be bound
     */
    public static AdminServer start(InetSocketAddress listen, Supplier<List<L7Proxy>> proxies) throws IOException {
        return new AdminServer(Objects.requireNonNull(listen), Objects.requireNonNull(proxies));
    }

    /**
     * The address actually bound.
     *
     * @return the bound address
     */
    public InetSocketAddress localAddress() {
        try {
            return (InetSocketAddress) server.getLocalAddress();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        loop.close();
    }

    private void accept() throws IOException {
        SocketChannel ch;
        while ((ch = server.accept()) != null) {
            ch.configureBlocking(false);
            Exchange x = new Exchange(ch);
            loop.register(ch, SelectionKey.OP_READ, x::ready).whenComplete((key, failure) -> {
                if (failure == null) {
                    x.key = key;
                    x.timer = loop.schedule(REQUEST_TIMEOUT, x::end);
                } else {
                    x.end();
                }
            });
        }
    }

    /** One request, one response, then a lingering close. */
    private final class Exchange {
        final SocketChannel channel;
        final ByteBuffer in = ByteBuffer.allocate(LIMITS.maxHeaderBytes() + LIMITS.maxStartLine());
        final HttpParser parser = HttpParser.forRequests(LIMITS);
        ByteBuffer out;
        boolean lingering;
        SelectionKey key;
        EventLoop.Timer timer;

        Exchange(SocketChannel channel) {
            this.channel = channel;
        }

        void ready(SelectionKey k) {
            try {
                if (out != null && !lingering) {
                    write();
                    return;
                }
                in.clear();
                int n = channel.read(in);
                if (n < 0) {
                    end();
                    return;
                }
                if (lingering) {
                    return;
                }
                in.flip();
                byte[] response;
                try {
                    if (parser.next(in) != HttpParser.Event.HEAD) {
                        return;
                    }
                    response = answer(parser.request());
                } catch (HttpException e) {
                    response = AdminPages.response(e.status(), "text/plain; charset=utf-8",
                            e.status() + " " + Responses.reason(e.status()) + ": " + e.getMessage() + "\n", false);
                }
                out = ByteBuffer.wrap(response);
                write();
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "admin connection: " + e.getMessage());
                end();
            }
        }

        void write() throws IOException {
            channel.write(out);
            if (out.hasRemaining()) {
                key.interestOps(SelectionKey.OP_WRITE);
                return;
            }
            // RFC 9112 §9.6: send our FIN, then drop what the client still sends until its
            // FIN, so unread bytes do not turn the close into a reset that eats the response.
            channel.shutdownOutput();
            lingering = true;
            key.interestOps(SelectionKey.OP_READ);
            timer.cancel();
            timer = loop.schedule(Duration.ofSeconds(1), this::end);
        }

        void end() {
            if (timer != null) {
                timer.cancel();
            }
            try {
                channel.close();
            } catch (IOException e) {
                // gone
            }
        }
    }

    private byte[] answer(RequestHead r) {
        boolean head = r.method().equals("HEAD");
        if (!head && !r.method().equals("GET")) {
            return AdminPages.response(405, "text/plain; charset=utf-8", "405 Method Not Allowed: the admin port is read-only\n", false);
        }
        if (r.hasBody()) {
            return AdminPages.response(400, "text/plain; charset=utf-8", "400 Bad Request: no body here\n", head);
        }
        List<L7Proxy> list = proxies.get();
        switch (r.path()) {
            case "/":
                return AdminPages.response(200, "text/html; charset=utf-8", AdminPages.html(list), head);
            case "/metrics":
                return AdminPages.response(200, "text/plain; version=0.0.4; charset=utf-8", AdminPages.prometheus(list), head);
            case "/stats.json":
                return AdminPages.response(200, "application/json", AdminPages.json(list), head);
            default:
                return AdminPages.response(404, "text/plain; charset=utf-8",
                        "404 Not Found: try / (HTML), /stats.json or /metrics (Prometheus)\n", head);
        }
    }
}
