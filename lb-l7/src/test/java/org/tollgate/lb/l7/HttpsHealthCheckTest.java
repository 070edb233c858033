package org.tollgate.lb.l7;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.l4.HealthConfig;
import org.tollgate.testsupport.Closer;
import org.tollgate.testsupport.OpenSslServer;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.cert.CertificateVerifier;
import org.tollgate.tls.cert.CertifiedKey;
import org.tollgate.tls.cert.DemoCertificates;
import org.tollgate.tls.cert.PemFiles;
import org.tollgate.tls.server.Connection;
import org.tollgate.tls.server.ConnectionHandler;
import org.tollgate.tls.server.HttpsHandler;
import org.tollgate.tls.server.TlsServer;

/**
 * Active health checks over HTTPS to pools that re-encrypt: against Tollgate's tls-server and
 * {@code openssl s_server -www} (the checks pass, requests are served), against backends whose
 * certificate does not verify (DOWN, the certificate reason in the log), and against an HTTPS
 * backend answering an unexpected status (DOWN, back UP when fixed).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class HttpsHealthCheckTest {
    @TempDir
    static Path dir;
    static DemoCertificates.Pki pki;
    static CertifiedKey backendKey;
    @RegisterExtension
    final Closer closer = new Closer();
    private final Logger checkerLog = Logger.getLogger("org.tollgate.lb.l4.HealthChecker");
    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                warnings.add(r.getMessage());
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeAll
    static void certificates() throws IOException {
        pki = DemoCertificates.create(Clock.systemUTC());
        Instant now = Instant.now();
        backendKey = pki.issue("backend.internal", List.of("backend.internal"), DemoCertificates.KeyType.EC_P256,
                now.minusSeconds(3600), now.plusSeconds(86400), true);
        pki.writeCa(dir.resolve("ca.pem"));
        PemFiles.writeCertificates(dir.resolve("backend.pem"), backendKey.chain());
        PemFiles.writePrivateKey(dir.resolve("backend.key"), backendKey.privateKey());
    }

    @BeforeEach
    void listen() {
        checkerLog.addHandler(capture);
    }

    @AfterEach
    void closeAll() throws Exception {
        checkerLog.removeHandler(capture);
    }

    private TlsServer tlsServer(java.util.function.Supplier<? extends ConnectionHandler> handler) throws IOException {
        TlsServer server = TlsServer.builder().bind("127.0.0.1", 0).eventLoops(1)
                .config(TlsConfig.builder().certificate(backendKey).alpnProtocols(List.of("http/1.1")).build())
                .handler(handler).build();
        closer.add(server);
        return server;
    }

    private L7Proxy proxy(BackendPool pool) throws IOException {
        L7Proxy p = L7Proxy.start(L7ProxyTest.config(pool).retryAfterSeconds(1).build());
        closer.add(p);
        return p;
    }

    private static HealthCheck everyFiftyMillis(String path) {
        return new HealthCheck(path, 200, HealthConfig.builder().interval(java.time.Duration.ofMillis(50))
                .timeout(java.time.Duration.ofSeconds(5)).rise(1).fall(1).ejectAfter(0).build());
    }

    private static TlsConfig trusting(java.security.cert.X509Certificate ca) {
        return TlsConfig.builder().verifier(CertificateVerifier.trusting(List.of(ca))).alpnProtocols(List.of("http/1.1")).build();
    }

    private static long checks(L7Proxy p, int backend) {
        return p.snapshot().pools().get(0).backends().get(backend).healthChecks();
    }

    private static RawClient.Response get(L7Proxy p) throws IOException {
        try (RawClient c = new RawClient(p.localAddress())) {
            c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            return c.read();
        }
    }

    @Test
    void checksPassOverHttpsToTollgatesTlsServerAndOpensslSServerFromTheConfigFile() throws Exception {
        TlsServer tollgate = tlsServer(HttpsHandler::new);
        OpenSslServer openssl = OpenSslServer.builder(dir.resolve("backend.pem"), dir.resolve("backend.key"))
                .anyVersion().www().start(dir);
        closer.add(openssl);
        int opensslPort = openssl.port();
        String yml = "listeners:\n  - listen: 127.0.0.1:0\n"
                + "pools:\n  secure:\n"
                + "    backends: [127.0.0.1:" + tollgate.localAddress().getPort() + ", 127.0.0.1:" + opensslPort + "]\n"
                + "    tls:\n      ca: ca.pem\n      server-name: backend.internal\n"
                + "    health-check:\n      path: /\n      interval: 50ms\n      timeout: 5s\n      rise: 1\n      fall: 1\n"
                + "routes:\n  - pool: secure\n";
        L7Proxy p = L7Proxy.start(ConfigFile.parse("lb-l7.yml", dir, yml, null).listeners().get(0));
        closer.add(p);
        HealthCheckTest.waitFor(() -> checks(p, 0) >= 4 && checks(p, 1) >= 4, "four checks of each backend");
        // fall 1: a single failed check would have taken a backend DOWN
        for (StatsSnapshot.BackendStats b : p.snapshot().pools().get(0).backends()) {
            assertEquals(Backend.State.UP, b.state(), b + " " + warnings);
        }
        assertTrue(warnings.isEmpty(), warnings.toString());
        assertTrue(tollgate.acceptedConnections() >= 4, "each check is a TLS connection: " + tollgate.acceptedConnections());
        boolean sawTollgate = false;
        boolean sawOpenssl = false;
        for (int i = 0; i < 4; i++) {
            RawClient.Response r = get(p);
            assertEquals(200, r.status(), r.body());
            sawTollgate |= r.body().contains("backend.internal") && !r.body().contains("s_server");
            sawOpenssl |= r.body().contains("Ciphers supported in s_server binary");
        }
        assertTrue(sawTollgate && sawOpenssl, "both backends serve requests");
    }

    @Test
    void aCertificateThatDoesNotVerifyTakesTheBackendDownWithTheReasonLogged() throws Exception {
        TlsServer server = tlsServer(HttpsHandler::new);
        // the right CA but a name the certificate does not carry
        Backend wrongName = new Backend("wrong-name", server.localAddress());
        L7Proxy p1 = proxy(BackendPool.builder("secure", Algorithm.ROUND_ROBIN, List.of(wrongName))
                .healthCheck(everyFiftyMillis("/")).tls(trusting(pki.ca()), "other.internal").build());
        HealthCheckTest.waitFor(() -> wrongName.state() == Backend.State.DOWN, "wrong-name DOWN");
        // the right name but another CA
        DemoCertificates.Pki other = DemoCertificates.create(Clock.systemUTC());
        Backend otherCa = new Backend("other-ca", server.localAddress());
        L7Proxy p2 = proxy(BackendPool.builder("secure", Algorithm.ROUND_ROBIN, List.of(otherCa))
                .healthCheck(everyFiftyMillis("/")).tls(trusting(other.ca()), "backend.internal").build());
        HealthCheckTest.waitFor(() -> otherCa.state() == Backend.State.DOWN, "other-ca DOWN");

        String nameWarning = warning("wrong-name is DOWN");
        assertTrue(nameWarning.contains("TLS handshake failed") && nameWarning.contains("other.internal"), nameWarning);
        String caWarning = warning("other-ca is DOWN");
        assertTrue(caWarning.contains("TLS handshake failed") && caWarning.toLowerCase().contains("certificate"), caWarning);
        assertEquals(503, get(p1).status());
        assertEquals(503, get(p2).status());
        assertTrue(server.failedConnections() >= 2, "the backend saw the handshakes fail: " + server.failedConnections());
    }

    private String warning(String start) {
        return warnings.stream().filter(w -> w.startsWith(start)).findFirst()
                .orElseThrow(() -> new AssertionError("no warning starting with '" + start + "' in " + warnings));
    }

    @Test
    void anHttpsBackendAnsweringAnUnexpectedStatusGoesDownAndReturnsWhenFixed() throws Exception {
        AtomicInteger status = new AtomicInteger(200);
        AtomicInteger healthRequests = new AtomicInteger();
        TlsServer server = tlsServer(() -> new StatusHandler(status, healthRequests));
        Backend b = new Backend("status", server.localAddress());
        L7Proxy p = proxy(BackendPool.builder("secure", Algorithm.ROUND_ROBIN, List.of(b))
                .healthCheck(everyFiftyMillis("/health")).tls(trusting(pki.ca()), "backend.internal").build());
        HealthCheckTest.waitFor(() -> healthRequests.get() >= 3, "three checks over HTTPS");
        assertEquals(Backend.State.UP, b.state());
        assertEquals(200, get(p).status());

        status.set(500);
        HealthCheckTest.waitFor(() -> b.state() == Backend.State.DOWN, "DOWN on a 500");
        assertTrue(warning("status is DOWN").contains("GET /health answered 500, expected 200"), warnings.toString());
        assertEquals(503, get(p).status());

        status.set(200);
        HealthCheckTest.waitFor(() -> b.state() == Backend.State.UP, "UP again on a 200");
        assertEquals(200, get(p).status());
    }

    @Test
    void aSilentHttpsBackendTimesOutAndTheCheckReleasesItsConnection() throws Exception {
        AtomicInteger opened = new AtomicInteger();
        AtomicInteger closed = new AtomicInteger();
        TlsServer server = tlsServer(() -> new ConnectionHandler() {
            @Override
            public void onOpen(Connection c) {
                opened.incrementAndGet();
            }

            @Override
            public void onData(Connection c, ByteBuffer data) {
                data.position(data.limit()); // reads the request, never answers
            }

            @Override
            public void onClose(Connection c) {
                closed.incrementAndGet();
            }
        });
        Backend b = new Backend("silent", server.localAddress());
        HealthCheck check = new HealthCheck("/health", 200, HealthConfig.builder().interval(java.time.Duration.ofMillis(50))
                .timeout(java.time.Duration.ofMillis(300)).rise(1).fall(1).ejectAfter(0).build());
        proxy(BackendPool.builder("secure", Algorithm.ROUND_ROBIN, List.of(b))
                .healthCheck(check).tls(trusting(pki.ca()), "backend.internal").build());
        HealthCheckTest.waitFor(() -> b.state() == Backend.State.DOWN, "DOWN after a timeout");
        assertTrue(warning("silent is DOWN").contains("timed out after 300 ms"), warnings.toString());
        // the proxy still runs: only the checker's timeout can have closed these TLS connections
        HealthCheckTest.waitFor(() -> closed.get() >= 3, "three timed-out checks closed their connections");
        assertTrue(opened.get() - closed.get() <= 1, "at most the check in progress holds a connection: "
                + opened.get() + " opened, " + closed.get() + " closed");
    }

    @Test
    void eachCheckEndsWithCloseNotify() throws Exception {
        // A blocking backend on tls-core's TlsChannel: answers, keeps the connection open and
        // reads on, so it sees how the check ends (close_notify, or a bare FIN).
        java.nio.channels.ServerSocketChannel listener = java.nio.channels.ServerSocketChannel.open()
                .bind(new InetSocketAddress("127.0.0.1", 0));
        closer.add(listener);
        TlsConfig config = TlsConfig.builder().certificate(backendKey).alpnProtocols(List.of("http/1.1")).build();
        java.util.concurrent.BlockingQueue<String> endings = new java.util.concurrent.LinkedBlockingQueue<>();
        Thread backend = new Thread(() -> {
            while (listener.isOpen()) {
                try (java.nio.channels.SocketChannel s = listener.accept()) {
                    org.tollgate.tls.nio.TlsChannel tls = org.tollgate.tls.nio.TlsChannel.server(s, config);
                    ByteBuffer in = ByteBuffer.allocate(4096);
                    StringBuilder head = new StringBuilder();
                    while (head.indexOf("\r\n\r\n") < 0 && tls.read(in) > 0) {
                        head.append(new String(in.array(), 0, in.position(), StandardCharsets.ISO_8859_1));
                        in.clear();
                    }
                    tls.write(ByteBuffer.wrap("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)));
                    in.clear();
                    int n = tls.read(in);
                    endings.add(n < 0 && !tls.isTruncated() ? "close_notify" : "read " + n + ", truncated " + tls.isTruncated());
                } catch (IOException e) {
                    if (listener.isOpen()) {
                        endings.add(e.toString());
                    }
                }
            }
        }, "close-notify-backend");
        backend.setDaemon(true);
        backend.start();
        InetSocketAddress address = (InetSocketAddress) listener.getLocalAddress();
        Backend b = new Backend("blocking", address);
        proxy(BackendPool.builder("secure", Algorithm.ROUND_ROBIN, List.of(b))
                .healthCheck(everyFiftyMillis("/health")).tls(trusting(pki.ca()), "backend.internal").build());
        for (int i = 0; i < 3; i++) {
            assertEquals("close_notify", endings.poll(30, TimeUnit.SECONDS), "how check " + i + " ended");
        }
        assertEquals(Backend.State.UP, b.state());
    }

    /** A tiny HTTPS backend: {@code /health} answers the settable status, anything else 200; one request per connection. */
    private static final class StatusHandler implements ConnectionHandler {
        private final AtomicInteger status;
        private final AtomicInteger healthRequests;
        private final StringBuilder head = new StringBuilder();

        StatusHandler(AtomicInteger status, AtomicInteger healthRequests) {
            this.status = status;
            this.healthRequests = healthRequests;
        }

        @Override
        public void onData(Connection connection, ByteBuffer data) {
            while (data.hasRemaining()) {
                head.append((char) (data.get() & 0xff));
            }
            int end = head.indexOf("\r\n\r\n");
            if (end < 0) {
                return;
            }
            boolean health = head.toString().startsWith("GET /health ");
            int code = health ? status.get() : 200;
            if (health) {
                healthRequests.incrementAndGet();
            }
            String body = code == 200 ? "ok\n" : "broken\n";
            connection.write(ByteBuffer.wrap(("HTTP/1.1 " + code + " " + (code == 200 ? "OK" : "Internal Server Error")
                    + "\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body).getBytes(StandardCharsets.ISO_8859_1)));
            connection.close();
        }
    }
}
