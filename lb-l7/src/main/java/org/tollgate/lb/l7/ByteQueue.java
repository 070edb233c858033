package org.tollgate.lb.l7;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Bytes waiting for a channel, in order. Grows when a head is larger than the buffer;
 * callers keep it small by not reading more while it is not empty (backpressure).
 */
final class ByteQueue {
    private ByteBuffer buf; // flipped: pending bytes are [position, limit)

    ByteQueue(int initialCapacity) {
        buf = ByteBuffer.allocate(initialCapacity).flip();
    }

    boolean isEmpty() {
        return !buf.hasRemaining();
    }

    int size() {
        return buf.remaining();
    }

    void append(byte[] bytes) {
        append(ByteBuffer.wrap(bytes));
    }

    void append(String ascii) {
        append(ascii.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Copies {@code src}'s remaining bytes (consuming them). */
    void append(ByteBuffer src) {
        int need = src.remaining();
        if (buf.capacity() - buf.remaining() < need) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.remaining() + need));
            bigger.put(buf);
            buf = bigger;
        } else {
            buf.compact();
        }
        buf.put(src);
        buf.flip();
    }

    /** Appends {@code data} as one chunk (RFC 9112 §7.1): size in hex, CRLF, data, CRLF. */
    void appendChunk(ByteBuffer data) {
        append(Integer.toHexString(data.remaining()) + "\r\n");
        append(data);
        append("\r\n");
    }

    /** Writes as much as the transport takes; true when nothing is left (in this queue or inside the transport). */
    boolean writeTo(Transport t) throws IOException {
        while (buf.hasRemaining()) {
            if (t.write(buf) == 0) {
                break;
            }
        }
        boolean flushed = t.flush();
        return flushed && !buf.hasRemaining();
    }

    void clear() {
        buf.clear().flip();
    }
}
