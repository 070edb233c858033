package org.tollgate.tls.handshake;

import java.util.List;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.wire.WireReader;
import org.tollgate.tls.wire.WireWriter;

/** NewSessionTicket (RFC 8446 §4.6.1): a ticket the client may later present to resume. */
public record NewSessionTicket(long ticketLifetime, long ticketAgeAdd, byte[] ticketNonce, byte[] ticket,
                               List<Extension> extensions) implements Handshake {

    @Override
    public int type() {
        return HandshakeType.NEW_SESSION_TICKET;
    }

    @Override
    public void encodeBody(WireWriter w) {
        w.u32(ticketLifetime).u32(ticketAgeAdd).vector8(ticketNonce).vector16(ticket);
        Extension.encodeList(w, extensions);
    }

    public static NewSessionTicket decode(WireReader r) throws TlsException {
        long lifetime = r.u32();
        long ageAdd = r.u32();
        byte[] nonce = r.vector8();
        byte[] ticket = r.vector16();
        WireReader.checkLength("ticket", ticket.length, 1, 0xFFFF);
        List<Extension> extensions = Extension.decodeList(r, "NewSessionTicket");
        r.expectEnd();
        // RFC 8446 §4.6.1: servers MUST NOT use any value greater than 604800 seconds (7 days).
        if (lifetime > 604800) {
            throw TlsException.illegalParameter("NewSessionTicket lifetime " + lifetime + "s exceeds 7 days");
        }
        return new NewSessionTicket(lifetime, ageAdd, nonce, ticket, extensions);
    }
}
