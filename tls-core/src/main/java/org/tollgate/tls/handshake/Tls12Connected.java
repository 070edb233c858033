package org.tollgate.tls.handshake;

import org.tollgate.tls.Alert;
import org.tollgate.tls.TlsException;

/**
 * After a TLS 1.2 handshake. Tollgate never renegotiates (RFC 5746 makes it safe, but it
 * is complex and rarely needed; TLS 1.3 dropped it): a server answers a new ClientHello
 * with a no_renegotiation warning and goes on; a client ignores HelloRequest, as RFC 5246
 * §7.4.1.1 allows. Everything else is unexpected_message.
 */
public final class Tls12Connected implements HandshakeState {

    @Override
    public HandshakeState handle(HandshakeContext ctx, byte[] message) throws TlsException {
        int type = message[0] & 0xFF;
        if (type == HandshakeType.HELLO_REQUEST && ctx.client) {
            HandshakeContext.body(message).expectEnd();
            ctx.received(message);
            ctx.note("server sent HelloRequest: ignored, this client does not renegotiate (RFC 5246 7.4.1.1)");
            return this;
        }
        if (type == HandshakeType.CLIENT_HELLO && !ctx.client) {
            ctx.received(message);
            ctx.note("client tried to renegotiate: refused with a no_renegotiation warning (RFC 5246 7.2.2)");
            ctx.sendWarningAlert(Alert.NO_RENEGOTIATION);
            return this;
        }
        throw HandshakeState.unexpected(this, message);
    }
}
