package org.tollgate.tls.crypto;

import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.TlsException;

/** One side's ephemeral (EC)DHE key pair (RFC 8446 §4.2.8). */
public interface KeyShare {

    NamedGroup group();

    /** The key_exchange bytes to send: 32 bytes for X25519, an uncompressed point for NIST curves. */
    byte[] publicKey();

    /**
     * The shared secret with the peer's key_exchange bytes. Fails with illegal_parameter for
     * a malformed or off-curve point (RFC 8446 §4.2.8.2) and for an all-zero X25519 result
     * (RFC 8446 §7.4.2, RFC 7748 §6.1).
     */
    byte[] agree(byte[] peerPublicKey) throws TlsException;
}
