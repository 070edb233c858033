package org.tollgate.tls;

import java.util.Locale;

/**
 * Signature schemes (RFC 8446 §4.2.3). The rsa_pkcs1 and SHA-1 schemes are only accepted
 * in certificates, never for a TLS 1.3 CertificateVerify.
 */
public enum SignatureScheme {
    ECDSA_SECP256R1_SHA256(0x0403, "EC", "secp256r1", "SHA256withECDSA", true),
    ECDSA_SECP384R1_SHA384(0x0503, "EC", "secp384r1", "SHA384withECDSA", true),
    ECDSA_SECP521R1_SHA512(0x0603, "EC", "secp521r1", "SHA512withECDSA", true),
    ED25519(0x0807, "Ed25519", null, "Ed25519", true),
    RSA_PSS_RSAE_SHA256(0x0804, "RSA", null, "SHA-256", true),
    RSA_PSS_RSAE_SHA384(0x0805, "RSA", null, "SHA-384", true),
    RSA_PSS_RSAE_SHA512(0x0806, "RSA", null, "SHA-512", true),
    RSA_PKCS1_SHA256(0x0401, "RSA", null, "SHA256withRSA", false),
    RSA_PKCS1_SHA384(0x0501, "RSA", null, "SHA384withRSA", false),
    RSA_PKCS1_SHA512(0x0601, "RSA", null, "SHA512withRSA", false),
    ECDSA_SHA1(0x0203, "EC", null, "SHA1withECDSA", false),
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

    public int code() {
        return code;
    }

    /** JCA key algorithm of a key that can make this signature: {@code EC}, {@code RSA} or {@code Ed25519}. */
    public String keyType() {
        return keyType;
    }

    /** For ECDSA in TLS 1.3 the curve is bound to the scheme; null otherwise. */
    public String curve() {
        return curve;
    }

    /** JCA signature algorithm, or for RSA-PSS the hash name (PSS parameters are set separately). */
    public String jcaAlgorithm() {
        return jcaAlgorithm;
    }

    public boolean isRsaPss() {
        return name().startsWith("RSA_PSS");
    }

    /** RFC 8446 §4.4.3: RSASSA-PKCS1-v1_5 and SHA-1 are not allowed in a TLS 1.3 CertificateVerify. */
    public boolean usableInTls13Handshake() {
        return usableInTls13Handshake;
    }

    public String rfcName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static SignatureScheme of(int code) {
        for (SignatureScheme s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return null;
    }

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
