package org.tollgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tollgate.testsupport.Processes;
import org.tollgate.tls.Alert;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.SignatureScheme;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.cert.DemoCertificates.KeyType;

/**
 * openssl s_client against Tollgate servers set up for one case each: every certificate
 * key type, KeyUpdate both ways, and the failures a client must see clearly (expired,
 * untrusted, wrong name, nothing in common).
 */
class OpenSslClientAgainstOurServerTest {
    private static final Duration PEER_TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private OurServer start(TlsConfig.Builder config, OurServer.Mode mode) throws Exception {
        return OurServer.start(config.build(), mode);
    }

    @ParameterizedTest(name = "{0} certificate")
    @CsvSource({
            "EC_P256, ecdsa_secp256r1_sha256, ECDSA, SHA256",
            "EC_P384, ecdsa_secp384r1_sha384, ECDSA, SHA384",
            "RSA_2048, rsa_pss_rsae_sha256, RSA-PSS, SHA256",
            "ED25519, ed25519, ed25519, ''"})
    void everyCertificateKeyType(KeyType type, String scheme, String opensslType, String opensslDigest)
            throws Exception {
        Pki pki = Pki.create(dir);
        try (OurServer server = start(TlsConfig.builder().certificate(pki.server(type).key()), OurServer.Mode.HTTPS)) {
            PeerResult result = OpenSslClient.to(server.port()).caFile(pki.caFile()).servername("localhost")
                    .run(dir, OpenSslClient.httpGet("localhost"), PEER_TIMEOUT);
            result.assertTls13("Tollgate").assertOutputContains("Peer signature type: " + opensslType);
            if (!opensslDigest.isEmpty()) {
                result.assertOutputContains("Peer signing digest: " + opensslDigest);
            }
            assertEquals(scheme, server.nextHandshake().signatureScheme().rfcName());
        }
    }

    @Test
    void keyUpdateFromOpensslBothKinds() throws Exception {
        Pki pki = Pki.create(dir);
        try (OurServer server = start(TlsConfig.builder().certificate(pki.server().key()), OurServer.Mode.ECHO);
             Processes.Running client = OpenSslClient.to(server.port()).caFile(pki.caFile())
                     .servername("localhost").args("-msg").start(dir)) {
            client.send("before\n");
            client.awaitLine(Pattern.compile("^before$"), PEER_TIMEOUT);
            // s_client's commands: "k" updates its keys, "K" also asks us to update ours (RFC 8446 §4.6.3).
            // s_client treats everything it reads at once as the command: wait for it before more data.
            client.send("k\n");
            awaitCount(client, "KEYUPDATE", 1);
            client.send("after-k\n");
            client.awaitLine(Pattern.compile("^after-k$"), PEER_TIMEOUT);
            int updatesBefore = count(client.stdout(), "<<< TLS 1.3, Handshake [length 0005], KeyUpdate");
            assertEquals(0, updatesBefore, "no KeyUpdate from us until one is requested:\n" + client.stdout());
            client.send("K\n");
            awaitCount(client, "KEYUPDATE", 2);
            client.send("after-K\n");
            client.awaitLine(Pattern.compile("^after-K$"), PEER_TIMEOUT);
            client.awaitLine(Pattern.compile("<<< TLS 1.3, Handshake \\[length 0005\\], KeyUpdate"), PEER_TIMEOUT);
            client.send("last\n");
            client.awaitLine(Pattern.compile("^last$"), PEER_TIMEOUT);
            assertEquals(1, count(client.stdout(), "<<< TLS 1.3, Handshake [length 0005], KeyUpdate"),
                    () -> "exactly one KeyUpdate answers the one request:\n" + client.stdout());
        }
    }

    @Test
    void expiredServerCertificate() throws Exception {
        Pki pki = Pki.create(dir);
        try (OurServer server = start(TlsConfig.builder().certificate(pki.expiredServer().key()),
                OurServer.Mode.HTTPS)) {
            PeerResult result = OpenSslClient.to(server.port()).caFile(pki.caFile()).servername("localhost")
                    .run(dir, OpenSslClient.httpGet("localhost"), PEER_TIMEOUT);
            assertNotEquals(0, result.exitCode());
            result.assertOutputContains("certificate has expired");
            assertPeerAlert(server, Alert.CERTIFICATE_EXPIRED);
        }
    }

