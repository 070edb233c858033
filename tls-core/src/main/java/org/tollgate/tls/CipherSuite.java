package org.tollgate.tls;

import java.util.Locale;

/**
 * The cipher suites Tollgate speaks. All are AEAD (RFC 8446 §B.4): a TLS 1.3 suite names
 * only the record cipher and the hash of the key schedule; the key exchange and the
 * signature are negotiated by their own extensions.
 */
public enum CipherSuite {
    TLS_AES_128_GCM_SHA256(0x1301, "AES/GCM/NoPadding", 16, "SHA-256", 32, "TLS_AES_128_GCM_SHA256"),
    TLS_AES_256_GCM_SHA384(0x1302, "AES/GCM/NoPadding", 32, "SHA-384", 48, "TLS_AES_256_GCM_SHA384"),
    TLS_CHACHA20_POLY1305_SHA256(0x1303, "ChaCha20-Poly1305", 32, "SHA-256", 32, "TLS_CHACHA20_POLY1305_SHA256");

    private final int code;
    private final String cipherTransformation;
    private final int keyLength;
    private final String hashName;
    private final int hashLength;
    private final String ianaName;

    CipherSuite(int code, String cipherTransformation, int keyLength, String hashName, int hashLength, String ianaName) {
        this.code = code;
        this.cipherTransformation = cipherTransformation;
        this.keyLength = keyLength;
        this.hashName = hashName;
        this.hashLength = hashLength;
        this.ianaName = ianaName;
    }

    public int code() {
        return code;
    }

    /** The JCA transformation of the record cipher, e.g. {@code AES/GCM/NoPadding}. */
    public String cipherTransformation() {
        return cipherTransformation;
    }

    /** True for AES-GCM, false for ChaCha20-Poly1305. */
    public boolean isAesGcm() {
        return cipherTransformation.startsWith("AES");
    }

    public int keyLength() {
        return keyLength;
    }

    /** The AEAD nonce and IV length (RFC 8446 §5.3): 12 bytes for every suite here. */
    public int ivLength() {
        return 12;
    }

    /** JCA name of the key schedule's hash, e.g. {@code SHA-256}. */
    public String hashName() {
        return hashName;
    }

    public int hashLength() {
        return hashLength;
    }

    /** The JCA HMAC name paired with the hash, e.g. {@code HmacSHA256}. */
    public String hmacName() {
        return "Hmac" + hashName.replace("-", "");
    }

    public String ianaName() {
        return ianaName;
    }

    public static CipherSuite of(int code) {
        for (CipherSuite s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return null;
    }

    /** Accepts the IANA name ({@code TLS_AES_128_GCM_SHA256}), case-insensitively. */
    public static CipherSuite parse(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        for (CipherSuite s : values()) {
            if (s.ianaName.equals(n)) {
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
