package org.tollgate.tls;

import java.util.Locale;

/**
 * The cipher suites Tollgate speaks. All are AEAD. A TLS 1.3 suite (RFC 8446 §B.4) names
 * only the record cipher and the hash of the key schedule; the key exchange and the
 * signature are negotiated by their own extensions. A TLS 1.2 suite (RFC 5246 §A.5) also
 * names its key exchange (RSA or ECDHE) and the key type of the server's certificate, and
 * its hash is the PRF's. CBC, RC4, 3DES, static DH, anonymous and export suites are not
 * here and never will be: a client offering only those gets handshake_failure.
 */
public enum CipherSuite {
    /** TLS 1.3: AES-128-GCM, HKDF with SHA-256 (RFC 8446 §B.4); the default first choice. */
    TLS_AES_128_GCM_SHA256(0x1301, "AES/GCM/NoPadding", 16, "SHA-256", 32, "TLS_AES_128_GCM_SHA256",
            ProtocolVersion.TLS_1_3, KeyExchange.ANY, Authentication.ANY, "TLS_AES_128_GCM_SHA256"),
    /** TLS 1.3: AES-256-GCM, HKDF with SHA-384 (RFC 8446 §B.4). */
    TLS_AES_256_GCM_SHA384(0x1302, "AES/GCM/NoPadding", 32, "SHA-384", 48, "TLS_AES_256_GCM_SHA384",
            ProtocolVersion.TLS_1_3, KeyExchange.ANY, Authentication.ANY, "TLS_AES_256_GCM_SHA384"),
    /** TLS 1.3: ChaCha20-Poly1305, HKDF with SHA-256 (RFC 8446 §B.4, RFC 8439). */
    TLS_CHACHA20_POLY1305_SHA256(0x1303, "ChaCha20-Poly1305", 32, "SHA-256", 32, "TLS_CHACHA20_POLY1305_SHA256",
            ProtocolVersion.TLS_1_3, KeyExchange.ANY, Authentication.ANY, "TLS_CHACHA20_POLY1305_SHA256"),

    // TLS 1.2, ECDHE with a signed ServerKeyExchange (RFC 8422, RFC 5289, RFC 7905)
    /** TLS 1.2 ECDHE key exchange, ECDSA certificate, AES-128-GCM (RFC 8422 §6, RFC 5289). */
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256(0xC02B, "AES/GCM/NoPadding", 16, "SHA-256", 32,
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", ProtocolVersion.TLS_1_2, KeyExchange.ECDHE, Authentication.ECDSA,
            "ECDHE-ECDSA-AES128-GCM-SHA256"),
    /** TLS 1.2 ECDHE key exchange, ECDSA certificate, AES-256-GCM (RFC 8422 §6, RFC 5289). */
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384(0xC02C, "AES/GCM/NoPadding", 32, "SHA-384", 48,
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", ProtocolVersion.TLS_1_2, KeyExchange.ECDHE, Authentication.ECDSA,
            "ECDHE-ECDSA-AES256-GCM-SHA384"),
    /** TLS 1.2 ECDHE key exchange, ECDSA certificate, ChaCha20-Poly1305 (RFC 7905). */
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256(0xCCA9, "ChaCha20-Poly1305", 32, "SHA-256", 32,
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", ProtocolVersion.TLS_1_2, KeyExchange.ECDHE, Authentication.ECDSA,
            "ECDHE-ECDSA-CHACHA20-POLY1305"),
    /** TLS 1.2 ECDHE key exchange, RSA certificate, AES-128-GCM (RFC 8422 §6, RFC 5289). */
    TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256(0xC02F, "AES/GCM/NoPadding", 16, "SHA-256", 32,
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", ProtocolVersion.TLS_1_2, KeyExchange.ECDHE, Authentication.RSA,
            "ECDHE-RSA-AES128-GCM-SHA256"),
    /** TLS 1.2 ECDHE key exchange, RSA certificate, AES-256-GCM (RFC 8422 §6, RFC 5289). */
    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384(0xC030, "AES/GCM/NoPadding", 32, "SHA-384", 48,
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", ProtocolVersion.TLS_1_2, KeyExchange.ECDHE, Authentication.RSA,
            "ECDHE-RSA-AES256-GCM-SHA384"),
    /** TLS 1.2 ECDHE key exchange, RSA certificate, ChaCha20-Poly1305 (RFC 7905). */
    TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256(0xCCA8, "ChaCha20-Poly1305", 32, "SHA-256", 32,
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", ProtocolVersion.TLS_1_2, KeyExchange.ECDHE, Authentication.RSA,
            "ECDHE-RSA-CHACHA20-POLY1305"),

    // TLS 1.2, RSA key exchange: the premaster secret travels encrypted to the certificate's key (RFC 5246, RFC 5288)
    /**
     * TLS 1.2 RSA key exchange (premaster secret encrypted to the server's key), AES-128-GCM (RFC 5288); off by default.
     */
    TLS_RSA_WITH_AES_128_GCM_SHA256(0x009C, "AES/GCM/NoPadding", 16, "SHA-256", 32,
            "TLS_RSA_WITH_AES_128_GCM_SHA256", ProtocolVersion.TLS_1_2, KeyExchange.RSA, Authentication.RSA,
            "AES128-GCM-SHA256"),
    /** TLS 1.2 RSA key exchange, AES-256-GCM (RFC 5288); off by default: no forward secrecy. */
    TLS_RSA_WITH_AES_256_GCM_SHA384(0x009D, "AES/GCM/NoPadding", 32, "SHA-384", 48,
            "TLS_RSA_WITH_AES_256_GCM_SHA384", ProtocolVersion.TLS_1_2, KeyExchange.RSA, Authentication.RSA,
            "AES256-GCM-SHA384");

