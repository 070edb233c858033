package org.tollgate.tls.handshake;

import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.tollgate.tls.Alert;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.SessionCache;
import org.tollgate.tls.SignatureScheme;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.cert.CertifiedKey;
import org.tollgate.tls.crypto.KeyShare;

/**
 * The server side of the TLS 1.2 full handshake (RFC 5246 §7.3):
 *
 * <pre>
 * ClientHello          -->
 *                           ServerHello
 *                           Certificate
 *                           ServerKeyExchange   (ECDHE suites only: the signed ephemeral key)
 *                           CertificateRequest  (client auth WANT or NEED: see ClientAuthentication)
 *                      <--  ServerHelloDone
 * Certificate?              (when requested)
 * ClientKeyExchange         (RSA: the encrypted premaster secret; ECDHE: the client's key)
 * CertificateVerify?        (when the client sent a certificate)
 * [ChangeCipherSpec]
 * Finished             -->
 *                           [ChangeCipherSpec]
 *                      <--  Finished
 * </pre>
 *
 * Entered from {@link ServerHandshake.ExpectClientHello} once version negotiation chose
 * TLS 1.2. With a {@link SessionCache} configured, a full handshake with extended master
 * secret gets a fresh 32-byte session id, and a later ClientHello offering it is answered with
 * the abbreviated handshake (RFC 5246 §7.3):
 *
 * <pre>
 * ClientHello (session id) -->
 *                               ServerHello (same session id)
 *                               [ChangeCipherSpec]
 *                          <--  Finished
 * [ChangeCipherSpec]
 * Finished                 -->
 * </pre>
 */
public final class Tls12ServerHandshake {
    /** RFC 5746 §3.3: TLS_EMPTY_RENEGOTIATION_INFO_SCSV. */
    static final int EMPTY_RENEGOTIATION_INFO_SCSV = 0x00FF;

    private Tls12ServerHandshake() {
    }

    /** What the server chose for this connection. {@code scheme} and {@code group} are null for RSA key exchange. */
    record Choice(CipherSuite suite, CertifiedKey key, SignatureScheme scheme, NamedGroup group, boolean nameMatched) {
    }

