package org.tollgate.tls.handshake;

import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.interfaces.ECKey;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.tollgate.tls.Alert;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.SessionCache;
import org.tollgate.tls.SignatureScheme;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.crypto.KeyShare;
import org.tollgate.tls.wire.WireReader;

/**
 * The client side of the TLS 1.2 full handshake (RFC 5246 §7.3), entered from
 * {@link ClientHandshake.ExpectServerHello} when the server answers without
 * supported_versions:
 *
 * <pre>
 *                           ServerHello
 *                           Certificate
 *                           ServerKeyExchange   (ECDHE)
 *                           CertificateRequest? (mutual TLS: see ClientAuthentication)
 *                      <--  ServerHelloDone
 * Certificate?              (our chain, or empty when none fits)
 * ClientKeyExchange         (RSA: premaster secret encrypted to the certificate's key; ECDHE: our key)
 * CertificateVerify?        (when our Certificate was not empty)
 * [ChangeCipherSpec]
 * Finished             -->
 *                           [ChangeCipherSpec]
 *                      <--  Finished
 * </pre>
 *
 * With a {@link SessionCache} and a cache key ("host:port"), the ClientHello offers the cached
 * session's id; a ServerHello echoing it starts the abbreviated handshake (RFC 5246 §7.3):
 * the server's [ChangeCipherSpec] Finished, then ours.
 */
public final class Tls12ClientHandshake {
    private Tls12ClientHandshake() {
    }

    /** The cached session worth offering for this connection, or null. */
    static SessionCache.Session cachedSession(HandshakeContext ctx) {
        SessionCache cache = ctx.config.sessionCache();
        if (cache == null || ctx.sessionKey == null || !ctx.config.isEnabled(ProtocolVersion.TLS_1_2)) {
            return null;
        }
        SessionCache.Session s = cache.get(ctx.sessionKey, ctx.config.clock().instant());
        if (s == null || s.version() != ProtocolVersion.TLS_1_2
                || !s.extendedMasterSecret() || !ctx.config.extendedMasterSecret() // RFC 7627 §5.3
                || !ctx.config.cipherSuites().contains(s.cipherSuite())             // RFC 5246 §7.4.1.2
                || !Objects.equals(s.serverName(), ctx.serverName)) {              // RFC 6066 §3
            return null;
        }
        return s;
    }

