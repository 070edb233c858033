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
    /** Every message as sent, kept only when asked for (TLS 1.2 CertificateVerify signs them all). */
    private ByteArrayOutputStream messages;

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

    /**
     * Keeps the messages themselves from now on (and those still buffered), because a TLS 1.2
     * CertificateVerify signs {@code handshake_messages}, not their hash (RFC 5246 §7.4.8).
     */
    public void retainMessages() {
        if (messages == null) {
            messages = new ByteArrayOutputStream();
            if (pending != null) {
                messages.write(pending.toByteArray(), 0, pending.size());
            }
        }
    }

    /** The messages kept since {@link #retainMessages()}, concatenated; null when none are kept. */
    public byte[] messages() {
        return messages == null ? null : messages.toByteArray();
    }

    /** Adds one whole handshake message (header included). */
    public void add(byte[] message) {
        if (messages != null) {
            messages.write(message, 0, message.length);
        }
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
