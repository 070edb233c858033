package org.tollgate.tls.handshake;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.tollgate.tls.Alert;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.SessionCache;
import org.tollgate.tls.TicketKeys;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.wire.WireReader;
import org.tollgate.tls.wire.WireWriter;

/**
 * TLS 1.3 session resumption with a pre-shared key from a NewSessionTicket (RFC 8446 §2.2,
 * §4.2.9, §4.2.11, §4.6.1), the hooks the handshake state machines call:
 *
 * <pre>
 * full handshake ... {Finished} -->
 *                               <--  [NewSessionTicket] x ticketCount    (server: {@link #sendTickets})
 *                                                                        (client: {@link #storeTicket})
 * later:
 * ClientHello + key_share + psk_key_exchange_modes + pre_shared_key(ticket, binder)   ({@link #offer})
 *                               -->  ServerHello + key_share + pre_shared_key(0)     ({@link #accept})
 *                                    {EncryptedExtensions} {Finished}   (no Certificate, no CertificateVerify)
 * {Finished}                    -->
 * </pre>
 *
 * <p>Policy, stated once: only psk_dhe_ke is offered and accepted, so every resumed handshake
 * still runs a fresh (EC)DHE exchange and keeps forward secrecy; psk_ke (PSK only) is not
 * supported. There is no 0-RTT early data, so a replayed ClientHello gains an attacker
 * nothing: without the ECDHE private key it cannot finish the handshake. The server is
 * stateless (the session lives sealed in the ticket, {@link TicketState}), so a ticket stays
 * usable for its whole lifetime and several times; the client uses each ticket once
 * (RFC 8446 §C.4, so two connections cannot be linked by their tickets) and keeps a few per
 * server. The ticket age is checked loosely ({@link #AGE_TOLERANCE}): it matters for 0-RTT
 * anti-replay (RFC 8446 §8.3), which Tollgate does not do.
 */
final class PskResumption {
    private static final System.Logger LOG = System.getLogger(PskResumption.class.getName());
    /** RFC 8446 §4.2.9: psk_dhe_ke, PSK with (EC)DHE key establishment. */
    static final int PSK_DHE_KE = 1;
    /** How far the client's view of the ticket age may be from the server's. */
    static final Duration AGE_TOLERANCE = Duration.ofSeconds(10);

    private PskResumption() {
    }

    // ------------------------------------------------------------------ client

    /**
     * Client, first ClientHello: when a live ticket for this server (and a TLS 1.3 suite of its
     * hash) is in the cache, takes it (single use) and returns {@code hello} with pre_shared_key
     * appended as the last extension (RFC 8446 §4.2.11) and its binder over the partial
     * ClientHello. Otherwise returns {@code hello} unchanged.
     */
    static ClientHello offer(HandshakeContext ctx, ClientHello hello) {
        SessionCache cache = ctx.config.sessionCache();
        if (cache == null || ctx.sessionKey == null || !ctx.config.isEnabled(ProtocolVersion.TLS_1_3)) {
            return hello;
        }
        SessionCache.Session ticket = cache.takeTicket(ctx.sessionKey, ctx.config.clock().instant());
        if (ticket == null || ticket.version() != ProtocolVersion.TLS_1_3 || !hashOffered(ctx, ticket.cipherSuite())
                || !Objects.equals(ticket.serverName(), ctx.serverName)) {
            return hello;
        }
        ctx.offeredTicket = ticket;
        ctx.note("offering a TLS 1.3 ticket (" + ticket.cipherSuite() + ", " + ticket.ticket().length
                + "-byte ticket) in pre_shared_key, with psk_dhe_ke (RFC 8446 4.2.11)");
        return withPsk(ctx, hello, null);
    }

    /**
     * Client, second ClientHello after a HelloRetryRequest for {@code suite}: the same ticket
     * again with a binder over the new transcript (RFC 8446 §4.1.2), if its hash fits the suite;
     * else the offer is dropped (RFC 8446 §4.1.4).
     */
    static ClientHello reoffer(HandshakeContext ctx, ClientHello hello, CipherSuite suite) {
        if (ctx.offeredTicket == null) {
            return hello;
        }
        if (!ctx.offeredTicket.cipherSuite().hashName().equals(suite.hashName())) {
            ctx.note("HelloRetryRequest chose " + suite + ": the ticket's hash differs, so it is not offered again");
            ctx.offeredTicket = null;
            return hello;
        }
        return withPsk(ctx, hello, ctx.transcript);
    }

