package org.tollgate.tls.handshake;

import org.tollgate.tls.TlsException;
import org.tollgate.tls.wire.WireReader;
import org.tollgate.tls.wire.WireWriter;

/** ServerHelloDone (RFC 5246 §7.4.5): the end of the server's first flight; an empty body. */
public record ServerHelloDone() implements Handshake {

    @Override
    public int type() {
        return HandshakeType.SERVER_HELLO_DONE;
    }

    @Override
    public void encodeBody(WireWriter w) {
    }

    public static ServerHelloDone decode(WireReader r) throws TlsException {
        r.expectEnd();
        return new ServerHelloDone();
    }
}
