package org.tollgate.tls.client;

import org.tollgate.tls.Alert;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.nio.TlsIOException;

/**
 * A TLS failure on a client connection, as an {@link java.io.IOException} so that it travels
 * through streams; a {@link TlsIOException}, like the failures of the NIO channel. It carries the protocol's {@link TlsException}: the alert that was sent to the server
 * (before this exception was thrown) or that the server sent us, and a message a person can act
 * on, e.g. {@code certificate for localhost is not valid for example.com (bad_certificate)}.
 */
public class TlsClientException extends TlsIOException {
    private static final long serialVersionUID = 1L;

    /** The message, naming the alert and who sent it. */
    private final String message;

    /**
     * Wraps a TLS failure of this client's connection.
     * @param cause the failure, with its alert
     */
    public TlsClientException(TlsException cause) {
        super(cause);
        this.message = describe(cause);
    }

    /** The reason and the alert, e.g. {@code certificate for localhost is not valid for example.com (bad_certificate)}. */
    @Override
    public String getMessage() {
        return message;
    }

    /**
     * True when the server sent the alert; false when this client detected the failure and sent it.
     * @return whether the server sent the alert
     */
    public boolean receivedFromPeer() {
        return tlsException().receivedFromPeer();
    }

    /** {@return true when the server's certificate was refused here (chain, dates or name)} */
    public boolean isCertificateFailure() {
        if (tlsException().receivedFromPeer()) {
            return false;
        }
        switch (tlsException().alert()) {
            case BAD_CERTIFICATE:
            case UNSUPPORTED_CERTIFICATE:
            case CERTIFICATE_REVOKED:
            case CERTIFICATE_EXPIRED:
            case CERTIFICATE_UNKNOWN:
            case UNKNOWN_CA:
                return true;
            default:
                return false;
        }
    }

    private static String describe(TlsException e) {
        if (!e.receivedFromPeer()) {
            return e.getMessage() + " (" + e.alert().rfcName() + ")";
        }
        String hint;
        switch (e.alert()) {
            case HANDSHAKE_FAILURE:
            case INSUFFICIENT_SECURITY:
                hint = ": the server found nothing acceptable in our offer (check the cipher suites, groups and"
                        + " signature schemes both sides enable)";
                break;
            case PROTOCOL_VERSION:
                hint = ": the server does not speak the protocol versions we offered";
                break;
            case NO_APPLICATION_PROTOCOL:
                hint = ": the server supports none of the ALPN protocols we offered";
                break;
            case UNRECOGNIZED_NAME:
                hint = ": the server has no certificate for the name we sent (SNI)";
                break;
            case CERTIFICATE_REQUIRED:
                hint = ": the server wants a client certificate";
                break;
            default:
                hint = "";
        }
        return "the server sent the fatal alert " + e.alert().rfcName() + hint;
    }
}
