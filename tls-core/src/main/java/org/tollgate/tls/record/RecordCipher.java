package org.tollgate.tls.record;

import org.tollgate.tls.Alert;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.crypto.Aead;
import org.tollgate.tls.crypto.TlsCrypto;

/**
 * One direction's record protection in TLS 1.3 (RFC 8446 §5.2, §5.3): an AEAD keyed with a
 * traffic key, a per-record nonce made from the traffic IV xor the 64-bit sequence number,
 * and the record header as additional data. The plaintext inside is TLSInnerPlaintext:
 * content, then the real content type, then optional zero padding.
 */
public final class RecordCipher implements RecordProtection {
    /** RFC 8446 §5.1: TLSPlaintext.length MUST NOT exceed 2^14. */
    public static final int MAX_PLAINTEXT = 1 << 14;
    /** RFC 8446 §5.2: TLSCiphertext.length MUST NOT exceed 2^14 + 256. */
    public static final int MAX_CIPHERTEXT = (1 << 14) + 256;
    public static final int HEADER_LENGTH = 5;

    private final Aead aead;
    private final byte[] iv;
    private final byte[] nonce;
    private final byte[] header = new byte[HEADER_LENGTH];
    private final byte[] innerType = new byte[1];
    private long sequenceNumber;
    private int contentType;

    public RecordCipher(Aead aead, byte[] iv) {
        this.aead = aead;
        this.iv = iv.clone();
        this.nonce = new byte[iv.length];
    }

    /** Keys a record cipher for {@code suite} from a traffic key and IV. */
    public static RecordCipher tls13(TlsCrypto crypto, CipherSuite suite, byte[] key, byte[] iv) {
        return new RecordCipher(crypto.aead(suite, key), iv);
    }

    @Override
    public void replace(RecordProtection previous) {
        if (previous instanceof RecordCipher) {
            aead.takeCipherFrom(((RecordCipher) previous).aead);
        }
    }

    @Override
    public long sequenceNumber() {
        return sequenceNumber;
    }

    /** RFC 8446 §5.2: the inner content type, any padding and the tag. */
    @Override
    public int overhead(int padding) {
        return 1 + padding + Aead.TAG_LENGTH;
    }

    @Override
    public boolean hidesContentType() {
        return true;
    }

    /** For tests of the sequence-number limit only. */
    void setSequenceNumber(long n) {
        this.sequenceNumber = n;
    }

    /** The content type found by the last {@link #open} call. */
    @Override
    public int contentType() {
        return contentType;
    }

    /** RFC 8446 §5.3: the nonce is the IV xor the sequence number, left-padded to the IV length. */
    private byte[] nextNonce() throws TlsException {
        // RFC 8446 §5.3: the sequence number must not wrap; a connection this long must rekey first.
        if (sequenceNumber == -1L) {
            throw new TlsException(Alert.INTERNAL_ERROR, "record sequence number exhausted; the connection must be closed");
        }
        System.arraycopy(iv, 0, nonce, 0, iv.length);
        long seq = sequenceNumber++;
        for (int i = 0; i < 8; i++) {
            nonce[iv.length - 1 - i] ^= (byte) (seq >>> (8 * i));
        }
        return nonce;
    }

    /**
     * Protects {@code length} bytes of {@code contentType} content that already sit in
     * {@code buf} at {@code off + HEADER_LENGTH}; writes the record header at {@code off}
     * and encrypts in place. {@code buf} needs room for {@code 1 + padding + 16} more bytes
     * after the content. Returns the whole record length.
     */
    @Override
    public int sealInPlace(byte[] buf, int off, int length, int contentType, int padding) throws TlsException {
        int body = off + HEADER_LENGTH;
        int inner = length + 1 + padding;
        buf[body + length] = (byte) contentType;
        for (int i = 0; i < padding; i++) {
            buf[body + length + 1 + i] = 0;
        }
        int ciphertextLength = inner + Aead.TAG_LENGTH;
        writeHeader(buf, off, ciphertextLength);
        aead.seal(nextNonce(), header, buf, body, inner, buf, body);
        return HEADER_LENGTH + ciphertextLength;
    }

    @Override
    public int seal(byte[] src, int srcOff, int length, int contentType, byte[] buf, int off) throws TlsException {
        int ciphertextLength = length + 1 + Aead.TAG_LENGTH;
        writeHeader(buf, off, ciphertextLength);
        innerType[0] = (byte) contentType; // TLSInnerPlaintext: content, then its real type
        aead.seal(nextNonce(), header, src, srcOff, length, innerType, 1, buf, off + HEADER_LENGTH);
        return HEADER_LENGTH + ciphertextLength;
    }

    /** The outer record header, also kept as the additional data (RFC 8446 §5.2). */
    private void writeHeader(byte[] buf, int off, int ciphertextLength) {
        buf[off] = ContentType.APPLICATION_DATA; // opaque_type (RFC 8446 §5.2)
        buf[off + 1] = 0x03;                     // legacy_record_version 0x0303
        buf[off + 2] = 0x03;
        buf[off + 3] = (byte) (ciphertextLength >>> 8);
        buf[off + 4] = (byte) ciphertextLength;
        System.arraycopy(buf, off, header, 0, HEADER_LENGTH);
    }

    /** Convenience form of {@link #sealInPlace}: returns the whole protected record. */
    public byte[] seal(int contentType, byte[] content, int padding) throws TlsException {
        byte[] buf = new byte[HEADER_LENGTH + content.length + 1 + padding + Aead.TAG_LENGTH];
        System.arraycopy(content, 0, buf, HEADER_LENGTH, content.length);
        sealInPlace(buf, 0, content.length, contentType, padding);
        return buf;
    }

    /**
     * Decrypts the record whose 5-byte header is at {@code src[off]} and whose body follows
     * it, into {@code dst} at {@code dstOff} (which may be in place). Returns the content
     * length; its type is then {@link #contentType()}. Padding is stripped (RFC 8446 §5.4).
     */
    @Override
    public int open(byte[] src, int off, int bodyLength, byte[] dst, int dstOff) throws TlsException {
        if (bodyLength < Aead.TAG_LENGTH + 1) {
            throw new TlsException(Alert.BAD_RECORD_MAC, "protected record of " + bodyLength + " bytes is too short to hold a tag");
        }
        System.arraycopy(src, off, header, 0, HEADER_LENGTH);
        int inner = aead.open(nextNonce(), header, src, off + HEADER_LENGTH, bodyLength, dst, dstOff);
        if (inner > MAX_PLAINTEXT + 1) {
            // RFC 8446 §5.4: the full encoded TLSInnerPlaintext MUST NOT exceed 2^14 + 1 octets.
            throw new TlsException(Alert.RECORD_OVERFLOW, "decrypted record of " + inner + " bytes exceeds 2^14 + 1");
        }
        int i = inner - 1;
        while (i >= 0 && dst[dstOff + i] == 0) {
            i--;
        }
        if (i < 0) {
            // RFC 8446 §5.4: no non-zero octet in the cleartext is unexpected_message.
            throw TlsException.unexpectedMessage("protected record holds only padding, no content type");
        }
        contentType = dst[dstOff + i] & 0xFF;
        return i;
    }

    /** Convenience form of {@link #openInPlace} for a whole record; returns the content. */
    public byte[] open(byte[] record) throws TlsException {
        byte[] buf = record.clone();
        int len = openInPlace(buf, 0, buf.length - HEADER_LENGTH);
        return java.util.Arrays.copyOfRange(buf, HEADER_LENGTH, HEADER_LENGTH + len);
    }
}
