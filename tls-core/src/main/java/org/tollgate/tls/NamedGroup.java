package org.tollgate.tls;

import java.util.Locale;

/** Key exchange groups (RFC 8446 §4.2.7). */
public enum NamedGroup {
    X25519(0x001D, "x25519", 32),
    SECP256R1(0x0017, "secp256r1", 65),
    SECP384R1(0x0018, "secp384r1", 97);

    private final int code;
    private final String rfcName;
    private final int publicKeyLength;

    NamedGroup(int code, String rfcName, int publicKeyLength) {
        this.code = code;
        this.rfcName = rfcName;
        this.publicKeyLength = publicKeyLength;
    }

    public int code() {
        return code;
    }

    public String rfcName() {
        return rfcName;
    }

    /** Length of a key_share's key_exchange field: 32 for X25519, an uncompressed point for NIST curves. */
    public int publicKeyLength() {
        return publicKeyLength;
    }

    public static NamedGroup of(int code) {
        for (NamedGroup g : values()) {
            if (g.code == code) {
                return g;
            }
        }
        return null;
    }

    /** Accepts {@code x25519}, {@code secp256r1}/{@code P-256}/{@code prime256v1}, {@code secp384r1}/{@code P-384}. */
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
