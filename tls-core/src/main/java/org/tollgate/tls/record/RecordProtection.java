package org.tollgate.tls.record;

import org.tollgate.tls.TlsException;

/**
 * One direction's record protection: TLS 1.3's {@link RecordCipher} (RFC 8446 §5.2) or
 * TLS 1.2's {@link Tls12RecordCipher} (RFC 5246 §6.2.3.3). The {@link RecordLayer} frames
 * records and asks this object to seal or open each one in place.
 */
public interface RecordProtection {

    /**
     * Protects {@code length} bytes of {@code contentType} content that sit in {@code buf}
     * at {@code off + HEADER_LENGTH}; writes the record header at {@code off} and the
     * protected body after it. {@code buf} needs {@link #overhead(int)} more bytes after
     * the content. Returns the whole record length.
     */
    int sealInPlace(byte[] buf, int off, int length, int contentType, int padding) throws TlsException;

    /**
     * Protects {@code length} bytes of {@code contentType} content read from {@code src} at
     * {@code srcOff}, without padding, into a record written at {@code buf[off]}: the cipher
     * reads the content where it is, so it is not first copied into {@code buf}. {@code buf}
     * needs {@code HEADER_LENGTH + length + }{@link #overhead(int) overhead(0)} bytes there
     * and must not overlap the content. Returns the whole record length.
     */
    int seal(byte[] src, int srcOff, int length, int contentType, byte[] buf, int off) throws TlsException;

    /**
     * Opens the record whose 5-byte header is at {@code src[off]} and whose protected body of
     * {@code bodyLength} bytes follows it, writing the content into {@code dst} at
     * {@code dstOff} ({@code dst} needs {@code bodyLength} bytes of room there; it may be
     * {@code src} when {@code dstOff} is {@code off + HEADER_LENGTH}). Returns the content
     * length; its type is then {@link #contentType()}. {@code src} is not modified unless it
     * is {@code dst}.
     */
    int open(byte[] src, int off, int bodyLength, byte[] dst, int dstOff) throws TlsException;

    /**
     * Opens the record whose 5-byte header is at {@code off} in place; the content is left at
     * {@code off + HEADER_LENGTH}. Returns the content length; its type is then
     * {@link #contentType()}.
     */
    default int openInPlace(byte[] buf, int off, int bodyLength) throws TlsException {
        return open(buf, off, bodyLength, buf, off + RecordCipher.HEADER_LENGTH);
    }

    /** The content type of the record just opened. */
    int contentType();

    /** Records protected so far in this direction. */
    long sequenceNumber();

    /** Bytes a record may grow by, beyond its content, when sealed with {@code padding}. */
    int overhead(int padding);

    /**
     * True when the real content type travels inside the encryption and every protected
     * record says application_data outside (TLS 1.3, RFC 8446 §5.2); false when the outer
     * header carries the real type (TLS 1.2, RFC 5246 §6.2.3).
     */
    boolean hidesContentType();

    /**
     * Called when this protection replaces {@code previous} for the same direction (new
     * keys): it may take over reusable resources, such as the JCA cipher object. {@code
     * previous} is not used afterwards.
     */
    default void replace(RecordProtection previous) {
    }
}
