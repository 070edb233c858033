package org.tollgate.tls.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.tollgate.testsupport.OpenSslServer;
import org.tollgate.tls.Alert;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.cert.CertificateVerifier;
import org.tollgate.tls.cert.DemoCertificates;

/** The blocking client against a real, independent TLS 1.3 server: {@code openssl s_server}. */
@Timeout(60)
class TlsClientOpenSslTest {
    @TempDir
    static Path dir;
    static Path cert;
    static Path key;

    private OpenSslServer server;

    @BeforeAll
    static void writeFiles() throws IOException {
        Path[] files = TestPki.write(dir, "localhost", TestPki.PKI.localhostServer());
        cert = files[0];
        key = files[1];
    }

    @AfterEach
    void stopServer() throws InterruptedException {
        if (server != null) {
            server.close();
        }
    }

    private OpenSslServer start(String... args) throws Exception {
        server = OpenSslServer.builder(cert, key).interactive().args(args).start(dir);
        return server;
    }

    private TlsConnection connect(TlsConfig config) throws IOException {
        return TlsClient.connect("127.0.0.1", server.port(), config);
    }

    /** GET / against {@code s_server -www}, which answers with a status page and then close_notify. */
    private static String fetchStatusPage(TlsConnection c) throws IOException {
        c.outputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        c.outputStream().flush();
        ByteArrayOutputStream page = new ByteArrayOutputStream();
        c.inputStream().transferTo(page); // ends at the server's close_notify: a truncation would throw
        return page.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void fetchesTheStatusPage() throws Exception {
        start("-www");
        try (TlsConnection c = connect(TestPki.clientConfig().build())) {
            HandshakeSummary s = c.summary();
            assertEquals(ProtocolVersion.TLS_1_3, s.version());
            assertEquals(CipherSuite.TLS_AES_128_GCM_SHA256, s.cipherSuite());
            assertEquals(NamedGroup.X25519, s.group());
            assertFalse(s.helloRetryRequest());
            assertEquals(TestPki.PKI.localhostServer().leaf(), s.peerCertificates().get(0));
            String page = fetchStatusPage(c);
            assertTrue(page.startsWith("HTTP/1.0 200 ok"), page);
            assertTrue(page.contains("New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256"), page);
            assertEquals(-1, c.inputStream().read(), "stays at end of stream after close_notify");
        }
    }

    @ParameterizedTest
    @EnumSource(value = CipherSuite.class, names = "TLS_(AES|CHACHA20)_.*", mode = EnumSource.Mode.MATCH_ANY)
    void eachCipherSuite(CipherSuite suite) throws Exception { // TLS 1.3 suites (TLS 1.2: integration-tests Tls12InteropTest)
        start("-www", "-ciphersuites", suite.ianaName());
        try (TlsConnection c = connect(TestPki.clientConfig().build())) {
            assertEquals(suite, c.summary().cipherSuite());
            String page = fetchStatusPage(c);
            assertTrue(page.contains("Cipher is " + suite.ianaName()), page);
        }
    }

    @ParameterizedTest
    @CsvSource({"x25519, X25519", "P-256, SECP256R1", "P-384, SECP384R1"})
    void eachGroup(String opensslName, NamedGroup group) throws Exception {
        start("-www", "-groups", opensslName);
        TlsConfig config = TestPki.clientConfig().keyShareGroups(List.of(group)).build();
        try (TlsConnection c = connect(config)) {
            assertEquals(group, c.summary().group());
            assertFalse(c.summary().helloRetryRequest(), "our first key share was the server's group");
            assertTrue(fetchStatusPage(c).contains("TLSv1.3"));
        }
    }

    @Test
    void helloRetryRequestWhenTheServerWantsAnotherGroup() throws Exception {
        start("-www", "-groups", "P-384");
        TlsConfig config = TestPki.clientConfig().build(); // key share for x25519 only
        assertEquals(List.of(NamedGroup.X25519), config.keyShareGroups());
        try (TlsConnection c = connect(config)) {
            assertTrue(c.summary().helloRetryRequest());
            assertEquals(NamedGroup.SECP384R1, c.summary().group());
            assertTrue(fetchStatusPage(c).contains("Cipher is"));
        }
    }

    @Test
    void alpnPicksTheServersProtocol() throws Exception {
        start("-www", "-alpn", "http/1.1");
        TlsConfig config = TestPki.clientConfig().alpnProtocols(List.of("h2", "http/1.1")).build();
        try (TlsConnection c = connect(config)) {
            assertEquals("http/1.1", c.summary().alpn());
            fetchStatusPage(c);
        }
    }

    @Test
    void alpnWithoutOverlapGetsNoApplicationProtocol() throws Exception {
        start("-www", "-alpn", "spdy/3");
        TlsConfig config = TestPki.clientConfig().alpnProtocols(List.of("h2")).build();
        // OpenSSL 3 refuses a client whose ALPN list has nothing it speaks (RFC 7301 §3.2).
        TlsClientException e = assertThrows(TlsClientException.class, () -> connect(config));
        assertEquals(Alert.NO_APPLICATION_PROTOCOL, e.alert());
        assertTrue(e.receivedFromPeer());
        assertTrue(e.getMessage().contains("none of the ALPN protocols"), e.getMessage());
    }

    @Test
    void withoutAlpnNothingIsNegotiated() throws Exception {
        start("-www", "-alpn", "http/1.1");
        try (TlsConnection c = connect(TestPki.clientConfig().build())) {
            assertNull(c.summary().alpn());
            fetchStatusPage(c);
        }
    }

    @Test
    void sniSelectsTheServersSecondCertificate() throws Exception {
        Path[] other = TestPki.write(dir, "example", TestPki.PKI.issue("example.test", List.of("example.test"),
                DemoCertificates.KeyType.EC_P384, java.time.Instant.now().minus(Duration.ofDays(1)),
                java.time.Instant.now().plus(Duration.ofDays(10)), true));
        start("-www", "-servername", "example.test", "-cert2", other[0].toString(), "-key2", other[1].toString());
        // Connect to 127.0.0.1 but speak to example.test: only the second certificate is valid for that name.
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.port());
        try (TlsConnection c = TlsClient.connect(address, "example.test", TestPki.clientConfig().build())) {
            X509Certificate leaf = c.summary().peerCertificates().get(0);
            assertTrue(leaf.getSubjectX500Principal().getName().contains("example.test"), leaf.toString());
            assertEquals("example.test", c.summary().serverName());
            assertTrue(fetchStatusPage(c).contains("Cipher is"));
        }
        // And without that name the server falls back to its default (localhost) certificate.
        try (TlsConnection c = TlsClient.connect("localhost", server.port(), TestPki.clientConfig().build())) {
            assertEquals(TestPki.PKI.localhostServer().leaf(), c.summary().peerCertificates().get(0));
        }
    }

