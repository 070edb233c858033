package org.tollgate.bench;

import java.io.ByteArrayInputStream;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Security;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.cert.CertificateVerifier;
import org.tollgate.tls.cert.CertifiedKey;
import org.tollgate.tls.cert.DemoCertificates;
import org.tollgate.tls.cert.DemoCertificates.KeyType;

/**
 * One demo PKI per benchmark JVM, and the same server key and certificate handed to both
 * Tollgate and SunJSSE. Both sides get the same choices: TLS 1.3, TLS_AES_128_GCM_SHA256,
 * x25519 (for JSSE through the system property {@code jdk.tls.namedGroups=x25519}), server
 * name "localhost" checked against the certificate.
 */
final class BenchPki {
    static final String HOST = "localhost";
    static final String SUITE = "TLS_AES_128_GCM_SHA256";
    private static final char[] PASSWORD = "bench".toCharArray();

    static {
        // JDK 17 has no SSLParameters.setNamedGroups; the property must be set before JSSE
        // first reads it. The forks also set it on their command line.
        if (System.getProperty("jdk.tls.namedGroups") == null) {
            System.setProperty("jdk.tls.namedGroups", "x25519");
        }
        // JDK 24 and later disable the TLS_RSA_* suites (no forward secrecy) in
        // jdk.tls.disabledAlgorithms; the TLS 1.2 RSA key exchange benchmark needs them back.
        String disabled = Security.getProperty("jdk.tls.disabledAlgorithms");
        if (disabled != null && disabled.contains("TLS_RSA_*")) {
            Security.setProperty("jdk.tls.disabledAlgorithms", disabled.replace("TLS_RSA_*,", "").replace("TLS_RSA_*", ""));
        }
    }

    private static final DemoCertificates.Pki PKI = DemoCertificates.create(Clock.systemUTC());
    private static final Map<KeyType, CertifiedKey> KEYS = new EnumMap<>(KeyType.class);
    private static final Map<KeyType, SSLContext> SERVER_CONTEXTS = new EnumMap<>(KeyType.class);
    private static SSLContext clientContext;

    private BenchPki() {
    }

    /** The demo CA every client here trusts. */
    static X509Certificate ca() {
        return PKI.ca();
    }

    /** The server's key and chain, as the JDK's own key and certificate classes. */
    static synchronized CertifiedKey serverKey(KeyType type) {
        return KEYS.computeIfAbsent(type, t -> {
            Instant now = Instant.now();
            CertifiedKey issued = PKI.issue(HOST, List.of(HOST, "127.0.0.1"), t, now.minus(1, ChronoUnit.DAYS),
                    now.plus(30, ChronoUnit.DAYS), true);
            try {
                // Re-read through the JDK's factories so JSSE and Tollgate see identical JDK objects.
                CertificateFactory cf = CertificateFactory.getInstance("X.509");
                List<X509Certificate> chain = new ArrayList<>();
                for (X509Certificate c : issued.chain()) {
                    chain.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(c.getEncoded())));
                }
                PrivateKey key = KeyFactory.getInstance(issued.privateKey().getAlgorithm())
                        .generatePrivate(new PKCS8EncodedKeySpec(issued.privateKey().getEncoded()));
                return new CertifiedKey(chain, key);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    static TlsConfig tollgateServer(KeyType type) {
        return TlsConfig.builder().certificate(serverKey(type)).cipherSuites(List.of(CipherSuite.TLS_AES_128_GCM_SHA256))
                .groups(List.of(NamedGroup.X25519)).build();
    }

    static TlsConfig tollgateClient() {
        return TlsConfig.builder().verifier(CertificateVerifier.trusting(List.of(PKI.ca())))
                .cipherSuites(List.of(CipherSuite.TLS_AES_128_GCM_SHA256)).groups(List.of(NamedGroup.X25519)).build();
    }

    static synchronized SSLContext jsseServerContext(KeyType type) throws Exception {
        SSLContext ctx = SERVER_CONTEXTS.get(type);
        if (ctx == null) {
            CertifiedKey key = serverKey(type);
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("server", key.privateKey(), PASSWORD, key.chain().toArray(new X509Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, PASSWORD);
            ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            SERVER_CONTEXTS.put(type, ctx);
        }
        return ctx;
    }

    static synchronized SSLContext jsseClientContext() throws Exception {
        if (clientContext == null) {
            KeyStore ts = KeyStore.getInstance("PKCS12");
            ts.load(null, null);
            ts.setCertificateEntry("ca", PKI.ca());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(ts);
            clientContext = SSLContext.getInstance("TLS");
            clientContext.init(null, tmf.getTrustManagers(), null);
        }
        return clientContext;
    }

    /**
     * A JSSE client engine. It is created without a peer host and port so that it never
     * looks up a cached session (every handshake is a full one); the name goes out as SNI,
     * and endpoint identification checks the certificate against that SNI name, as
     * Tollgate's client does.
     */
    static SSLEngine jsseClient() throws Exception {
        SSLEngine e = jsseClientContext().createSSLEngine();
        e.setUseClientMode(true);
        SSLParameters p = e.getSSLParameters();
        p.setProtocols(new String[] {"TLSv1.3"});
        p.setCipherSuites(new String[] {SUITE});
        p.setServerNames(List.of(new SNIHostName(HOST)));
        p.setEndpointIdentificationAlgorithm("HTTPS");
        e.setSSLParameters(p);
        return e;
    }

    static SSLEngine jsseServer(KeyType type) throws Exception {
        SSLEngine e = jsseServerContext(type).createSSLEngine();
        e.setUseClientMode(false);
        SSLParameters p = e.getSSLParameters();
        p.setProtocols(new String[] {"TLSv1.3"});
        p.setCipherSuites(new String[] {SUITE});
        e.setSSLParameters(p);
        return e;
    }
}
