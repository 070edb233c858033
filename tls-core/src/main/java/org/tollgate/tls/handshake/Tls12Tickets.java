package org.tollgate.tls.handshake;

import java.time.Instant;
import java.util.Objects;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.SessionCache;
import org.tollgate.tls.TicketKeys;
import org.tollgate.tls.TlsException;

/**
 * TLS 1.2 session tickets (RFC 5077), the hooks the TLS 1.2 state machines call. A client
 * sends session_ticket (empty, or with the ticket it holds); a server with ticket keys that
 * can open the ticket resumes with the abbreviated handshake, else it answers with an empty
 * session_ticket and sends a NewSessionTicket before its ChangeCipherSpec:
 *
 * <pre>
 * full:    ClientHello(session_ticket) --> ServerHello(session_ticket) ... ServerHelloDone
 *          ... Finished                -->
 *                                      <-- NewSessionTicket [ChangeCipherSpec] Finished
 * resumed: ClientHello(session_ticket=T, fresh session id)
 *                                      --> ServerHello(same session id) [ChangeCipherSpec] Finished
 *          [ChangeCipherSpec] Finished -->
 * </pre>
 *
 * A ticket that does not open (unknown or rotated-out key, garbled, expired, another name or
 * suite) is never an error: the server just does the full handshake (RFC 5077 §3.4). Only
 * sessions with extended master secret are sealed or resumed (RFC 7627 §5.3). The server does
 * not renew a ticket when resuming; the client keeps using it until it expires.
 */
final class Tls12Tickets {
    private Tls12Tickets() {
    }

    // ------------------------------------------------------------------ client

    /**
     * Client: the session_ticket extension for the ClientHello, or null when this client has
     * nowhere to keep a ticket: empty to ask for one, or the cached session's ticket.
     */
    static Extension clientExtension(HandshakeContext ctx) {
        if (ctx.config.sessionCache() == null || ctx.sessionKey == null || !ctx.config.extendedMasterSecret()) {
            return null;
        }
        byte[] ticket = ctx.offeredSession == null ? null : ctx.offeredSession.ticket();
        return new Extension(ExtensionType.SESSION_TICKET, ticket == null ? new byte[0] : ticket);
    }

    /**
     * Client: the session id to send with a cached session: for a ticket a fresh random one,
     * which the server echoes when it accepts the ticket (RFC 5077 §3.4); else the session's id.
     */
    static byte[] sessionIdFor(HandshakeContext ctx, SessionCache.Session cached, byte[] fresh) {
        if (cached.ticket() == null) {
            return cached.id();
        }
        if (fresh.length == 32) {
            return fresh;
        }
        byte[] id = new byte[32];
        ctx.config.random().nextBytes(id);
        return id;
    }

    /** Client: the NewSessionTicket that a ServerHello with session_ticket promised. */
    static void received(HandshakeContext ctx, byte[] message) throws TlsException {
        ctx.received(message);
        Tls12NewSessionTicket nst = Tls12NewSessionTicket.decode(HandshakeContext.body(message));
        ctx.transcript.add(message); // RFC 5077 §3.3: part of the handshake, covered by Finished
        ctx.tls12TicketExpected = false;
        if (nst.ticket().length > 0) { // RFC 5077 §3.3: an empty ticket means "none this time"
            ctx.tls12Ticket = nst;
        }
        ctx.note("NewSessionTicket received: " + nst.ticket().length + "-byte ticket, lifetime hint "
                + nst.lifetimeHint() + "s (RFC 5077 3.3)");
    }

    /** Client: how the resumption the server accepted is reported. */
    static void markResumed(HandshakeContext ctx) {
        if (ctx.offeredSession != null && ctx.offeredSession.ticket() != null) {
            ctx.resumption = HandshakeSummary.Resumption.TICKET;
        }
    }

    // ------------------------------------------------------------------ server