    /** Answers a ClientHello that negotiated TLS 1.2 with the server's whole first flight. */
    static HandshakeState clientHello(HandshakeContext ctx, byte[] message, ClientHello ch) throws TlsException {
        ctx.version = ProtocolVersion.TLS_1_2;
        ctx.clientRandom = ch.random();
        // RFC 5246 §7.4.1.2: the null compression method MUST be offered.
        boolean nullCompression = false;
        for (byte m : ch.legacyCompressionMethods()) {
            nullCompression |= m == 0;
        }
        if (!nullCompression) {
            throw TlsException.illegalParameter("ClientHello does not offer the null compression method");
        }

        // RFC 5746 §3.6: the SCSV or an empty renegotiation_info signals secure renegotiation support.
        Extension ri = ch.extension(ExtensionType.RENEGOTIATION_INFO);
        if (ri != null) {
            org.tollgate.tls.wire.WireReader r = ri.reader();
            byte[] renegotiated = r.vector8();
            r.expectEnd();
            if (renegotiated.length != 0) {
                throw TlsException.handshakeFailure("renegotiation_info in an initial handshake must be empty (RFC 5746 3.6)");
            }
        }
        boolean secureRenegotiation = ri != null || ch.cipherSuites().contains(EMPTY_RENEGOTIATION_INFO_SCSV);

        // RFC 7627 §5.1: extended_master_secret has an empty body.
        Extension ems = ch.extension(ExtensionType.EXTENDED_MASTER_SECRET);
        if (ems != null && ems.data().length != 0) {
            throw TlsException.decodeError("extended_master_secret must be empty");
        }
        ctx.extendedMasterSecret = ems != null && ctx.config.extendedMasterSecret();

        // RFC 5246 §7.4.1.4.1: without signature_algorithms a client accepts only SHA-1 signatures,
        // which Tollgate does not make, so such a client is served with RSA key exchange only.
        Extension sigAlgs = ch.extension(ExtensionType.SIGNATURE_ALGORITHMS);
        List<Integer> clientSchemes = sigAlgs == null ? List.of() : Extensions.decodeU16List(sigAlgs);
        Extension groupsExt = ch.extension(ExtensionType.SUPPORTED_GROUPS);
        List<Integer> clientGroups = groupsExt == null ? null : Extensions.decodeU16List(groupsExt);
        Extension pointFormats = ch.extension(ExtensionType.EC_POINT_FORMATS);
        if (pointFormats != null) {
            org.tollgate.tls.wire.WireReader r = pointFormats.reader();
            byte[] formats = r.vector8();
            r.expectEnd();
            boolean uncompressed = false;
            for (byte f : formats) {
                uncompressed |= f == 0;
            }
            // RFC 8422 §5.1.2: a client that lists point formats MUST include uncompressed.
            if (!uncompressed) {
                throw TlsException.illegalParameter("ec_point_formats does not include uncompressed");
            }
        }

        Extension sniExt = ch.extension(ExtensionType.SERVER_NAME);
        String sni = sniExt == null ? null : Extensions.decodeServerNameClient(sniExt);
        ctx.serverName = sni;
        ServerHandshake.negotiateAlpn(ctx, ch);

        SessionCache.Session session = Tls12Tickets.open(ctx, ch, sni); // RFC 5077: a ticket first
        if (session == null) {
            session = resumable(ctx, ch, sni);
        }
        if (session != null) {
            return resume(ctx, message, ch, session, secureRenegotiation, pointFormats != null);
        }

        Choice choice = choose(ctx, ch, sni, clientSchemes, clientGroups);
        ctx.suite = choice.suite();
        ctx.group = choice.group();
        ctx.signatureScheme = choice.scheme();
        ctx.transcript.useHash(choice.suite().hashName());
        ctx.transcript.add(message);
        ctx.note("ClientHello: TLS 1.2, chose " + choice.suite() + (choice.group() == null ? "" : " with " + choice.group())
                + (ctx.config.preferClientCipherOrder() ? " (client preference)" : " (server preference)")
                + (ctx.extendedMasterSecret ? ", extended master secret" : ", NO extended master secret")
                + (secureRenegotiation ? "" : ", client does not signal secure renegotiation")
                + (sni == null ? "" : ", server name " + sni) + (ctx.alpn == null ? "" : ", ALPN " + ctx.alpn));

        byte[] random = serverRandom(ctx);
        if (ctx.config.sessionCache() != null && ctx.extendedMasterSecret) {
            // RFC 5246 §7.4.1.3: a new session id; RFC 7627 §5.3: sessions without EMS are never resumed, so not cached.
            ctx.sessionId = new byte[32];
            ctx.config.random().nextBytes(ctx.sessionId);
        }

        // Answer only the extensions the client sent (RFC 5246 §7.4.1.4).
        List<Extension> extensions = new ArrayList<>();
        if (secureRenegotiation) {
            extensions.add(new Extension(ExtensionType.RENEGOTIATION_INFO, new byte[] {0})); // RFC 5746 §3.6
        }
        if (ctx.extendedMasterSecret) {
            extensions.add(new Extension(ExtensionType.EXTENDED_MASTER_SECRET, new byte[0]));
        }
        if (choice.nameMatched()) {
            extensions.add(new Extension(ExtensionType.SERVER_NAME, new byte[0])); // RFC 6066 §3
        }
        if (ctx.alpn != null) {
            extensions.add(Extensions.alpn(List.of(ctx.alpn)));
        }
        if (pointFormats != null && choice.group() != null) {
            extensions.add(new Extension(ExtensionType.EC_POINT_FORMATS, new byte[] {1, 0})); // RFC 8422 §5.2: uncompressed
        }
        if (Tls12Tickets.willIssue(ctx, ch)) {
            extensions.add(new Extension(ExtensionType.SESSION_TICKET, new byte[0])); // RFC 5077 §3.2: a ticket will follow
        }
        ctx.send(new ServerHello(0x0303, random, ctx.sessionId, choice.suite().code(), 0, extensions));
        ctx.send(certificateMessage(choice.key()));

        KeyShare share = null;
        if (choice.group() != null) {
            share = ctx.crypto.generateKeyShare(choice.group(), ctx.config.random());
            byte[] signed = ServerKeyExchange.signedContent(ctx.clientRandom, random, choice.group().code(), share.publicKey());
            byte[] signature = ctx.crypto.sign(choice.scheme(), choice.key().privateKey(), signed, ctx.config.random());
            ctx.send(new ServerKeyExchange(choice.group().code(), share.publicKey(), choice.scheme().code(), signature));
        }
        if (ClientAuthentication.requested(ctx)) {
            ctx.send(ClientAuthentication.tls12Request(ctx)); // RFC 5246 §7.4.4
        }
        ctx.send(new ServerHelloDone());
        ExpectClientKeyExchange next = new ExpectClientKeyExchange(choice, share, ch.legacyVersion());
        return ClientAuthentication.requested(ctx) ? new ClientAuthentication.ExpectClientCertificate(false, next) : next;
    }