    /** Checks a TLS 1.2 ServerHello against what the client offered. */
    static HandshakeState serverHello(HandshakeContext ctx, byte[] message, ServerHello sh, ClientHello sent) throws TlsException {
        ctx.version = ProtocolVersion.TLS_1_2;
        if (ctx.config.isEnabled(ProtocolVersion.TLS_1_3)) {
            // RFC 8446 §4.1.3: a TLS 1.3 server answering TLS 1.2 marks its random; seeing the mark
            // here, after offering TLS 1.3, means someone removed TLS 1.3 from our ClientHello.
            byte[] tail = Arrays.copyOfRange(sh.random(), 24, 32);
            if (Arrays.equals(tail, ServerHello.DOWNGRADE_TLS12) || Arrays.equals(tail, ServerHello.DOWNGRADE_TLS11)) {
                throw TlsException.illegalParameter("downgrade detected: the server supports TLS 1.3 (its random ends"
                        + " with the RFC 8446 4.1.3 sentinel) but the ServerHello says TLS 1.2");
            }
        }
        CipherSuite suite = CipherSuite.of(sh.cipherSuite());
        if (suite == null || suite.isTls13() || !sent.cipherSuites().contains(sh.cipherSuite())) {
            throw TlsException.illegalParameter(String.format("server chose cipher suite 0x%04x, which was not offered for TLS 1.2",
                    sh.cipherSuite()));
        }
        if (sh.legacyCompressionMethod() != 0) {
            throw TlsException.illegalParameter("server chose compression method " + sh.legacyCompressionMethod());
        }
        boolean resuming = false;
        if (sh.legacySessionIdEcho().length > 0 && MessageDigest.isEqual(sh.legacySessionIdEcho(), sent.legacySessionId())) {
            if (ctx.offeredSession == null) {
                throw TlsException.illegalParameter("server resumes a session this client never had");
            }
            resuming = true;
        } else if (ctx.offeredSession != null) {
            ctx.config.sessionCache().remove(ctx.sessionKey); // the server did not take it: forget it
            ctx.note("server did not resume the offered session: full handshake");
        }
        ctx.sessionId = sh.legacySessionIdEcho().clone();
        boolean secureRenegotiation = false;
        for (Extension e : sh.extensions()) {
            if (sent.extension(e.type()) == null) {
                // RFC 5246 §7.4.1.4: only extensions the client offered may come back.
                throw new TlsException(Alert.UNSUPPORTED_EXTENSION, "ServerHello carries "
                        + ExtensionType.name(e.type()) + ", which the client did not ask for");
            }
            switch (e.type()) {
                case ExtensionType.RENEGOTIATION_INFO:
                    // RFC 5746 §3.4: in an initial handshake it must hold an empty renegotiated_connection.
                    if (e.data().length != 1 || e.data()[0] != 0) {
                        throw TlsException.handshakeFailure("renegotiation_info in the ServerHello is not empty");
                    }
                    secureRenegotiation = true;
                    break;
                case ExtensionType.EXTENDED_MASTER_SECRET:
                case ExtensionType.SERVER_NAME:
                    if (e.data().length != 0) {
                        throw TlsException.decodeError(ExtensionType.name(e.type()) + " in the ServerHello must be empty");
                    }
                    ctx.extendedMasterSecret |= e.type() == ExtensionType.EXTENDED_MASTER_SECRET;
                    break;
                case ExtensionType.APPLICATION_LAYER_PROTOCOL_NEGOTIATION:
                    List<String> chosen = Extensions.decodeAlpn(e);
                    if (chosen.size() != 1 || !ctx.config.alpnProtocols().contains(chosen.get(0))) {
                        throw TlsException.illegalParameter("server selected ALPN " + chosen + ", which was not offered");
                    }
                    ctx.alpn = chosen.get(0);
                    break;
                case ExtensionType.SESSION_TICKET:
                    if (e.data().length != 0) { // RFC 5077 §3.2: the server's is empty
                        throw TlsException.decodeError("session_ticket in the ServerHello must be empty");
                    }
                    ctx.tls12TicketExpected = true;
                    break;
                case ExtensionType.EC_POINT_FORMATS:
                    WireReader r = e.reader();
                    byte[] formats = r.vector8();
                    r.expectEnd();
                    boolean uncompressed = false;
                    for (byte f : formats) {
                        uncompressed |= f == 0;
                    }
                    if (!uncompressed) { // RFC 8422 §5.2
                        throw TlsException.illegalParameter("server's ec_point_formats lacks uncompressed");
                    }
                    break;
                default:
                    throw new TlsException(Alert.UNSUPPORTED_EXTENSION, ExtensionType.name(e.type())
                            + " is not a TLS 1.2 ServerHello extension");
            }
        }
        if (!secureRenegotiation) {
            // RFC 5746 §4.1: a client may refuse servers that do not support secure renegotiation; OpenSSL 3 does too.
            throw TlsException.handshakeFailure("server does not support secure renegotiation (RFC 5746): no renegotiation_info");
        }
        ctx.suite = suite;
        ctx.serverRandom = sh.random();
        ctx.transcript.useHash(suite.hashName());
        ctx.transcript.add(message);
        if (resuming) {
            SessionCache.Session session = ctx.offeredSession;
            if (suite != session.cipherSuite()) { // RFC 5246 §7.4.1.3: the session's suite
                throw TlsException.illegalParameter("server resumes the session with " + suite + ", but it was "
                        + session.cipherSuite());
            }
            if (!ctx.extendedMasterSecret) { // RFC 7627 §5.3
                throw TlsException.handshakeFailure("server resumes an extended-master-secret session without the extension");
            }
            ctx.resumed = true;
            Tls12Tickets.markResumed(ctx);
            ctx.peerCertificates = session.peerCertificates();
            ctx.note("ServerHello: TLS 1.2, resuming " + session + (ctx.alpn == null ? "" : ", ALPN " + ctx.alpn));
            ctx.resumeTls12Keys(session.masterSecret());
            return new ExpectChangeCipherSpec(true);
        }
        ctx.note("ServerHello: TLS 1.2, " + suite + (ctx.extendedMasterSecret ? ", extended master secret"
                : ", NO extended master secret (RFC 7627)") + (ctx.alpn == null ? "" : ", ALPN " + ctx.alpn));
        return new ExpectCertificate(sent);
    }

    /** The server's chain, checked against the trust anchors, the host name and the suite. */
    static final class ExpectCertificate implements HandshakeState {
        private final ClientHello sent;

        ExpectCertificate(ClientHello sent) {
            this.sent = sent;
        }

