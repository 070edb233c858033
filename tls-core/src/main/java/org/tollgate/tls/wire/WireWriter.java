package org.tollgate.tls.wire;

import java.util.Arrays;

/**
 * Writes the TLS presentation language: big-endian integers and length-prefixed vectors.
 * A vector's length is written by {@link #open8()}/{@link #open16()}/{@link #open24()} and
 * {@link #close(int)}, which patches it in once the body is known and checks it fits.
 */
public final class WireWriter {
    private byte[] buf;
    private int size;

    public WireWriter() {
        this(256);
    }

    public WireWriter(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    private void ensure(int n) {
        if (size + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
        }
    }

    public WireWriter u8(int v) {
        ensure(1);
        buf[size++] = (byte) v;
        return this;
    }

    public WireWriter u16(int v) {
        ensure(2);
        buf[size++] = (byte) (v >>> 8);
        buf[size++] = (byte) v;
        return this;
    }

    public WireWriter u24(int v) {
        ensure(3);
        buf[size++] = (byte) (v >>> 16);
        buf[size++] = (byte) (v >>> 8);
        buf[size++] = (byte) v;
        return this;
    }

    public WireWriter u32(long v) {
        ensure(4);
        buf[size++] = (byte) (v >>> 24);
        buf[size++] = (byte) (v >>> 16);
        buf[size++] = (byte) (v >>> 8);
        buf[size++] = (byte) v;
        return this;
    }

    public WireWriter bytes(byte[] b) {
        return bytes(b, 0, b.length);
    }

    public WireWriter bytes(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, buf, size, len);
        size += len;
        return this;
    }

    public WireWriter vector8(byte[] b) {
        checkFits(b.length, 0xFF);
        return u8(b.length).bytes(b);
    }

    public WireWriter vector16(byte[] b) {
        checkFits(b.length, 0xFFFF);
        return u16(b.length).bytes(b);
    }

    public WireWriter vector24(byte[] b) {
        checkFits(b.length, 0xFFFFFF);
        return u24(b.length).bytes(b);
    }

    /** Starts a u8-length-prefixed vector; returns a mark to pass to {@link #close(int)}. */
    public int open8() {
        u8(0);
        return mark(1);
    }

    public int open16() {
        u16(0);
        return mark(2);
    }

    public int open24() {
        u24(0);
        return mark(3);
    }

    // A mark packs the position of the body (low bits) and the width of the length field.
    private int mark(int width) {
        return (size << 2) | width;
    }

    /** Ends the vector started at {@code mark} and writes its length. */
    public WireWriter close(int mark) {
        int width = mark & 3;
        int start = mark >>> 2;
        int length = size - start;
        checkFits(length, width == 1 ? 0xFF : width == 2 ? 0xFFFF : 0xFFFFFF);
        int at = start - width;
        for (int i = width - 1; i >= 0; i--) {
            buf[at + i] = (byte) (length >>> (8 * (width - 1 - i)));
        }
        return this;
    }

    private static void checkFits(int length, int max) {
        if (length > max) {
            throw new IllegalArgumentException("vector of " + length + " bytes exceeds its length field (max " + max + ")");
        }
    }

    public int size() {
        return size;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }
}
