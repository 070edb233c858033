package org.tollgate.tls.client;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.cert.CertificateVerifier;
import org.tollgate.tls.cert.CertifiedKey;
import org.tollgate.tls.cert.DemoCertificates;
import org.tollgate.tls.cert.PemFiles;

/** The demo PKI of the tests, with its files written as PEM for openssl and for --cafile. */
final class TestPki {
    static final DemoCertificates.Pki PKI = DemoCertificates.create(Clock.systemUTC());

    private TestPki() {
    }

    /** Writes {@code key}'s chain and private key as {@code name.crt} and {@code name.key}; returns {cert, key}. */
    static Path[] write(Path dir, String name, CertifiedKey key) throws IOException {
        Path cert = dir.resolve(name + ".crt");
        Path pk = dir.resolve(name + ".key");
        PemFiles.writeCertificates(cert, key.chain());
        PemFiles.writePrivateKey(pk, key.privateKey());
        return new Path[] {cert, pk};
    }

    static Path writeCa(Path dir) throws IOException {
        Path ca = dir.resolve("ca.pem");
        if (!Files.exists(ca)) {
            PKI.writeCa(ca);
        }
        return ca;
    }

    /** A client configuration trusting the demo CA. */
    static TlsConfig.Builder clientConfig() {
        return TlsConfig.builder().verifier(CertificateVerifier.trusting(List.of(PKI.ca())))
                .handshakeTimeout(Duration.ofSeconds(10));
    }

    /** A certificate for {@code names} that expired yesterday. */
    static CertifiedKey expired(String... names) {
        Instant now = Instant.now();
        return PKI.issue("expired", List.of(names), DemoCertificates.KeyType.EC_P256,
                now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1)), true);
    }

    /** A JSSE server context (TLSv1.3) with {@code key}, built from an in-memory KeyStore. */
    static SSLContext jsseServerContext(CertifiedKey key) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        char[] password = "demo".toCharArray();
        List<X509Certificate> chain = new ArrayList<>(key.chain());
        chain.add(PKI.ca());
        ks.setKeyEntry("server", key.privateKey(), password, chain.toArray(new X509Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, password);
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(kmf.getKeyManagers(), null, null);
        return context;
    }
}
