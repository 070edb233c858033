package org.tollgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.testsupport.OpenSslServer;
import org.tollgate.testsupport.Processes;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.HandshakeSummary.Resumption;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.SessionCache;
import org.tollgate.tls.TicketKeys;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.cert.DemoCertificates.KeyType;
import org.tollgate.tls.client.TlsConnection;

/**
 * Session tickets against real peers: TLS 1.3 PSK resumption (RFC 8446 §2.2) and TLS 1.2
 * RFC 5077 tickets, with OpenSSL and GnuTLS on either side, JSSE as a client, and two of our
 * servers sharing one ticket key file.
 */
@Timeout(120)
class TicketResumptionInteropTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private static TlsConfig serverConfig(Pki pki, TicketKeys keys) {
        return TlsConfig.builder().certificate(pki.server(KeyType.EC_P256).key()).ticketKeys(keys).build();
    }

    @Test
    void opensslClientResumesTls13WithSessOutAndSessIn() throws Exception {
        Processes.require("openssl");
        Pki pki = Pki.create(dir);
        Path session = dir.resolve("session.pem");
        try (OurServer server = OurServer.start(serverConfig(pki, TicketKeys.generate()), OurServer.Mode.HTTPS)) {
            PeerResult first = OpenSslClient.to(server.port()).caFile(pki.caFile()).servername("localhost")
                    .args("-sess_out", session.toString()).run(dir, OpenSslClient.httpGet("localhost"), TIMEOUT);
            assertTrue(first.output().contains("New, TLSv1.3, Cipher is"), first.output());
            assertTrue(Files.size(session) > 0, "s_client stored the session with our ticket");
            PeerResult again = OpenSslClient.to(server.port()).caFile(pki.caFile()).servername("localhost")
                    .args("-sess_in", session.toString()).run(dir, OpenSslClient.httpGet("localhost"), TIMEOUT);
            assertTrue(again.output().contains("Reused, TLSv1.3, Cipher is"), again.output());
            assertTrue(again.output().contains("200 OK"), again.output());
            assertEquals(Resumption.NONE, server.nextHandshake().resumption());
            HandshakeSummary resumed = server.nextHandshake();
            assertEquals(Resumption.PSK, resumed.resumption(), resumed.oneLine());
            assertEquals("localhost", resumed.serverName());
        }
    }

    @Test
    void opensslClientWithATicketFromAnotherKeyGetsAFullHandshake() throws Exception {
        Processes.require("openssl");
        Pki pki = Pki.create(dir);
        Path session = dir.resolve("session.pem");
        try (OurServer a = OurServer.start(serverConfig(pki, TicketKeys.generate()), OurServer.Mode.HTTPS);
             OurServer b = OurServer.start(serverConfig(pki, TicketKeys.generate()), OurServer.Mode.HTTPS)) {
            OpenSslClient.to(a.port()).caFile(pki.caFile()).servername("localhost")
                    .args("-sess_out", session.toString()).run(dir, OpenSslClient.httpGet("localhost"), TIMEOUT);
            PeerResult other = OpenSslClient.to(b.port()).caFile(pki.caFile()).servername("localhost")
                    .args("-sess_in", session.toString()).run(dir, OpenSslClient.httpGet("localhost"), TIMEOUT);
            assertTrue(other.output().contains("New, TLSv1.3, Cipher is"), other.output());
            assertTrue(other.output().contains("200 OK"), other.output());
            assertEquals(Resumption.NONE, b.nextHandshake().resumption());
        }
    }

    @Test
    void twoServersSharingAKeyFileResumeEachOthersTickets() throws Exception {
        Processes.require("openssl");
        Pki pki = Pki.create(dir);
        Path keyFile = dir.resolve("ticket.keys");
        TicketKeys.writeNewKeyFile(keyFile, new SecureRandom());
        Path session = dir.resolve("session.pem");
        try (OurServer a = OurServer.start(serverConfig(pki, TicketKeys.load(keyFile)), OurServer.Mode.HTTPS);
             OurServer b = OurServer.start(serverConfig(pki, TicketKeys.load(keyFile)), OurServer.Mode.HTTPS)) {
            OpenSslClient.to(a.port()).caFile(pki.caFile()).servername("localhost")
                    .args("-sess_out", session.toString()).run(dir, OpenSslClient.httpGet("localhost"), TIMEOUT);
            PeerResult onB = OpenSslClient.to(b.port()).caFile(pki.caFile()).servername("localhost")
                    .args("-sess_in", session.toString()).run(dir, OpenSslClient.httpGet("localhost"), TIMEOUT);
            assertTrue(onB.output().contains("Reused, TLSv1.3, Cipher is"), onB.output());
            assertEquals(Resumption.PSK, b.nextHandshake().resumption());

            // Our own client goes back and forth between the two. It files tickets by host:port; behind a
            // load balancer both servers would share one address, so here each ticket is moved to the other port.
            SessionCache cache = SessionCache.create(10, Duration.ofMinutes(5));
            TlsConfig client = TlsConfig.builder().verifier(pki.verifier()).sessionCache(cache).build();
            int[] ports = {a.port(), b.port(), a.port(), b.port()};
            for (int i = 0; i < ports.length; i++) {
                try (TlsConnection c = OurClient.connect(ports[i], "localhost", client)) {
                    assertEquals(i == 0 ? Resumption.NONE : Resumption.PSK, c.summary().resumption(), c.summary().oneLine());
                    c.outputStream().write(OpenSslClient.httpGet("localhost").getBytes(StandardCharsets.US_ASCII));
                    c.outputStream().flush();
                    assertTrue(OurClient.readAll(c.inputStream()).contains("200 OK"));
                }
                if (i + 1 < ports.length) {
                    SessionCache.Session t = cache.takeTicket("localhost:" + ports[i], java.time.Instant.now());
                    cache.addTicket("localhost:" + ports[i + 1], t);
                }
            }
        }
    }

    @Test
    void gnutlsResumesTls13WithOurServer() throws Exception {
        gnutlsResumes(GnutlsCli.TLS13_ONLY, Resumption.PSK);
    }

    @Test
    void gnutlsResumesTls12WithATicket() throws Exception {
        gnutlsResumes("NORMAL:-VERS-ALL:+VERS-TLS1.2", Resumption.TICKET);
    }

    /** gnutls-cli --resume: a full handshake, then one resumed as {@code expected}. */
    private void gnutlsResumes(String priority, Resumption expected) throws Exception {
        Processes.require("gnutls-cli");
        Pki pki = Pki.create(dir);
        try (OurServer server = OurServer.start(serverConfig(pki, TicketKeys.generate()), OurServer.Mode.HTTPS)) {
            PeerResult r = GnutlsCli.to(server.port()).caFile(pki.caFile()).priority(priority)
                    .args("--resume").run(dir, OpenSslClient.httpGet("localhost"), TIMEOUT);
            assertTrue(r.output().contains("This is a resumed session"), r.output());
            assertEquals(Resumption.NONE, server.nextHandshake().resumption());
            HandshakeSummary s = server.nextHandshake();
            assertEquals(expected, s.resumption(), s.oneLine());
        }
    }
    @Test
    void opensslClientReconnectResumesTls12WithTicketsAndNoServerCache() throws Exception {
        Processes.require("openssl");
        Pki pki = Pki.create(dir);
        try (OurServer server = OurServer.start(serverConfig(pki, TicketKeys.generate()), OurServer.Mode.HTTPS);
             Processes.Running client = Processes.start(dir, "s_client", List.of("openssl", "s_client", "-connect",
                     "127.0.0.1:" + server.port(), "-tls1_2", "-servername", "localhost", "-CAfile",
                     pki.caFile().toString(), "-verify_return_error", "-reconnect"))) {
            client.closeStdin();
            client.awaitExit(TIMEOUT);
            String out = client.output();
            assertEquals(1, Tls12ResumptionInteropTest.count(out, "^New, TLSv1.2, Cipher is "), out);
            assertEquals(5, Tls12ResumptionInteropTest.count(out, "^Reused, TLSv1.2, Cipher is "), out);
            assertTrue(out.contains("TLS session ticket lifetime hint: 7200"), out);
            assertEquals(Resumption.NONE, server.nextHandshake().resumption());
            for (int i = 0; i < 5; i++) {
                HandshakeSummary s = server.nextHandshake();
                assertEquals(Resumption.TICKET, s.resumption(), s.oneLine());
            }
        }
    }

    @Test
    void ourClientResumesTls13WithOpensslServer() throws Exception {
        ourClientResumesWithOpensslServer(List.of("-tls1_3"), "TLSv1.3", Resumption.PSK);
    }

    @Test
    void ourClientResumesTls12WithOpensslServerTickets() throws Exception {
        // -no_cache: OpenSSL keeps no session ids, so only its RFC 5077 tickets can resume.
        ourClientResumesWithOpensslServer(List.of("-tls1_2", "-no_cache"), "TLSv1.2", Resumption.TICKET);
    }

    /** Three connections of our client to {@code openssl s_server -www}: a full handshake, then two resumed as {@code expected}. */
    private void ourClientResumesWithOpensslServer(List<String> serverArgs, String version, Resumption expected) throws Exception {
        Processes.require("openssl");
        Pki pki = Pki.create(dir);
        Pki.Cert cert = pki.server(KeyType.EC_P256);
        try (OpenSslServer s = cert.openSslServer().www().args(serverArgs.toArray(String[]::new)).start(dir)) {
            int port = s.port();
            SessionCache cache = SessionCache.create(10, Duration.ofMinutes(5));
            TlsConfig config = TlsConfig.builder().verifier(pki.verifier()).sessionCache(cache).build();
            List<java.security.cert.X509Certificate> firstChain = null;
            for (int i = 0; i < 3; i++) {
                try (TlsConnection c = OurClient.connect(port, "localhost", config)) {
                    HandshakeSummary summary = c.summary();
                    c.outputStream().write(OpenSslClient.httpGet("localhost").getBytes(StandardCharsets.US_ASCII));
                    c.outputStream().flush();
                    String page = OurClient.readAll(c.inputStream());
                    assertTrue(page.contains((i == 0 ? "New" : "Reused") + ", " + version + ", Cipher is"), page);
                    assertEquals(i == 0 ? Resumption.NONE : expected, summary.resumption(), summary.oneLine());
                    firstChain = i == 0 ? summary.peerCertificates() : firstChain;
                    assertEquals(firstChain, summary.peerCertificates(), "a resumed session keeps the server's chain");
                }
            }
        }
    }

    @Test
    void jsseClientResumesTls13WithOurServer() throws Exception {
        Pki pki = Pki.create(dir);
        try (OurServer server = OurServer.start(serverConfig(pki, TicketKeys.generate()), OurServer.Mode.HTTPS)) {
            javax.net.ssl.SSLContext context = Jsse.context(pki, null); // one context: one JSSE session cache
            for (int i = 0; i < 3; i++) {
                Jsse.Session session = Jsse.get(context, server.port(), "localhost", List.of(),
                        OpenSslClient.httpGet("localhost"));
                assertTrue(session.received().contains("200 OK"), session.received());
                HandshakeSummary s = server.nextHandshake();
                assertEquals(i == 0 ? Resumption.NONE : Resumption.PSK, s.resumption(), s.oneLine());
            }
        }
    }
    @Test
    void opensslClientResumesAfterAHelloRetryRequest() throws Exception {
        Processes.require("openssl");
        Pki pki = Pki.create(dir);
        Path session = dir.resolve("session.pem");
        // The server wants P-256 first; s_client sends only an X25519 share: HelloRetryRequest, then the PSK again.
        TlsConfig config = TlsConfig.builder().certificate(pki.server(KeyType.EC_P256).key()).ticketKeys(TicketKeys.generate())
                .groups(List.of(org.tollgate.tls.NamedGroup.SECP256R1, org.tollgate.tls.NamedGroup.X25519)).build();
        try (OurServer server = OurServer.start(config, OurServer.Mode.HTTPS)) {
            OpenSslClient.to(server.port()).caFile(pki.caFile()).servername("localhost").groups("X25519:P-256")
                    .args("-sess_out", session.toString()).run(dir, OpenSslClient.httpGet("localhost"), TIMEOUT);
            PeerResult again = OpenSslClient.to(server.port()).caFile(pki.caFile()).servername("localhost")
                    .groups("X25519:P-256").args("-sess_in", session.toString())
                    .run(dir, OpenSslClient.httpGet("localhost"), TIMEOUT);
            assertTrue(again.output().contains("Reused, TLSv1.3, Cipher is"), again.output());
            HandshakeSummary first = server.nextHandshake();
            assertTrue(first.helloRetryRequest() && first.resumption() == Resumption.NONE, first.oneLine());
            HandshakeSummary resumed = server.nextHandshake();
            assertTrue(resumed.helloRetryRequest(), resumed.oneLine());
            assertEquals(Resumption.PSK, resumed.resumption(), resumed.oneLine());
        }
    }
    @Test
    void jsseClientResumesTls12WithOurServersTicket() throws Exception {
        Pki pki = Pki.create(dir);
        try (OurServer server = OurServer.start(serverConfig(pki, TicketKeys.generate()), OurServer.Mode.HTTPS)) {
            javax.net.ssl.SSLContext context = Jsse.context(pki, null);
            for (int i = 0; i < 2; i++) {
                try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) context.getSocketFactory()
                        .createSocket("localhost", server.port())) {
                    socket.setSoTimeout(10_000);
                    javax.net.ssl.SSLParameters p = socket.getSSLParameters();
                    p.setProtocols(new String[] {"TLSv1.2"});
                    p.setEndpointIdentificationAlgorithm("HTTPS");
                    socket.setSSLParameters(p);
                    socket.getOutputStream().write(OpenSslClient.httpGet("localhost").getBytes(StandardCharsets.US_ASCII));
                    socket.getOutputStream().flush();
                    assertTrue(Jsse.readAll(socket.getInputStream()).contains("200 OK"));
                }
                HandshakeSummary s = server.nextHandshake();
                assertEquals(ProtocolVersion.TLS_1_2, s.version());
                // JSSE (JDK 13+) asks for RFC 5077 tickets in TLS 1.2 and presents them again.
                assertEquals(i == 0 ? Resumption.NONE : Resumption.TICKET, s.resumption(), s.oneLine());
            }
        }
    }
}
