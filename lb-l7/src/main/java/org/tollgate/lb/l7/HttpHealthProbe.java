package org.tollgate.lb.l7;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.l4.HealthProbe;
import org.tollgate.lb.l7.http.HttpException;
import org.tollgate.lb.l7.http.HttpLimits;
import org.tollgate.lb.l7.http.HttpParser;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.nio.EventLoop;
import org.tollgate.tls.nio.TlsChannel;

/**
 * The active HTTP check of {@link HealthCheck}, plugged into lb-l4's {@code HealthChecker}:
 * a fresh non-blocking connection, {@code GET path HTTP/1.1} with {@code Connection:
 * close}, and the status line of the answer (parsed strictly, by the proxy's own parser)
 * compared with the expected status. The checker bounds the whole check by its timeout.
 *
 * <p>For a pool that re-encrypts, the check speaks HTTPS with the pool's TLS settings, as
 * {@link BackendConnection} does: the same trust and server name, a full handshake each
 * time (no resumption, so every check verifies the certificate again); a handshake failure
 * (a certificate that does not verify, among others) fails the check with its reason. The
 * exchange ends with close_notify (RFC 8446 §6.1).
 */
final class HttpHealthProbe implements HealthProbe {
    private static final HttpLimits LIMITS = new HttpLimits(8192, 64 * 1024, 200, 1024 * 1024);

    private final HealthCheck check;
    /** The pool's client TLS settings, or null for plain HTTP. */
    private final TlsConfig tls;
    /** SNI and certificate name; null: each backend's host text (as BackendConnection). */
    private final String serverName;
    /** Told of every failed check and its reason (timeouts included), for the stats page. */
    private final BiConsumer<Backend, String> failures;

    /**
     * A check by {@code check}; HTTPS with {@code tls} and {@code serverName} when {@code tls}
     * is not null; {@code failures} hears of each failed check and why.
     */
    HttpHealthProbe(HealthCheck check, TlsConfig tls, String serverName, BiConsumer<Backend, String> failures) {
        this.check = check;
        this.tls = tls;
        this.serverName = serverName;
        this.failures = failures;
    }

    @Override
    public AutoCloseable start(Backend backend, EventLoop loop, Outcome outcome) throws IOException {
        SocketChannel ch = SocketChannel.open();
        Exchange x;
        try {
            ch.configureBlocking(false);
            x = new Exchange(backend, ch, outcome);
            boolean connected = ch.connect(backend.address());
            x.key = loop.register(ch, connected ? SelectionKey.OP_WRITE : SelectionKey.OP_CONNECT, x::ready).getNow(null);
            if (x.key == null) {
                throw new IOException("could not register with the event loop");
            }
        } catch (IOException | RuntimeException e) {
            ch.close();
            failures.accept(backend, e.toString());
            throw e;
        }
        return x::closedByChecker;
    }

    private final class Exchange {
        final Backend backend;
        final SocketChannel ch;
        final TlsChannel tlsChannel;
        final Transport transport;
        final Outcome outcome;
        final ByteBuffer request;
        final ByteBuffer in = ByteBuffer.allocate(4096).flip();
        final HttpParser parser = HttpParser.forResponses(LIMITS);
        SelectionKey key;
        boolean done;

        Exchange(Backend backend, SocketChannel ch, Outcome outcome) {
            this.backend = backend;
            this.ch = ch;
            this.outcome = outcome;
            InetSocketAddress a = backend.address();
            if (tls != null) {
                tlsChannel = TlsChannel.client(ch, tls, serverName != null ? serverName : a.getHostString());
                transport = Transport.tls(tlsChannel);
            } else {
                tlsChannel = null;
                transport = Transport.plain(ch);
            }
            String host = a.getAddress() instanceof java.net.Inet6Address ? "[" + a.getHostString() + "]" : a.getHostString();
            this.request = ByteBuffer.wrap(("GET " + check.path() + " HTTP/1.1\r\nHost: " + host + ":" + a.getPort()
                    + "\r\nUser-Agent: tollgate-lb-l7-health-check\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            parser.expectResponseTo("GET");
        }

        void ready(SelectionKey k) {
            if (done) {
                return;
            }
            try {
                if (k.isConnectable()) {
                    if (!ch.finishConnect()) {
                        return;
                    }
                    k.interestOps(SelectionKey.OP_WRITE);
                }
                if (tlsChannel != null && !tlsChannel.isHandshakeComplete()) {
                    if (!handshake()) {
                        return;
                    }
                }
                if (request.hasRemaining() || transport.wantsWrite()) {
                    transport.write(request);
                    boolean flushed = transport.flush();
                    k.interestOps(flushed && !request.hasRemaining() ? SelectionKey.OP_READ : SelectionKey.OP_WRITE);
                    return;
                }
                if (k.isReadable()) {
                    read();
                }
            } catch (HttpException e) {
                end(false, "invalid answer to GET " + check.path() + ": " + e.getMessage());
            } catch (IOException e) {
                end(false, e.getMessage());
            }
        }

        /** Moves the TLS handshake on; true once it is complete (the pool's verifier has accepted the certificate). */
        private boolean handshake() {
            try {
                if (tlsChannel.handshake()) {
                    return true;
                }
                key.interestOps(tlsChannel.wantsWrite() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
            } catch (IOException e) {
                end(false, "TLS handshake failed: " + e.getMessage());
            }
            return false;
        }

        /** Reads until the response head is parsed or the transport has nothing more now (TLS may hold decrypted bytes). */
        private void read() throws IOException, HttpException {
            while (!done) {
                in.compact();
                int n = transport.read(in);
                in.flip();
                if (n < 0) {
                    parser.finish();
                    end(false, "the backend closed the connection before answering");
                    return;
                }
                if (parser.next(in) == HttpParser.Event.HEAD) {
                    int status = parser.response().status();
                    if (status == check.expectedStatus()) {
                        end(true, null);
                    } else {
                        end(false, "GET " + check.path() + " answered " + status + ", expected " + check.expectedStatus());
                    }
                    return;
                }
                if (n == 0) {
                    return;
                }
            }
        }

        private void end(boolean good, String why) {
            release();
            if (good) {
                outcome.passed();
            } else {
                failures.accept(backend, why);
                outcome.failed(why);
            }
        }

        /** The checker is done with this check: when it had no outcome yet, its timeout ran out. */
        void closedByChecker() {
            if (!done) {
                failures.accept(backend, "no answer within " + check.timing().timeout().toMillis() + " ms");
            }
            release();
        }

        /**
         * Releases the key, the TLS channel (close_notify, one attempt, when the connection is
         * healthy) and the socket; also what the checker's timeout calls. Loop thread.
         */
        void release() {
            if (done) {
                return;
            }
            done = true;
            if (key != null) {
                key.cancel();
            }
            transport.close();
        }
    }
}
