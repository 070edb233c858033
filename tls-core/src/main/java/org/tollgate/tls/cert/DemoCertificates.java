package org.tollgate.tls.cert;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away public key infrastructure for demos and tests, made in memory: a CA, a
 * server certificate for {@code localhost}, a client certificate for mutual TLS, and any
 * other certificate a test needs (other names, other key types, expired ones).
 *
 * <p><b>For demos and tests only.</b> The CA's private key lives in memory and is never
 * written out; trust the CA ({@link Pki#writeCa(Path)}, then {@code --cafile}) only on
 * a machine you use for testing.
 *
 * <pre>{@code
 * DemoCertificates.Pki pki = DemoCertificates.create(Clock.systemUTC());
 * CertifiedKey server = pki.localhostServer();
 * pki.writeCa(Path.of("ca.pem"));
 * }</pre>
 */
public final class DemoCertificates {

    /** The demo CA's subject. */
    public static final String CA_NAME = "CN=Tollgate Demo CA";

    private static final int CA_KEY_USAGE = KeyUsage.keyCertSign | KeyUsage.cRLSign;

    private DemoCertificates() {
    }

    /** The kind of key an issued certificate carries. */
    public enum KeyType {
        /** ECDSA on NIST P-256 (secp256r1), the default. */
        EC_P256,
        /** ECDSA on NIST P-384 (secp384r1). */
        EC_P384,
        /** RSA with a 2048-bit modulus (also usable for TLS 1.2 RSA key exchange). */
        RSA_2048,
        /** Ed25519 (RFC 8410). */
        ED25519
    }

    /**
     * A new demo PKI whose CA is valid from one day before {@code clock}'s now for about ten years.
     * @param clock the time the CA starts from
     * @return the PKI
     */
    public static Pki create(Clock clock) {
        return create(clock, new SecureRandom());
    }

    /**
     * As {@link #create(Clock)}, drawing keys and serial numbers from {@code random}.
     * @param clock the time the CA starts from
     * @param random the source of keys and serials
     * @return the PKI
     */
    public static Pki create(Clock clock, SecureRandom random) {
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(random, "random");
        Instant notBefore = clock.instant().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofDays(1));
        Instant notAfter = notBefore.plus(Duration.ofDays(3653));
        KeyPair caKeys = generateKeyPair(KeyType.EC_P256, random);
        X500Name name = new X500Name(CA_NAME);
        X509Certificate ca = sign(new JcaX509v3CertificateBuilder(name, serial(random), Date.from(notBefore),
                Date.from(notAfter), name, caKeys.getPublic()), caKeys.getPublic(), caKeys.getPublic(), true,
                CA_KEY_USAGE, caKeys.getPrivate(), random);
        return new Pki(clock, random, ca, ca, caKeys.getPrivate(), List.of());
    }

    /** A demo certificate authority and the certificates it issues. Thread-safe. */
    public static final class Pki {
        private final Clock clock;
        private final SecureRandom random;
        private final X509Certificate root;
        private final X509Certificate ca;
        private final PrivateKey caKey;
        private final List<X509Certificate> intermediates; // between an issued leaf and the root, nearest first
        private CertifiedKey localhostServer;
        private CertifiedKey client;

        private Pki(Clock clock, SecureRandom random, X509Certificate root, X509Certificate ca, PrivateKey caKey,
                    List<X509Certificate> intermediates) {
            this.clock = clock;
            this.random = random;
            this.root = root;
            this.ca = ca;
            this.caKey = caKey;
            this.intermediates = intermediates;
        }

        /**
         * {@return the self-signed demo root ({@value DemoCertificates#CA_NAME}): the certificate a peer must trust}
         */
        public X509Certificate ca() {
            return root;
        }

        /**
         * Issues a certificate signed by the CA, valid between the two instants (a test may
         * pick instants in the past to get an expired certificate).
         *
         * @param commonName   the subject CN (informational only: host names are matched
         *                     against {@code dnsOrIpNames})
         * @param dnsOrIpNames subjectAltName entries; IPv4 and IPv6 literals become iPAddress
         *                     entries, anything else a dNSName (wildcards allowed)
         * @param serverAuth   true for extended key usage serverAuth, false for clientAuth
         * @return the key with chain {@code [leaf]}, plus any intermediate CA: the root is
         *         left out, as RFC 8446 §4.4.2 allows, since the peer must already trust it
         * @param keyType the key to generate
         * @param notBefore start of validity
         * @param notAfter end of validity
         */
        public CertifiedKey issue(String commonName, List<String> dnsOrIpNames, KeyType keyType,
                                  Instant notBefore, Instant notAfter, boolean serverAuth) {
            KeyPair keys = generateKeyPair(keyType, random);
            List<GeneralName> names = new ArrayList<>();
            for (String name : dnsOrIpNames) {
                byte[] ip = HostnameVerifier.parseIpAddress(name);
                names.add(ip != null ? new GeneralName(GeneralName.iPAddress, new DEROctetString(ip))
                        : new GeneralName(GeneralName.dNSName, name));
            }
            X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(ca, serial(random),
                    Date.from(notBefore), Date.from(notAfter), subject, keys.getPublic());
            try {
                if (!names.isEmpty()) {
                    // RFC 5280 §4.2.1.6: not critical, because the subject is not empty.
                    builder.addExtension(Extension.subjectAlternativeName, false,
                            new GeneralNames(names.toArray(new GeneralName[0])));
                }
                builder.addExtension(Extension.extendedKeyUsage, false,
                        new ExtendedKeyUsage(serverAuth ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth));
            } catch (CertIOException e) {
                throw new IllegalStateException("cannot encode extensions", e);
            }
            // RFC 8446 §4.4.2.2 wants digitalSignature; an RSA key may also encrypt a TLS 1.2
            // premaster secret (RFC 5246 §7.4.2), which needs keyEncipherment.
            int keyUsage = KeyUsage.digitalSignature | (keyType == KeyType.RSA_2048 ? KeyUsage.keyEncipherment : 0);
            X509Certificate leaf = sign(builder, keys.getPublic(), ca.getPublicKey(), false, keyUsage, caKey, random);
            List<X509Certificate> chain = new ArrayList<>();
            chain.add(leaf);
            chain.addAll(intermediates);
            return new CertifiedKey(chain, keys.getPrivate());
        }

        /**
         * The server certificate for {@code localhost}: EC P-256, subjectAltName
         * DNS:localhost, IP:127.0.0.1, IP:::1, valid from one day ago for a year. The same
         * object on every call.
         * @return the localhost certificate and key
         */
        public synchronized CertifiedKey localhostServer() {
            if (localhostServer == null) {
                Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
                localhostServer = issue("localhost", List.of("localhost", "127.0.0.1", "::1"), KeyType.EC_P256,
                        now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(365)), true);
            }
            return localhostServer;
        }

        /**
         * A client certificate for mutual TLS: CN=Tollgate Demo Client, EC P-256,
         * extended key usage clientAuth, valid from one day ago for a year. The same object
         * on every call.
         * @return the client certificate and key
         */
        public synchronized CertifiedKey client() {
            if (client == null) {
                Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
                client = issue("Tollgate Demo Client", List.of(), KeyType.EC_P256,
                        now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(365)), false);
            }
            return client;
        }

        /**
         * Writes the CA certificate as PEM, for {@code --cafile} or {@code openssl -CAfile}.
         * @param file where to write
         * @throws IOException when the file cannot be written
         */
        public void writeCa(Path file) throws IOException {
            PemFiles.writeCertificates(file, List.of(root));
        }

        /**
         * A PKI that issues through a new intermediate CA signed by this one (for tests of
         * longer chains): its issued chains are {@code [leaf, intermediate, ...]}, and its
         * {@link #ca()} is still the root.
         */
        Pki intermediate(String commonName, Instant notBefore, Instant notAfter) {
            KeyPair keys = generateKeyPair(KeyType.EC_P256, random);
            X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
            X509Certificate intermediate = sign(new JcaX509v3CertificateBuilder(ca, serial(random),
                    Date.from(notBefore), Date.from(notAfter), subject, keys.getPublic()),
                    keys.getPublic(), ca.getPublicKey(), true, CA_KEY_USAGE, caKey, random);
            List<X509Certificate> chain = new ArrayList<>();
            chain.add(intermediate);
            chain.addAll(intermediates);
            return new Pki(clock, random, root, intermediate, keys.getPrivate(), List.copyOf(chain));
        }
    }

    /** Adds the extensions every certificate here has, and signs with the issuer's key. */
    private static X509Certificate sign(X509v3CertificateBuilder builder, PublicKey subjectKey, PublicKey issuerKey,
                                        boolean isCa, int keyUsage, PrivateKey signingKey, SecureRandom random) {
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            // RFC 5280 §4.2.1.9 and §4.2.1.3: both critical.
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
            // RFC 5280 §4.2.1.1, §4.2.1.2: key identifiers, so a verifier can tell apart two
            // demo CAs that share a name.
            builder.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(subjectKey));
            builder.addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(issuerKey));
            ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").setSecureRandom(random).build(signingKey);
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
            throw new IllegalStateException("cannot build a demo certificate: " + e.getMessage(), e);
        }
    }

    private static KeyPair generateKeyPair(KeyType type, SecureRandom random) {
        try {
            KeyPairGenerator generator;
            switch (type) {
                case EC_P256, EC_P384 -> {
                    generator = KeyPairGenerator.getInstance("EC");
                    generator.initialize(new ECGenParameterSpec(type == KeyType.EC_P256 ? "secp256r1" : "secp384r1"),
                            random);
                }
                case RSA_2048 -> {
                    generator = KeyPairGenerator.getInstance("RSA");
                    generator.initialize(2048, random);
                }
                case ED25519 -> {
                    generator = KeyPairGenerator.getInstance("Ed25519");
                    generator.initialize(255, random);
                }
                default -> throw new IllegalArgumentException("unknown key type " + type);
            }
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot generate a " + type + " key", e);
        }
    }

    /** RFC 5280 §4.1.2.2: a positive serial of at most 20 octets; 127 random bits. */
    private static BigInteger serial(SecureRandom random) {
        return new BigInteger(127, random).setBit(126);
    }
}