        @Override
        public HandshakeState handle(HandshakeContext ctx, byte[] message) throws TlsException {
            if ((message[0] & 0xFF) != HandshakeType.CERTIFICATE) {
                throw HandshakeState.unexpected(this, message);
            }
            ctx.received(message);
            Tls12CertificateMessage cm = Tls12CertificateMessage.decode(HandshakeContext.body(message));
            if (cm.certificates().isEmpty()) {
                throw TlsException.decodeError("server sent an empty Certificate message");
            }
            boolean rsa = ctx.suite.keyExchange() == CipherSuite.KeyExchange.RSA;
            ctx.acceptPeerChain(HandshakeContext.parseCertificates(cm.asTls13()), leaf -> {
                if (!Tls12ServerHandshake.fits(ctx.suite, leaf.getPublicKey())) {
                    throw new TlsException(Alert.UNSUPPORTED_CERTIFICATE, "server certificate has a "
                            + leaf.getPublicKey().getAlgorithm() + " key, but " + ctx.suite + " needs " + ctx.suite.authentication());
                }
                boolean[] usage = leaf.getKeyUsage();
                // RFC 5246 §7.4.2, RFC 5280 §4.2.1.3: the key must be allowed to encrypt keys (RSA) or sign (ECDHE).
                if (usage != null && !(rsa ? usage.length > 2 && usage[2] : usage.length > 0 && usage[0])) {
                    throw new TlsException(Alert.UNSUPPORTED_CERTIFICATE, "server certificate's key usage does not allow "
                            + (rsa ? "keyEncipherment (RSA key exchange)" : "digitalSignature (ECDHE)"));
                }
            });
            ctx.transcript.add(message);
            return rsa ? new ExpectServerHelloDone(sent, null, null, false) : new ExpectServerKeyExchange(sent);
        }
    }

    /** ECDHE: the server's signed ephemeral key. */
    static final class ExpectServerKeyExchange implements HandshakeState {
        private final ClientHello sent;

        ExpectServerKeyExchange(ClientHello sent) {
            this.sent = sent;
        }

        @Override
        public HandshakeState handle(HandshakeContext ctx, byte[] message) throws TlsException {
            if ((message[0] & 0xFF) != HandshakeType.SERVER_KEY_EXCHANGE) {
                throw HandshakeState.unexpected(this, message);
            }
            ctx.received(message);
            ServerKeyExchange ske = ServerKeyExchange.decode(HandshakeContext.body(message));
            NamedGroup group = NamedGroup.of(ske.namedGroup());
            if (group == null || !ctx.config.groups().contains(group)) {
                throw TlsException.illegalParameter(String.format("server chose group 0x%04x, which was not offered", ske.namedGroup()));
            }
            SignatureScheme scheme = SignatureScheme.of(ske.signatureScheme());
            if (scheme == null || !Tls12ServerHandshake.tls12Schemes(ctx).contains(scheme)) {
                throw TlsException.illegalParameter(String.format("server signed with scheme 0x%04x, which was not offered",
                        ske.signatureScheme()));
            }
            PublicKey key = ctx.peerCertificates.get(0).getPublicKey();
            String keyType = key instanceof ECKey ? "EC" : key.getAlgorithm();
            if (!scheme.keyType().equals(keyType)) {
                throw TlsException.illegalParameter("signature scheme " + scheme + " does not fit the certificate's " + keyType + " key");
            }
            byte[] signed = ServerKeyExchange.signedContent(ctx.clientRandom, ctx.serverRandom, ske.namedGroup(), ske.publicKey());
            if (!ctx.crypto.verify(scheme, key, signed, ske.signature())) {
                throw new TlsException(Alert.DECRYPT_ERROR, "ServerKeyExchange signature (" + scheme + ") does not verify");
            }
            KeyShare mine = ctx.crypto.generateKeyShare(group, ctx.config.random());
            byte[] preMasterSecret = mine.agree(ske.publicKey());
            ctx.group = group;
            ctx.signatureScheme = scheme;
            ctx.transcript.add(message);
            return new ExpectServerHelloDone(sent, mine, preMasterSecret, false);
        }
    }

    /** The end of the server's flight (after an optional CertificateRequest); then the client's whole flight. */
    static final class ExpectServerHelloDone implements HandshakeState {
        private final ClientHello sent;
        private final KeyShare share;
        private final byte[] preMasterSecret;
        private final boolean certificateRequested;

        ExpectServerHelloDone(ClientHello sent, KeyShare share, byte[] preMasterSecret, boolean certificateRequested) {
            this.sent = sent;
            this.share = share;
            this.preMasterSecret = preMasterSecret;
            this.certificateRequested = certificateRequested;
        }

