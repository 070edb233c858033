package org.tollgate.tls;

/**
 * Sees the handshake as it happens: every handshake message sent or received, and the
 * decisions the engine takes. The command-line {@code --explain} option prints it.
 */
public interface HandshakeTrace {

    /** Traces nothing. */
    HandshakeTrace NONE = new HandshakeTrace() {
    };

    /** A whole handshake message (4-byte header included), {@code outbound} when we sent it. */
    default void message(boolean outbound, String name, byte[] encoded, String details) {
    }

    /** A decision or step, in words: "chose TLS_AES_128_GCM_SHA256 (server preference)". */
    default void note(String text) {
    }
}
