package org.tollgate.tls.record;

import java.nio.ByteBuffer;
import org.tollgate.tls.Alert;
import org.tollgate.tls.TlsException;

/**
 * The record layer (RFC 8446 §5): cuts outgoing content into records of at most 2^14
 * bytes, protects them once keys exist, and reassembles, checks and decrypts incoming
 * records one at a time. It never holds more than one incoming record, so memory per
 * connection is bounded whatever the peer sends.
 */
public final class RecordLayer {
    private final OutputBuffer out = new OutputBuffer();
    private RecordProtection writeCipher;
    private RecordProtection readCipher;
    private int writeVersion = 0x0303;
    private int maxFragment = RecordCipher.MAX_PLAINTEXT;

    private final byte[] in = new byte[RecordCipher.HEADER_LENGTH + RecordCipher.MAX_CIPHERTEXT];
    private int inFill;
    private int inLength = -1;
    private boolean recordReady;
    private int recordType;
    private int recordContentLength;
    private boolean recordWasProtected;
    private byte[] content = in;
    private int contentOffset = RecordCipher.HEADER_LENGTH;
    private boolean contentInSink;

    public OutputBuffer output() {
        return out;
    }

    /** Switches to new write keys; the new protection may take over the old one's cipher object. */
    public void setWriteCipher(RecordProtection c) {
        if (writeCipher != null && c != null && c != writeCipher) {
            c.replace(writeCipher);
        }
        this.writeCipher = c;
    }

    /** Switches to new read keys; the new protection may take over the old one's cipher object. */
    public void setReadCipher(RecordProtection c) {
        if (readCipher != null && c != null && c != readCipher) {
            c.replace(readCipher);
        }
        this.readCipher = c;
    }

    public RecordProtection writeCipher() {
        return writeCipher;
    }

    public RecordProtection readCipher() {
        return readCipher;
    }

    /** RFC 8446 §5.1: the very first ClientHello may carry legacy_record_version 0x0301 for old middleboxes. */
    public void setWriteVersion(int version) {
        this.writeVersion = version;
    }

    /** Largest plaintext fragment to send (at most 2^14). */
    public void setMaxFragment(int n) {
        this.maxFragment = Math.min(n, RecordCipher.MAX_PLAINTEXT);
    }

    // ------------------------------------------------------------------ outbound

    /** Writes {@code len} bytes of {@code contentType}, fragmented, protected when a write key is set. */
    public void write(int contentType, byte[] data, int off, int len) throws TlsException {
        do {
            int n = Math.min(len, maxFragment);
            writeFragment(contentType, data, off, n);
            off += n;
            len -= n;
        } while (len > 0);
    }

    /** Writes content straight from a ByteBuffer (application data), fragmented and protected. */
    public void write(int contentType, ByteBuffer src) throws TlsException {
        if (writeCipher == null) {
            throw new IllegalStateException("application data needs keys");
        }
        while (src.hasRemaining()) {
            int n = Math.min(src.remaining(), maxFragment);
            int at = out.reserve(RecordCipher.HEADER_LENGTH + n + writeCipher.overhead(0));
            if (src.hasArray()) {
                // A heap buffer: the cipher reads the content from it, no copy first.
                out.commit(writeCipher.seal(src.array(), src.arrayOffset() + src.position(), n, contentType, out.array(), at));
                src.position(src.position() + n);
            } else {
                src.get(out.array(), at + RecordCipher.HEADER_LENGTH, n);
                out.commit(writeCipher.sealInPlace(out.array(), at, n, contentType, 0));
            }
        }
    }

    private void writeFragment(int contentType, byte[] data, int off, int n) throws TlsException {
        if (writeCipher == null) {
            int at = out.reserve(RecordCipher.HEADER_LENGTH + n);
            byte[] b = out.array();
            b[at] = (byte) contentType;
            b[at + 1] = (byte) (writeVersion >>> 8);
            b[at + 2] = (byte) writeVersion;
            b[at + 3] = (byte) (n >>> 8);
            b[at + 4] = (byte) n;
            System.arraycopy(data, off, b, at + RecordCipher.HEADER_LENGTH, n);
            out.commit(RecordCipher.HEADER_LENGTH + n);
        } else {
            int at = out.reserve(RecordCipher.HEADER_LENGTH + n + writeCipher.overhead(0));
            out.commit(writeCipher.seal(data, off, n, contentType, out.array(), at));
        }
    }

