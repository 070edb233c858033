package org.tollgate.tls.handshake;

import java.util.Arrays;
import org.tollgate.tls.Alert;
import org.tollgate.tls.TlsException;

/**
 * Joins handshake messages that span records and splits records that hold several
 * (RFC 8446 §5.1). A message's declared length is checked against the limit as soon as
 * its header arrives, before any room is made for it.
 */
public final class HandshakeReassembler {
    private byte[] buf = new byte[1024];
    private int length;
    private final int maxMessageSize;

    public HandshakeReassembler(int maxMessageSize) {
        this.maxMessageSize = maxMessageSize;
    }

    public void append(byte[] data, int off, int n) throws TlsException {
        if (length + n > buf.length) {
            int needed = length + n;
            if (needed > maxMessageSize + 4 + (1 << 14)) {
                throw new TlsException(Alert.ILLEGAL_PARAMETER, "handshake data exceeds " + maxMessageSize + " bytes");
            }
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, needed));
        }
        System.arraycopy(data, off, buf, length, n);
        length += n;
        checkDeclaredLength();
    }

    private void checkDeclaredLength() throws TlsException {
        if (length >= 4) {
            int declared = ((buf[1] & 0xFF) << 16) | ((buf[2] & 0xFF) << 8) | (buf[3] & 0xFF);
            if (declared > maxMessageSize) {
                throw new TlsException(Alert.ILLEGAL_PARAMETER, HandshakeType.name(buf[0] & 0xFF)
                        + " declares " + declared + " bytes, more than the limit of " + maxMessageSize);
            }
        }
    }

    /** The next whole message (header included), or null while it is incomplete. */
    public byte[] next() throws TlsException {
        if (length < 4) {
            return null;
        }
        int declared = ((buf[1] & 0xFF) << 16) | ((buf[2] & 0xFF) << 8) | (buf[3] & 0xFF);
        int total = 4 + declared;
        if (length < total) {
            return null;
        }
        byte[] message = Arrays.copyOf(buf, total);
        System.arraycopy(buf, total, buf, 0, length - total);
        length -= total;
        if (buf.length > 4096 && length < 1024) {
            buf = Arrays.copyOf(buf, 1024);
        }
        checkDeclaredLength();
        return message;
    }

    /** True when no partial message is waiting (RFC 8446 §5.1: messages must not span a key change). */
    public boolean isEmpty() {
        return length == 0;
    }
}
