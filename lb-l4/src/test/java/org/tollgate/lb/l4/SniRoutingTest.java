package org.tollgate.lb.l4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tollgate.lb.l4.HealthTest.readLine;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.balance.Balancer;
import org.tollgate.lb.balance.RoundRobin;
import org.tollgate.testsupport.Closer;
import org.tollgate.testsupport.Curl;
import org.tollgate.testsupport.OpenSslServer;
import org.tollgate.tls.cert.CertifiedKey;
import org.tollgate.tls.cert.DemoCertificates;
import org.tollgate.tls.cert.PemFiles;

/**
 * SNI passthrough: curl reaches two {@code openssl s_server}s with different certificates
 * through one forwarder port, each by its name; plain and broken first flights go to the
 * default pool or are closed.
 */
@Timeout(value = 40, unit = TimeUnit.SECONDS)
class SniRoutingTest {
    @RegisterExtension
    final Closer closer = new Closer();

    private <T extends AutoCloseable> T closing(T t) {
        return closer.add(t);
    }

    private TcpForwarder forwarder(SniRoutes routes, Balancer defaultPool) throws IOException {
        return closing(TcpForwarder.start(ForwarderConfig.builder(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .eventLoops(2).sniRoutes(routes).build(), defaultPool));
    }

    @Test
    void routesPickExactThenLongestWildcard() {
        Balancer a = new RoundRobin(List.of());
        Balancer b = new RoundRobin(List.of());
        Balancer c = new RoundRobin(List.of());
        SniRoutes r = SniRoutes.builder().route("a.example.com", a).route("*.example.com", b).route("*.x.example.com", c).build();
        assertEquals(a, r.poolFor("A.Example.com.").orElseThrow());
        assertEquals(b, r.poolFor("www.example.com").orElseThrow());
        assertEquals(b, r.poolFor("deep.www.example.com").orElseThrow());
        assertEquals(c, r.poolFor("y.x.example.com").orElseThrow());
        assertTrue(r.poolFor("example.com").isEmpty(), "*.example.com does not match example.com");
        assertTrue(r.poolFor("badexample.com").isEmpty());
        assertThrows(IllegalArgumentException.class, () -> SniRoutes.builder().route("a.*.com", a));
        assertThrows(IllegalArgumentException.class, () -> SniRoutes.builder().route("a b", a));
        assertThrows(IllegalArgumentException.class, () -> SniRoutes.builder().route("x.org", a).route("X.org", b));
    }

    @Test
    void curlReachesEachTlsBackendByItsNameThroughOnePort(@TempDir Path dir) throws Exception {
        DemoCertificates.Pki pki = DemoCertificates.create(Clock.systemUTC());
        Instant now = Instant.now();
        OpenSslServer a = closing(openSsl(dir, "a", pki.issue("a.example.com", List.of("a.example.com"),
                DemoCertificates.KeyType.EC_P256, now.minusSeconds(3600), now.plusSeconds(86400), true)));
        OpenSslServer b = closing(openSsl(dir, "b", pki.issue("www.example.net", List.of("www.example.net"),
                DemoCertificates.KeyType.EC_P256, now.minusSeconds(3600), now.plusSeconds(86400), true)));
        Path ca = dir.resolve("ca.pem");
        pki.writeCa(ca);
        TestBackend plain = closing(new TestBackend("plain", TestBackend.WHO_AM_I_ECHO));

        Backend ba = new Backend("a", a.address());
        Backend bb = new Backend("b", b.address());
        Backend bd = plain.backend(1);
        TcpForwarder f = forwarder(SniRoutes.builder()
                .route("a.example.com", new RoundRobin(List.of(ba)))
                .route("*.example.net", new RoundRobin(List.of(bb))).build(), new RoundRobin(List.of(bd)));
        int port = f.localAddress().getPort();

        // Each certificate names only its own host, so curl's verification proves the route.
        curl(dir, ca, "a.example.com", port);
        assertEquals(1, ba.totalConnections());
        assertEquals(0, bb.totalConnections());
        curl(dir, ca, "www.example.net", port);
        curl(dir, ca, "www.example.net", port);
        assertEquals(1, ba.totalConnections());
        assertEquals(2, bb.totalConnections());
        assertEquals(0, bd.totalConnections());
        assertTrue(f.allBackends().containsAll(List.of(ba, bb, bd)));

        // Plain HTTP is not TLS: with the default fallback it goes to the default pool intact.
        try (Socket s = new Socket()) {
            s.connect(f.localAddress(), 5000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("plain", readLine(s.getInputStream()));
            assertEquals("GET / HTTP/1.1\r", readLine(s.getInputStream()), "the peeked bytes are forwarded first");
        }
        assertEquals(1, bd.totalConnections());
    }

    /** {@code openssl s_server -www} with {@code key}, written as PEM files named after {@code name}. */
    private static OpenSslServer openSsl(Path dir, String name, CertifiedKey key) throws IOException {
        Path cert = dir.resolve(name + ".pem");
        Path privateKey = dir.resolve(name + "-key.pem");
        PemFiles.writeCertificates(cert, key.chain());
        PemFiles.writePrivateKey(privateKey, key.privateKey());
        return OpenSslServer.builder(cert, privateKey).www().start(dir);
    }

    private static void curl(Path dir, Path ca, String host, int port) {
        Curl.Result r = Curl.https(port).host(host).versions("1.3", "1.3").caFile(ca).run(dir, Duration.ofSeconds(11));
        assertEquals(0, r.exit(), () -> host + ": " + r.err());
        assertTrue(r.out().contains("s_server"), r::output);
    }

    @Test
    void malformedAndPlainFirstFlightsAreClosedWhenSoConfigured() throws Exception {
        TestBackend plain = closing(new TestBackend("plain", TestBackend.WHO_AM_I_ECHO));
        Backend bd = plain.backend(1);
        TcpForwarder f = forwarder(SniRoutes.builder().fallback(SniRoutes.Fallback.CLOSE).build(), new RoundRobin(List.of(bd)));
        byte[][] flights = {
            "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
            ClientHelloPeekTest.record(22, ClientHelloPeekTest.handshake(2, new byte[10])), // a ServerHello first
            {22, 3, 1, 0, 0},
        };
        for (byte[] flight : flights) {
            try (Socket s = new Socket()) {
                s.connect(f.localAddress(), 5000);
                s.setSoTimeout(10_000);
                s.getOutputStream().write(flight);
                assertClosed(s);
            }
        }
        assertEquals(0, bd.totalConnections(), "nothing reached the backend");
    }

    @Test
    void aTooLargeClientHelloIsNotWaitedFor() throws Exception {
        Backend bd = closing(new TestBackend("plain", TestBackend.WHO_AM_I_ECHO)).backend(1);
        TcpForwarder f = forwarder(SniRoutes.builder().maxClientHelloBytes(1024).fallback(SniRoutes.Fallback.CLOSE).build(),
                new RoundRobin(List.of(bd)));
        try (Socket s = new Socket()) {
            s.connect(f.localAddress(), 5000);
            s.setSoTimeout(10_000);
            // a record header and a ClientHello header announcing 3000 bytes: more than the 1024 allowed
            s.getOutputStream().write(new byte[] {22, 3, 1, 0x0b, (byte) 0xbc, 1, 0, 0x0b, (byte) 0xb8});
            assertClosed(s);
        }
        assertEquals(0, bd.totalConnections());
    }

    @Test
    void aSilentClientGoesToTheDefaultPoolAfterTheTimeout() throws Exception {
        Backend bd = closing(new TestBackend("plain", TestBackend.WHO_AM_I_ECHO)).backend(1);
        TcpForwarder f = forwarder(SniRoutes.builder().timeout(Duration.ofMillis(200)).build(), new RoundRobin(List.of(bd)));
        try (Socket s = new Socket()) {
            s.connect(f.localAddress(), 5000);
            s.setSoTimeout(10_000);
            // a server-speaks-first protocol: the backend greets, though the client said nothing
            assertEquals("plain", readLine(s.getInputStream()));
        }
    }

    private static void assertClosed(Socket s) throws IOException {
        try {
            assertEquals(-1, s.getInputStream().read(), "closed without a byte");
        } catch (SocketException e) {
            assertFalse(s.isClosed()); // a reset is a close as well
        }
    }
}
