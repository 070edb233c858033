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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
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

    private static int count(String text, String regex) {
        Matcher m = Pattern.compile(regex, Pattern.MULTILINE).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

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
    void ourClientResumesTls13WithOpensslServer() throws Exception {
        Processes.require("openssl");
        Pki pki = Pki.create(dir);
        Pki.Cert cert = pki.server(KeyType.EC_P256);
        int port = Ports.free();
        try (Processes.Running s = Processes.start(dir, "s_server", List.of("openssl", "s_server", "-4", "-accept",
                String.valueOf(port), "-tls1_3", "-cert", cert.certFile().toString(), "-key", cert.keyFile().toString(),
                "-www"))) {
            s.awaitLine(Pattern.compile("^ACCEPT"), TIMEOUT);
            SessionCache cache = SessionCache.create(10, Duration.ofMinutes(5));
            TlsConfig config = TlsConfig.builder().versions(List.of(ProtocolVersion.TLS_1_3)).verifier(pki.verifier())
                    .sessionCache(cache).build();
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
            assertTrue(pages[0].contains("New, TLSv1.3, Cipher is"), pages[0]);
            assertEquals(Resumption.NONE, summaries[0].resumption());
            for (int i = 1; i < 3; i++) {
                assertTrue(pages[i].contains("Reused, TLSv1.3, Cipher is"), pages[i]);
                assertEquals(Resumption.PSK, summaries[i].resumption(), summaries[i].oneLine());
                assertEquals(summaries[0].peerCertificates(), summaries[i].peerCertificates());
            }
        }
    }

    @Test
    void gnutlsResumesTls13WithOurServer() throws Exception {
        Processes.require("gnutls-cli");
        Pki pki = Pki.create(dir);
        try (OurServer server = OurServer.start(serverConfig(pki, TicketKeys.generate()), OurServer.Mode.HTTPS)) {
            PeerResult r = GnutlsCli.to(server.port()).caFile(pki.caFile()).priority(GnutlsCli.TLS13_ONLY)
                    .args("--resume").run(dir, OpenSslClient.httpGet("localhost"), TIMEOUT);
            assertTrue(r.output().contains("This is a resumed session"), r.output());
            assertEquals(Resumption.NONE, server.nextHandshake().resumption());
            assertEquals(Resumption.PSK, server.nextHandshake().resumption());
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
            assertEquals(1, count(out, "^New, TLSv1.2, Cipher is "), out);
            assertEquals(5, count(out, "^Reused, TLSv1.2, Cipher is "), out);
            assertTrue(out.contains("TLS session ticket lifetime hint: 7200"), out);
            assertEquals(Resumption.NONE, server.nextHandshake().resumption());
            for (int i = 0; i < 5; i++) {
                HandshakeSummary s = server.nextHandshake();
                assertEquals(Resumption.TICKET, s.resumption(), s.oneLine());
            }
        }
    }

    @Test
    void gnutlsResumesTls12WithATicket() throws Exception {
        Processes.require("gnutls-cli");
        Pki pki = Pki.create(dir);
        try (OurServer server = OurServer.start(serverConfig(pki, TicketKeys.generate()), OurServer.Mode.HTTPS)) {
            PeerResult r = GnutlsCli.to(server.port()).caFile(pki.caFile()).priority("NORMAL:-VERS-ALL:+VERS-TLS1.2")
                    .args("--resume").run(dir, OpenSslClient.httpGet("localhost"), TIMEOUT);
            assertTrue(r.output().contains("This is a resumed session"), r.output());
            assertEquals(Resumption.NONE, server.nextHandshake().resumption());
            HandshakeSummary s = server.nextHandshake();
            assertEquals(Resumption.TICKET, s.resumption(), s.oneLine());
        }
    }

    @Test
    void ourClientResumesTls12WithOpensslServerTickets() throws Exception {
        Processes.require("openssl");
        Pki pki = Pki.create(dir);
        Pki.Cert cert = pki.server(KeyType.EC_P256);
        int port = Ports.free();
        // -no_cache: OpenSSL keeps no session ids, so only its tickets can resume.
        try (Processes.Running s = Processes.start(dir, "s_server", List.of("openssl", "s_server", "-4", "-accept",
                String.valueOf(port), "-tls1_2", "-no_cache", "-cert", cert.certFile().toString(), "-key",
                cert.keyFile().toString(), "-www"))) {
            s.awaitLine(Pattern.compile("^ACCEPT"), TIMEOUT);
            SessionCache cache = SessionCache.create(10, Duration.ofMinutes(5));
            TlsConfig config = TlsConfig.builder().verifier(pki.verifier()).sessionCache(cache).build();
            for (int i = 0; i < 3; i++) {
                try (TlsConnection c = OurClient.connect(port, "localhost", config)) {
                    HandshakeSummary summary = c.summary();
                    c.outputStream().write(OpenSslClient.httpGet("localhost").getBytes(StandardCharsets.US_ASCII));
                    c.outputStream().flush();
                    String page = OurClient.readAll(c.inputStream());
                    assertTrue(page.contains((i == 0 ? "New" : "Reused") + ", TLSv1.2, Cipher is"), page);
                    assertEquals(i == 0 ? Resumption.NONE : Resumption.TICKET, summary.resumption(), summary.oneLine());
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
}
