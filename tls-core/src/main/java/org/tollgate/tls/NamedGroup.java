package org.tollgate.tls;

import java.util.Locale;

/** Key exchange groups (RFC 8446 §4.2.7). */
public enum NamedGroup {
    /** X25519 (RFC 7748), Tollgate's first choice; 32-byte public keys (RFC 8446 §4.2.7). */
    X25519(0x001D, "x25519", 32),
    /** NIST P-256, uncompressed points of 65 bytes (RFC 8446 §4.2.8.2). */
    SECP256R1(0x0017, "secp256r1", 65),
    /** NIST P-384, uncompressed points of 97 bytes (RFC 8446 §4.2.8.2). */
    SECP384R1(0x0018, "secp384r1", 97);

    private final int code;
    private final String rfcName;
    private final int publicKeyLength;

    NamedGroup(int code, String rfcName, int publicKeyLength) {
        this.code = code;
        this.rfcName = rfcName;
        this.publicKeyLength = publicKeyLength;
    }

    /** {@return the NamedGroup code point of RFC 8446 §4.2.7} */
    public int code() {
        return code;
    }

    /** {@return the RFC 8446 name, e.g. {@code x25519}} */
    public String rfcName() {
        return rfcName;
    }

    /** {@return the length of a key_share's key_exchange field: 32 for X25519, an uncompressed point for NIST curves} */
    public int publicKeyLength() {
        return publicKeyLength;
    }

    /**
     * {@return the group with code {@code code}, or {@code null} when Tollgate does not implement it}
     * @param code a code point from supported_groups or key_share
     */
    public static NamedGroup of(int code) {
        for (NamedGroup g : values()) {
            if (g.code == code) {
                return g;
            }
        }
        return null;
    }

    /**
     * Accepts {@code x25519}, {@code secp256r1}/{@code P-256}/{@code prime256v1}, {@code secp384r1}/{@code P-384}.
     * @param name a group name in one of the spellings above
     * @return the group
     * @throws IllegalArgumentException when the name is unknown
     */
    public static NamedGroup parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        switch (n) {
            case "x25519": return X25519;
            case "secp256r1": case "p-256": case "prime256v1": return SECP256R1;
            case "secp384r1": case "p-384": return SECP384R1;
            default: throw new IllegalArgumentException("unknown or unsupported group: " + name);
        }
    }

    @Override
    public String toString() {
        return rfcName;
    }
}