    /** How a TLS 1.2 suite agrees on the premaster secret; {@code ANY} for TLS 1.3 suites. */
    public enum KeyExchange {
        /** A TLS 1.3 suite: the key exchange is negotiated apart, in key_share (RFC 8446 §4.2.8). */
        ANY,
        /** The client encrypts the premaster secret to the server's RSA key (RFC 5246 §7.4.7.1). */
        RSA,
        /** Ephemeral elliptic-curve Diffie-Hellman, signed by the server (RFC 8422 §2). */
        ECDHE
    }

    /** The key type of the server certificate a TLS 1.2 suite needs; {@code ANY} for TLS 1.3 suites. */
    public enum Authentication {
        /** A TLS 1.3 suite: any certificate type (signature_algorithms decides, RFC 8446 §4.2.3). */
        ANY,
        /** An RSA certificate. */
        RSA,
        /** An ECDSA certificate. */
        ECDSA
    }

    private final int code;
    private final String cipherTransformation;
    private final int keyLength;
    private final String hashName;
    private final int hashLength;
    private final String ianaName;
    private final ProtocolVersion version;
    private final KeyExchange keyExchange;
    private final Authentication authentication;
    private final String openSslName;

    CipherSuite(int code, String cipherTransformation, int keyLength, String hashName, int hashLength, String ianaName,
                ProtocolVersion version, KeyExchange keyExchange, Authentication authentication, String openSslName) {
        this.version = version;
        this.keyExchange = keyExchange;
        this.authentication = authentication;
        this.openSslName = openSslName;
        this.code = code;
        this.cipherTransformation = cipherTransformation;
        this.keyLength = keyLength;
        this.hashName = hashName;
        this.hashLength = hashLength;
        this.ianaName = ianaName;
    }

    /** {@return the suite's code point in the IANA TLS Cipher Suites registry, e.g. 0x1301} */
    public int code() {
        return code;
    }

    /** {@return the JCA transformation of the record cipher, e.g. {@code AES/GCM/NoPadding}} */
    public String cipherTransformation() {
        return cipherTransformation;
    }

    /** {@return true for AES-GCM, false for ChaCha20-Poly1305} */
    public boolean isAesGcm() {
        return cipherTransformation.startsWith("AES");
    }

    /** {@return the record cipher's key length in bytes: 16 or 32} */
    public int keyLength() {
        return keyLength;
    }

    /** {@return the AEAD nonce and IV length (RFC 8446 §5.3): 12 bytes for every suite here} */
    public int ivLength() {
        return 12;
    }

    /** {@return the protocol version the suite belongs to: TLS 1.3 or TLS 1.2} */
    public ProtocolVersion version() {
        return version;
    }

    /** {@return whether this is a TLS 1.3 suite (one that names only the AEAD and the hash, RFC 8446 §B.4)} */
    public boolean isTls13() {
        return version == ProtocolVersion.TLS_1_3;
    }

    /** {@return how a TLS 1.2 suite agrees on the premaster secret} */
    public KeyExchange keyExchange() {
        return keyExchange;
    }

    /** {@return the certificate key type a TLS 1.2 suite needs} */
    public Authentication authentication() {
        return authentication;
    }

    /**
     * TLS 1.2 key block IV length (fixed_iv_length): the 4-byte implicit salt of AES-GCM
     * (RFC 5288 §3), the whole 12-byte IV of ChaCha20-Poly1305 (RFC 7905 §2).
     * @return 4 for AES-GCM, 12 for ChaCha20-Poly1305
     */
    public int tls12FixedIvLength() {
        return isAesGcm() ? 4 : 12;
    }

    /** {@return the name OpenSSL gives the suite, e.g. {@code ECDHE-RSA-AES128-GCM-SHA256}} */
    public String openSslName() {
        return openSslName;
    }

    /** {@return the JCA name of the key schedule's hash, e.g. {@code SHA-256}} */
    public String hashName() {
        return hashName;
    }

    /** {@return the hash's output length in bytes: 32 or 48} */
    public int hashLength() {
        return hashLength;
    }

    /** {@return the JCA HMAC name paired with the hash, e.g. {@code HmacSHA256}} */
    public String hmacName() {
        return "Hmac" + hashName.replace("-", "");
    }

    /** {@return the IANA name, e.g. {@code TLS_AES_128_GCM_SHA256}} */
    public String ianaName() {
        return ianaName;
    }

    /**
     * {@return the suite with IANA code {@code code}, or {@code null} when Tollgate does not implement it}
     * @param code a code point read from a ClientHello or ServerHello
     */
    public static CipherSuite of(int code) {
        for (CipherSuite s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return null;
    }

    /**
     * Accepts the IANA name ({@code TLS_AES_128_GCM_SHA256}) or OpenSSL's, case-insensitively.
     * @param name an IANA or OpenSSL suite name
     * @return the suite
     * @throws IllegalArgumentException when the name is unknown
     */
    public static CipherSuite parse(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        for (CipherSuite s : values()) {
            if (s.ianaName.equals(n) || s.openSslName.equals(n)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown or unsupported cipher suite: " + name
                + " (Tollgate speaks only AEAD suites: " + java.util.Arrays.toString(values()) + ")");
    }

    @Override
    public String toString() {
        return ianaName;
    }
}
