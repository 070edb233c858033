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
     * Encrypts the plaintext {@code in[inOff..inOff+len)} followed by
     * {@code trailer[0..trailerLen)} (TLS 1.3's content type byte) and writes ciphertext
     * followed by the tag into {@code out} at {@code outOff}; returns
     * {@code len + trailerLen + TAG_LENGTH}. This saves the record layer copying content into
     * its record buffer before encrypting it there: the cipher reads it where it is. {@code
     * out} must not overlap {@code in} unless at the same offset. The default copies and calls
     * {@link #seal(byte[], byte[], byte[], int, int, byte[], int)}.
     */
    default int seal(byte[] nonce, byte[] aad, byte[] in, int inOff, int len, byte[] trailer, int trailerLen,
            byte[] out, int outOff) throws TlsException {
        System.arraycopy(in, inOff, out, outOff, len);
        System.arraycopy(trailer, 0, out, outOff + len, trailerLen);
        return seal(nonce, aad, out, outOff, len + trailerLen, out, outOff);
    }

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
