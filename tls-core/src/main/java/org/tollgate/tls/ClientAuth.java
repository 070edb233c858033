package org.tollgate.tls;

/**
 * Whether a server asks the client for a certificate (mutual TLS; RFC 8446 §4.3.2,
 * RFC 5246 §7.4.4). A client certificate that is sent is always checked, whatever the
 * setting: one that does not verify fails the handshake.
 */
public enum ClientAuth {
    /** No CertificateRequest is sent (the default). */
    NONE,
    /** A CertificateRequest is sent; a client without a certificate is still served. */
    WANT,
    /**
     * A CertificateRequest is sent and a certificate is required: a client without one gets
     * certificate_required (TLS 1.3) or handshake_failure (TLS 1.2).
     */
    NEED
}
