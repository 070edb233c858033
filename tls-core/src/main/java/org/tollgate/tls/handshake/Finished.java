package org.tollgate.tls.handshake;

import org.tollgate.tls.TlsException;
import org.tollgate.tls.wire.WireReader;
import org.tollgate.tls.wire.WireWriter;

/** Finished (RFC 8446 §4.4.4): an HMAC over the whole transcript with the finished_key. */
public record Finished(byte[] verifyData) implements Handshake {

    @Override
    public int type() {
        return HandshakeType.FINISHED;
    }

    @Override
    public void encodeBody(WireWriter w) {
        w.bytes(verifyData);
    }

    /** The verify_data is as long as the hash; any other length is decode_error. */
    public static Finished decode(WireReader r, int hashLength) throws TlsException {
        if (r.remaining() != hashLength) {
            throw TlsException.decodeError("Finished of " + r.remaining() + " bytes, expected " + hashLength);
        }
        return new Finished(r.bytes(hashLength));
    }
}
