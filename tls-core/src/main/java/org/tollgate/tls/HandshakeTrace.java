package org.tollgate.tls;

/**
 * Sees the handshake as it happens: every handshake message sent or received, and the
 * decisions the engine takes. The command-line {@code --explain} option prints it.
 */
public interface HandshakeTrace {

    /** Traces nothing. */
    HandshakeTrace NONE = new HandshakeTrace() {
    };

    /**
     * A whole handshake message (4-byte header included), {@code outbound} when we sent it.
     * @param outbound true when we sent the message, false when we received it
     * @param name the message's name, e.g. {@code ServerHello}
     * @param encoded the message bytes as on the wire, header included
     * @param details a short description of its fields
     */
    default void message(boolean outbound, String name, byte[] encoded, String details) {
    }

    /**
     * A decision or step, in words: "chose TLS_AES_128_GCM_SHA256 (server preference)".
     * @param text the note, one sentence
     */
    default void note(String text) {
    }
}
