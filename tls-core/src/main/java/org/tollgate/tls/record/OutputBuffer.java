package org.tollgate.tls.record;

import java.nio.ByteBuffer;
import java.util.Arrays;

/** Bytes waiting for the network: records are written at the end, the socket drains the front. */
public final class OutputBuffer {
    private byte[] buf = new byte[4096];
    private int start;
    private int end;

    /** Makes room for {@code n} more bytes and returns the offset to write them at. */
    public int reserve(int n) {
        if (end + n > buf.length) {
            if (start > 0) {
                System.arraycopy(buf, start, buf, 0, end - start);
                end -= start;
                start = 0;
            }
            if (end + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, end + n));
            }
        }
        return end;
    }

    /** The array to write into after {@link #reserve}; valid until the next reserve. */
    public byte[] array() {
        return buf;
    }

    /** Marks {@code n} bytes written at the offset {@link #reserve} returned. */
    public void commit(int n) {
        end += n;
    }

    public void write(byte[] b, int off, int len) {
        int at = reserve(len);
        System.arraycopy(b, off, buf, at, len);
        end += len;
    }

    public int size() {
        return end - start;
    }

    /** Moves as many bytes as fit into {@code dst}; returns how many. */
    public int drainTo(ByteBuffer dst) {
        int n = Math.min(dst.remaining(), end - start);
        dst.put(buf, start, n);
        start += n;
        if (start == end) {
            start = 0;
            end = 0;
        }
        return n;
    }

    /** Removes and returns every pending byte. */
    public byte[] drainAll() {
        byte[] out = Arrays.copyOfRange(buf, start, end);
        start = 0;
        end = 0;
        return out;
    }
}
