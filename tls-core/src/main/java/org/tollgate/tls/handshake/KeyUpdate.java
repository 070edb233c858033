package org.tollgate.tls.handshake;

import org.tollgate.tls.TlsException;
import org.tollgate.tls.wire.WireReader;
import org.tollgate.tls.wire.WireWriter;

/** KeyUpdate (RFC 8446 §4.6.3): the sender now writes with its next traffic secret. */
public record KeyUpdate(boolean updateRequested) implements Handshake {

    @Override
    public int type() {
        return HandshakeType.KEY_UPDATE;
    }

    @Override
    public void encodeBody(WireWriter w) {
        w.u8(updateRequested ? 1 : 0);
    }

    public static KeyUpdate decode(WireReader r) throws TlsException {
        int v = r.u8();
        r.expectEnd();
        if (v != 0 && v != 1) {
            // RFC 8446 §4.6.3: any other value is illegal_parameter.
            throw TlsException.illegalParameter("KeyUpdate request_update " + v + " is neither 0 nor 1");
        }
        return new KeyUpdate(v == 1);
    }
}
