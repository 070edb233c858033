package org.tollgate.tls.cert;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.interfaces.EdECKey;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECParameterSpec;
import java.util.List;
import java.util.Objects;
import org.tollgate.tls.SignatureScheme;

/**
 * A certificate chain and the private key of its first certificate: what a server (or a
 * client doing mutual TLS) presents in its Certificate message and signs its
 * CertificateVerify with (RFC 8446 §4.4.2, §4.4.3).
 *
 * <p>The chain is leaf first, then any intermediates, each certifying the one before
 * (RFC 8446 §4.4.2); a root is usually left out, since the peer must already have it.
 * The constructor checks that the key belongs to the leaf.
 *
 * <p>What a handshake asks of it on every connection (its names, the schemes its key can
 * sign with) is worked out once, here.
 */
public final class CertifiedKey {
    private final List<X509Certificate> chain;
    private final PrivateKey privateKey;
    private final List<org.bouncycastle.asn1.x509.GeneralName> subjectAltNames;
    private final List<SignatureScheme> signatureSchemes;

    /**
     * A certificate chain and the private key of its leaf, checked to belong together.
     *
     * @param chain      the certificate chain, leaf first; never empty
     * @param privateKey the leaf's private key
     * @throws IllegalArgumentException if the chain is empty or the key does not belong
     *                                  to the leaf certificate
     */
    public CertifiedKey(List<X509Certificate> chain, PrivateKey privateKey) {
        chain = List.copyOf(chain);
        Objects.requireNonNull(privateKey, "privateKey");
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("a certified key needs at least one certificate");
        }
        String mismatch = keyMismatch(chain.get(0).getPublicKey(), privateKey);
        if (mismatch != null) {
            throw new IllegalArgumentException("the private key does not match the certificate "
                    + chain.get(0).getSubjectX500Principal().getName() + " (" + mismatch + ")");
        }
        this.chain = chain;
        this.privateKey = privateKey;
        this.subjectAltNames = HostnameVerifier.subjectAltNames(chain.get(0));
        this.signatureSchemes = schemesOf(chain.get(0).getPublicKey());
    }

    /** {@return the certificate chain, leaf first} */
    public List<X509Certificate> chain() {
        return chain;
    }

    /** {@return the leaf's private key} */
    public PrivateKey privateKey() {
        return privateKey;
    }

    /**
     * Loads a chain (leaf first) and its private key from PEM files, as a server's
     * {@code --cert} and {@code --key} options do.
     *
     * @throws IOException              if a file cannot be read or holds no certificate or key
     * @throws IllegalArgumentException if the key is unsupported or does not match the leaf
     * @param certPem the chain, PEM
     * @param keyPem the private key, PEM
     * @return the certified key
     */
    public static CertifiedKey load(Path certPem, Path keyPem) throws IOException {
        List<X509Certificate> chain = PemFiles.readCertificates(certPem);
        PrivateKey key = PemFiles.readPrivateKey(keyPem);
        try {
            return new CertifiedKey(chain, key);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(keyPem + " does not belong to " + certPem + ": " + e.getMessage(), e);
        }
    }

    /** {@return the end-entity certificate, the one whose key this is} */
    public X509Certificate leaf() {
        return chain.get(0);
    }

    /**
     * True when the leaf is valid for {@code host}, by {@link HostnameVerifier}'s rules (SNI selection).
     * @param host a DNS name or IP literal
     * @return whether the certificate covers it
     */
    public boolean matchesServerName(String host) {
        return HostnameVerifier.matches(subjectAltNames, host);
    }

    /**
     * The TLS 1.3 signature schemes this key can make a CertificateVerify with, most
     * preferred first (RFC 8446 §4.2.3): ECDSA is bound to the key's curve, RSA keys sign
     * with RSA-PSS (rsaEncryption keys, hence the "rsae" schemes). Empty for a key type
     * TLS 1.3 cannot use.
     * @return the usable schemes
     */
    public List<SignatureScheme> signatureSchemes() {
        return signatureSchemes;
    }

    private static List<SignatureScheme> schemesOf(PublicKey key) {
        if (key instanceof ECKey ec) {
            String curve = ecCurveName(ec.getParams());
            for (SignatureScheme scheme : SignatureScheme.values()) {
                if (scheme.usableInTls13Handshake() && scheme.curve() != null && scheme.curve().equals(curve)) {
                    return List.of(scheme);
                }
            }
            return List.of();
        }
        if (key instanceof EdECKey ed && "Ed25519".equalsIgnoreCase(ed.getParams().getName())) {
            return List.of(SignatureScheme.ED25519);
        }
        if (key instanceof RSAKey && "RSA".equals(key.getAlgorithm())) {
            return List.of(SignatureScheme.RSA_PSS_RSAE_SHA256, SignatureScheme.RSA_PSS_RSAE_SHA384,
                    SignatureScheme.RSA_PSS_RSAE_SHA512);
        }
        return List.of();
    }

    /** Never prints the key. */
    @Override
    public String toString() {
        return "CertifiedKey[" + leaf().getSubjectX500Principal().getName() + ", " + chain.size()
                + " certificate(s), " + privateKey.getAlgorithm() + " key]";
    }

    /** Why {@code privateKey} is not the private half of {@code publicKey}, or null if it is. */
    static String keyMismatch(PublicKey publicKey, PrivateKey privateKey) {
        String publicType = keyType(publicKey.getAlgorithm());
        String privateType = keyType(privateKey.getAlgorithm());
        if (!publicType.equals(privateType)) {
            return "the certificate has an " + publicType + " public key but the private key is " + privateType;
        }
        if (publicKey instanceof RSAPublicKey rsaPublic && privateKey instanceof RSAPrivateCrtKey rsaPrivate) {
            BigInteger n = rsaPublic.getModulus();
            boolean same = n.equals(rsaPrivate.getModulus())
                    && rsaPublic.getPublicExponent().equals(rsaPrivate.getPublicExponent());
            return same ? null : "the RSA moduli differ";
        }
        // For EC and EdDSA the JDK keeps no public point in the private key: sign and verify.
        String algorithm = switch (publicType) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> publicKey.getAlgorithm();
        };
        try {
            byte[] probe = "tollgate key pair check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(privateKey);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(probe);
            return verifier.verify(signature) ? null : "a signature made with the private key does not verify"
                    + " with the certificate's public key";
        } catch (GeneralSecurityException e) {
            return "the keys cannot be used together (" + e.getMessage() + ")";
        }
    }

    private static String keyType(String jcaAlgorithm) {
        return switch (jcaAlgorithm) {
            case "EdDSA", "Ed25519" -> "Ed25519";
            case "ECDSA" -> "EC";
            default -> jcaAlgorithm;
        };
    }

    /** The SEC 2 name of a named curve the JDK supports ("secp256r1"...), or null. */
    static String ecCurveName(ECParameterSpec params) {
        for (String name : List.of("secp256r1", "secp384r1", "secp521r1")) {
            try {
                var parameters = java.security.AlgorithmParameters.getInstance("EC");
                parameters.init(new java.security.spec.ECGenParameterSpec(name));
                ECParameterSpec known = parameters.getParameterSpec(ECParameterSpec.class);
                if (known.getOrder().equals(params.getOrder()) && known.getCurve().equals(params.getCurve())
                        && known.getGenerator().equals(params.getGenerator())) {
                    return name;
                }
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the JDK lacks curve " + name, e);
            }
        }
        return null;
    }
}