    private static byte[] serverRandom(HandshakeContext ctx) {
        byte[] random = new byte[32];
        ctx.config.random().nextBytes(random);
        if (ctx.config.isEnabled(ProtocolVersion.TLS_1_3)) {
            // RFC 8446 §4.1.3: a TLS 1.3 server negotiating TLS 1.2 says so in its random, so a
            // TLS 1.3 client can tell an attacker's downgrade from a real TLS 1.2 server.
            System.arraycopy(ServerHello.DOWNGRADE_TLS12, 0, random, 24, 8);
        }
        ctx.serverRandom = random;
        return random;
    }

    /**
     * The cached session the ClientHello asks to resume, or null (then a full handshake follows)
     * when there is none, it expired, or it does not fit this ClientHello.
     */
    static SessionCache.Session resumable(HandshakeContext ctx, ClientHello ch, String sni) {
        SessionCache cache = ctx.config.sessionCache();
        byte[] id = ch.legacySessionId();
        if (cache == null || id.length == 0) {
            return null;
        }
        SessionCache.Session s = cache.get(HexFormat.of().formatHex(id), ctx.config.clock().instant());
        String refused;
        if (s == null) {
            refused = "unknown or expired";
        } else if (s.version() != ProtocolVersion.TLS_1_2) {
            refused = "of another version";
        } else if (!s.extendedMasterSecret() || !ctx.extendedMasterSecret) {
            refused = "not protected by extended master secret on both sides (RFC 7627 5.3)";
        } else if (!ch.cipherSuites().contains(s.cipherSuite().code()) || !ctx.config.cipherSuites().contains(s.cipherSuite())) {
            refused = "of suite " + s.cipherSuite() + ", which is no longer offered or allowed (RFC 5246 7.4.1.2)";
        } else if (!Objects.equals(s.serverName(), sni)) {
            refused = "for server name " + s.serverName() + ", not " + sni + " (RFC 6066 3)";
        } else {
            String identity = ClientAuthentication.resumptionRefusal(ctx, s.peerCertificates());
            if (identity == null) {
                return s;
            }
            refused = "with a client identity that no longer stands (" + identity + ")";
        }
        ctx.note("client offers a session id; not resumed, session " + refused + ": full handshake");
        return null;
    }

    /** RFC 5246 §7.3: the abbreviated handshake; the server's ChangeCipherSpec and Finished come first. */
    private static HandshakeState resume(HandshakeContext ctx, byte[] message, ClientHello ch, SessionCache.Session session,
                                         boolean secureRenegotiation, boolean pointFormats) throws TlsException {
        ctx.suite = session.cipherSuite();
        ctx.transcript.useHash(ctx.suite.hashName());
        ctx.transcript.add(message);
        ctx.sessionId = ch.legacySessionId().clone();
        ctx.resumed = true;
        ctx.note("ClientHello: TLS 1.2, resuming session " + session + (ctx.alpn == null ? "" : ", ALPN " + ctx.alpn));
        // The client identity proved in the full handshake (RFC 5246 §7.3: no Certificate when resuming).
        ctx.peerCertificates = ClientAuthentication.resumedIdentity(ctx, session.peerCertificates(),
                ctx.resumption == HandshakeSummary.Resumption.TICKET ? "the ticket" : "the cached session");
        byte[] random = serverRandom(ctx);
        List<Extension> extensions = new ArrayList<>();
        if (secureRenegotiation) {
            extensions.add(new Extension(ExtensionType.RENEGOTIATION_INFO, new byte[] {0})); // RFC 5746 §3.6
        }
        extensions.add(new Extension(ExtensionType.EXTENDED_MASTER_SECRET, new byte[0])); // RFC 7627 §5.3
        // RFC 6066 §3: when resuming, the server MUST NOT include server_name in the ServerHello.
        if (ctx.alpn != null) {
            extensions.add(Extensions.alpn(List.of(ctx.alpn)));
        }
        if (pointFormats && ctx.suite.keyExchange() == CipherSuite.KeyExchange.ECDHE) {
            extensions.add(new Extension(ExtensionType.EC_POINT_FORMATS, new byte[] {1, 0}));
        }
        ctx.send(new ServerHello(0x0303, random, ctx.sessionId, ctx.suite.code(), 0, extensions));
        ctx.resumeTls12Keys(session.masterSecret());
        ctx.sendTls12ChangeCipherSpec();
        ctx.send(new Finished(ctx.tls12VerifyData(false)));
        return new ExpectChangeCipherSpec(true);
    }

