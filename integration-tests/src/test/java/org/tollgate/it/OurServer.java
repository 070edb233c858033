package org.tollgate.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.server.EchoHandler;
import org.tollgate.tls.server.HttpsHandler;
import org.tollgate.tls.server.TlsServer;

/**
 * Tollgate's {@link TlsServer} on a free loopback port (bound to port 0), recording every
 * handshake summary and failure it reports through its {@code onHandshake} and
 * {@code onFailure} hooks, so tests can check what our side saw.
 */
final class OurServer implements AutoCloseable {
    enum Mode {
        /** The built-in {@link HttpsHandler}: GET / answers an HTML page about the connection. */
        HTTPS,
        /** The built-in {@link EchoHandler}: every byte comes back. */
        ECHO
    }

    private final TlsServer server;
    private final BlockingQueue<HandshakeSummary> handshakes = new LinkedBlockingQueue<>();
    private final BlockingQueue<TlsException> failures = new LinkedBlockingQueue<>();

    private OurServer(TlsConfig config, Mode mode) throws IOException {
        server = TlsServer.builder()
                .config(config)
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .handler(mode == Mode.HTTPS ? HttpsHandler::new : EchoHandler::new)
                .eventLoops(1)
                .onHandshake((peer, summary) -> handshakes.add(summary))
                .onFailure((peer, failure) -> failures.add(failure))
                .build();
    }

    static OurServer start(TlsConfig config, Mode mode) throws IOException {
        return new OurServer(config, mode);
    }

    int port() {
        return server.localAddress().getPort();
    }

    TlsServer server() {
        return server;
    }

    /** The next handshake the server completed. */
    HandshakeSummary nextHandshake() throws InterruptedException {
        HandshakeSummary summary = handshakes.poll(10, TimeUnit.SECONDS);
        if (summary == null) {
            throw new AssertionError("the server reported no handshake within 10 s; failures: " + failures);
        }
        return summary;
    }

    /** The next failure the server reported. */
    TlsException nextFailure(Duration timeout) throws InterruptedException {
        TlsException failure = failures.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (failure == null) {
            throw new AssertionError("the server reported no failure within " + timeout + "; handshakes: "
                    + handshakes);
        }
        return failure;
    }

    void clearReports() {
        handshakes.clear();
        failures.clear();
    }

    @Override
    public void close() {
        server.close();
    }
}
