package org.tollgate.tls;

import java.util.Locale;

/**
 * Signature schemes (RFC 8446 §4.2.3). The rsa_pkcs1 and SHA-1 schemes are only accepted
 * in certificates, never for a TLS 1.3 CertificateVerify.
 */
public enum SignatureScheme {
    /** ECDSA over P-256 with SHA-256 (RFC 8446 §4.2.3). */
    ECDSA_SECP256R1_SHA256(0x0403, "EC", "secp256r1", "SHA256withECDSA", true),
    /** ECDSA over P-384 with SHA-384 (RFC 8446 §4.2.3). */
    ECDSA_SECP384R1_SHA384(0x0503, "EC", "secp384r1", "SHA384withECDSA", true),
    /** ECDSA over P-521 with SHA-512 (RFC 8446 §4.2.3); verified only. */
    ECDSA_SECP521R1_SHA512(0x0603, "EC", "secp521r1", "SHA512withECDSA", true),
    /** Ed25519 (RFC 8446 §4.2.3, RFC 8032). */
    ED25519(0x0807, "Ed25519", null, "Ed25519", true),
    /** RSASSA-PSS with SHA-256, rsaEncryption keys (RFC 8446 §4.2.3). */
    RSA_PSS_RSAE_SHA256(0x0804, "RSA", null, "SHA-256", true),
    /** RSASSA-PSS with SHA-384, rsaEncryption keys (RFC 8446 §4.2.3). */
    RSA_PSS_RSAE_SHA384(0x0805, "RSA", null, "SHA-384", true),
    /** RSASSA-PSS with SHA-512, rsaEncryption keys (RFC 8446 §4.2.3). */
    RSA_PSS_RSAE_SHA512(0x0806, "RSA", null, "SHA-512", true),
    /** RSASSA-PKCS1-v1_5 with SHA-256: certificates and TLS 1.2 only (RFC 8446 §4.2.3). */
    RSA_PKCS1_SHA256(0x0401, "RSA", null, "SHA256withRSA", false),
    /** RSASSA-PKCS1-v1_5 with SHA-384: certificates and TLS 1.2 only (RFC 8446 §4.2.3). */
    RSA_PKCS1_SHA384(0x0501, "RSA", null, "SHA384withRSA", false),
    /** RSASSA-PKCS1-v1_5 with SHA-512: certificates and TLS 1.2 only (RFC 8446 §4.2.3). */
    RSA_PKCS1_SHA512(0x0601, "RSA", null, "SHA512withRSA", false),
    /** ECDSA with SHA-1: legacy, in certificates only (RFC 8446 §4.2.3). */
    ECDSA_SHA1(0x0203, "EC", null, "SHA1withECDSA", false),
    /** RSASSA-PKCS1-v1_5 with SHA-1: legacy, in certificates only (RFC 8446 §4.2.3). */
    RSA_PKCS1_SHA1(0x0201, "RSA", null, "SHA1withRSA", false);

    private final int code;
    private final String keyType;
    private final String curve;
    private final String jcaAlgorithm;
    private final boolean usableInTls13Handshake;

    SignatureScheme(int code, String keyType, String curve, String jcaAlgorithm, boolean usableInTls13Handshake) {
        this.code = code;
        this.keyType = keyType;
        this.curve = curve;
        this.jcaAlgorithm = jcaAlgorithm;
        this.usableInTls13Handshake = usableInTls13Handshake;
    }

    /** {@return the SignatureScheme code point, e.g. 0x0804} */
    public int code() {
        return code;
    }

    /** {@return the JCA key algorithm of a key that can make this signature: {@code EC}, {@code RSA} or {@code Ed25519}} */
    public String keyType() {
        return keyType;
    }

    /**
     * For ECDSA in TLS 1.3 the curve is bound to the scheme; null otherwise.
     * @return the curve name, or null
     */
    public String curve() {
        return curve;
    }

    /** {@return the JCA signature algorithm, or for RSA-PSS the hash name (PSS parameters are set separately)} */
    public String jcaAlgorithm() {
        return jcaAlgorithm;
    }

    /** {@return whether this is an RSASSA-PSS scheme} */
    public boolean isRsaPss() {
        return name().startsWith("RSA_PSS");
    }

    /** {@return whether a TLS 1.3 CertificateVerify may use it: not RSASSA-PKCS1-v1_5, not SHA-1 (RFC 8446 §4.4.3)} */
    public boolean usableInTls13Handshake() {
        return usableInTls13Handshake;
    }

    /** {@return the RFC 8446 name, e.g. {@code rsa_pss_rsae_sha256}} */
    public String rfcName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * {@return the scheme with code {@code code}, or {@code null} when unknown}
     * @param code a code point from signature_algorithms or a signature
     */
    public static SignatureScheme of(int code) {
        for (SignatureScheme s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return null;
    }

    /**
     * {@return the scheme named {@code name} (RFC 8446 spelling, case-insensitive)}
     * @param name a scheme name, e.g. {@code ecdsa_secp256r1_sha256}
     * @throws IllegalArgumentException when the name is unknown
     */
    public static SignatureScheme parse(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        for (SignatureScheme s : values()) {
            if (s.name().equals(n)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown signature scheme: " + name);
    }

    @Override
    public String toString() {
        return rfcName();
    }
}