    private static boolean hashOffered(HandshakeContext ctx, CipherSuite ticketSuite) {
        for (CipherSuite s : ctx.config.cipherSuites()) {
            if (s.isTls13() && s.hashName().equals(ticketSuite.hashName())) {
                return true;
            }
        }
        return false;
    }

    /** Appends pre_shared_key; {@code transcript} is null for the first ClientHello. */
    private static ClientHello withPsk(HandshakeContext ctx, ClientHello hello, TranscriptHash transcript) {
        SessionCache.Session t = ctx.offeredTicket;
        CipherSuite suite = t.cipherSuite();
        long ageMillis = Math.max(0, Duration.between(t.created(), ctx.config.clock().instant()).toMillis());
        // RFC 8446 §4.2.11.1: obfuscated_ticket_age = (age in ms + ticket_age_add) mod 2^32.
        long obfuscatedAge = (ageMillis + t.ticketAgeAdd()) & 0xFFFFFFFFL;
        byte[] zeroBinder = new byte[suite.hashLength()];
        ClientHello draft = append(hello, offeredPsks(t.ticket(), obfuscatedAge, zeroBinder));
        byte[] encoded = draft.encode();
        byte[] truncated = java.util.Arrays.copyOf(encoded, encoded.length - bindersLength(suite.hashLength()));
        byte[] binder = binder(suite, t.masterSecret(), transcript, truncated);
        return append(hello, offeredPsks(t.ticket(), obfuscatedAge, binder));
    }

    private static ClientHello append(ClientHello hello, Extension psk) {
        List<Extension> ext = new ArrayList<>(hello.extensions());
        ext.removeIf(e -> e.type() == ExtensionType.PRE_SHARED_KEY);
        ext.add(psk); // RFC 8446 §4.2.11: MUST be the last extension
        return new ClientHello(hello.legacyVersion(), hello.random(), hello.legacySessionId(), hello.cipherSuites(),
                hello.legacyCompressionMethods(), ext);
    }

    /** {@code OfferedPsks} with one identity and one binder (RFC 8446 §4.2.11). */
    private static Extension offeredPsks(byte[] ticket, long obfuscatedAge, byte[] binder) {
        WireWriter w = new WireWriter(ticket.length + binder.length + 16);
        int ids = w.open16();
        w.vector16(ticket).u32(obfuscatedAge);
        w.close(ids);
        int binders = w.open16();
        w.vector8(binder);
        w.close(binders);
        return new Extension(ExtensionType.PRE_SHARED_KEY, w.toByteArray());
    }

    /** Length of the binders list at the end of a ClientHello with one binder: u16 length, u8 length, binder. */
    private static int bindersLength(int hashLength) {
        return 2 + 1 + hashLength;
    }