    /**
     * The suite and certificate: the first suite in preference order (the server's, or the
     * client's when so configured) for which a certificate of the right key type exists and,
     * for ECDHE, a common group and a signature scheme the client accepts.
     */
    static Choice choose(HandshakeContext ctx, ClientHello ch, String sni, List<Integer> clientSchemes,
                         List<Integer> clientGroups) throws TlsException {
        List<CipherSuite> ours = new ArrayList<>();
        for (CipherSuite s : ctx.config.cipherSuites()) {
            if (!s.isTls13()) {
                ours.add(s);
            }
        }
        List<CipherSuite> order = new ArrayList<>();
        if (ctx.config.preferClientCipherOrder()) {
            for (int code : ch.cipherSuites()) {
                CipherSuite s = CipherSuite.of(code);
                if (s != null && ours.contains(s)) {
                    order.add(s);
                }
            }
        } else {
            for (CipherSuite s : ours) {
                if (ch.cipherSuites().contains(s.code())) {
                    order.add(s);
                }
            }
        }
        if (order.isEmpty()) {
            List<String> known = new ArrayList<>();
            for (int code : ch.cipherSuites()) {
                CipherSuite s = CipherSuite.of(code);
                if (s != null) {
                    known.add(s.ianaName());
                }
            }
            throw TlsException.handshakeFailure("no cipher suite in common: the client offers "
                    + (known.isEmpty() ? "no AEAD suite Tollgate implements (CBC, RC4, 3DES and the like are never accepted)"
                    : known.toString()) + ", the server allows " + ours);
        }
        // RFC 8422 §5.1.1 (and RFC 4492): without supported_groups the server may pick any curve.
        NamedGroup group = null;
        for (NamedGroup g : ctx.config.groups()) {
            if (clientGroups == null || clientGroups.contains(g.code())) {
                group = g;
                break;
            }
        }
        List<CertifiedKey> keys = new ArrayList<>();
        if (sni != null) {
            for (CertifiedKey k : ctx.config.certificates()) {
                if (k.matchesServerName(sni)) {
                    keys.add(k);
                }
            }
        }
        int matched = keys.size();
        for (CertifiedKey k : ctx.config.certificates()) {
            if (!keys.contains(k)) {
                keys.add(k);
            }
        }
        List<String> why = new ArrayList<>();
        for (CipherSuite suite : order) {
            boolean ecdhe = suite.keyExchange() == CipherSuite.KeyExchange.ECDHE;
            if (ecdhe && group == null) {
                why.add(suite + ": no common group");
                continue;
            }
            for (int i = 0; i < keys.size(); i++) {
                CertifiedKey key = keys.get(i);
                if (!fits(suite, key.leaf().getPublicKey()) || !curveAccepted(key.leaf().getPublicKey(), clientGroups)) {
                    continue;
                }
                if (!ecdhe) {
                    return new Choice(suite, key, null, null, i < matched);
                }
                SignatureScheme scheme = schemeFor(ctx, key, clientSchemes);
                if (scheme != null) {
                    return new Choice(suite, key, scheme, group, i < matched);
                }
            }
            why.add(suite + ": no " + suite.authentication() + " certificate"
                    + (ecdhe ? " that can sign with the client's signature algorithms"
                    + (suite.authentication() == CipherSuite.Authentication.ECDSA ? " on a curve it supports" : "") : ""));
        }
        throw TlsException.handshakeFailure("no TLS 1.2 suite can be served: " + String.join("; ", why)
                + (clientSchemes.isEmpty() ? " (the client sent no signature_algorithms, so only RSA key exchange"
                + " could serve it" + (ctx.config.rsaKeyExchange() ? ")" : ", and it is disabled)") : ""));
    }

