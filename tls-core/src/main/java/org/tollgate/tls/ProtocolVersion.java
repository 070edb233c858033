package org.tollgate.tls;

/** Protocol versions as they appear on the wire (RFC 8446 §4.2.1). */
public enum ProtocolVersion {
    /** SSL 3.0: recognised only to be refused (RFC 7568). */
    SSL_3_0(0x0300, "SSLv3"),
    /** TLS 1.0: recognised only to be refused (RFC 8996). */
    TLS_1_0(0x0301, "TLSv1"),
    /** TLS 1.1: recognised only to be refused (RFC 8996). */
    TLS_1_1(0x0302, "TLSv1.1"),
    /** TLS 1.2 (RFC 5246); also the frozen legacy_version of TLS 1.3 messages (RFC 8446 §4.1.2). */
    TLS_1_2(0x0303, "TLSv1.2"),
    /** TLS 1.3 (RFC 8446), negotiated through supported_versions (§4.2.1). */
    TLS_1_3(0x0304, "TLSv1.3");

    private final int code;
    private final String displayName;

    ProtocolVersion(int code, String displayName) {
        this.code = code;
        this.displayName = displayName;
    }

    /** {@return the two-byte version code, e.g. 0x0304} */
    public int code() {
        return code;
    }

    /** {@return the name OpenSSL and curl print, e.g. {@code TLSv1.3}} */
    public String displayName() {
        return displayName;
    }

    /**
     * {@return the version with code {@code code}, or {@code null} when unknown}
     * @param code a version code read from the wire
     */
    public static ProtocolVersion of(int code) {
        for (ProtocolVersion v : values()) {
            if (v.code == code) {
                return v;
            }
        }
        return null;
    }

    /**
     * Accepts {@code 1.3}, {@code TLSv1.3}, {@code tls1.3}, {@code TLS_1_3}.
     * @param name the version name
     * @return the version
     * @throws IllegalArgumentException when the name is unknown
     */
    public static ProtocolVersion parse(String name) {
        String n = name.trim().toLowerCase(java.util.Locale.ROOT).replace("_", ".").replace("tlsv", "").replace("tls", "");
        if (n.startsWith(".")) {
            n = n.substring(1);
        }
        switch (n) {
            case "1.3": return TLS_1_3;
            case "1.2": return TLS_1_2;
            case "1.1": return TLS_1_1;
            case "1.0": case "1": return TLS_1_0;
            default: throw new IllegalArgumentException("unknown protocol version: " + name);
        }
    }

    @Override
    public String toString() {
        return displayName;
    }
}
