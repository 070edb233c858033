package org.tollgate.tls;

/**
 * TLS alert descriptions (RFC 8446 §6, RFC 5246 §7.2). An alert is how one side tells
 * the other why it is closing the connection.
 */
public enum Alert {
    CLOSE_NOTIFY(0),
    UNEXPECTED_MESSAGE(10),
    BAD_RECORD_MAC(20),
    RECORD_OVERFLOW(22),
    HANDSHAKE_FAILURE(40),
    BAD_CERTIFICATE(42),
    UNSUPPORTED_CERTIFICATE(43),
    CERTIFICATE_REVOKED(44),
    CERTIFICATE_EXPIRED(45),
    CERTIFICATE_UNKNOWN(46),
    ILLEGAL_PARAMETER(47),
    UNKNOWN_CA(48),
    ACCESS_DENIED(49),
    DECODE_ERROR(50),
    DECRYPT_ERROR(51),
    PROTOCOL_VERSION(70),
    INSUFFICIENT_SECURITY(71),
    INTERNAL_ERROR(80),
    INAPPROPRIATE_FALLBACK(86),
    USER_CANCELED(90),
    NO_RENEGOTIATION(100),
    MISSING_EXTENSION(109),
    UNSUPPORTED_EXTENSION(110),
    UNRECOGNIZED_NAME(112),
    BAD_CERTIFICATE_STATUS_RESPONSE(113),
    UNKNOWN_PSK_IDENTITY(115),
    CERTIFICATE_REQUIRED(116),
    NO_APPLICATION_PROTOCOL(120);

    /** RFC 8446 §6: AlertLevel. */
    public static final int LEVEL_WARNING = 1;
    public static final int LEVEL_FATAL = 2;

    private final int code;

    Alert(int code) {
        this.code = code;
    }

    /** The alert's number on the wire. */
    public int code() {
        return code;
    }

    /** The alert for a wire code, or {@code null} if the code is unknown. */
    public static Alert of(int code) {
        for (Alert a : values()) {
            if (a.code == code) {
                return a;
            }
        }
        return null;
    }

    /** The RFC's own spelling, e.g. {@code bad_record_mac}. */
    public String rfcName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** A name for an alert code that may be unknown. */
    public static String describe(int code) {
        Alert a = of(code);
        return a == null ? "alert(" + code + ")" : a.rfcName();
    }
}
