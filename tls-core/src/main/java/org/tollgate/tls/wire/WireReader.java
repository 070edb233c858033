package org.tollgate.tls.wire;

import java.util.Arrays;
import org.tollgate.tls.TlsException;

/**
 * A bounds-checked reader for the TLS presentation language (RFC 8446 §3): big-endian
 * integers and length-prefixed vectors. Every length is checked against what is left
 * before anything is read or allocated, so an attacker-chosen length cannot make us
 * allocate or read beyond the message. Any shortfall is a {@code decode_error}.
 */
public final class WireReader {
    private final byte[] data;
    private int position;
    private final int limit;
    private final String what;

    public WireReader(byte[] data) {
        this(data, 0, data.length, "message");
    }

    public WireReader(byte[] data, String what) {
        this(data, 0, data.length, what);
    }

    /** A reader over {@code data[offset..offset+length)}. */
    public static WireReader of(byte[] data, int offset, int length, String what) {
        if (offset < 0 || length < 0 || offset + length > data.length) {
            throw new IndexOutOfBoundsException();
        }
        return new WireReader(data, offset, offset + length, what);
    }

    private WireReader(byte[] data, int offset, int limit, String what) {
        this.data = data;
        this.position = offset;
        this.limit = limit;
        this.what = what;
    }

    public int remaining() {
        return limit - position;
    }

    public boolean hasRemaining() {
        return position < limit;
    }

    private void need(int n) throws TlsException {
        if (n < 0 || n > limit - position) {
            throw TlsException.decodeError(what + " is truncated: needs " + n + " more bytes, has " + (limit - position));
        }
    }

    public int u8() throws TlsException {
        need(1);
        return data[position++] & 0xFF;
    }

    public int u16() throws TlsException {
        need(2);
        int v = ((data[position] & 0xFF) << 8) | (data[position + 1] & 0xFF);
        position += 2;
        return v;
    }

    public int u24() throws TlsException {
        need(3);
        int v = ((data[position] & 0xFF) << 16) | ((data[position + 1] & 0xFF) << 8) | (data[position + 2] & 0xFF);
        position += 3;
        return v;
    }

    public long u32() throws TlsException {
        need(4);
        long v = ((long) (data[position] & 0xFF) << 24) | ((data[position + 1] & 0xFF) << 16)
                | ((data[position + 2] & 0xFF) << 8) | (data[position + 3] & 0xFF);
        position += 4;
        return v;
    }

    /** Exactly {@code n} bytes, copied. */
    public byte[] bytes(int n) throws TlsException {
        need(n);
        byte[] out = Arrays.copyOfRange(data, position, position + n);
        position += n;
        return out;
    }

    /** {@code opaque x<0..2^8-1>}. */
    public byte[] vector8() throws TlsException {
        return bytes(u8());
    }

    /** {@code opaque x<0..2^16-1>}. */
    public byte[] vector16() throws TlsException {
        return bytes(u16());
    }

    /** {@code opaque x<0..2^24-1>}. */
    public byte[] vector24() throws TlsException {
        return bytes(u24());
    }

    /** A reader over the next u8-length-prefixed vector; this reader skips past it. */
    public WireReader sub8(String inner) throws TlsException {
        return sub(u8(), inner);
    }

    /** A reader over the next u16-length-prefixed vector; this reader skips past it. */
    public WireReader sub16(String inner) throws TlsException {
        return sub(u16(), inner);
    }

    /** A reader over the next u24-length-prefixed vector; this reader skips past it. */
    public WireReader sub24(String inner) throws TlsException {
        return sub(u24(), inner);
    }

    /** A reader over the next {@code n} bytes; this reader skips past them. */
    public WireReader sub(int n, String inner) throws TlsException {
        need(n);
        WireReader r = new WireReader(data, position, position + n, inner);
        position += n;
        return r;
    }

    /** Fails with decode_error unless every byte was consumed (RFC 8446 §4: no trailing data). */
    public void expectEnd() throws TlsException {
        if (position != limit) {
            throw TlsException.decodeError(what + " has " + (limit - position) + " unexpected trailing bytes");
        }
    }

    /** Fails with decode_error when a vector's length is outside the RFC's bounds. */
    public static void checkLength(String field, int length, int min, int max) throws TlsException {
        if (length < min || length > max) {
            throw TlsException.decodeError(field + " has length " + length + ", allowed " + min + ".." + max);
        }
    }
}
