package org.tollgate.tls.crypto;

import org.tollgate.tls.TlsException;

/**
 * An AEAD record cipher with a fixed key (RFC 5116): AES-GCM or ChaCha20-Poly1305, 12-byte
 * nonce, 16-byte tag. One instance per direction; not thread-safe.
 */
public interface Aead {

    int TAG_LENGTH = 16;

    /**
     * Encrypts {@code in[inOff..inOff+len)} and writes ciphertext followed by the tag into
     * {@code out} at {@code outOff}; returns {@code len + TAG_LENGTH}. {@code out} may be {@code in}.
     */
    int seal(byte[] nonce, byte[] aad, byte[] in, int inOff, int len, byte[] out, int outOff) throws TlsException;

    /**
     * Decrypts ciphertext-and-tag {@code in[inOff..inOff+len)} into {@code out} at {@code outOff}
     * and returns the plaintext length. A wrong tag is {@code bad_record_mac}. {@code out} may be {@code in}.
     */
    int open(byte[] nonce, byte[] aad, byte[] in, int inOff, int len, byte[] out, int outOff) throws TlsException;

    /**
     * Lets this instance reuse resources of {@code previous}, the instance it replaces for the
     * same direction of the same connection (a new traffic key), which is not used again.
     * Implementations without reusable state ignore it.
     */
    default void takeCipherFrom(Aead previous) {
    }
}
