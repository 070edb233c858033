package org.tollgate.tls.explain;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.TlsEngine;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.cert.CertificateVerifier;
import org.tollgate.tls.cert.CertifiedKey;
import org.tollgate.tls.cert.DemoCertificates;
import org.tollgate.tls.cert.PemFiles;

/**
 * A TLS 1.3 (or TLS 1.2) connection that is the same byte for byte on every run: randomness from a
 * SHA-256 counter stream, a fixed clock, and a checked-in demo PKI
 * ({@code src/test/resources/explain}, made once by {@link #main}). X25519 and P-256 key
 * shares come from the random stream; ECDSA signatures are deterministic (RFC 6979).
 */
final class DeterministicConnection {
    /** The instant every clock says: inside the checked-in certificates' validity. */
    static final Instant NOW = Instant.parse("2025-01-15T12:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final String REQUEST = "GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: tollgate-explain-test\r\n\r\n";
    static final String RESPONSE = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n";

    /** A SecureRandom whose bytes are SHA-256(seed || counter), counter = 0, 1, 2, ... */
    static final class CounterRandom extends SecureRandom {
        private static final long serialVersionUID = 1L;
        private final byte[] seed;
        private long counter;
        private byte[] block = new byte[0];
        private int used;

        CounterRandom(String seed) {
            this.seed = seed.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public synchronized void nextBytes(byte[] out) {
            for (int i = 0; i < out.length; i++) {
                if (used == block.length) {
                    block = next();
                    used = 0;
                }
                out[i] = block[used++];
            }
        }

        private byte[] next() {
            try {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                sha.update(seed);
                for (int i = 7; i >= 0; i--) {
                    sha.update((byte) (counter >>> (8 * i)));
                }
                counter++;
                return sha.digest();
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public byte[] generateSeed(int n) {
            byte[] b = new byte[n];
            nextBytes(b);
            return b;
        }

        @Override
        public void setSeed(long ignored) {
            // deterministic: seeding changes nothing (SecureRandom's constructor calls this)
        }

        @Override
        public void setSeed(byte[] ignored) {
        }
    }

    static CertifiedKey serverKey() throws IOException {
        return new CertifiedKey(PemFiles.readCertificates(resource("localhost.pem")), PemFiles.readPrivateKey(resource("localhost.key")));
    }

    static CertificateVerifier trust() throws IOException {
        return CertificateVerifier.trusting(PemFiles.readCertificates(resource("ca.pem"))).withClock(CLOCK);
    }

    private static Path resource(String name) throws IOException {
        Path tmp = Files.createTempFile("explain-", "-" + name);
        tmp.toFile().deleteOnExit();
        try (InputStream in = DeterministicConnection.class.getResourceAsStream("/explain/" + name)) {
            if (in == null) {
                throw new IOException("missing test resource explain/" + name);
            }
            Files.write(tmp, in.readAllBytes());
        }
        return tmp;
    }

    static TlsConfig.Builder clientConfig() throws IOException {
        // The golden files explain a TLS 1.3 handshake: offer TLS 1.3 only, as when they were made.
        return TlsConfig.builder().versions(List.of(ProtocolVersion.TLS_1_3)).verifier(trust())
                .random(new CounterRandom("client")).clock(CLOCK);
    }

    /** A TLS 1.2-only client offering ECDHE suites (the default TLS 1.2 suite list). */
    static TlsConfig.Builder tls12ClientConfig() throws IOException {
        return TlsConfig.builder().versions(List.of(ProtocolVersion.TLS_1_2)).verifier(trust())
                .random(new CounterRandom("client")).clock(CLOCK);
    }

    /** A TLS 1.2-only server with the EC P-256 certificate: ECDHE_ECDSA. */
    static TlsConfig.Builder tls12EcdheServerConfig() throws IOException {
        return TlsConfig.builder().versions(List.of(ProtocolVersion.TLS_1_2)).certificate(serverKey())
                .random(new CounterRandom("server")).clock(CLOCK);
    }

    /** A TLS 1.2-only client offering only RSA key exchange (TLS_RSA_WITH_AES_128_GCM_SHA256). */
    static TlsConfig.Builder tls12RsaClientConfig() throws IOException {
        return tls12ClientConfig().rsaKeyExchange(true).cipherSuites(List.of(CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256));
    }

    /** A TLS 1.2-only server with the RSA certificate, accepting RSA key exchange. */
    static TlsConfig.Builder tls12RsaServerConfig() throws IOException {
        CertifiedKey rsa = new CertifiedKey(PemFiles.readCertificates(resource("localhost-rsa.pem")),
                PemFiles.readPrivateKey(resource("localhost-rsa.key")));
        return TlsConfig.builder().versions(List.of(ProtocolVersion.TLS_1_2)).certificate(rsa).rsaKeyExchange(true)
                .cipherSuites(List.of(CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256))
                .random(new CounterRandom("server")).clock(CLOCK);
    }

    static TlsConfig.Builder serverConfig() throws IOException {
        return TlsConfig.builder().versions(List.of(ProtocolVersion.TLS_1_3)).certificate(serverKey())
                .random(new CounterRandom("server")).clock(CLOCK);
    }

    /**
     * Runs handshake, one request and response, and close, in memory; the explainer, if
     * any, is told about the application data and close by the side it explains.
     */
    static void run(TlsConfig client, TlsConfig server, HandshakeExplainer clientSide, HandshakeExplainer serverSide)
            throws TlsException {
        run(client, server, clientSide, serverSide, -1);
    }

    /** As above, to "localhost:{@code port}" when the port is positive: the client then keeps and offers tickets. */
    static void run(TlsConfig client, TlsConfig server, HandshakeExplainer clientSide, HandshakeExplainer serverSide,
                    int port) throws TlsException {
        TlsEngine c = port > 0 ? TlsEngine.client(client, "localhost", port) : TlsEngine.client(client, "localhost");
        TlsEngine s = TlsEngine.server(server);
        c.beginHandshake();
        pump(c, s);
        if (!c.isHandshakeComplete() || !s.isHandshakeComplete()) {
            throw new AssertionError("handshake did not complete");
        }
        byte[] request = REQUEST.getBytes(StandardCharsets.US_ASCII);
        c.writeApplicationData(ByteBuffer.wrap(request));
        tell(clientSide, true, request);
        pump(c, s);
        ByteBuffer got = ByteBuffer.allocate(1000);
        s.readApplicationData(got);
        tell(serverSide, false, Arrays2.copy(got));
        byte[] response = RESPONSE.getBytes(StandardCharsets.US_ASCII);
        s.writeApplicationData(ByteBuffer.wrap(response));
        tell(serverSide, true, response);
        pump(c, s);
        got.clear();
        c.readApplicationData(got);
        tell(clientSide, false, Arrays2.copy(got));
        c.closeOutbound();
        if (clientSide != null) {
            clientSide.closed();
        }
        pump(c, s);
        if (!s.isOutboundClosed()) {
            s.closeOutbound(); // TLS 1.3 half-close: the server answers once it has nothing more to send
        }
        pump(c, s);
    }

    private static void tell(HandshakeExplainer e, boolean outbound, byte[] data) {
        if (e != null) {
            e.applicationData(outbound, data);
        }
    }

    private static void pump(TlsEngine c, TlsEngine s) throws TlsException {
        for (int i = 0; i < 20; i++) {
            boolean moved = false;
            if (c.hasPendingOutput()) {
                s.receive(ByteBuffer.wrap(c.drainOutput()));
                moved = true;
            }
            if (s.hasPendingOutput()) {
                c.receive(ByteBuffer.wrap(s.drainOutput()));
                moved = true;
            }
            if (!moved) {
                return;
            }
        }
        throw new AssertionError("engines did not settle");
    }

    private static final class Arrays2 {
        static byte[] copy(ByteBuffer b) {
            b.flip();
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        }
    }

    /** What an explainer printed, as a string (UTF-8). */
    static String capture(ThrowingConsumer<PrintStream> body) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            body.accept(ps);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    interface ThrowingConsumer<T> {
        void accept(T t) throws Exception;
    }

    /**
     * Writes the demo PKI into {@code src/test/resources/explain}: run once, from the
     * tls-core directory, when the checked-in certificates must change (they are valid
     * 2025-01-14 .. 2026-01-14, and tests pin the clock to {@link #NOW}).
     */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "src/test/resources/explain");
        DemoCertificates.Pki pki = DemoCertificates.create(CLOCK, new CounterRandom("pki"));
        CertifiedKey server = pki.localhostServer();
        PemFiles.writeCertificates(dir.resolve("ca.pem"), List.of(pki.ca()));
        PemFiles.writeCertificates(dir.resolve("localhost.pem"), server.chain());
        PemFiles.writePrivateKey(dir.resolve("localhost.key"), server.privateKey());
        // For TLS 1.2 RSA key exchange: an RSA leaf for the same names, from the same CA.
        CertifiedKey rsa = pki.issue("localhost", List.of("localhost", "127.0.0.1", "::1"), DemoCertificates.KeyType.RSA_2048,
                NOW.minusSeconds(86400), NOW.plusSeconds(364L * 86400), true);
        PemFiles.writeCertificates(dir.resolve("localhost-rsa.pem"), rsa.chain());
        PemFiles.writePrivateKey(dir.resolve("localhost-rsa.key"), rsa.privateKey());
        System.out.println("wrote " + dir + " (server groups: " + NamedGroup.X25519 + ")");
    }
}
