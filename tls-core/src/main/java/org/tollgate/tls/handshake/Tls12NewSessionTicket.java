package org.tollgate.tls.handshake;

import org.tollgate.tls.TlsException;
import org.tollgate.tls.wire.WireReader;
import org.tollgate.tls.wire.WireWriter;

/**
 * The TLS 1.2 NewSessionTicket (RFC 5077 §3.3): sent by the server after the client's
 * Finished and before its own ChangeCipherSpec, part of the transcript. A lifetime hint of 0
 * means "unspecified".
 *
 * <pre>
 * struct { uint32 ticket_lifetime_hint; opaque ticket&lt;0..2^16-1&gt;; } NewSessionTicket;
 * </pre>
 */
public record Tls12NewSessionTicket(long lifetimeHint, byte[] ticket) implements Handshake {

    @Override
    public int type() {
        return HandshakeType.NEW_SESSION_TICKET;
    }

    @Override
    public void encodeBody(WireWriter w) {
        w.u32(lifetimeHint).vector16(ticket);
    }

    public static Tls12NewSessionTicket decode(WireReader r) throws TlsException {
        long hint = r.u32();
        byte[] ticket = r.vector16();
        r.expectEnd();
        return new Tls12NewSessionTicket(hint, ticket);
    }
}
