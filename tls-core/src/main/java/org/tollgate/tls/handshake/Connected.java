package org.tollgate.tls.handshake;

import org.tollgate.tls.TlsException;

/**
 * After the handshake: only post-handshake messages are allowed (RFC 8446 §4.6):
 * NewSessionTicket from the server, KeyUpdate from either side.
 */
public final class Connected implements HandshakeState {

    @Override
    public HandshakeState handle(HandshakeContext ctx, byte[] message) throws TlsException {
        int type = message[0] & 0xFF;
        if (type == HandshakeType.KEY_UPDATE) {
            ctx.received(message);
            ctx.receiveKeyUpdate(KeyUpdate.decode(HandshakeContext.body(message)));
            return this;
        }
        if (type == HandshakeType.NEW_SESSION_TICKET && ctx.client) {
            ctx.received(message);
            NewSessionTicket ticket = NewSessionTicket.decode(HandshakeContext.body(message));
            ctx.ticketsReceived++;
            PskResumption.storeTicket(ctx, ticket);
            ctx.note("NewSessionTicket received: lifetime " + ticket.ticketLifetime() + "s, "
                    + ticket.ticket().length + "-byte ticket (kept for resumption)");
            return this;
        }
        throw HandshakeState.unexpected(this, message);
    }
}
