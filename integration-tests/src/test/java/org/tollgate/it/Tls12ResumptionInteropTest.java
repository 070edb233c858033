package org.tollgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.testsupport.OpenSslServer;
import org.tollgate.testsupport.Processes;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.SessionCache;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.cert.DemoCertificates.KeyType;
import org.tollgate.tls.client.TlsConnection;

/** TLS 1.2 session-id resumption (RFC 5246 §7.3) against OpenSSL, both ways. */
class Tls12ResumptionInteropTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    /** How many lines of {@code text} match {@code regex}. */
    static int count(String text, String regex) {
        Matcher m = Pattern.compile(regex, Pattern.MULTILINE).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Test
    void opensslClientReconnectResumesWithOurServer() throws Exception {
        Processes.require("openssl");
        Pki pki = Pki.create(dir);
        TlsConfig config = TlsConfig.builder().certificate(pki.server(KeyType.RSA_2048).key())
                .sessionCache(100, Duration.ofMinutes(5)).build();
        try (OurServer server = OurServer.start(config, OurServer.Mode.HTTPS);
             Processes.Running client = Processes.start(dir, "s_client", List.of("openssl", "s_client", "-connect",
                     "127.0.0.1:" + server.port(), "-tls1_2", "-servername", "localhost", "-CAfile",
                     pki.caFile().toString(), "-verify_return_error", "-reconnect"))) {
            client.closeStdin();
            client.awaitExit(TIMEOUT);
            String out = client.output();
            // s_client -reconnect: one full handshake, then five reconnections with the same session.
            assertEquals(1, count(out, "^New, TLSv1.2, Cipher is "), out);
            assertEquals(5, count(out, "^Reused, TLSv1.2, Cipher is "), out);
            HandshakeSummary first = server.nextHandshake();
            assertEquals(ProtocolVersion.TLS_1_2, first.version());
            assertFalse(first.resumed(), first.oneLine());
            for (int i = 0; i < 5; i++) {
                HandshakeSummary s = server.nextHandshake();
                assertTrue(s.resumed(), s.oneLine());
                assertEquals(first.cipherSuite(), s.cipherSuite());
                assertEquals("localhost", s.serverName());
            }
        }
    }

    @Test
    void gnutlsResumesAndASessionWithoutExtendedMasterSecretIsNot() throws Exception {
        Processes.require("gnutls-cli");
        Pki pki = Pki.create(dir);
        TlsConfig config = TlsConfig.builder().certificate(pki.server(KeyType.RSA_2048).key())
                .sessionCache(100, Duration.ofMinutes(5)).build();
        try (OurServer server = OurServer.start(config, OurServer.Mode.HTTPS)) {
            PeerResult r = GnutlsCli.to(server.port()).caFile(pki.caFile()).priority("NORMAL:-VERS-ALL:+VERS-TLS1.2")
                    .args("--resume").run(dir, OpenSslClient.httpGet("localhost"), TIMEOUT);
            assertTrue(r.output().contains("This is a resumed session"), r.output());
            assertFalse(server.nextHandshake().resumed());
            assertTrue(server.nextHandshake().resumed());

            // RFC 7627 5.3: a session without extended master secret is never resumed.
            PeerResult noEms = GnutlsCli.to(server.port()).caFile(pki.caFile())
                    .priority("NORMAL:-VERS-ALL:+VERS-TLS1.2:%NO_SESSION_HASH")
                    .args("--resume").run(dir, OpenSslClient.httpGet("localhost"), TIMEOUT);
            assertTrue(noEms.output().contains("trying to resume previous session"), noEms.output());
            assertFalse(noEms.output().contains("This is a resumed session"), noEms.output());
            for (int i = 0; i < 2; i++) {
                HandshakeSummary s = server.nextHandshake();
                assertFalse(s.resumed(), s.oneLine());
                assertFalse(s.extendedMasterSecret(), s.oneLine());
            }
        }
    }

    @Test
    void ourClientResumesWithOpensslServer() throws Exception {
        Processes.require("openssl");
        Pki pki = Pki.create(dir);
        Pki.Cert cert = pki.server(KeyType.EC_P256);
        try (OpenSslServer s = cert.openSslServer().www().tls12().start(dir)) {
            int port = s.port();
            SessionCache cache = SessionCache.create(10, Duration.ofMinutes(5));
            TlsConfig config = TlsConfig.builder().verifier(pki.verifier()).sessionCache(cache).build();
            String[] pages = new String[3];
            HandshakeSummary[] summaries = new HandshakeSummary[3];
            for (int i = 0; i < 3; i++) {
                try (TlsConnection c = OurClient.connect(port, "localhost", config)) {
                    summaries[i] = c.summary();
                    c.outputStream().write(OpenSslClient.httpGet("localhost").getBytes(StandardCharsets.US_ASCII));
                    c.outputStream().flush();
                    pages[i] = OurClient.readAll(c.inputStream());
                }
            }
            assertTrue(pages[0].contains("New, TLSv1.2, Cipher is"), pages[0]);
            assertFalse(summaries[0].resumed());
            for (int i = 1; i < 3; i++) {
                assertTrue(pages[i].contains("Reused, TLSv1.2, Cipher is"), pages[i]);
                assertTrue(summaries[i].resumed(), summaries[i].oneLine());
                assertEquals(summaries[0].cipherSuite(), summaries[i].cipherSuite());
                assertEquals(summaries[0].peerCertificates(), summaries[i].peerCertificates());
            }
            assertEquals(1, cache.size());
        }
    }
}
