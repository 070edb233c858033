package org.tollgate.tls;

/**
 * A TLS protocol failure: the alert that goes (or came) on the wire, and a message a
 * person can act on. This is the one exception type of the protocol layer; the engine
 * sends the alert and closes, the caller reads the message.
 */
public class TlsException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The alert sent to the peer or received from it. */
    private final Alert alert;
    /** True when the peer sent the alert, false when we detected the failure. */
    private final boolean receivedFromPeer;

    /**
     * A failure detected locally; {@code alert} is what we send to the peer.
     * @param alert the alert to send
     * @param message what went wrong, for a person
     */
    public TlsException(Alert alert, String message) {
        this(alert, message, null, false);
    }

    /**
     * A failure detected locally, caused by {@code cause}.
     * @param alert the alert to send
     * @param message what went wrong, for a person
     * @param cause the underlying exception
     */
    public TlsException(Alert alert, String message, Throwable cause) {
        this(alert, message, cause, false);
    }

    private TlsException(Alert alert, String message, Throwable cause, boolean receivedFromPeer) {
        super(message, cause);
        this.alert = alert;
        this.receivedFromPeer = receivedFromPeer;
    }

    /**
     * A fatal alert the peer sent us.
     * @param alert the alert received, or null when unknown
     * @param code the alert's code on the wire
     * @return the exception
     */
    public static TlsException fromPeer(Alert alert, int code) {
        return new TlsException(alert, "peer sent fatal alert " + Alert.describe(code), null, true);
    }

    /** {@return the alert sent to the peer, or received from it} */
    public Alert alert() {
        return alert;
    }

    /**
     * True when the peer sent this alert; false when we detected the failure and sent it.
     * @return whether the peer sent it
     */
    public boolean receivedFromPeer() {
        return receivedFromPeer;
    }

    @Override
    public String toString() {
        return (receivedFromPeer ? "received " : "") + alert.rfcName() + ": " + getMessage();
    }

    // Shorthands used throughout the protocol code.

    /**
     * {@return a decode_error failure: a message that cannot be parsed}
     * @param message what was wrong with it
     */
    public static TlsException decodeError(String message) {
        return new TlsException(Alert.DECODE_ERROR, message);
    }

    /**
     * {@return an illegal_parameter failure: a field with a value it may not have}
     * @param message which field and value
     */
    public static TlsException illegalParameter(String message) {
        return new TlsException(Alert.ILLEGAL_PARAMETER, message);
    }

    /**
     * {@return an unexpected_message failure: a message out of order}
     * @param message which message, in which state
     */
    public static TlsException unexpectedMessage(String message) {
        return new TlsException(Alert.UNEXPECTED_MESSAGE, message);
    }

    /**
     * {@return a handshake_failure: no acceptable parameters in common}
     * @param message what could not be agreed
     */
    public static TlsException handshakeFailure(String message) {
        return new TlsException(Alert.HANDSHAKE_FAILURE, message);
    }

    /**
     * {@return an internal_error failure: our own fault, not the peer's}
     * @param message what failed
     * @param cause the underlying exception
     */
    public static TlsException internalError(String message, Throwable cause) {
        return new TlsException(Alert.INTERNAL_ERROR, message, cause);
    }
}
