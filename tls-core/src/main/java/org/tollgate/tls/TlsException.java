package org.tollgate.tls;

/**
 * A TLS protocol failure: the alert that goes (or came) on the wire, and a message a
 * person can act on. This is the one exception type of the protocol layer; the engine
 * sends the alert and closes, the caller reads the message.
 */
public class TlsException extends Exception {
    private static final long serialVersionUID = 1L;

    private final Alert alert;
    private final boolean receivedFromPeer;

    /** A failure detected locally; {@code alert} is what we send to the peer. */
    public TlsException(Alert alert, String message) {
        this(alert, message, null, false);
    }

    public TlsException(Alert alert, String message, Throwable cause) {
        this(alert, message, cause, false);
    }

    private TlsException(Alert alert, String message, Throwable cause, boolean receivedFromPeer) {
        super(message, cause);
        this.alert = alert;
        this.receivedFromPeer = receivedFromPeer;
    }

    /** A fatal alert the peer sent us. */
    public static TlsException fromPeer(Alert alert, int code) {
        return new TlsException(alert, "peer sent fatal alert " + Alert.describe(code), null, true);
    }

    /** The alert sent to the peer, or received from it. */
    public Alert alert() {
        return alert;
    }

    /** True when the peer sent this alert; false when we detected the failure and sent it. */
    public boolean receivedFromPeer() {
        return receivedFromPeer;
    }

    @Override
    public String toString() {
        return (receivedFromPeer ? "received " : "") + alert.rfcName() + ": " + getMessage();
    }

    // Shorthands used throughout the protocol code.

    public static TlsException decodeError(String message) {
        return new TlsException(Alert.DECODE_ERROR, message);
    }

    public static TlsException illegalParameter(String message) {
        return new TlsException(Alert.ILLEGAL_PARAMETER, message);
    }

    public static TlsException unexpectedMessage(String message) {
        return new TlsException(Alert.UNEXPECTED_MESSAGE, message);
    }

    public static TlsException handshakeFailure(String message) {
        return new TlsException(Alert.HANDSHAKE_FAILURE, message);
    }

    public static TlsException internalError(String message, Throwable cause) {
        return new TlsException(Alert.INTERNAL_ERROR, message, cause);
    }
}