    @Test
    void keyUpdateRequestIsAnsweredByOpenSsl() throws Exception {
        start("-www");
        try (TlsConnection c = connect(TestPki.clientConfig().build())) {
            c.setReadTimeout(Duration.ofSeconds(10));
            c.updateKeys(true); // RFC 8446 §4.6.3: new client keys, and please update yours
            String page = fetchStatusPage(c); // the request goes under the new keys
            assertTrue(page.contains("Cipher is TLS_AES_128_GCM_SHA256"), page);
            assertEquals(1, c.keyUpdatesReceived(), "OpenSSL answered update_requested with its own KeyUpdate");
        }
    }

    // ------------------------------------------------------------------ failures

    @Test
    void wrongHostNameIsRefusedWithBadCertificate() throws Exception {
        start("-www");
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.port());
        TlsClientException e = assertThrows(TlsClientException.class,
                () -> TlsClient.connect(address, "example.com", TestPki.clientConfig().build()));
        assertEquals(Alert.BAD_CERTIFICATE, e.alert());
        assertFalse(e.receivedFromPeer());
        assertTrue(e.isCertificateFailure());
        assertTrue(e.getMessage().contains("is not valid for example.com"), e.getMessage());
        assertTrue(e.getMessage().endsWith("(bad_certificate)"), e.getMessage());
        // The alert went to the server before the exception reached us.
        server.awaitOutput("alert bad certificate", Duration.ofSeconds(5));
    }

    @Test
    void untrustedCaIsRefusedWithUnknownCa() throws Exception {
        start("-www");
        DemoCertificates.Pki stranger = DemoCertificates.create(Clock.systemUTC());
        TlsConfig config = TlsConfig.builder().verifier(CertificateVerifier.trusting(List.of(stranger.ca()))).build();
        TlsClientException e = assertThrows(TlsClientException.class, () -> connect(config));
        assertEquals(Alert.UNKNOWN_CA, e.alert());
        assertTrue(e.isCertificateFailure());
        server.awaitOutput("alert unknown ca", Duration.ofSeconds(5));
    }

    @Test
    void expiredCertificateIsRefused() throws Exception {
        Path[] expired = TestPki.write(dir, "expired", TestPki.expired("localhost", "127.0.0.1"));
        server = OpenSslServer.builder(expired[0], expired[1]).www().start(dir);
        TlsClientException e = assertThrows(TlsClientException.class, () -> connect(TestPki.clientConfig().build()));
        assertEquals(Alert.CERTIFICATE_EXPIRED, e.alert());
        assertTrue(e.isCertificateFailure());
        server.awaitOutput("alert certificate expired", Duration.ofSeconds(5));
    }

    @Test
    void noCommonCipherSuiteGetsTheServersHandshakeFailure() throws Exception {
        start("-www", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256");
        TlsConfig aesOnly = TestPki.clientConfig()
                .cipherSuites(List.of(CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384)).build();
        TlsClientException e = assertThrows(TlsClientException.class, () -> connect(aesOnly));
        assertEquals(Alert.HANDSHAKE_FAILURE, e.alert());
        assertTrue(e.receivedFromPeer());
        assertFalse(e.isCertificateFailure());
        assertTrue(e.getMessage().startsWith("the server sent the fatal alert handshake_failure"), e.getMessage());
        assertTrue(e.getMessage().contains("cipher suites"), e.getMessage());
    }
}