    /**
     * RFC 8446 §4.2.11.2: binder = HMAC(finished_key(binder_key), Transcript-Hash(earlier
     * messages + ClientHello up to, not including, the binders list)), binder_key from the
     * Early Secret of this PSK with the "res binder" label.
     */
    static byte[] binder(CipherSuite suite, byte[] psk, TranscriptHash transcript, byte[] truncatedHello) {
        KeySchedule ks = new KeySchedule(suite);
        ks.earlySecret(psk);
        byte[] binderKey = ks.binderKey(true);
        byte[] hash;
        if (transcript != null) {
            hash = transcript.currentWith(truncatedHello);
        } else {
            try {
                hash = MessageDigest.getInstance(suite.hashName()).digest(truncatedHello);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
        return ks.finishedVerifyData(binderKey, hash);
    }

    /**
     * Client: the ServerHello's pre_shared_key (RFC 8446 §4.2.11): the server took our ticket.
     * The identity must be the one offered and the suite's hash the ticket's.
     */
    static void accepted(HandshakeContext ctx, Extension e, CipherSuite suite) throws TlsException {
        WireReader r = e.reader();
        int selected = r.u16();
        r.expectEnd();
        SessionCache.Session t = ctx.offeredTicket;
        if (t == null || selected != 0) {
            throw TlsException.illegalParameter("server selected PSK identity " + selected + ", which was not offered");
        }
        if (!t.cipherSuite().hashName().equals(suite.hashName())) {
            throw TlsException.illegalParameter("server resumes a " + t.cipherSuite().hashName() + " ticket with " + suite);
        }
        ctx.psk = t.masterSecret();
        ctx.resumed = true;
        ctx.resumption = HandshakeSummary.Resumption.PSK;
        ctx.peerCertificates = t.peerCertificates(); // authenticated in the handshake that issued the ticket
        ctx.note("server accepted the ticket: resuming with psk_dhe_ke, no certificate this time (RFC 8446 2.2)");
    }

    /**
     * Client, after the handshake: keeps a NewSessionTicket with its PSK
     * (HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce), RFC 8446 §4.6.1).
     */
    static void storeTicket(HandshakeContext ctx, NewSessionTicket nst) {
        SessionCache cache = ctx.config.sessionCache();
        if (cache == null || ctx.sessionKey == null) {
            return;
        }
        if (nst.ticketLifetime() == 0) {
            return; // RFC 8446 §4.6.1: zero means discard it at once
        }
        byte[] psk = ctx.keys.resumptionPsk(ctx.resumptionMasterSecret, nst.ticketNonce());
        cache.addTicket(ctx.sessionKey, new SessionCache.Session(new byte[0], psk, ctx.suite, ProtocolVersion.TLS_1_3,
                true, ctx.serverName, ctx.alpn, ctx.peerCertificates, ctx.config.clock().instant(),
                nst.ticket(), nst.ticketAgeAdd(), nst.ticketLifetime()));
    }

    // ------------------------------------------------------------------ server

    /**
     * The keys a server seals and opens tickets with (TLS 1.2 and 1.3), or null when it has none.
     * Client authentication does not turn tickets off: a ticket carries the client's certificate
     * chain when the original handshake authenticated the client ({@link TicketState}), and
     * {@link ClientAuthentication#resumptionRefusal} decides whether that identity still
     * stands before a ticket is accepted.
     */
    static TicketKeys serverTicketKeys(HandshakeContext ctx) {
        return ctx.config.ticketKeys();
    }

    /** The PSK a server agreed to, and which of the client's identities it was. */
    record Accepted(int identity, TicketState state) {
    }

    /**
     * Server: checks the ClientHello's pre_shared_key and resumes with the first ticket that
     * opens and fits; returns null for a full handshake. {@code afterRetry} is true for the
     * ClientHello after a HelloRetryRequest (the binder then covers the whole transcript).
     * Failures that are the client's fault are alerts: pre_shared_key not last
     * (illegal_parameter), no psk_key_exchange_modes (missing_extension), a binder that does
     * not verify (decrypt_error). A ticket that does not open, expired, is for another name or
     * suite hash is no error: the handshake goes on in full.
     */
    static Accepted accept(HandshakeContext ctx, ClientHello ch, byte[] message, CipherSuite suite, boolean afterRetry)
            throws TlsException {
        ctx.clientAllowsPskDhe = allowsPskDhe(ch);
        Extension pskExt = ch.extension(ExtensionType.PRE_SHARED_KEY);
        if (pskExt == null) {
            return null;
        }
        if (ch.extensions().get(ch.extensions().size() - 1) != pskExt) {
            throw TlsException.illegalParameter("pre_shared_key is not the last ClientHello extension (RFC 8446 4.2.11)");
        }
        Extension modesExt = ch.extension(ExtensionType.PSK_KEY_EXCHANGE_MODES);
        if (modesExt == null) {
            throw new TlsException(Alert.MISSING_EXTENSION, "ClientHello offers pre_shared_key without psk_key_exchange_modes (RFC 8446 4.2.9)");
        }
        WireReader mr = modesExt.reader();
        byte[] modes = mr.vector8();
        mr.expectEnd();
        WireReader.checkLength("ke_modes", modes.length, 1, 255);
        List<byte[]> identities = new ArrayList<>();
        List<Long> ages = new ArrayList<>();
        List<byte[]> binders = new ArrayList<>();
        WireReader r = pskExt.reader();
        WireReader ids = r.sub16("identities");
        while (ids.hasRemaining()) {
            byte[] identity = ids.vector16();
            WireReader.checkLength("PskIdentity.identity", identity.length, 1, 0xFFFF);
            identities.add(identity);
            ages.add(ids.u32());
        }
        WireReader bs = r.sub16("binders");
        int bindersLength = 2 + bs.remaining();
        while (bs.hasRemaining()) {
            byte[] b = bs.vector8();
            WireReader.checkLength("PskBinderEntry", b.length, 32, 255);
            binders.add(b);
        }
        r.expectEnd();
        if (identities.isEmpty() || identities.size() != binders.size()) {
            throw TlsException.illegalParameter("pre_shared_key has " + identities.size() + " identities and "
                    + binders.size() + " binders");
        }
        TicketKeys keys = serverTicketKeys(ctx);
        if (keys == null) {
            ctx.note("client offers a ticket; this server issues none: full handshake");
            return null;
        }
        if (!ctx.clientAllowsPskDhe) {
            ctx.note("client allows only psk_ke (no ECDHE), which this server does not do: full handshake");
            return null;
        }
        Instant now = ctx.config.clock().instant();
        for (int i = 0; i < identities.size(); i++) {
            TicketState state = TicketState.open(keys, identities.get(i));
            String refused = refusal(ctx, state, suite, ages.get(i), now);
            if (refused != null) {
                ctx.note("ticket " + (i + 1) + " of " + identities.size() + " not resumed: " + refused);
                continue;
            }
            byte[] truncated = java.util.Arrays.copyOf(message, message.length - bindersLength);
            byte[] expected = binder(suite, state.secret(), afterRetry ? ctx.transcript : null, truncated);
            if (!MessageDigest.isEqual(expected, binders.get(i))) {
                // RFC 8446 §4.2.11: a binder that does not validate aborts the handshake.
                throw new TlsException(Alert.DECRYPT_ERROR, "PSK binder does not verify: the ClientHello was altered"
                        + " or the client does not hold the ticket's key");
            }
            ctx.psk = state.secret();
            ctx.resumed = true;
            ctx.resumption = HandshakeSummary.Resumption.PSK;
            ctx.note("resuming with ticket " + (i + 1) + " (" + state + "), psk_dhe_ke: binder verified,"
                    + " no certificate this time (RFC 8446 2.2)");
            ctx.peerCertificates = ClientAuthentication.resumedIdentity(ctx, state.clientCertificates(), "the ticket");
            return new Accepted(i, state);
        }
        return null;
    }

    /** True when the ClientHello's psk_key_exchange_modes lists psk_dhe_ke (a malformed list is checked later). */
    private static boolean allowsPskDhe(ClientHello ch) {
        Extension modes = ch.extension(ExtensionType.PSK_KEY_EXCHANGE_MODES);
        if (modes == null || modes.data().length < 1) {
            return false;
        }
        for (int i = 1; i < modes.data().length; i++) {
            if (modes.data()[i] == PSK_DHE_KE) {
                return true;
            }
        }
        return false;
    }

    /** Why a ticket cannot resume this handshake, or null when it can. */
    private static String refusal(HandshakeContext ctx, TicketState state, CipherSuite suite, long obfuscatedAge,
                                  Instant now) {
        if (state == null) {
            return "it does not open (sealed with an unknown or rotated-out key, or garbled)";
        }
        if (state.version() != ProtocolVersion.TLS_1_3) {
            return "it is a " + state.version() + " ticket";
        }
        if (!state.aliveAt(now)) {
            return "it expired (issued " + state.issued() + ", lifetime " + state.lifetimeSeconds() + "s)";
        }
        if (!state.suite().hashName().equals(suite.hashName())) {
            // RFC 8446 §4.2.11: the PSK's hash must be the chosen suite's.
            return "its suite " + state.suite() + " does not share the hash of " + suite;
        }
        if (!Objects.equals(state.serverName(), ctx.serverName)) {
            return "it was issued for server name " + state.serverName() + ", not " + ctx.serverName + " (RFC 8446 4.6.1)";
        }
        if (!Objects.equals(state.alpn(), ctx.alpn)) {
            return "it was issued for ALPN " + state.alpn() + ", not " + ctx.alpn;
        }
        // RFC 8446 §4.2.11.1, §8.3: the client's idea of the ticket age, de-obfuscated.
        long clientAge = (obfuscatedAge - state.ageAdd()) & 0xFFFFFFFFL;
        long serverAge = Duration.between(state.issued(), now).toMillis();
        if (Math.abs(clientAge - serverAge) > AGE_TOLERANCE.toMillis()) {
            return "the client says the ticket is " + clientAge + " ms old, the server knows it is " + serverAge + " ms";
        }
        return ClientAuthentication.resumptionRefusal(ctx, state.clientCertificates());
    }

    /** Server: the ServerHello's pre_shared_key, {@code uint16 selected_identity}. */
    static Extension serverExtension(Accepted accepted) {
        return new Extension(ExtensionType.PRE_SHARED_KEY, new WireWriter(2).u16(accepted.identity()).toByteArray());
    }

    /**
     * Server, after the client's Finished: {@link org.tollgate.tls.TlsConfig#ticketCount()}
     * NewSessionTickets, each with its own nonce (so its own PSK) and ticket_age_add.
     */
    static void sendTickets(HandshakeContext ctx) throws TlsException {
        TicketKeys keys = serverTicketKeys(ctx);
        if (keys == null || ctx.config.ticketCount() == 0) {
            return;
        }
        if (!ctx.clientAllowsPskDhe) {
            // RFC 8446 §4.2.9: no tickets the client could not use (it did not offer psk_dhe_ke).
            ctx.note("no NewSessionTicket: the client did not offer psk_dhe_ke in psk_key_exchange_modes");
            return;
        }
        long lifetime = ctx.config.ticketLifetime().toSeconds();
        Instant now = ctx.config.clock().instant();
        for (int i = 0; i < ctx.config.ticketCount(); i++) {
            byte[] nonce = {(byte) i};
            byte[] psk = ctx.keys.resumptionPsk(ctx.resumptionMasterSecret, nonce);
            byte[] ageAddBytes = new byte[4];
            ctx.config.random().nextBytes(ageAddBytes);
            long ageAdd = ((ageAddBytes[0] & 0xFFL) << 24) | ((ageAddBytes[1] & 0xFF) << 16)
                    | ((ageAddBytes[2] & 0xFF) << 8) | (ageAddBytes[3] & 0xFF);
            // On the server, peerCertificates is the client's chain (empty without client authentication).
            TicketState state = new TicketState(ProtocolVersion.TLS_1_3, ctx.suite, psk, true, ctx.serverName, ctx.alpn,
                    now, lifetime, ageAdd, ctx.peerCertificates);
            byte[] ticket = state.seal(keys);
            if (ticket == null) {
                ctx.note(tooLong(ctx) + ": no NewSessionTicket, so the next connection does a full handshake");
                return;
            }
            ctx.sendPostHandshake(new NewSessionTicket(lifetime, ageAdd, nonce, ticket, List.of()));
        }
        ctx.note("sent " + ctx.config.ticketCount() + " NewSessionTicket(s), lifetime " + lifetime
                + "s, sealed with ticket key " + keys.currentKeyName().substring(0, 8) + "..." + (ctx.peerCertificates.isEmpty()
                ? "" : ", with the client's certificate chain") + " (RFC 8446 4.6.1)");
    }

    /** Why no ticket is issued for a session whose ticket would be too long (a long client chain), for the trace and log. */
    static String tooLong(HandshakeContext ctx) {
        String why = "the ticket would exceed " + TicketState.MAX_TICKET_LENGTH + " bytes with the client's "
                + ctx.peerCertificates.size() + "-certificate chain";
        LOG.log(System.Logger.Level.INFO, "no session ticket for {0}: {1}",
                ctx.peerCertificates.isEmpty() ? "?" : ctx.peerCertificates.get(0).getSubjectX500Principal().getName(), why);
        return why;
    }
}
