package org.tollgate.tls.handshake;

/** ExtensionType values (RFC 8446 §4.2 and the RFCs that define each). */
public final class ExtensionType {
    public static final int SERVER_NAME = 0;                       // RFC 6066
    public static final int MAX_FRAGMENT_LENGTH = 1;               // RFC 6066
    public static final int STATUS_REQUEST = 5;                    // RFC 6066
    public static final int SUPPORTED_GROUPS = 10;                 // RFC 8422, 7919
    public static final int EC_POINT_FORMATS = 11;                 // RFC 8422
    public static final int SIGNATURE_ALGORITHMS = 13;             // RFC 8446
    public static final int APPLICATION_LAYER_PROTOCOL_NEGOTIATION = 16; // RFC 7301
    public static final int SIGNED_CERTIFICATE_TIMESTAMP = 18;     // RFC 6962
    public static final int PADDING = 21;                          // RFC 7685
    public static final int ENCRYPT_THEN_MAC = 22;                 // RFC 7366
    public static final int EXTENDED_MASTER_SECRET = 23;           // RFC 7627
    public static final int RECORD_SIZE_LIMIT = 28;                // RFC 8449
    public static final int SESSION_TICKET = 35;                   // RFC 5077
    public static final int PRE_SHARED_KEY = 41;                   // RFC 8446
    public static final int EARLY_DATA = 42;                       // RFC 8446
    public static final int SUPPORTED_VERSIONS = 43;               // RFC 8446
    public static final int COOKIE = 44;                           // RFC 8446
    public static final int PSK_KEY_EXCHANGE_MODES = 45;           // RFC 8446
    public static final int CERTIFICATE_AUTHORITIES = 47;          // RFC 8446
    public static final int OID_FILTERS = 48;                      // RFC 8446
    public static final int POST_HANDSHAKE_AUTH = 49;              // RFC 8446
    public static final int SIGNATURE_ALGORITHMS_CERT = 50;        // RFC 8446
    public static final int KEY_SHARE = 51;                        // RFC 8446
    public static final int RENEGOTIATION_INFO = 0xFF01;           // RFC 5746

    private ExtensionType() {
    }

    public static String name(int type) {
        switch (type) {
            case SERVER_NAME: return "server_name";
            case MAX_FRAGMENT_LENGTH: return "max_fragment_length";
            case STATUS_REQUEST: return "status_request";
            case SUPPORTED_GROUPS: return "supported_groups";
            case EC_POINT_FORMATS: return "ec_point_formats";
            case SIGNATURE_ALGORITHMS: return "signature_algorithms";
            case APPLICATION_LAYER_PROTOCOL_NEGOTIATION: return "application_layer_protocol_negotiation";
            case SIGNED_CERTIFICATE_TIMESTAMP: return "signed_certificate_timestamp";
            case PADDING: return "padding";
            case ENCRYPT_THEN_MAC: return "encrypt_then_mac";
            case EXTENDED_MASTER_SECRET: return "extended_master_secret";
            case RECORD_SIZE_LIMIT: return "record_size_limit";
            case SESSION_TICKET: return "session_ticket";
            case PRE_SHARED_KEY: return "pre_shared_key";
            case EARLY_DATA: return "early_data";
            case SUPPORTED_VERSIONS: return "supported_versions";
            case COOKIE: return "cookie";
            case PSK_KEY_EXCHANGE_MODES: return "psk_key_exchange_modes";
            case CERTIFICATE_AUTHORITIES: return "certificate_authorities";
            case OID_FILTERS: return "oid_filters";
            case POST_HANDSHAKE_AUTH: return "post_handshake_auth";
            case SIGNATURE_ALGORITHMS_CERT: return "signature_algorithms_cert";
            case KEY_SHARE: return "key_share";
            case RENEGOTIATION_INFO: return "renegotiation_info";
            default: return "extension(" + type + ")";
        }
    }
}
