package org.tollgate.lb.l7;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.l4.HealthProbe;
import org.tollgate.lb.l7.http.HttpException;
import org.tollgate.lb.l7.http.HttpLimits;
import org.tollgate.lb.l7.http.HttpParser;
import org.tollgate.tls.nio.EventLoop;

/**
 * The active HTTP check of {@link HealthCheck}, plugged into lb-l4's {@code HealthChecker}:
 * a fresh non-blocking connection, {@code GET path HTTP/1.1} with {@code Connection:
 * close}, and the status line of the answer (parsed strictly, by the proxy's own parser)
 * compared with the expected status. The checker bounds the whole check by its timeout.
 */
final class HttpHealthProbe implements HealthProbe {
    private static final HttpLimits LIMITS = new HttpLimits(8192, 64 * 1024, 200, 1024 * 1024);

    private final HealthCheck check;

    HttpHealthProbe(HealthCheck check) {
        this.check = check;
    }

    @Override
    public AutoCloseable start(Backend backend, EventLoop loop, Outcome outcome) throws IOException {
        SocketChannel ch = SocketChannel.open();
        Exchange x = new Exchange(backend, ch, outcome);
        try {
            ch.configureBlocking(false);
            boolean connected = ch.connect(backend.address());
            x.key = loop.register(ch, connected ? SelectionKey.OP_WRITE : SelectionKey.OP_CONNECT, x::ready).getNow(null);
            if (x.key == null) {
                throw new IOException("could not register with the event loop");
            }
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return ch;
    }

    private final class Exchange {
        final Backend backend;
        final SocketChannel ch;
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
                    return;
                }
                if (request.hasRemaining()) {
                    ch.write(request);
                    if (!request.hasRemaining()) {
                        k.interestOps(SelectionKey.OP_READ);
                    }
                    return;
                }
                if (k.isReadable()) {
                    in.compact();
                    int n = ch.read(in);
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
                    }
                }
            } catch (HttpException e) {
                end(false, "invalid answer to GET " + check.path() + ": " + e.getMessage());
            } catch (IOException e) {
                end(false, e.getMessage());
            }
        }

        private void end(boolean good, String why) {
            done = true;
            key.cancel();
            BackendConnection.closeQuietly(ch);
            if (good) {
                outcome.passed();
            } else {
                outcome.failed(why);
            }
        }
    }
}
