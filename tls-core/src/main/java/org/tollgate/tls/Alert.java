package org.tollgate.tls;

/**
 * TLS alert descriptions (RFC 8446 §6, RFC 5246 §7.2). An alert is how one side tells
 * the other why it is closing the connection.
 */
public enum Alert {
    /** close_notify: the sender will send no more data (RFC 8446 §6.1); a warning, not an error. */
    CLOSE_NOTIFY(0),
    /** unexpected_message: a message arrived in the wrong state (RFC 8446 §6.2). */
    UNEXPECTED_MESSAGE(10),
    /** bad_record_mac: a record failed AEAD authentication (RFC 8446 §6.2). */
    BAD_RECORD_MAC(20),
    /** record_overflow: a record longer than the RFC allows (RFC 8446 §5.1, §5.2). */
    RECORD_OVERFLOW(22),
    /** handshake_failure: no acceptable set of parameters, e.g. no common cipher suite (RFC 8446 §6.2). */
    HANDSHAKE_FAILURE(40),
    /** bad_certificate: the certificate was corrupt or its signature did not verify (RFC 8446 §6.2). */
    BAD_CERTIFICATE(42),
    /** unsupported_certificate: a certificate of an unsupported type (RFC 8446 §6.2). */
    UNSUPPORTED_CERTIFICATE(43),
    /** certificate_revoked: the signer revoked the certificate (RFC 8446 §6.2). */
    CERTIFICATE_REVOKED(44),
    /** certificate_expired: a certificate outside its validity period (RFC 8446 §6.2). */
    CERTIFICATE_EXPIRED(45),
    /** certificate_unknown: another certificate problem made it unacceptable (RFC 8446 §6.2). */
    CERTIFICATE_UNKNOWN(46),
    /** illegal_parameter: a field out of range or inconsistent with others (RFC 8446 §6.2). */
    ILLEGAL_PARAMETER(47),
    /** unknown_ca: the chain did not lead to a trusted CA (RFC 8446 §6.2). */
    UNKNOWN_CA(48),
    /** access_denied: a valid certificate or PSK, but access is refused (RFC 8446 §6.2). */
    ACCESS_DENIED(49),
    /** decode_error: a message could not be parsed: a length out of range, a truncated field (RFC 8446 §6.2). */
    DECODE_ERROR(50),
    /** decrypt_error: a signature, Finished or key-exchange check failed (RFC 8446 §6.2). */
    DECRYPT_ERROR(51),
    /** protocol_version: the peer's version is recognised but not supported (RFC 8446 §6.2). */
    PROTOCOL_VERSION(70),
    /** insufficient_security: the server needs stronger parameters than the client offered (RFC 8446 §6.2). */
    INSUFFICIENT_SECURITY(71),
    /** internal_error: a failure unrelated to the peer or the protocol (RFC 8446 §6.2). */
    INTERNAL_ERROR(80),
    /** inappropriate_fallback: a fallback retry to a server that supports a higher version (RFC 7507 §2). */
    INAPPROPRIATE_FALLBACK(86),
    /** user_canceled: the user ends the handshake for a reason unrelated to the protocol (RFC 8446 §6.1). */
    USER_CANCELED(90),
    /** no_renegotiation: the peer refuses to renegotiate; TLS 1.2 only (RFC 5246 §7.2.2). */
    NO_RENEGOTIATION(100),
    /** missing_extension: a mandatory extension is absent (RFC 8446 §6.2). */
    MISSING_EXTENSION(109),
    /** unsupported_extension: an extension the receiver never offered or may not get here (RFC 8446 §6.2). */
    UNSUPPORTED_EXTENSION(110),
    /** unrecognized_name: no server for the name in server_name (RFC 6066 §3). */
    UNRECOGNIZED_NAME(112),
    /** bad_certificate_status_response: an invalid OCSP response (RFC 8446 §6.2). */
    BAD_CERTIFICATE_STATUS_RESPONSE(113),
    /** unknown_psk_identity: no acceptable PSK identity (RFC 8446 §6.2). */
    UNKNOWN_PSK_IDENTITY(115),
    /** certificate_required: the server needs a client certificate and got none (RFC 8446 §6.2). */
    CERTIFICATE_REQUIRED(116),
    /** no_application_protocol: no ALPN protocol in common (RFC 7301 §3.2). */
    NO_APPLICATION_PROTOCOL(120);

    /** RFC 8446 §6: AlertLevel. */
    public static final int LEVEL_WARNING = 1;
    /** AlertLevel fatal (RFC 5246 §7.2); TLS 1.3 treats every alert but close_notify and user_canceled as fatal. */
    public static final int LEVEL_FATAL = 2;

    private final int code;

    Alert(int code) {
        this.code = code;
    }

    /** {@return the alert's number on the wire} */
    public int code() {
        return code;
    }

    /**
     * The alert for a wire code, or {@code null} if the code is unknown.
     * @param code the AlertDescription byte
     * @return the matching constant, or {@code null}
     */
    public static Alert of(int code) {
        for (Alert a : values()) {
            if (a.code == code) {
                return a;
            }
        }
        return null;
    }

    /** {@return the RFC's own spelling, e.g. {@code bad_record_mac}} */
    public String rfcName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * A name for an alert code that may be unknown.
     * @param code the AlertDescription byte, known or not
     * @return the RFC name with the code, or "unknown alert N"
     */
    public static String describe(int code) {
        Alert a = of(code);
        return a == null ? "alert(" + code + ")" : a.rfcName();
    }
}