    /**
     * A ChangeCipherSpec record in the clear: TLS 1.3's middlebox compatibility one (RFC 8446
     * §5, Appendix D.4), or TLS 1.2's real one, which is sent under the old (null) write
     * state just before switching to the new keys (RFC 5246 §7.1).
     */
    public void writeChangeCipherSpec() {
        int at = out.reserve(6);
        byte[] b = out.array();
        b[at] = ContentType.CHANGE_CIPHER_SPEC;
        b[at + 1] = 0x03;
        b[at + 2] = 0x03;
        b[at + 3] = 0;
        b[at + 4] = 1;
        b[at + 5] = 1;
        out.commit(6);
    }

    // ------------------------------------------------------------------ inbound

    /**
     * Takes bytes from {@code src} until one whole record has arrived; returns true when it
     * has, and then {@link #recordType()}, {@link #content()} and friends describe it until
     * the next call. Returns false when {@code src} ran dry first. Protected records are
     * decrypted into the free space at the end of {@code plaintext} (reserved, not committed:
     * the caller commits it when it keeps the content there, see {@link #contentInSink()}).
     */
    public boolean read(ByteBuffer src, OutputBuffer plaintext) throws TlsException {
        if (recordReady) {
            recordReady = false;
            inFill = 0;
            inLength = -1;
        }
        if (inFill == 0 && src.hasArray() && readCipher != null && src.remaining() >= RecordCipher.HEADER_LENGTH) {
            // Fast path: a whole protected record in the caller's heap buffer is opened straight
            // from there into the sink, without the copy into our own record buffer.
            byte[] a = src.array();
            int p = src.arrayOffset() + src.position();
            int length = checkHeader(a, p);
            if (isProtected(a[p] & 0xFF) && src.remaining() >= RecordCipher.HEADER_LENGTH + length) {
                inLength = length;
                openProtected(a, p, plaintext);
                src.position(src.position() + RecordCipher.HEADER_LENGTH + length);
                recordReady = true;
                return true;
            }
        }
        if (inLength < 0) {
            int n = Math.min(RecordCipher.HEADER_LENGTH - inFill, src.remaining());
            src.get(in, inFill, n);
            inFill += n;
            if (inFill < RecordCipher.HEADER_LENGTH) {
                return false;
            }
            inLength = checkHeader(in, 0);
        }
        int total = RecordCipher.HEADER_LENGTH + inLength;
        int n = Math.min(total - inFill, src.remaining());
        src.get(in, inFill, n);
        inFill += n;
        if (inFill < total) {
            return false;
        }
        open(plaintext);
        recordReady = true;
        return true;
    }

    /** Checks a record header before any of its body is read; returns the body length. */
    private int checkHeader(byte[] b, int at) throws TlsException {
        int type = b[at] & 0xFF;
        int length = ((b[at + 3] & 0xFF) << 8) | (b[at + 4] & 0xFF);
        if (!ContentType.isKnown(type)) {
            throw TlsException.unexpectedMessage(describeGarbage(type));
        }
        if ((b[at + 1] & 0xFF) != 0x03) {
            // RFC 8446 §5.1: legacy_record_version is 0x03xx; anything else is not TLS.
            throw TlsException.decodeError(String.format("record version 0x%02x%02x is not TLS", b[at + 1], b[at + 2]));
        }
        boolean protectedRecord = isProtected(type);
        int max = protectedRecord ? RecordCipher.MAX_CIPHERTEXT : RecordCipher.MAX_PLAINTEXT;
        if (length > max) {
            // RFC 8446 §5.1, §5.2: record_overflow, refused before the body is read.
            throw new TlsException(Alert.RECORD_OVERFLOW, "record of " + length + " bytes exceeds the limit of " + max);
        }
        if (length == 0 && type != ContentType.APPLICATION_DATA) {
            // RFC 8446 §5.1: zero-length fragments of handshake, alert or change_cipher_spec are not allowed.
            throw TlsException.decodeError("zero-length " + ContentType.name(type) + " record");
        }
        return length;
    }

