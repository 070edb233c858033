package org.tollgate.tls;

/** Protocol versions as they appear on the wire (RFC 8446 §4.2.1). */
public enum ProtocolVersion {
    SSL_3_0(0x0300, "SSLv3"),
    TLS_1_0(0x0301, "TLSv1"),
    TLS_1_1(0x0302, "TLSv1.1"),
    TLS_1_2(0x0303, "TLSv1.2"),
    TLS_1_3(0x0304, "TLSv1.3");

    private final int code;
    private final String displayName;

    ProtocolVersion(int code, String displayName) {
        this.code = code;
        this.displayName = displayName;
    }

    public int code() {
        return code;
    }

    public String displayName() {
        return displayName;
    }

    public static ProtocolVersion of(int code) {
        for (ProtocolVersion v : values()) {
            if (v.code == code) {
                return v;
            }
        }
        return null;
    }

    /** Accepts {@code 1.3}, {@code TLSv1.3}, {@code tls1.3}, {@code TLS_1_3}. */
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
