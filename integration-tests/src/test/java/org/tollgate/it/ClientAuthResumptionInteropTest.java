package org.tollgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tollgate.tls.ClientAuth;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.HandshakeSummary.Resumption;
import org.tollgate.tls.TicketKeys;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.cert.DemoCertificates.KeyType;
import org.tollgate.testsupport.OpenSslServer;
import org.tollgate.testsupport.Processes;

/**
 * Resuming mutual-TLS sessions with real peers: the session (a TLS 1.3 ticket or a TLS 1.2
 * RFC 5077 ticket) carries the client's identity, so the resumed connection knows who the
 * client is without a CertificateRequest (RFC 8446 §4.3.2, §4.6.1). OpenSSL, GnuTLS and JSSE
 * resume against our server asking for client certificates; our tls-client program resumes
 * against {@code openssl s_server -Verify 1}.
 */
@Timeout(180)
class ClientAuthResumptionInteropTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    /** What our https page says about the client certificate. */
    private static final String PAGE_CLIENT_CERT = "<tr><th>Client certificate</th><td>CN=Client ";

    @TempDir
    Path dir;

    /** Our https server requiring client certificates, with tickets and no session-id cache. */
    private static OurServer needServer(Pki pki) throws Exception {
        return OurServer.start(TlsConfig.builder().certificate(pki.server(KeyType.EC_P256).key())
                .certificate(pki.server(KeyType.RSA_2048).key()).ticketKeys(TicketKeys.generate())
                .clientAuth(ClientAuth.NEED).clientVerifier(pki.verifier()).build(), OurServer.Mode.HTTPS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-tls1_3", "-tls1_2"})
    void opensslClientWithACertificateResumesWithSessOutAndSessIn(String version) throws Exception {
        Processes.require("openssl");
        Pki pki = Pki.create(dir);
        Pki.Cert client = pki.client(KeyType.EC_P256);
        Path session = dir.resolve("session.pem");
        String name = version.equals("-tls1_3") ? "TLSv1.3" : "TLSv1.2";
        try (OurServer server = needServer(pki)) {
            PeerResult first = OpenSslClient.to(server.port()).version(version).caFile(pki.caFile()).servername("localhost")
                    .args("-cert", client.certFile().toString(), "-key", client.keyFile().toString(),
                            "-sess_out", session.toString())
                    .run(dir, OpenSslClient.httpGet("localhost"), TIMEOUT);
            assertTrue(first.output().contains("New, " + name + ", Cipher is"), first.output());
            first.assertOutputContains(PAGE_CLIENT_CERT + "EC_P256");
            assertTrue(Files.size(session) > 0, "s_client stored the session with our ticket");
            // The resumed connection offers the session only: s_client is not given the certificate again.
            PeerResult again = OpenSslClient.to(server.port()).version(version).caFile(pki.caFile()).servername("localhost")
                    .args("-sess_in", session.toString())
                    .run(dir, OpenSslClient.httpGet("localhost"), TIMEOUT);
            assertTrue(again.output().contains("Reused, " + name + ", Cipher is"), again.output());
            again.assertOutputContains(PAGE_CLIENT_CERT + "EC_P256");

            HandshakeSummary full = server.nextHandshake();
            assertEquals(Resumption.NONE, full.resumption(), full.oneLine());
            HandshakeSummary resumed = server.nextHandshake();
            assertEquals(version.equals("-tls1_3") ? Resumption.PSK : Resumption.TICKET, resumed.resumption(),
                    resumed.oneLine());
            assertEquals(client.key().leaf(), resumed.peerCertificates().get(0), "the client's name, from the ticket");
            assertEquals(full.peerCertificates(), resumed.peerCertificates());
        }
    }

    @Test
    void opensslClientWithoutACertificateCannotResumeASessionItNeverAuthenticated() throws Exception {
        // A WANT server with the same keys issues a ticket to an anonymous client; the NEED server refuses it.
        Processes.require("openssl");
        Pki pki = Pki.create(dir);
        Path session = dir.resolve("session.pem");
        TicketKeys keys = TicketKeys.generate();
        TlsConfig.Builder config = TlsConfig.builder().certificate(pki.server(KeyType.EC_P256).key()).ticketKeys(keys)
                .clientVerifier(pki.verifier());
        try (OurServer want = OurServer.start(config.clientAuth(ClientAuth.WANT).build(), OurServer.Mode.HTTPS);
             OurServer need = OurServer.start(config.clientAuth(ClientAuth.NEED).build(), OurServer.Mode.HTTPS)) {
            PeerResult anonymous = OpenSslClient.to(want.port()).caFile(pki.caFile()).servername("localhost")
                    .args("-sess_out", session.toString()).run(dir, OpenSslClient.httpGet("localhost"), TIMEOUT);
            anonymous.assertOutputContains("<tr><th>Client certificate</th><td>none</td></tr>");
            PeerResult refused = OpenSslClient.to(need.port()).caFile(pki.caFile()).servername("localhost")
                    .args("-sess_in", session.toString()).run(dir, OpenSslClient.httpGet("localhost"), TIMEOUT);
            assertTrue(!refused.output().contains("Reused,"), refused.output());
            refused.assertOutputContains("alert certificate required");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.3", "1.2"})
    void gnutlsCliWithX509CertAndKeyResumes(String version) throws Exception {
        Processes.require("gnutls-cli");
        Pki pki = Pki.create(dir);
        Pki.Cert client = pki.client(version.equals("1.2") ? KeyType.RSA_2048 : KeyType.EC_P256);
        try (OurServer server = needServer(pki)) {
            PeerResult r = GnutlsCli.to(server.port()).caFile(pki.caFile()).priority("NORMAL:-VERS-ALL:+VERS-TLS" + version)
                    .args("--x509certfile", client.certFile().toString(), "--x509keyfile", client.keyFile().toString(),
                            "--resume", "--waitresumption") // TLS 1.3: wait for our NewSessionTicket before reconnecting
                    .run(dir, OpenSslClient.httpGet("localhost"), TIMEOUT);
            assertTrue(r.output().contains("This is a resumed session"), r.output());
            HandshakeSummary full = server.nextHandshake();
            assertEquals(Resumption.NONE, full.resumption(), full.oneLine());
            assertEquals(client.key().leaf(), full.peerCertificates().get(0));
            HandshakeSummary resumed = server.nextHandshake();
            assertEquals(version.equals("1.3") ? Resumption.PSK : Resumption.TICKET, resumed.resumption(), resumed.oneLine());
            assertEquals(client.key().leaf(), resumed.peerCertificates().get(0), "the client's name, from the ticket");
        }
    }

    @Test
    void jsseClientWithAKeyManagerResumesTls13() throws Exception {
        Pki pki = Pki.create(dir);
        Pki.Cert client = pki.client(KeyType.RSA_2048);
        try (OurServer server = needServer(pki)) {
            SSLContext context = Jsse.context(pki, client); // one context: one JSSE session cache
            for (int i = 0; i < 3; i++) {
                Jsse.Session session = Jsse.get(context, server.port(), "localhost", List.of(),
                        OpenSslClient.httpGet("localhost"));
                assertTrue(session.received().contains(PAGE_CLIENT_CERT + "RSA_2048"), session.received());
                HandshakeSummary s = server.nextHandshake();
                assertEquals(i == 0 ? Resumption.NONE : Resumption.PSK, s.resumption(), s.oneLine());
                assertEquals(client.key().leaf(), s.peerCertificates().get(0), "connection " + i);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"-tls1_3", "-tls1_2"})
    void ourClientProgramWithCertAndKeyResumesAgainstOpensslServerVerify(String version) throws Exception {
        Processes.require("openssl");
        Pki pki = Pki.create(dir);
        Pki.Cert client = pki.client(KeyType.EC_P256);
        Pki.Cert cert = pki.server(KeyType.EC_P256);
        try (OpenSslServer s = cert.openSslServer().anyVersion().www().args(version, "-Verify", "1", "-verify_return_error",
                "-CAfile", pki.caFile().toString()).start(dir)) {
            String[] result = tlsClient("--cafile", pki.caFile().toString(), "--cert", client.certFile().toString(),
                    "--key", client.keyFile().toString(), "--resume", "2", "https://localhost:" + s.port() + "/");
            String label = version.equals("-tls1_3") ? "psk" : "(session-id|ticket)";
            assertEquals("0", result[0], result[1] + result[2]);
            assertTrue(Pattern.compile("\\* resumption: 1:full 2:resumed\\(" + label + "\\) 3:resumed\\(" + label
                    + "\\) \\(2 of 2 reconnections resumed\\)").matcher(result[2]).find(), result[2]);
            // The last page: s_server -www reports the session as reused and still knows the client certificate.
            String name = version.equals("-tls1_3") ? "TLSv1.3" : "TLSv1.2";
            assertTrue(result[1].contains("Reused, " + name), result[1]);
            assertTrue(result[1].contains("Client certificate") && result[1].contains("CN=Client EC_P256"), result[1]);
        }
    }

    /** Runs our tls-client program in a new JVM of the running JDK: {exit code, stdout, stderr}. */
    private String[] tlsClient(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "org.tollgate.tls.client.Main"));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "tls-client", ".out");
        Path err = Files.createTempFile(dir, "tls-client", ".err");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            boolean exited = p.waitFor(60, TimeUnit.SECONDS);
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            String stderr = Files.readString(err, StandardCharsets.UTF_8);
            assertTrue(exited, "tls-client did not finish: " + stdout + stderr);
            return new String[] {String.valueOf(p.exitValue()), stdout, stderr};
        } finally {
            p.destroyForcibly();
        }
    }
}