        @Override
        public HandshakeState handle(HandshakeContext ctx, byte[] message) throws TlsException {
            int type = message[0] & 0xFF;
            if (type == HandshakeType.CERTIFICATE_REQUEST && !certificateRequested) {
                ctx.received(message);
                Tls12CertificateRequest request = Tls12CertificateRequest.decode(HandshakeContext.body(message));
                ctx.transcript.add(message);
                ClientAuthentication.tls12Requested(ctx, request);
                return new ExpectServerHelloDone(sent, share, preMasterSecret, true);
            }
            if (type != HandshakeType.SERVER_HELLO_DONE) {
                throw HandshakeState.unexpected(this, message);
            }
            ctx.received(message);
            ServerHelloDone.decode(HandshakeContext.body(message));
            ctx.transcript.add(message);
            if (certificateRequested) {
                ClientAuthentication.sendTls12Certificate(ctx); // RFC 5246 §7.4.6: the chain, or an empty list
            }
            byte[] premaster;
            if (share == null) {
                // RFC 5246 §7.4.7.1: client_version, then 46 random bytes, encrypted to the server's RSA key.
                premaster = new byte[48];
                ctx.config.random().nextBytes(premaster);
                premaster[0] = (byte) (sent.legacyVersion() >>> 8);
                premaster[1] = (byte) sent.legacyVersion();
                byte[] encrypted = ctx.crypto.encryptPremaster(ctx.peerCertificates.get(0).getPublicKey(), premaster,
                        ctx.config.random());
                ctx.send(new ClientKeyExchange(true, encrypted));
                ctx.note("premaster secret made and sent encrypted with the server's RSA public key");
            } else {
                premaster = preMasterSecret;
                ctx.send(new ClientKeyExchange(false, share.publicKey()));
            }
            ctx.deriveTls12Keys(premaster); // before CertificateVerify: the RFC 7627 session hash ends at ClientKeyExchange
            ClientAuthentication.sendTls12CertificateVerify(ctx);
            ctx.sendTls12ChangeCipherSpec();
            ctx.send(new Finished(ctx.tls12VerifyData(true)));
            return new ExpectChangeCipherSpec(false);
        }
    }

    /** The server's ChangeCipherSpec switches its records to the new keys. */
    static final class ExpectChangeCipherSpec implements HandshakeState {
        private final boolean resumed;

        ExpectChangeCipherSpec(boolean resumed) {
            this.resumed = resumed;
        }

        @Override
        public HandshakeState handle(HandshakeContext ctx, byte[] message) throws TlsException {
            if ((message[0] & 0xFF) == HandshakeType.NEW_SESSION_TICKET && ctx.tls12TicketExpected) {
                Tls12Tickets.received(ctx, message); // RFC 5077 §3.3: right before the server's ChangeCipherSpec
                return this;
            }
            throw TlsException.unexpectedMessage("received " + HandshakeType.name(message[0] & 0xFF)
                    + " where the server's ChangeCipherSpec belongs");
        }

        @Override
        public HandshakeState changeCipherSpec(HandshakeContext ctx) throws TlsException {
            ctx.receiveTls12ChangeCipherSpec();
            return new ExpectFinished(resumed);
        }
    }

    /**
     * The server's Finished proves it derived the same keys from the same handshake. In a
     * resumed handshake our own [ChangeCipherSpec] Finished follow it; after a full one the
     * session goes into the cache.
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
            if (!MessageDigest.isEqual(ctx.tls12VerifyData(false), finished.verifyData())) {
                throw new TlsException(Alert.DECRYPT_ERROR, "server Finished does not match the transcript");
            }
            ctx.transcript.add(message);
            if (resumed) {
                ctx.sendTls12ChangeCipherSpec();
                ctx.send(new Finished(ctx.tls12VerifyData(true)));
            }
            boolean renewed = resumed && ctx.tls12Ticket != null; // RFC 5077 §3.3: a fresh ticket for the same session
            if ((renewed || !resumed) && ctx.config.sessionCache() != null && ctx.sessionKey != null
                    && (ctx.sessionId.length > 0 || ctx.tls12Ticket != null) && ctx.extendedMasterSecret) {
                ctx.config.sessionCache().put(ctx.sessionKey, ctx.tls12Session());
            }
            ctx.handshakeComplete = true;
            ctx.note("handshake complete: " + ctx.summary().oneLine());
            return new Tls12Connected();
        }
    }
}