    /** The key type of the certificate must be the suite's (RFC 5246 §7.4.2, RFC 8422 §5.3). */
    static boolean fits(CipherSuite suite, PublicKey key) {
        switch (suite.authentication()) {
            case RSA: return "RSA".equals(key.getAlgorithm());
            case ECDSA: return key instanceof ECKey;
            default: return false;
        }
    }

    /**
     * RFC 8422 §5.1.1, §5.3: an ECDSA certificate's curve must be one the client listed in
     * supported_groups (OpenSSL refuses it otherwise, with "wrong curve").
     */
    static boolean curveAccepted(PublicKey key, List<Integer> clientGroups) {
        if (!(key instanceof ECKey ec) || clientGroups == null) {
            return true;
        }
        int bits = ec.getParams().getCurve().getField().getFieldSize();
        NamedGroup curve = bits == 256 ? NamedGroup.SECP256R1 : bits == 384 ? NamedGroup.SECP384R1 : null;
        return curve != null ? clientGroups.contains(curve.code()) : clientGroups.contains(0x0019); // secp521r1
    }

    /**
     * TLS 1.2 signature schemes the server may sign ServerKeyExchange with, in its order:
     * the configured ones, with RSASSA-PKCS1-v1_5 allowed too (RFC 5246 §7.4.1.4.1; RFC 8446
     * §4.2.3 forbids it only in TLS 1.3), and ECDSA not bound to the key's curve in 1.2.
     */
    static List<SignatureScheme> tls12Schemes(HandshakeContext ctx) {
        List<SignatureScheme> out = new ArrayList<>(ctx.config.signatureSchemes());
        boolean rsa = out.stream().anyMatch(s -> s.keyType().equals("RSA"));
        if (rsa) {
            for (SignatureScheme s : List.of(SignatureScheme.RSA_PKCS1_SHA256, SignatureScheme.RSA_PKCS1_SHA384,
                    SignatureScheme.RSA_PKCS1_SHA512)) {
                if (!out.contains(s)) {
                    out.add(s);
                }
            }
        }
        out.removeIf(s -> s == SignatureScheme.ECDSA_SHA1 || s == SignatureScheme.RSA_PKCS1_SHA1
                || s == SignatureScheme.ED25519);
        return out;
    }

    static SignatureScheme schemeFor(HandshakeContext ctx, CertifiedKey key, List<Integer> clientSchemes) {
        List<SignatureScheme> candidates = new ArrayList<>(key.signatureSchemes()); // the key's own curve first
        for (SignatureScheme s : tls12Schemes(ctx)) {
            if (!candidates.contains(s)) {
                candidates.add(s);
            }
        }
        String keyType = key.leaf().getPublicKey() instanceof ECKey ? "EC" : key.leaf().getPublicKey().getAlgorithm();
        for (SignatureScheme s : candidates) {
            if (s.keyType().equals(keyType) && clientSchemes.contains(s.code()) && tls12Schemes(ctx).contains(s)) {
                return s;
            }
        }
        return null;
    }

    static Tls12CertificateMessage certificateMessage(CertifiedKey key) throws TlsException {
        List<byte[]> ders = new ArrayList<>();
        try {
            for (X509Certificate c : key.chain()) {
                ders.add(c.getEncoded());
            }
        } catch (CertificateEncodingException e) {
            throw TlsException.internalError("cannot encode the server certificate", e);
        }
        return new Tls12CertificateMessage(ders);
    }

    /** The client's half of the key exchange; from it both sides derive the master secret. */
    static final class ExpectClientKeyExchange implements HandshakeState {
        private final Choice choice;
        private final KeyShare share;
        private final int clientVersion;