    @Test
    void untrustedCertificateAuthority() throws Exception {
        Pki pki = Pki.create(dir);
        Pki other = Pki.createOther(dir);
        try (OurServer server = start(TlsConfig.builder().certificate(other.server().key()), OurServer.Mode.HTTPS)) {
            PeerResult result = OpenSslClient.to(server.port()).caFile(pki.caFile()).servername("localhost")
                    .run(dir, OpenSslClient.httpGet("localhost"), PEER_TIMEOUT);
            assertNotEquals(0, result.exitCode());
            result.assertOutputContains("unable to get local issuer certificate");
            assertPeerAlert(server, Alert.UNKNOWN_CA);
        }
    }

    @Test
    void wrongHostname() throws Exception {
        Pki pki = Pki.create(dir);
        try (OurServer server = start(TlsConfig.builder().certificate(pki.server().key()), OurServer.Mode.HTTPS)) {
            PeerResult result = OpenSslClient.to(server.port()).caFile(pki.caFile()).servername("wrong.example")
                    .verifyHostname("wrong.example")
                    .run(dir, OpenSslClient.httpGet("wrong.example"), PEER_TIMEOUT);
            assertNotEquals(0, result.exitCode());
            result.assertOutputContains("hostname mismatch");
            Throwable failure = server.nextFailure(PEER_TIMEOUT);
            assertTrue(failure instanceof TlsException t && t.receivedFromPeer(), failure::toString);
        }
    }

    @Test
    void noCommonCipherSuite() throws Exception {
        Pki pki = Pki.create(dir);
        try (OurServer server = start(TlsConfig.builder().certificate(pki.server().key())
                .cipherSuites(List.of(CipherSuite.TLS_AES_128_GCM_SHA256)), OurServer.Mode.HTTPS)) {
            PeerResult result = OpenSslClient.to(server.port()).caFile(pki.caFile()).servername("localhost")
                    .ciphersuites("TLS_CHACHA20_POLY1305_SHA256")
                    .run(dir, OpenSslClient.httpGet("localhost"), PEER_TIMEOUT);
            assertNotEquals(0, result.exitCode());
            result.assertOutputContains("alert handshake failure");
            TlsException failure = assertOurAlert(server, Alert.HANDSHAKE_FAILURE);
            assertTrue(failure.getMessage().toLowerCase().contains("cipher suite"), failure::getMessage);
        }
    }

    @Test
    void noCommonGroup() throws Exception {
        Pki pki = Pki.create(dir);
        try (OurServer server = start(TlsConfig.builder().certificate(pki.server().key())
                .groups(List.of(NamedGroup.X25519)), OurServer.Mode.HTTPS)) {
            PeerResult result = OpenSslClient.to(server.port()).caFile(pki.caFile()).servername("localhost")
                    .groups("P-384")
                    .run(dir, OpenSslClient.httpGet("localhost"), PEER_TIMEOUT);
            assertNotEquals(0, result.exitCode());
            result.assertOutputContains("alert handshake failure");
            TlsException failure = assertOurAlert(server, Alert.HANDSHAKE_FAILURE);
            assertTrue(failure.getMessage().toLowerCase().contains("group"), failure::getMessage);
        }
    }

    /** The server's failure is the alert {@code expected}, received from s_client. */
    private static void assertPeerAlert(OurServer server, Alert expected) throws InterruptedException {
        Throwable failure = server.nextFailure(PEER_TIMEOUT);
        TlsException tls = tlsCause(failure);
        assertEquals(expected, tls.alert(), failure::toString);
        assertTrue(tls.receivedFromPeer(), failure::toString);
    }

    /** The server's failure is the alert {@code expected}, sent by us, with its message. */
    private static TlsException assertOurAlert(OurServer server, Alert expected) throws InterruptedException {
        Throwable failure = server.nextFailure(PEER_TIMEOUT);
        TlsException tls = tlsCause(failure);
        assertEquals(expected, tls.alert(), failure::toString);
        assertTrue(!tls.receivedFromPeer(), failure::toString);
        return tls;
    }

    private static TlsException tlsCause(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof TlsException tls) {
                return tls;
            }
        }
        throw new AssertionError("not a TLS failure", failure);
    }

    private static void awaitCount(Processes.Running process, String line, int n) throws InterruptedException {
        long deadline = System.nanoTime() + PEER_TIMEOUT.toNanos();
        while (count(process.output(), line) < n) {
            if (System.nanoTime() > deadline || !process.process().isAlive()) {
                throw new AssertionError("expected " + n + " x '" + line + "'\n" + process.describe());
            }
            Thread.sleep(20);
        }
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }
}