    /**
     * TLS 1.3 protects only records that say application_data outside (RFC 8446 §5.2); TLS 1.2
     * protects every record once the peer's ChangeCipherSpec has switched the read state
     * (RFC 5246 §6.1). A later ChangeCipherSpec is left in the clear for the engine to refuse.
     */
    private boolean isProtected(int type) {
        if (readCipher == null) {
            return false;
        }
        return readCipher.hidesContentType() ? type == ContentType.APPLICATION_DATA : type != ContentType.CHANGE_CIPHER_SPEC;
    }

    private static String describeGarbage(int firstByte) {
        if (firstByte >= 'A' && firstByte <= 'Z') {
            return "received plain text, not TLS (first byte '" + (char) firstByte + "': an HTTP request to a TLS port?)";
        }
        if ((firstByte & 0x80) != 0) {
            return String.format("record type 0x%02x is not TLS (an SSLv2-format ClientHello?)", firstByte);
        }
        return String.format("unknown record content type 0x%02x", firstByte);
    }

    private void open(OutputBuffer plaintext) throws TlsException {
        int type = in[0] & 0xFF;
        if (type == ContentType.APPLICATION_DATA && readCipher == null) {
            throw TlsException.unexpectedMessage("application data before the handshake established keys");
        }
        if (isProtected(type)) {
            openProtected(in, 0, plaintext);
        } else {
            recordType = type;
            content = in;
            contentOffset = RecordCipher.HEADER_LENGTH;
            recordContentLength = inLength;
            recordWasProtected = false;
            contentInSink = false;
        }
    }

    /** Decrypts the protected record at {@code src[off]} (header, then {@code inLength} bytes) into {@code plaintext}. */
    private void openProtected(byte[] src, int off, OutputBuffer plaintext) throws TlsException {
        int at = plaintext.reserve(inLength);
        recordContentLength = readCipher.open(src, off, inLength, plaintext.array(), at);
        content = plaintext.array();
        contentOffset = at;
        contentInSink = true;
        recordType = readCipher.contentType();
        recordWasProtected = true;
        if (recordType == ContentType.CHANGE_CIPHER_SPEC || !ContentType.isKnown(recordType)) {
            // RFC 8446 §5: an encrypted change_cipher_spec is unexpected_message.
            throw TlsException.unexpectedMessage("protected record of inner type " + ContentType.name(recordType));
        }
        if (recordContentLength == 0 && recordType != ContentType.APPLICATION_DATA) {
            throw TlsException.unexpectedMessage("zero-length protected " + ContentType.name(recordType) + " record");
        }
    }

    /** Content type of the record just read (the inner type of a protected record). */
    public int recordType() {
        return recordType;
    }

    /** True when the record just read was decrypted. */
    public boolean recordWasProtected() {
        return recordWasProtected;
    }

    /** The record's content: the array, from {@link #contentOffset()}, {@link #contentLength()} bytes. */
    public byte[] content() {
        return content;
    }

    public int contentOffset() {
        return contentOffset;
    }

    /**
     * True when the content was decrypted into the sink given to {@link #read}, at the offset
     * its {@code reserve} returned: committing {@link #contentLength()} bytes there keeps it
     * without a copy. False when it sits in this layer's own buffer (records in the clear).
     */
    public boolean contentInSink() {
        return contentInSink;
    }

    public int contentLength() {
        return recordContentLength;
    }

    /** True when part of a record has arrived but not all of it. */
    public boolean hasPartialRecord() {
        return !recordReady && inFill > 0;
    }
}