        ExpectClientKeyExchange(Choice choice, KeyShare share, int clientVersion) {
            this.choice = choice;
            this.share = share;
            this.clientVersion = clientVersion;
        }

        @Override
        public HandshakeState handle(HandshakeContext ctx, byte[] message) throws TlsException {
            int type = message[0] & 0xFF;
            if (type == HandshakeType.CERTIFICATE) {
                throw TlsException.unexpectedMessage("client sent a Certificate that was not requested");
            }
            if (type != HandshakeType.CLIENT_KEY_EXCHANGE) {
                throw HandshakeState.unexpected(this, message);
            }
            ctx.received(message);
            boolean rsa = share == null;
            ClientKeyExchange cke = ClientKeyExchange.decode(HandshakeContext.body(message), rsa);
            byte[] preMasterSecret;
            if (rsa) {
                // RFC 5246 §7.4.7.1: the random premaster secret is drawn BEFORE decrypting; on any
                // padding, length or version failure it silently takes the decrypted one's place, and the
                // handshake goes on unchanged until the client's Finished fails to decrypt (bad_record_mac),
                // exactly as a corrupted Finished would. Nothing here logs, throws or branches on the outcome.
                byte[] fallback = new byte[48];
                ctx.config.random().nextBytes(fallback);
                preMasterSecret = ctx.crypto.decryptPremaster(choice.key().privateKey(), cke.exchangeKeys(),
                        clientVersion, fallback);
            } else {
                preMasterSecret = share.agree(cke.exchangeKeys());
            }
            ctx.transcript.add(message);
            ctx.deriveTls12Keys(preMasterSecret);
            return ClientAuthentication.afterCertificate(ctx, false, new ExpectChangeCipherSpec(false)); // RFC 5246 §7.4.8
        }
    }

    /** The client's ChangeCipherSpec switches its records to the new keys. */
    static final class ExpectChangeCipherSpec implements HandshakeState {
        private final boolean resumed;

        ExpectChangeCipherSpec(boolean resumed) {
            this.resumed = resumed;
        }

        @Override
        public HandshakeState handle(HandshakeContext ctx, byte[] message) throws TlsException {
            throw TlsException.unexpectedMessage("received " + HandshakeType.name(message[0] & 0xFF)
                    + " where the client's ChangeCipherSpec belongs");
        }

        @Override
        public HandshakeState changeCipherSpec(HandshakeContext ctx) throws TlsException {
            ctx.receiveTls12ChangeCipherSpec();
            return new ExpectFinished(resumed);
        }
    }

    /**
     * The client's Finished, the first encrypted message; then, in a full handshake, the server's
     * own CCS and Finished and the session goes into the cache. In a resumed one it ends the handshake.
     */
    static final class ExpectFinished implements HandshakeState {
        private final boolean resumed;

        ExpectFinished(boolean resumed) {
            this.resumed = resumed;
        }

        @Override
        public HandshakeState handle(HandshakeContext ctx, byte[] message) throws TlsException {
            if ((message[0] & 0xFF) != HandshakeType.FINISHED) {
                throw HandshakeState.unexpected(this, message);
            }
            ctx.received(message);
            Finished finished = Finished.decode(HandshakeContext.body(message), Tls12KeySchedule.VERIFY_DATA_LENGTH);
            if (!MessageDigest.isEqual(ctx.tls12VerifyData(true), finished.verifyData())) {
                // RFC 5246 §7.4.9: a wrong verify_data is decrypt_error.
                throw new TlsException(Alert.DECRYPT_ERROR, "client Finished does not match the transcript");
            }
            ctx.transcript.add(message);
            if (!resumed) {
                if (ctx.tls12TicketExpected) {
                    Tls12Tickets.issue(ctx); // RFC 5077 §3.3: before ChangeCipherSpec
                }
                ctx.sendTls12ChangeCipherSpec();
                ctx.send(new Finished(ctx.tls12VerifyData(false)));
                if (ctx.sessionId.length > 0) {
                    ctx.config.sessionCache().put(HexFormat.of().formatHex(ctx.sessionId), ctx.tls12Session());
                }
            }
            ctx.handshakeComplete = true;
            ctx.note("handshake complete: " + ctx.summary().oneLine());
            return new Tls12Connected();
        }
    }
}
