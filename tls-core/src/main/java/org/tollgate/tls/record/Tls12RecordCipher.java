package org.tollgate.tls.record;

import org.tollgate.tls.Alert;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.crypto.Aead;
import org.tollgate.tls.crypto.TlsCrypto;

/**
 * One direction's record protection in TLS 1.2 with an AEAD suite (RFC 5246 §6.2.3.3):
 *
 * <ul>
 *   <li>AES-GCM (RFC 5288 §3): the 12-byte nonce is a 4-byte implicit salt from the key
 *       block followed by an 8-byte explicit part sent in front of each record. Tollgate
 *       sends the sequence number as the explicit part, so a nonce never repeats.
 *   <li>ChaCha20-Poly1305 (RFC 7905 §2): no explicit part; the nonce is the 12-byte IV
 *       from the key block xor the sequence number, left-padded, as in TLS 1.3.
 * </ul>
 *
 * The additional data is {@code seq_num(8) || type(1) || version(2) || length(2)}, the
 * length being the plaintext's. Unlike TLS 1.3 the record header shows the real content
 * type, and nothing is padded.
 */
public final class Tls12RecordCipher implements RecordProtection {
    /** RFC 5288 §3: GCMNonce.nonce_explicit is 8 bytes. */
    static final int EXPLICIT_NONCE_LENGTH = 8;
    private static final int VERSION = 0x0303;

    private final Aead aead;
    private final byte[] iv;
    private final boolean explicitNonce;
    private final byte[] nonce = new byte[12];
    private final byte[] aad = new byte[13];
    private long sequenceNumber;
    private int contentType;

    /**
     * @param iv            the 4-byte salt (AES-GCM) or the 12-byte IV (ChaCha20-Poly1305)
     * @param explicitNonce true for AES-GCM's 8-byte explicit nonce
     */
    public Tls12RecordCipher(Aead aead, byte[] iv, boolean explicitNonce) {
        if (iv.length != (explicitNonce ? 4 : 12)) {
            throw new IllegalArgumentException("TLS 1.2 " + (explicitNonce ? "AES-GCM salt is 4" : "ChaCha20 IV is 12")
                    + " bytes, got " + iv.length);
        }
        this.aead = aead;
        this.iv = iv.clone();
        this.explicitNonce = explicitNonce;
    }

    /** Keys a TLS 1.2 record cipher for {@code suite} from the key block's write key and IV. */
    public static Tls12RecordCipher of(TlsCrypto crypto, CipherSuite suite, byte[] key, byte[] iv) {
        return new Tls12RecordCipher(crypto.aead(suite, key), iv, suite.isAesGcm());
    }

    @Override
    public void replace(RecordProtection previous) {
        if (previous instanceof Tls12RecordCipher) {
            aead.takeCipherFrom(((Tls12RecordCipher) previous).aead);
        }
    }

    @Override
    public long sequenceNumber() {
        return sequenceNumber;
    }

    /** For tests only. */
    void setSequenceNumber(long n) {
        this.sequenceNumber = n;
    }

    @Override
    public int contentType() {
        return contentType;
    }

    @Override
    public int overhead(int padding) {
        return (explicitNonce ? EXPLICIT_NONCE_LENGTH : 0) + Aead.TAG_LENGTH;
    }

    @Override
    public boolean hidesContentType() {
        return false;
    }

    private long nextSequenceNumber() throws TlsException {
        // RFC 5246 §6.1: sequence numbers MUST NOT wrap; TLS 1.2 would have to renegotiate first.
        if (sequenceNumber == -1L) {
            throw new TlsException(Alert.INTERNAL_ERROR, "record sequence number exhausted; the connection must be closed");
        }
        return sequenceNumber++;
    }

    /** RFC 5246 §6.2.3.3: additional_data = seq_num + TLSCompressed.type + version + length. */
    private void additionalData(long seq, int type, int length) {
        for (int i = 0; i < 8; i++) {
            aad[i] = (byte) (seq >>> (56 - 8 * i));
        }
        aad[8] = (byte) type;
        aad[9] = (byte) (VERSION >>> 8);
        aad[10] = (byte) VERSION;
        aad[11] = (byte) (length >>> 8);
        aad[12] = (byte) length;
    }

    /** RFC 7905 §2: the IV xor the sequence number, left-padded to 12 bytes. */
    private void chachaNonce(long seq) {
        System.arraycopy(iv, 0, nonce, 0, 12);
        for (int i = 0; i < 8; i++) {
            nonce[11 - i] ^= (byte) (seq >>> (8 * i));
        }
    }

