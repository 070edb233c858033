package org.tollgate.tls.handshake;

import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The running hash of every handshake message (RFC 8446 §4.4.1). Until the cipher suite is
 * known the messages are only buffered; once it is, they are hashed and the buffer dropped.
 */
public final class TranscriptHash {
    private ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private MessageDigest digest;

    /** Fixes the hash once the cipher suite is chosen and hashes what was buffered. */
    public void useHash(String hashName) {
        if (digest != null) {
            return;
        }
        try {
            digest = MessageDigest.getInstance(hashName);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        digest.update(pending.toByteArray());
        pending = null;
    }

    public boolean hashChosen() {
        return digest != null;
    }

    /** Adds one whole handshake message (header included). */
    public void add(byte[] message) {
        if (digest == null) {
            pending.write(message, 0, message.length);
        } else {
            digest.update(message);
        }
    }

    /** Transcript-Hash of everything added so far; the running state is untouched. */
    public byte[] current() {
        try {
            MessageDigest copy = (MessageDigest) digest.clone();
            return copy.digest();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * RFC 8446 §4.4.1: after a HelloRetryRequest the first ClientHello is replaced by the
     * synthetic message {@code message_hash(254) 00 00 Hash.length Hash(ClientHello1)}.
     */
    public void replaceWithMessageHash() {
        byte[] hashOfClientHello1 = current();
        digest.reset();
        digest.update(new byte[] {(byte) HandshakeType.MESSAGE_HASH, 0, 0, (byte) hashOfClientHello1.length});
        digest.update(hashOfClientHello1);
    }

    /** Transcript-Hash of what was added, plus {@code extra} (e.g. a truncated ClientHello for binders). */
    public byte[] currentWith(byte[] extra) {
        try {
            MessageDigest copy = (MessageDigest) digest.clone();
            copy.update(extra);
            return copy.digest();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }

}
