package org.tollgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tollgate.testsupport.Curl;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.TlsConfig;

/**
 * Real clients (openssl s_client, gnutls-cli, curl, JSSE, BouncyCastle) against one
 * Tollgate HTTPS server: each GET succeeds, each peer reports TLS 1.3 and the suite, and
 * both sides agree on the group, ALPN and SNI.
 */
class PeersAgainstOurServerTest {
    private static final Duration PEER_TIMEOUT = Duration.ofSeconds(10);
    private static final String ALT_NAME = "alt.tollgate.test";

    @TempDir
    static Path dir;
    static Pki pki;
    static OurServer server;

    @BeforeAll
    static void startServer() throws Exception {
        pki = Pki.create(dir);
        TlsConfig config = TlsConfig.builder()
                .certificate(pki.server().key())
                .certificate(pki.serverFor("alt", List.of(ALT_NAME)).key())
                .alpnProtocols(List.of("http/1.1"))
                .build();
        server = OurServer.start(config, OurServer.Mode.HTTPS);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void forgetEarlierConnections() {
        server.clearReports();
    }

    private static OpenSslClient sClient() {
        return OpenSslClient.to(server.port()).caFile(pki.caFile());
    }

    @ParameterizedTest(name = "s_client {0}")
    @CsvSource({"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"})
    void opensslClientEachSuite(String suite) throws Exception {
        PeerResult result = sClient().servername("localhost").ciphersuites(suite)
                .run(dir, OpenSslClient.httpGet("localhost"), PEER_TIMEOUT);
        result.assertTls13("Tollgate").assertCipher(suite);
        HandshakeSummary summary = server.nextHandshake();
        assertEquals(CipherSuite.parse(suite), summary.cipherSuite());
    }

    @ParameterizedTest(name = "s_client -groups {0}")
    @CsvSource({"X25519, x25519", "P-256, secp256r1", "P-384, secp384r1"})
    void opensslClientEachGroup(String opensslGroup, String rfcName) throws Exception {
        PeerResult result = sClient().servername("localhost").groups(opensslGroup)
                .run(dir, OpenSslClient.httpGet("localhost"), PEER_TIMEOUT);
        result.assertTls13("Tollgate").assertGroup(rfcName);
        HandshakeSummary summary = server.nextHandshake();
        assertEquals(NamedGroup.parse(rfcName), summary.group());
        assertTrue(!summary.helloRetryRequest(), "s_client sent a share for its only group: no retry needed");
    }

    @Test
    void opensslClientHelloRetryWhenItsFirstShareIsNotOurs() throws Exception {
        // s_client sends a key share for the first group only (x448, which Tollgate lacks):
        // the server must ask again for P-256 with a HelloRetryRequest.
        PeerResult result = sClient().servername("localhost").groups("X448:P-256")
                .run(dir, OpenSslClient.httpGet("localhost"), PEER_TIMEOUT);
        result.assertTls13("Tollgate").assertGroup("secp256r1");
        HandshakeSummary summary = server.nextHandshake();
        assertTrue(summary.helloRetryRequest(), summary::oneLine);
        assertEquals(NamedGroup.SECP256R1, summary.group());
    }

    @Test
    void opensslClientAlpnAndSni() throws Exception {
        PeerResult result = sClient().servername("localhost").verifyHostname("localhost").alpn("h2,http/1.1")
                .run(dir, OpenSslClient.httpGet("localhost"), PEER_TIMEOUT);
        result.assertTls13("Tollgate").assertAlpn("http/1.1");
        HandshakeSummary summary = server.nextHandshake();
        assertEquals("localhost", summary.serverName());
        assertEquals("http/1.1", summary.alpn());
    }

    @Test
    void opensslClientGetsTheCertificateForTheNameItAsksFor() throws Exception {
        PeerResult result = sClient().servername(ALT_NAME).verifyHostname(ALT_NAME)
                .run(dir, OpenSslClient.httpGet(ALT_NAME), PEER_TIMEOUT);
        result.assertTls13("Tollgate").assertOutputContains("subject=CN = " + ALT_NAME);
        assertEquals(ALT_NAME, server.nextHandshake().serverName());
    }

    @ParameterizedTest(name = "gnutls-cli {0}")
    @CsvSource({"AES-128-GCM, TLS_AES_128_GCM_SHA256", "AES-256-GCM, TLS_AES_256_GCM_SHA384",
            "CHACHA20-POLY1305, TLS_CHACHA20_POLY1305_SHA256"})
    void gnutlsClient(String gnutlsCipher, String suite) throws Exception {
        PeerResult result = GnutlsCli.to(server.port()).caFile(pki.caFile()).alpn("http/1.1")
                .priority(GnutlsCli.TLS13_ONLY + ":-CIPHER-ALL:+" + gnutlsCipher)
                .run(dir, OpenSslClient.httpGet("localhost"), PEER_TIMEOUT);
        result.assertTls13(null).assertOurPage().assertCipher(suite).assertAlpn("http/1.1");
        HandshakeSummary summary = server.nextHandshake();
        assertEquals(CipherSuite.parse(suite), summary.cipherSuite());
        assertEquals("localhost", summary.serverName());
        assertEquals("http/1.1", summary.alpn());
        assertEquals(NamedGroup.parse(result.group()), summary.group());
    }

    @Test
    void gnutlsClientOnP384() throws Exception {
        PeerResult result = GnutlsCli.to(server.port()).caFile(pki.caFile())
                .priority(GnutlsCli.TLS13_ONLY + ":-GROUP-ALL:+GROUP-SECP384R1")
                .run(dir, OpenSslClient.httpGet("localhost"), PEER_TIMEOUT);
        result.assertTls13(null).assertOurPage().assertGroup("secp384r1");
        assertEquals(NamedGroup.SECP384R1, server.nextHandshake().group());
    }

    @ParameterizedTest(name = "curl --tls13-ciphers {0}")
    @CsvSource({"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"})
    void curl(String suite) throws Exception {
        PeerResult result = PeerResult.curl(Curl.https(server.port()).versions("1.3", "1.3").caFile(pki.caFile())
                .tls13Ciphers(suite).run(dir, PEER_TIMEOUT));
        assertEquals(0, result.exitCode(), result::output);
        result.assertTls13("Tollgate").assertCipher(suite).assertAlpn("http/1.1");
        HandshakeSummary summary = server.nextHandshake();
        assertEquals("localhost", summary.serverName());
        assertEquals("http/1.1", summary.alpn());
    }

    @Test
    void jsseClient() throws Exception {
        SSLContext context = Jsse.context(pki, null);
        Jsse.Session session = Jsse.get(context, server.port(), "localhost", List.of("h2", "http/1.1"),
                OpenSslClient.httpGet("localhost"));
        assertEquals("TLSv1.3", session.protocol());
        assertEquals("http/1.1", session.alpn());
        assertTrue(session.received().startsWith("HTTP/1.1 200"), session.received());
        assertTrue(session.received().contains("Tollgate"), session.received());
        HandshakeSummary summary = server.nextHandshake();
        assertEquals(CipherSuite.parse(session.cipherSuite()), summary.cipherSuite());
        assertEquals("localhost", summary.serverName());
        assertEquals("http/1.1", summary.alpn());
    }

    @Test
    void bouncyCastleClient() throws Exception {
        BcTlsClient.Result result = BcTlsClient.get(pki, server.port(), "localhost", List.of("http/1.1"),
                OpenSslClient.httpGet("localhost"));
        assertEquals("TLS 1.3", result.protocol());
        assertEquals("http/1.1", result.alpn());
        assertTrue(result.response().startsWith("HTTP/1.1 200"), result.response());
        HandshakeSummary summary = server.nextHandshake();
        assertEquals(result.cipherSuite(), summary.cipherSuite().code());
        assertEquals("localhost", summary.serverName());
        assertEquals("http/1.1", summary.alpn());
    }
}
