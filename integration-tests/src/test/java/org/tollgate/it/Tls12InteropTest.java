package org.tollgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.testsupport.Curl;
import org.tollgate.testsupport.OpenSslServer;
import org.tollgate.testsupport.Processes;
import org.tollgate.tls.Alert;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.KeyLog;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.cert.DemoCertificates.KeyType;
import org.tollgate.tls.client.TlsConnection;

/**
 * TLS 1.2 against real peers: openssl s_client for every suite (the key log proves both
 * sides derived the same master secret), our client against openssl s_server, curl,
 * gnutls-cli and JSSE both ways; and the clients Tollgate must refuse (TLS 1.1, CBC only).
 */
class Tls12InteropTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    /** A server with an RSA and an EC certificate, RSA key exchange on, logging keys to {@code keyLog}. */
    private OurServer server(Pki pki, KeyLog keyLog) throws Exception {
        return OurServer.start(TlsConfig.builder().certificate(pki.server(KeyType.RSA_2048).key())
                .certificate(pki.server(KeyType.EC_P256).key()).rsaKeyExchange(true).keyLog(keyLog).build(),
                OurServer.Mode.HTTPS);
    }

    private static List<String> opensslTls12(int port, String... args) {
        List<String> c = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-tls1_2",
                "-servername", "localhost", "-ign_eof"));
        c.addAll(List.of(args));
        return c;
    }

    private PeerResult run(List<String> command, String request) {
        try (Processes.Running process = Processes.start(dir, command.get(0), command)) {
            process.send(request);
            process.closeStdin();
            int exit = process.awaitExit(TIMEOUT);
            return OpenSslClient.parse(exit, process.output());
        }
    }

    @Test
    void opensslClientForEverySuiteWithTheSameMasterSecret() throws Exception {
        Processes.require("openssl");
        Pki pki = Pki.create(dir);
        List<String> ours = new ArrayList<>();
        KeyLog log = (label, random, secret) -> ours.add(label + " " + HexFormat.of().formatHex(random) + " "
                + HexFormat.of().formatHex(secret));
        String[] groups = {"X25519", "P-256", "P-384"};
        int i = 0;
        try (OurServer server = server(pki, log)) {
            for (CipherSuite suite : CipherSuite.values()) {
                if (suite.isTls13()) {
                    continue;
                }
                String group = groups[i++ % groups.length];
                // RFC 8422: an ECDSA certificate's curve (P-256 here) must be among the client's groups too.
                String offered = suite.authentication() == CipherSuite.Authentication.ECDSA && !group.equals("P-256")
                        ? group + ":P-256" : group;
                Path keyLog = dir.resolve("openssl-" + suite.openSslName() + ".keys");
                PeerResult r = run(opensslTls12(server.port(), "-cipher", suite.openSslName(), "-groups", offered,
                        "-CAfile", pki.caFile().toString(), "-verify_return_error", "-keylogfile", keyLog.toString()),
                        OpenSslClient.httpGet("localhost"));
                assertEquals("TLSv1.2", r.protocol(), r.output());
                assertEquals(suite.openSslName(), r.cipher(), r.output());
                assertTrue(r.verified(), r.output());
                r.assertOutputContains("Extended master secret: yes");
                r.assertOutputContains("Secure Renegotiation IS supported");
                r.assertOutputContains("Tollgate");
                HandshakeSummary s = server.nextHandshake();
                assertEquals(ProtocolVersion.TLS_1_2, s.version());
                assertEquals(suite, s.cipherSuite());
                assertTrue(s.extendedMasterSecret());
                if (suite.keyExchange() == CipherSuite.KeyExchange.ECDHE) {
                    // Our preference among the client's groups: x25519, then P-256, then P-384.
                    NamedGroup expected = group.equals("P-384") && offered.contains("P-256") ? NamedGroup.SECP256R1
                            : NamedGroup.parse(group);
                    assertEquals(expected, s.group(), r.output());
                } else {
                    assertEquals(null, s.group());
                }
                String theirs = Files.readAllLines(keyLog).stream().filter(l -> l.startsWith("CLIENT_RANDOM "))
                        .findFirst().orElseThrow(() -> new AssertionError("no CLIENT_RANDOM in OpenSSL's key log"));
                assertEquals(theirs, ours.get(ours.size() - 1), suite + ": OpenSSL and Tollgate master secrets");
            }
        }
    }

    @Test
    void aClientWithoutExtendedMasterSecretStillConnects() throws Exception {
        Processes.require("gnutls-cli");
        Pki pki = Pki.create(dir);
        try (OurServer server = server(pki, KeyLog.NONE)) {
            PeerResult r = GnutlsCli.to(server.port()).caFile(pki.caFile())
                    .priority("NORMAL:-VERS-ALL:+VERS-TLS1.2:%NO_SESSION_HASH").run(dir, OpenSslClient.httpGet("localhost"), TIMEOUT);
            assertEquals(0, r.exitCode(), r.output());
            assertTrue(r.output().contains("(TLS1.2-"), r.output());
            assertTrue(!r.output().contains("extended master secret"), r.output());
            r.assertOurPage();
            HandshakeSummary s = server.nextHandshake();
            assertTrue(s.oneLine().contains(" no-ems "), s.oneLine());
        }
    }

    @Test
    void tls11AndCbcOnlyClientsGetTheRightAlert() throws Exception {
        Pki pki = Pki.create(dir);
        try (OurServer server = server(pki, KeyLog.NONE)) {
            List<String> tls11 = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + server.port(),
                    "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"));
            PeerResult r = run(tls11, "");
            assertNotEquals(0, r.exitCode(), r.output());
            r.assertOutputContains("alert protocol version");
            assertEquals(Alert.PROTOCOL_VERSION, server.nextFailure(TIMEOUT).alert());

            PeerResult cbc = run(opensslTls12(server.port(), "-cipher", "AES128-SHA:ECDHE-RSA-AES128-SHA"), "");
            assertNotEquals(0, cbc.exitCode(), cbc.output());
            cbc.assertOutputContains("alert handshake failure");
            TlsException e = server.nextFailure(TIMEOUT);
            assertEquals(Alert.HANDSHAKE_FAILURE, e.alert());
            assertTrue(e.getMessage().contains("CBC"), e.getMessage());
        }
    }

    @Test
    void ourClientAgainstOpensslServerTls12() throws Exception {
        Pki pki = Pki.create(dir);
        for (String[] c : new String[][] {{"RSA_2048", "ECDHE-RSA-AES256-GCM-SHA384"}, {"RSA_2048", "AES128-GCM-SHA256"},
                {"EC_P256", "ECDHE-ECDSA-CHACHA20-POLY1305"}}) {
            Pki.Cert cert = pki.server(KeyType.valueOf(c[0]));
            try (OpenSslServer s = cert.openSslServer().www().tls12().args("-cipher", c[1]).start(dir)) {
                int port = s.port();
                List<String> keys = new ArrayList<>();
                TlsConfig config = TlsConfig.builder().verifier(pki.verifier()).rsaKeyExchange(true)
                        .keyLog((label, random, secret) -> keys.add(HexFormat.of().formatHex(secret))).build();
                String page = OurClient.get(port, "localhost", config);
                assertTrue(page.contains("Protocol  : TLSv1.2"), page);
                assertTrue(page.contains("Cipher    : " + c[1]), page);
                // s_server -www prints the session's master secret: the same as ours.
                assertTrue(page.toLowerCase(java.util.Locale.ROOT).contains(keys.get(0)), page);
            }
        }
    }

    @Test
    void curlAndGnutlsTls12() throws Exception {
        Processes.require("curl");
        Processes.require("gnutls-cli");
        Pki pki = Pki.create(dir);
        try (OurServer server = server(pki, KeyLog.NONE)) {
            PeerResult curl = PeerResult.curl(Curl.https(server.port()).versions("1.2", "1.2").caFile(pki.caFile())
                    .run(dir, TIMEOUT));
            assertEquals(0, curl.exitCode(), curl.output());
            assertEquals("TLSv1.2", curl.protocol(), curl.output());
            assertTrue(curl.output().contains("Tollgate"), curl.output());
            assertEquals(ProtocolVersion.TLS_1_2, server.nextHandshake().version());

            PeerResult gnutls = GnutlsCli.to(server.port()).caFile(pki.caFile())
                    .priority("NORMAL:-VERS-ALL:+VERS-TLS1.2").run(dir, OpenSslClient.httpGet("localhost"), TIMEOUT);
            assertEquals(0, gnutls.exitCode(), gnutls.output());
            assertTrue(gnutls.output().contains("(TLS1.2-"), gnutls.output());
            assertTrue(gnutls.output().contains("extended master secret, safe renegotiation"), gnutls.output());
            assertTrue(gnutls.verified(), gnutls.output());
            gnutls.assertOurPage();
            assertEquals(ProtocolVersion.TLS_1_2, server.nextHandshake().version());
        }
    }

    @Test
    void jsseBothWaysTls12() throws Exception {
        Pki pki = Pki.create(dir);
        // JSSE client against our server: ECDHE, and TLS_RSA only if this JDK still enables it.
        try (OurServer server = server(pki, KeyLog.NONE)) {
            SSLContext context = Jsse.context(pki, null);
            try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", server.port())) {
                socket.setEnabledProtocols(new String[] {"TLSv1.2"});
                socket.setSoTimeout(10_000);
                socket.startHandshake();
                assertEquals("TLSv1.2", socket.getSession().getProtocol());
                assertTrue(socket.getSession().getCipherSuite().startsWith("TLS_ECDHE_"), socket.getSession().getCipherSuite());
                OutputStream out = socket.getOutputStream();
                out.write(OpenSslClient.httpGet("localhost").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                assertTrue(OurClient.readAll(socket.getInputStream()).contains("Tollgate"));
            }
            assertEquals(ProtocolVersion.TLS_1_2, server.nextHandshake().version());
        }
        // Our client against a JSSE server limited to TLS 1.2.
        SSLContext serverContext = Jsse.context(pki, pki.server(KeyType.RSA_2048));
        try (SSLServerSocket listener = (SSLServerSocket) serverContext.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            listener.setEnabledProtocols(new String[] {"TLSv1.2"});
            CompletableFuture<String> served = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket s = (SSLSocket) listener.accept()) {
                    s.setSoTimeout(10_000);
                    String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                            .readLine();
                    s.getOutputStream().write((line + " " + s.getSession().getProtocol() + "\n").getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                    return s.getSession().getCipherSuite();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            TlsConfig config = TlsConfig.builder().verifier(pki.verifier()).build();
            try (TlsConnection c = OurClient.connect(listener.getLocalPort(), "localhost", config)) {
                c.outputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
                c.outputStream().flush();
                assertTrue(OurClient.readUntil(c.inputStream(), "\n").contains("hello TLSv1.2"));
            }
            assertTrue(served.get(10, TimeUnit.SECONDS).startsWith("TLS_ECDHE_RSA_"));
        }
    }
}
