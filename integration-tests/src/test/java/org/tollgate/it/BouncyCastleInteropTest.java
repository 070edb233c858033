package org.tollgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.Provider;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.jsse.provider.BouncyCastleJsseProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.ClientAuth;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.cert.DemoCertificates.KeyType;
import org.tollgate.tls.client.TlsConnection;

/**
 * BouncyCastle's TLS as the peer, through its JSSE provider (BCJSSE, from bctls) running on
 * BouncyCastle's own cryptography (a {@link BouncyCastleProvider}, not the JDK's): TLS 1.2
 * both ways with ECDHE and RSA key exchange, a BouncyCastle TLS 1.3 server, and client
 * certificates both ways. (A BouncyCastle TLS 1.3 client, through its low-level API, is in
 * {@link PeersAgainstOurServerTest}.)
 */
@Timeout(120)
class BouncyCastleInteropTest {
    /** BCJSSE over the BC provider's algorithms; a fresh instance, not installed in java.security. */
    private static final Provider BCJSSE = new BouncyCastleJsseProvider(new BouncyCastleProvider());

    @TempDir
    Path dir;

    private static OurServer ourServer(Pki pki, ClientAuth clientAuth) throws Exception {
        TlsConfig.Builder b = TlsConfig.builder().certificate(pki.server(KeyType.EC_P256).key())
                .certificate(pki.server(KeyType.RSA_2048).key()).rsaKeyExchange(true).clientAuth(clientAuth);
        if (clientAuth != ClientAuth.NONE) {
            b.clientVerifier(pki.verifier());
        }
        return OurServer.start(b.build(), OurServer.Mode.HTTPS);
    }

    /** A BCJSSE client: one GET with {@code suite} over TLS 1.2 (or TLS 1.3 when suite is null); returns the page. */
    private static String bcGet(SSLContext context, int port, String protocol, String suite) throws Exception {
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.setEnabledProtocols(new String[] {protocol});
            if (suite != null) {
                socket.setEnabledCipherSuites(new String[] {suite});
            }
            socket.startHandshake();
            assertEquals(protocol, socket.getSession().getProtocol());
            if (suite != null) {
                assertEquals(suite, socket.getSession().getCipherSuite());
            }
            OutputStream out = socket.getOutputStream();
            out.write(OpenSslClient.httpGet("localhost").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return OurClient.readAll(socket.getInputStream());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256"})
    void bouncyCastleTls12ClientAgainstOurServer(String suite) throws Exception {
        Pki pki = Pki.create(dir);
        try (OurServer server = ourServer(pki, ClientAuth.NONE)) {
            String page = bcGet(Jsse.context(BCJSSE, pki), server.port(), "TLSv1.2", suite);
            assertTrue(page.contains("<tr><th>Cipher suite</th><td>" + suite + "</td></tr>"), page);
            HandshakeSummary s = server.nextHandshake();
            assertEquals(ProtocolVersion.TLS_1_2, s.version());
            assertEquals(CipherSuite.parse(suite), s.cipherSuite());
            assertTrue(s.extendedMasterSecret(), s.oneLine());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    void bouncyCastleClientWithACertificateAgainstOurServerNeed(String protocol) throws Exception {
        Pki pki = Pki.create(dir);
        Pki.Cert client = pki.client(KeyType.EC_P256);
        try (OurServer server = ourServer(pki, ClientAuth.NEED)) {
            String page = bcGet(Jsse.context(BCJSSE, pki, client), server.port(), protocol, null);
            assertTrue(page.contains("<tr><th>Client certificate</th><td>CN=Client EC_P256"), page);
            assertEquals(client.key().leaf(), server.nextHandshake().peerCertificates().get(0));
        }
    }

    /**
     * A BCJSSE server on a free loopback port for one connection: reads a line, answers it
     * with the protocol, suite and client certificate subject (or "none"), and closes.
     */
    private static final class BcServer implements AutoCloseable {
        final SSLServerSocket listener;
        final CompletableFuture<String> served;

        BcServer(SSLContext context, String protocol, String suite, boolean needClientAuth) throws Exception {
            listener = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0, 1, InetAddress.getLoopbackAddress());
            listener.setEnabledProtocols(new String[] {protocol});
            if (suite != null) {
                listener.setEnabledCipherSuites(new String[] {suite});
            }
            listener.setNeedClientAuth(needClientAuth);
            served = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket s = (SSLSocket) listener.accept()) {
                    s.setSoTimeout(10_000);
                    String line = Jsse.readLine(s.getInputStream());
                    String peer = needClientAuth ? s.getSession().getPeerPrincipal().getName() : "none";
                    String answer = line + " " + s.getSession().getProtocol() + " " + s.getSession().getCipherSuite() + " " + peer;
                    s.getOutputStream().write((answer + "\n").getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                    return answer;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
        }

        int port() {
            return listener.getLocalPort();
        }

        @Override
        public void close() throws Exception {
            listener.close();
        }
    }

    /** Our client says hello to {@code server}; returns what it answered. */
    private static String hello(BcServer server, TlsConfig config) throws Exception {
        try (TlsConnection c = OurClient.connect(server.port(), "localhost", config)) {
            c.outputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
            c.outputStream().flush();
            String answer = OurClient.readUntil(c.inputStream(), "\n").strip();
            assertEquals(server.served.get(10, TimeUnit.SECONDS), answer);
            return answer;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_256_GCM_SHA384"})
    void ourTls12ClientAgainstABouncyCastleServer(String suite) throws Exception {
        Pki pki = Pki.create(dir);
        SSLContext context = Jsse.context(BCJSSE, pki, pki.server(KeyType.EC_P256), pki.server(KeyType.RSA_2048));
        try (BcServer server = new BcServer(context, "TLSv1.2", suite, false)) {
            TlsConfig config = TlsConfig.builder().verifier(pki.verifier()).versions(List.of(ProtocolVersion.TLS_1_2))
                    .rsaKeyExchange(true).build();
            assertEquals("hello TLSv1.2 " + suite + " none", hello(server, config));
        }
    }

    @Test
    void ourClientAgainstABouncyCastleTls13Server() throws Exception {
        Pki pki = Pki.create(dir);
        SSLContext context = Jsse.context(BCJSSE, pki, pki.server(KeyType.RSA_2048));
        for (String suite : List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256")) {
            try (BcServer server = new BcServer(context, "TLSv1.3", suite, false)) {
                assertEquals("hello TLSv1.3 " + suite + " none", hello(server, TlsConfig.builder().verifier(pki.verifier()).build()));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    void ourClientWithACertificateAgainstABouncyCastleServerNeedingOne(String protocol) throws Exception {
        Pki pki = Pki.create(dir);
        Pki.Cert client = pki.client(KeyType.RSA_2048);
        SSLContext context = Jsse.context(BCJSSE, pki, pki.server(KeyType.EC_P256));
        try (BcServer server = new BcServer(context, protocol, null, true)) {
            TlsConfig config = TlsConfig.builder().verifier(pki.verifier()).certificate(client.key()).build();
            assertTrue(hello(server, config).endsWith(" CN=Client RSA_2048"));
        }
    }
}
