package org.tollgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tollgate.testsupport.Curl;
import org.tollgate.testsupport.OpenSslServer;
import org.tollgate.testsupport.Processes;
import org.tollgate.tls.Alert;
import org.tollgate.tls.ClientAuth;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.cert.DemoCertificates.KeyType;
import org.tollgate.tls.client.TlsConnection;

/**
 * Client certificates (mutual TLS) against real peers, TLS 1.3 and TLS 1.2: openssl
 * s_client/s_server, curl, gnutls-cli and JSSE, each way where the tool can. {@code version}
 * parameters are OpenSSL's flags: {@code -tls1_3}, {@code -tls1_2}, and {@code rsa} for TLS 1.2
 * with RSA key exchange (AES128-GCM-SHA256).
 */
@Timeout(120)
class ClientAuthInteropTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(15);
    private static final String PAGE_CLIENT_CERT = "<tr><th>Client certificate</th><td>CN=Client ";

    @TempDir
    Path dir;

    /** Our https server with an RSA and an EC certificate (RSA key exchange on), asking for client certificates. */
    private static OurServer ourServer(Pki pki, ClientAuth mode) throws Exception {
        return OurServer.start(TlsConfig.builder().certificate(pki.server(KeyType.EC_P256).key())
                .certificate(pki.server(KeyType.RSA_2048).key()).rsaKeyExchange(true)
                .clientAuth(mode).clientVerifier(pki.verifier()).build(), OurServer.Mode.HTTPS);
    }

    private static List<String> versionArgs(String version) {
        return switch (version) {
            case "rsa" -> List.of("-tls1_2", "-cipher", "AES128-GCM-SHA256");
            default -> List.of(version);
        };
    }

    /** openssl s_client: sends a GET, waits for the server to close, parses the report. */
    private PeerResult sClient(int port, String version, String... args) {
        List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port,
                "-servername", "localhost", "-ign_eof"));
        command.addAll(versionArgs(version));
        command.addAll(List.of(args));
        try (Processes.Running process = Processes.start(dir, "s_client", command)) {
            process.send(OpenSslClient.httpGet("localhost"));
            process.closeStdin();
            return OpenSslClient.parse(process.awaitExit(TIMEOUT), process.output());
        }
    }

    /** openssl s_server -www with {@code cert} and the given version and extra arguments. */
    private OpenSslServer sServer(Pki.Cert cert, String version, String... args) {
        return cert.openSslServer().www().args(versionArgs(version).toArray(String[]::new)).args(args).start(dir);
    }

    private static List<ProtocolVersion> ours(String version) {
        return List.of(version.equals("-tls1_3") ? ProtocolVersion.TLS_1_3 : ProtocolVersion.TLS_1_2);
    }

    // ------------------------------------------------------------------ openssl s_client -> our server

    @ParameterizedTest
    @ValueSource(strings = {"-tls1_3", "-tls1_2", "rsa"})
    void opensslClientWithACertificateIsAuthenticated(String version) throws Exception {
        Processes.require("openssl");
        Pki pki = Pki.create(dir);
        KeyType type = version.equals("-tls1_2") ? KeyType.RSA_2048 : KeyType.EC_P256; // RSA client signatures too
        Pki.Cert client = pki.client(type);
        try (OurServer server = ourServer(pki, ClientAuth.NEED)) {
            PeerResult r = sClient(server.port(), version, "-CAfile", pki.caFile().toString(), "-verify_return_error",
                    "-cert", client.certFile().toString(), "-key", client.keyFile().toString());
            assertEquals(0, r.exitCode(), r.output());
            assertTrue(r.verified(), r.output());
            r.assertOutputContains(PAGE_CLIENT_CERT + type);
            HandshakeSummary s = server.nextHandshake();
            assertEquals(ours(version).get(0), s.version());
            // OpenSSL completes the chain from its -CAfile, so the root may follow the leaf.
            assertEquals(client.key().leaf(), s.peerCertificates().get(0));
            if (version.equals("rsa")) {
                assertEquals("TLS_RSA_WITH_AES_128_GCM_SHA256", s.cipherSuite().ianaName());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"-tls1_3", "-tls1_2"})
    void opensslClientWithoutACertificateIsRefused(String version) throws Exception {
        Processes.require("openssl");
        Pki pki = Pki.create(dir);
        try (OurServer server = ourServer(pki, ClientAuth.NEED)) {
            PeerResult r = sClient(server.port(), version, "-CAfile", pki.caFile().toString(), "-verify_return_error");
            // RFC 8446 §4.4.2.4: certificate_required; RFC 5246 §7.4.6: handshake_failure.
            boolean tls13 = version.equals("-tls1_3");
            r.assertOutputContains(tls13 ? "alert certificate required" : "alert handshake failure");
            assertTrue(!r.output().contains("HTTP/1.1 200"), r.output());
            TlsException e = server.nextFailure(TIMEOUT);
            assertEquals(tls13 ? Alert.CERTIFICATE_REQUIRED : Alert.HANDSHAKE_FAILURE, e.alert());
            assertTrue(e.getMessage().contains("requires one"), e.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"-tls1_3", "-tls1_2"})
    void opensslClientWithAnUntrustedCertificateIsUnknownCa(String version) throws Exception {
        Processes.require("openssl");
        Pki pki = Pki.create(dir);
        Pki.Cert stranger = Pki.createOther(dir).client();
        try (OurServer server = ourServer(pki, ClientAuth.WANT)) {
            PeerResult r = sClient(server.port(), version, "-CAfile", pki.caFile().toString(), "-verify_return_error",
                    "-cert", stranger.certFile().toString(), "-key", stranger.keyFile().toString());
            r.assertOutputContains("alert unknown ca");
            TlsException e = server.nextFailure(TIMEOUT);
            assertEquals(Alert.UNKNOWN_CA, e.alert());
            assertTrue(e.getMessage().startsWith("client certificate refused"), e.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"-tls1_3", "-tls1_2"})
    void wantServesAClientWithoutACertificate(String version) throws Exception {
        Processes.require("openssl");
        Pki pki = Pki.create(dir);
        try (OurServer server = ourServer(pki, ClientAuth.WANT)) {
            PeerResult r = sClient(server.port(), version, "-CAfile", pki.caFile().toString(), "-verify_return_error");
            assertEquals(0, r.exitCode(), r.output());
            r.assertOutputContains("<tr><th>Client certificate</th><td>none</td></tr>");
            // s_client lists the CA names of our CertificateRequest.
            r.assertOutputContains("Acceptable client certificate CA names\nCN = Tollgate Demo CA");
            assertEquals(List.of(), server.nextHandshake().peerCertificates());
        }
    }

    // ------------------------------------------------------------------ our client -> openssl s_server -Verify

    @ParameterizedTest
    @ValueSource(strings = {"-tls1_3", "-tls1_2", "rsa"})
    void ourClientWithACertificateAgainstOpensslServerVerify(String version) throws Exception {
        Processes.require("openssl");
        Pki pki = Pki.create(dir);
        KeyType type = version.equals("-tls1_3") ? KeyType.EC_P256 : KeyType.RSA_2048;
        Pki.Cert client = pki.client(type);
        try (OpenSslServer s = sServer(pki.server(KeyType.RSA_2048), version, "-Verify", "1",
                "-CAfile", pki.caFile().toString(), "-verify_return_error")) {
            int port = s.port();
            TlsConfig config = TlsConfig.builder().verifier(pki.verifier()).versions(ours(version)).rsaKeyExchange(true)
                    .certificate(client.key()).build();
            String page = OurClient.get(port, "localhost", config);
            assertTrue(page.contains("Client certificate") && page.contains("Subject: CN=Client " + type), page);
            assertTrue(page.contains("Verify return code: 0 (ok)"), page);
            if (version.equals("rsa")) {
                assertTrue(page.contains("Cipher    : AES128-GCM-SHA256"), page);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"-tls1_3", "-tls1_2"})
    void opensslServerVerifyReturnErrorRefusesAnUntrustedClient(String version) throws Exception {
        Processes.require("openssl");
        Pki pki = Pki.create(dir);
        Pki.Cert stranger = Pki.createOther(dir).client();
        try (OpenSslServer s = sServer(pki.server(), version, "-verify_return_error", "-Verify", "1",
                "-CAfile", pki.caFile().toString())) {
            int port = s.port();
            TlsConfig config = TlsConfig.builder().verifier(pki.verifier()).versions(ours(version))
                    .certificate(stranger.key()).build();
            Exception e = assertThrows(Exception.class, () -> OurClient.get(port, "localhost", config));
            TlsException tls = OurClient.tlsFailure(e);
            assertTrue(tls.receivedFromPeer(), tls.toString());
            assertEquals(Alert.UNKNOWN_CA, tls.alert(), tls.toString());
        }
    }

    // ------------------------------------------------------------------ curl and gnutls-cli -> our server

    @ParameterizedTest
    @ValueSource(strings = {"1.3", "1.2"})
    void curlWithCertAndKey(String version) throws Exception {
        Processes.require("curl");
        Pki pki = Pki.create(dir);
        Pki.Cert client = pki.client();
        try (OurServer server = ourServer(pki, ClientAuth.NEED)) {
            PeerResult r = PeerResult.curl(Curl.https(server.port()).versions(version, version).caFile(pki.caFile())
                    .args("--cert", client.certFile().toString(), "--key", client.keyFile().toString()).run(dir, TIMEOUT));
            assertEquals(0, r.exitCode(), r.output());
            assertEquals("TLSv" + version, r.protocol(), r.output());
            r.assertOutputContains(PAGE_CLIENT_CERT + "EC_P256");
            assertEquals(client.key().leaf(), server.nextHandshake().peerCertificates().get(0));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.3", "1.2"})
    void gnutlsCliWithX509CertAndKeyFiles(String version) throws Exception {
        Processes.require("gnutls-cli");
        Pki pki = Pki.create(dir);
        Pki.Cert client = pki.client(version.equals("1.2") ? KeyType.RSA_2048 : KeyType.EC_P256);
        try (OurServer server = ourServer(pki, ClientAuth.NEED)) {
            PeerResult r = GnutlsCli.to(server.port()).caFile(pki.caFile())
                    .priority("NORMAL:-VERS-ALL:+VERS-TLS" + version)
                    .args("--x509certfile", client.certFile().toString(), "--x509keyfile", client.keyFile().toString())
                    .exchange(dir, OpenSslClient.httpGet("localhost"), "</html>", TIMEOUT);
            assertEquals(0, r.exitCode(), r.output());
            assertTrue(r.output().contains("(TLS" + version + "-"), r.output());
            assertEquals(client.key().leaf(), server.nextHandshake().peerCertificates().get(0));
            r.assertOutputContains(PAGE_CLIENT_CERT);
        }
    }

    // ------------------------------------------------------------------ JSSE both ways

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void jsseClientWithAKeyManagerAgainstOurServer(String protocol) throws Exception {
        Pki pki = Pki.create(dir);
        Pki.Cert client = pki.client(KeyType.RSA_2048);
        try (OurServer server = ourServer(pki, ClientAuth.NEED)) {
            SSLContext context = Jsse.context(pki, client);
            try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", server.port())) {
                socket.setEnabledProtocols(new String[] {protocol});
                socket.setSoTimeout(10_000);
                socket.startHandshake();
                OutputStream out = socket.getOutputStream();
                out.write(OpenSslClient.httpGet("localhost").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String page = OurClient.readAll(socket.getInputStream());
                assertTrue(page.contains(PAGE_CLIENT_CERT + "RSA_2048"), page);
                assertEquals(protocol, socket.getSession().getProtocol());
            }
            assertEquals(client.key().leaf(), server.nextHandshake().peerCertificates().get(0));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void ourClientAgainstJsseServerWithNeedClientAuth(String protocol) throws Exception {
        Pki pki = Pki.create(dir);
        Pki.Cert client = pki.client();
        SSLContext serverContext = Jsse.context(pki, pki.server(KeyType.RSA_2048));
        try (SSLServerSocket listener = (SSLServerSocket) serverContext.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            listener.setEnabledProtocols(new String[] {protocol});
            listener.setNeedClientAuth(true);
            CompletableFuture<String> peer = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket s = (SSLSocket) listener.accept()) {
                    s.setSoTimeout(10_000);
                    String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                            .readLine();
                    s.getOutputStream().write((line + " " + s.getSession().getProtocol() + "\n").getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                    return s.getSession().getPeerPrincipal().getName();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            TlsConfig config = TlsConfig.builder().verifier(pki.verifier()).certificate(client.key()).build();
            try (TlsConnection c = OurClient.connect(listener.getLocalPort(), "localhost", config)) {
                c.outputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
                c.outputStream().flush();
                assertTrue(OurClient.readUntil(c.inputStream(), "\n").contains("hello " + protocol));
            }
            assertEquals("CN=Client EC_P256", peer.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void jsseClientWithoutACertificateIsRefusedWithCertificateRequired() throws Exception {
        Pki pki = Pki.create(dir);
        try (OurServer server = ourServer(pki, ClientAuth.NEED)) {
            SSLContext context = Jsse.context(pki, null);
            Exception e = assertThrows(Exception.class, () -> {
                try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", server.port())) {
                    socket.setSoTimeout(10_000);
                    socket.startHandshake(); // TLS 1.3: done for the client before the server has seen its Certificate
                    // Read, not write: writing could meet the server's closed socket (broken pipe) before the alert is read.
                    socket.getInputStream().read();
                }
            });
            assertTrue(String.valueOf(e.getMessage()).contains("certificate_required"), e.toString());
            assertEquals(Alert.CERTIFICATE_REQUIRED, server.nextFailure(TIMEOUT).alert());
        }
    }
}
