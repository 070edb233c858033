package org.tollgate.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tollgate.testsupport.OpenSslServer;
import org.tollgate.tls.cert.CertificateVerifier;
import org.tollgate.tls.cert.CertifiedKey;
import org.tollgate.tls.cert.DemoCertificates;
import org.tollgate.tls.cert.DemoCertificates.KeyType;
import org.tollgate.tls.cert.PemFiles;

/**
 * A demo PKI written to a directory, so that external programs can use it: {@code ca.pem},
 * and for each key type a localhost server certificate and key as PEM files. Built on
 * {@link DemoCertificates} and {@link PemFiles}.
 */
final class Pki {
    /** The names every server certificate here is valid for. */
    static final List<String> LOCALHOST_NAMES = List.of("localhost", "127.0.0.1", "::1");

    /** A certificate, its private key, as files and as the object Tollgate loads. */
    record Cert(Path certFile, Path keyFile, CertifiedKey key) {
        /** An {@code openssl s_server} serving this certificate. */
        OpenSslServer.Builder openSslServer() {
            return OpenSslServer.builder(certFile, keyFile);
        }
    }

    private final Path dir;
    private final String label;
    private final DemoCertificates.Pki demo;
    private final Path caFile;
    private final Map<KeyType, Cert> servers = new EnumMap<>(KeyType.class);
    private final Map<KeyType, Cert> clients = new EnumMap<>(KeyType.class);

    private Pki(Path dir, String label) {
        this.dir = dir;
        this.label = label;
        this.demo = DemoCertificates.create(Clock.systemUTC());
        this.caFile = dir.resolve(label + "-ca.pem");
        try {
            Files.createDirectories(dir);
            demo.writeCa(caFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A new demo CA whose files go to {@code dir}. */
    static Pki create(Path dir) {
        return new Pki(dir, "demo");
    }

    /** Another, unrelated CA (same subject name, other key): its certificates are untrusted by {@link #create}'s. */
    static Pki createOther(Path dir) {
        return new Pki(dir, "other");
    }

    /** The CA certificate file ({@code -CAfile}, {@code --cacert}, {@code --x509cafile}). */
    Path caFile() {
        return caFile;
    }

    X509Certificate ca() {
        return demo.ca();
    }

    /** A Tollgate verifier trusting exactly this CA. */
    CertificateVerifier verifier() {
        return CertificateVerifier.trusting(List.of(demo.ca()));
    }

    /** The server certificate for localhost, 127.0.0.1 and ::1 with a key of {@code type}; made once. */
    synchronized Cert server(KeyType type) {
        return servers.computeIfAbsent(type, t -> {
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            return issue("server-" + t.name().toLowerCase(Locale.ROOT), "localhost", LOCALHOST_NAMES, t,
                    now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(30)));
        });
    }

    /** The default server certificate: EC P-256. */
    Cert server() {
        return server(KeyType.EC_P256);
    }

    /** A localhost certificate that expired yesterday (valid for one day, ten days ago). */
    Cert expiredServer() {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        return issue("expired", "localhost", LOCALHOST_NAMES, KeyType.EC_P256,
                now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1)));
    }

    /** A valid certificate for other names only (for wrong-hostname tests). */
    Cert serverFor(String fileLabel, List<String> names) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        return issue(fileLabel, names.get(0), names, KeyType.EC_P256,
                now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(30)));
    }

    /** A client certificate (extended key usage clientAuth, CN=Client TYPE, no names) with a key of {@code type}; made once. */
    synchronized Cert client(KeyType type) {
        return clients.computeIfAbsent(type, t -> {
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            return issue("client-" + t.name().toLowerCase(Locale.ROOT), "Client " + t, List.of(), t,
                    now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(30)), false);
        });
    }

    /** The default client certificate: EC P-256. */
    Cert client() {
        return client(KeyType.EC_P256);
    }

    private Cert issue(String fileLabel, String cn, List<String> names, KeyType type, Instant notBefore,
                       Instant notAfter) {
        return issue(fileLabel, cn, names, type, notBefore, notAfter, true);
    }

    private Cert issue(String fileLabel, String cn, List<String> names, KeyType type, Instant notBefore,
                       Instant notAfter, boolean serverAuth) {
        CertifiedKey key = demo.issue(cn, names, type, notBefore, notAfter, serverAuth);
        Path cert = dir.resolve(label + "-" + fileLabel + ".pem");
        Path keyFile = dir.resolve(label + "-" + fileLabel + ".key");
        try {
            PemFiles.writeCertificates(cert, key.chain());
            PemFiles.writePrivateKey(keyFile, key.privateKey());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Cert(cert, keyFile, key);
    }
}