    /** RFC 5288 §3: salt(4) from the key block, then the explicit part. */
    private void gcmNonce(byte[] buf, int explicitAt) {
        System.arraycopy(iv, 0, nonce, 0, 4);
        System.arraycopy(buf, explicitAt, nonce, 4, EXPLICIT_NONCE_LENGTH);
    }

    @Override
    public int sealInPlace(byte[] buf, int off, int length, int contentType, int padding) throws TlsException {
        // TLS 1.2 has no padding. The cipher is copy-safe, so the content may be where the
        // ciphertext goes (ChaCha20) or 8 bytes before it (GCM, after its explicit nonce).
        return seal(buf, off + RecordCipher.HEADER_LENGTH, length, contentType, buf, off);
    }

    @Override
    public int seal(byte[] src, int srcOff, int length, int contentType, byte[] buf, int off) throws TlsException {
        if (length > RecordCipher.MAX_PLAINTEXT) {
            throw TlsException.internalError("record of " + length + " bytes is too long to send", null);
        }
        long seq = nextSequenceNumber();
        int body = off + RecordCipher.HEADER_LENGTH;
        additionalData(seq, contentType, length);
        int bodyLength;
        if (explicitNonce) {
            // Encrypt first, into the place after the explicit nonce, then write the nonce's
            // explicit part in front (the content may have sat where the nonce goes).
            System.arraycopy(iv, 0, nonce, 0, 4);
            for (int i = 0; i < 8; i++) {
                nonce[4 + i] = (byte) (seq >>> (56 - 8 * i));
            }
            int n = aead.seal(nonce, aad, src, srcOff, length, buf, body + EXPLICIT_NONCE_LENGTH);
            System.arraycopy(nonce, 4, buf, body, EXPLICIT_NONCE_LENGTH);
            bodyLength = EXPLICIT_NONCE_LENGTH + n;
        } else {
            chachaNonce(seq);
            bodyLength = aead.seal(nonce, aad, src, srcOff, length, buf, body);
        }
        buf[off] = (byte) contentType;
        buf[off + 1] = (byte) (VERSION >>> 8);
        buf[off + 2] = (byte) VERSION;
        buf[off + 3] = (byte) (bodyLength >>> 8);
        buf[off + 4] = (byte) bodyLength;
        return RecordCipher.HEADER_LENGTH + bodyLength;
    }

    /** Convenience form of {@link #sealInPlace}: returns the whole protected record. */
    public byte[] seal(int contentType, byte[] content) throws TlsException {
        byte[] buf = new byte[RecordCipher.HEADER_LENGTH + content.length + overhead(0)];
        System.arraycopy(content, 0, buf, RecordCipher.HEADER_LENGTH, content.length);
        sealInPlace(buf, 0, content.length, contentType, 0);
        return buf;
    }

    @Override
    public int open(byte[] src, int off, int bodyLength, byte[] dst, int dstOff) throws TlsException {
        int prefix = explicitNonce ? EXPLICIT_NONCE_LENGTH : 0;
        if (bodyLength < prefix + Aead.TAG_LENGTH) {
            throw new TlsException(Alert.BAD_RECORD_MAC, "protected record of " + bodyLength
                    + " bytes is too short to hold " + (explicitNonce ? "a nonce and " : "") + "a tag");
        }
        int plaintextLength = bodyLength - prefix - Aead.TAG_LENGTH;
        if (plaintextLength > RecordCipher.MAX_PLAINTEXT) {
            // RFC 5246 §6.2.3: the plaintext inside MUST NOT exceed 2^14 bytes.
            throw new TlsException(Alert.RECORD_OVERFLOW, "protected record would hold " + plaintextLength
                    + " bytes, more than 2^14");
        }
        int type = src[off] & 0xFF;
        long seq = nextSequenceNumber();
        int body = off + RecordCipher.HEADER_LENGTH;
        additionalData(seq, type, plaintextLength);
        if (explicitNonce) {
            gcmNonce(src, body);
        } else {
            chachaNonce(seq);
        }
        // In place, the plaintext lands at the start of the body, over the explicit nonce (copy-safe).
        int n = aead.open(nonce, aad, src, body + prefix, bodyLength - prefix, dst, dstOff);
        contentType = type;
        return n;
    }

    /** Convenience form of {@link #openInPlace} for a whole record; returns the content. */
    public byte[] open(byte[] record) throws TlsException {
        byte[] buf = record.clone();
        int len = openInPlace(buf, 0, buf.length - RecordCipher.HEADER_LENGTH);
        return java.util.Arrays.copyOfRange(buf, RecordCipher.HEADER_LENGTH, RecordCipher.HEADER_LENGTH + len);
    }
}