    /**
     * Server: the session sealed in the ClientHello's ticket, or null for a full handshake
     * (no ticket, no keys, or a ticket that does not open or fit, noted in the trace).
     */
    static SessionCache.Session open(HandshakeContext ctx, ClientHello ch, String sni) {
        Extension ext = ch.extension(ExtensionType.SESSION_TICKET);
        TicketKeys keys = PskResumption.serverTicketKeys(ctx);
        if (ext == null || ext.data().length == 0 || keys == null) {
            return null;
        }
        TicketState state = TicketState.open(keys, ext.data());
        Instant now = ctx.config.clock().instant();
        String refused;
        if (state == null) {
            refused = "it does not open (sealed with an unknown or rotated-out key, or garbled)";
        } else if (state.version() != ProtocolVersion.TLS_1_2) {
            refused = "it is a " + state.version() + " ticket";
        } else if (!state.aliveAt(now)) {
            refused = "it expired (issued " + state.issued() + ", lifetime " + state.lifetimeSeconds() + "s)";
        } else if (!state.extendedMasterSecret() || !ctx.extendedMasterSecret) {
            refused = "extended master secret is not used on both sides (RFC 7627 5.3)";
        } else if (!ch.cipherSuites().contains(state.suite().code()) || !ctx.config.cipherSuites().contains(state.suite())) {
            refused = "its suite " + state.suite() + " is no longer offered or allowed";
        } else if (!Objects.equals(state.serverName(), sni)) {
            refused = "it was issued for server name " + state.serverName() + ", not " + sni + " (RFC 6066 3)";
        } else {
            refused = ClientAuthentication.resumptionRefusal(ctx, state.clientCertificates());
        }
        if (refused == null) {
            ctx.resumption = HandshakeSummary.Resumption.TICKET;
            ctx.note("client presents a session ticket that opens: " + state);
            return new SessionCache.Session(ch.legacySessionId(), state.secret(), state.suite(), ProtocolVersion.TLS_1_2,
                    true, state.serverName(), state.alpn(), state.clientCertificates(), state.issued());
        }
        ctx.note("client presents a session ticket; not resumed, " + refused + ": full handshake");
        return null;
    }

    /**
     * Server, full handshake: true when a NewSessionTicket will follow (the client asked with
     * session_ticket, the server has keys, and the session has extended master secret); the
     * ServerHello then carries an empty session_ticket (RFC 5077 §3.2).
     */
    static boolean willIssue(HandshakeContext ctx, ClientHello ch) {
        ctx.tls12TicketExpected = PskResumption.serverTicketKeys(ctx) != null && ch.extension(ExtensionType.SESSION_TICKET) != null
                && ctx.extendedMasterSecret;
        return ctx.tls12TicketExpected;
    }

    /**
     * Server: the NewSessionTicket, after the client's Finished and before our ChangeCipherSpec
     * (RFC 5077 §3.3), with the client's certificate chain when it authenticated. The ServerHello
     * promised it before the client's chain was known; when the chain makes the ticket too long,
     * the message carries an empty ticket, RFC 5077 §3.3's way of saying "none this time".
     */
    static void issue(HandshakeContext ctx) throws TlsException {
        long lifetime = ctx.config.ticketLifetime().toSeconds();
        // On the server, peerCertificates is the client's chain (empty without client authentication).
        TicketState state = new TicketState(ProtocolVersion.TLS_1_2, ctx.suite, ctx.masterSecret, ctx.extendedMasterSecret,
                ctx.serverName, ctx.alpn, ctx.config.clock().instant(), lifetime, 0, ctx.peerCertificates);
        byte[] ticket = state.seal(PskResumption.serverTicketKeys(ctx));
        if (ticket == null) {
            ctx.send(new Tls12NewSessionTicket(0, new byte[0]));
            ctx.note(PskResumption.tooLong(ctx) + ": sent an empty NewSessionTicket (RFC 5077 3.3)");
            return;
        }
        ctx.send(new Tls12NewSessionTicket(lifetime, ticket));
        ctx.note("sent NewSessionTicket, lifetime " + lifetime + "s (RFC 5077 3.3): the session lives in the ticket,"
                + " not on the server" + (ctx.peerCertificates.isEmpty() ? "" : ", with the client's certificate chain"));
    }
}
