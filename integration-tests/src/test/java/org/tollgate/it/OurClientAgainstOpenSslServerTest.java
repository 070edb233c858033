package org.tollgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tollgate.testsupport.OpenSslServer;
import org.tollgate.tls.Alert;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.cert.DemoCertificates.KeyType;
import org.tollgate.tls.client.TlsConnection;

/**
 * Tollgate's client against {@code openssl s_server -tls1_3}: every suite, group and
 * certificate key type, a forced HelloRetryRequest, ALPN, SNI, KeyUpdate both ways, and
 * the failures the client must name (expired, untrusted, wrong name, nothing in common).
 */
class OurClientAgainstOpenSslServerTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String ALT_NAME = "alt.tollgate.test";

    @TempDir
    static Path dir;
    static Pki pki;
    /** {@code -www -alpn http/1.1}, serving localhost by default and ALT_NAME by SNI. */
    static OpenSslServer www;

    @BeforeAll
    static void startServer() {
        pki = Pki.create(dir);
        www = pki.server().openSslServer().www().alpn("http/1.1").start(dir);
    }

    @AfterAll
    static void stopServer() {
        if (www != null) {
            www.close();
        }
    }

    private static TlsConfig.Builder config() {
        return TlsConfig.builder().verifier(pki.verifier());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"})
    void eachCipherSuite(String suite) throws Exception {
        try (TlsConnection connection = OurClient.connect(www.port(), "localhost",
                config().cipherSuites(List.of(CipherSuite.parse(suite))).build())) {
            assertEquals(CipherSuite.parse(suite), connection.summary().cipherSuite());
            String page = get(connection);
            // s_server -www reports the connection as it saw it.
            assertTrue(page.contains("New, TLSv1.3, Cipher is " + suite), page);
        }
    }

    @Test
    void newSessionTicketsFromOpenSslAreAccepted() throws Exception {
        // s_server sends two NewSessionTickets after the handshake (RFC 8446 §4.6.1); the
        // client takes them in stride and the connection goes on.
        try (TlsConnection connection = OurClient.connect(www.port(), "localhost", config().build())) {
            String page = get(connection);
            assertTrue(page.contains("New, TLSv1.3"), page);
            assertTrue(connection.ticketsReceived() >= 1, "tickets received: " + connection.ticketsReceived());
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"x25519", "secp256r1", "secp384r1"})
    void eachGroup(String group) throws Exception {
        NamedGroup named = NamedGroup.parse(group);
        try (TlsConnection connection = OurClient.connect(www.port(), "localhost",
                config().groups(List.of(named)).build())) {
            HandshakeSummary summary = connection.summary();
            assertEquals(named, summary.group());
            assertFalse(summary.helloRetryRequest(), summary::oneLine);
            assertTrue(get(connection).contains("Protocol  : TLSv1.3"));
        }
    }

    @Test
    void helloRetryRequestWhenTheServerWantsAnotherGroup() throws Exception {
        // Our first ClientHello carries an x25519 share only; s_server accepts P-384 only.
        try (OpenSslServer p384 = pki.server().openSslServer().www().groups("P-384").start(dir);
             TlsConnection connection = OurClient.connect(p384.port(), "localhost", config().build())) {
            assertEquals(NamedGroup.X25519, config().build().keyShareGroups().get(0), "precondition");
            HandshakeSummary summary = connection.summary();
            assertTrue(summary.helloRetryRequest(), summary::oneLine);
            assertEquals(NamedGroup.SECP384R1, summary.group());
            assertTrue(get(connection).contains("Protocol  : TLSv1.3"));
        }
    }

    @Test
    void alpn() throws Exception {
        try (TlsConnection connection = OurClient.connect(www.port(), "localhost",
                config().alpnProtocols(List.of("h2", "http/1.1")).build())) {
            assertEquals("http/1.1", connection.summary().alpn(), "s_server picked the protocol it knows");
            get(connection);
        }
        // Nothing in common: s_server refuses (RFC 7301 §3.2), and we report its alert.
        TlsException refused = refused(www, "localhost", config().alpnProtocols(List.of("h2")).build());
        assertEquals(Alert.NO_APPLICATION_PROTOCOL, refused.alert());
        assertTrue(refused.receivedFromPeer());
    }

    @Test
    void sniSelectsTheServersSecondCertificate() throws Exception {
        Pki.Cert alt = pki.serverFor("alt", List.of(ALT_NAME));
        try (OpenSslServer sni = pki.server().openSslServer().www().sniCertificate(ALT_NAME, alt.certFile(), alt.keyFile())
                .args("-servername_fatal").start(dir)) {
            try (TlsConnection connection = OurClient.connect(sni.port(), ALT_NAME, config().build())) {
                assertEquals(alt.key().leaf(), connection.summary().peerCertificates().get(0));
                assertTrue(get(connection).contains("TLSv1.3"));
            }
            // -servername_fatal: any other name is refused, which shows the server saw the name we sent.
            TlsException refused = refused(sni, "localhost", config().build());
            assertEquals(Alert.UNRECOGNIZED_NAME, refused.alert());
            assertTrue(refused.receivedFromPeer());
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"EC_P256, ecdsa_secp256r1_sha256", "EC_P384, ecdsa_secp384r1_sha384",
            "RSA_2048, rsa_pss_rsae_sha256", "ED25519, ed25519"})
    void everyCertificateKeyType(KeyType type, String scheme) throws Exception {
        try (OpenSslServer server = pki.server(type).openSslServer().www().start(dir);
             TlsConnection connection = OurClient.connect(server.port(), "localhost", config().build())) {
            assertEquals(scheme, connection.summary().signatureScheme().rfcName());
            assertTrue(get(connection).contains("Protocol  : TLSv1.3"));
        }
    }

    @Test
    void keyUpdateBothWays() throws Exception {
        // Interactive s_server: what we send appears on its stdout; its stdin comes to us,
        // except the commands "k" (update its keys) and "K" (and ask us to update ours).
        try (OpenSslServer server = pki.server().openSslServer().interactive().start(dir);
             TlsConnection connection = OurClient.connect(server.port(), "localhost", config().build())) {
            send(connection, "hello from tollgate\n");
            server.awaitLine("^hello from tollgate$", WAIT);

            connection.updateKeys(true); // we update ours and ask s_server to update its own
            send(connection, "after our update\n");
            server.awaitLine("^after our update$", WAIT);
            server.send("reply after the update\n");
            assertTrue(OurClient.readUntil(connection.inputStream(), "reply after the update")
                    .contains("reply after the update"));
            assertEquals(1, connection.keyUpdatesReceived(), "s_server answered our request with its KeyUpdate");

            // s_server updates its keys and requests ours. It drops whatever else it read with
            // the command, so send more only once our reader has taken in its KeyUpdate.
            CompletableFuture<String> reader = CompletableFuture.supplyAsync(() -> {
                try {
                    return OurClient.readUntil(connection.inputStream(), "after their update");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            server.send("K\n");
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (connection.keyUpdatesReceived() < 2) {
                assertTrue(System.nanoTime() < deadline, "no KeyUpdate from s_server\n" + server.describe());
                Thread.sleep(20);
            }
            server.send("after their update\n");
            assertTrue(reader.get(WAIT.toSeconds(), TimeUnit.SECONDS).contains("after their update"));
            send(connection, "still talking\n");
            server.awaitLine("^still talking$", WAIT);
        }
    }

    @Test
    void expiredCertificate() throws Exception {
        try (OpenSslServer server = pki.expiredServer().openSslServer().www().start(dir)) {
            TlsException failure = refused(server, "localhost", config().build());
            assertEquals(Alert.CERTIFICATE_EXPIRED, failure.alert());
            assertTrue(failure.getMessage().contains("expired"), failure::getMessage);
            server.awaitLine("alert certificate expired", WAIT);
        }
    }

    @Test
    void untrustedCertificateAuthority() throws Exception {
        Pki other = Pki.createOther(dir);
        try (OpenSslServer server = other.server().openSslServer().www().start(dir)) {
            TlsException failure = refused(server, "localhost", config().build());
            assertEquals(Alert.UNKNOWN_CA, failure.alert());
            server.awaitLine("alert unknown ca", WAIT);
        }
    }

    @Test
    void wrongHostname() throws Exception {
        TlsException failure = refused(www, "wrong.example", config().build());
        assertEquals(Alert.BAD_CERTIFICATE, failure.alert());
        assertTrue(failure.getMessage().contains("wrong.example"), failure::getMessage);
        www.awaitLine("alert bad certificate", WAIT);
    }

    @Test
    void noCommonCipherSuite() throws Exception {
        try (OpenSslServer server = pki.server().openSslServer().www()
                .ciphersuites("TLS_CHACHA20_POLY1305_SHA256").start(dir)) {
            TlsException failure = refused(server, "localhost",
                    config().cipherSuites(List.of(CipherSuite.TLS_AES_128_GCM_SHA256)).build());
            assertEquals(Alert.HANDSHAKE_FAILURE, failure.alert());
            assertTrue(failure.receivedFromPeer(), failure::toString);
            server.awaitLine("no shared cipher", WAIT);
        }
    }

    @Test
    void noCommonGroup() throws Exception {
        try (OpenSslServer server = pki.server().openSslServer().www().groups("P-384").start(dir)) {
            TlsException failure = refused(server, "localhost",
                    config().groups(List.of(NamedGroup.X25519)).build());
            assertEquals(Alert.HANDSHAKE_FAILURE, failure.alert());
            assertTrue(failure.receivedFromPeer(), failure::toString);
            server.awaitLine("no suitable key share", WAIT);
        }
    }

    private static TlsException refused(OpenSslServer server, String name, TlsConfig config) {
        IOException e = assertThrows(IOException.class, () -> OurClient.connect(server.port(), name, config).close());
        return OurClient.tlsFailure(e);
    }

    private static void send(TlsConnection connection, String text) throws IOException {
        connection.outputStream().write(text.getBytes(StandardCharsets.UTF_8));
        connection.outputStream().flush();
    }

    private static String get(TlsConnection connection) throws IOException {
        send(connection, "GET / HTTP/1.0\r\n\r\n");
        return OurClient.readAll(connection.inputStream());
    }
}
