package org.tollgate.tls.handshake;

import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tollgate.tls.Alert;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.SessionCache;
import org.tollgate.tls.SignatureScheme;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.crypto.KeyShare;

/**
 * The client side of the TLS 1.3 handshake (RFC 8446 §2, full handshake):
 *
 * <pre>
 * ClientHello            -->
 *                        <--  ServerHello (or HelloRetryRequest, then again)
 *                             {EncryptedExtensions}
 *                             {CertificateRequest}?
 *                             {Certificate}
 *                             {CertificateVerify}
 *                        <--  {Finished}
 * {Certificate}?
 * {Finished}             -->
 * </pre>
 */
public final class ClientHandshake {
    private ClientHandshake() {
    }

    /** Sends the first ClientHello; the next state waits for the server's answer. */
    public static HandshakeState start(HandshakeContext ctx) throws TlsException {
        byte[] random = new byte[32];
        ctx.config.random().nextBytes(random);
        ctx.clientRandom = random;
        boolean tls13 = ctx.config.isEnabled(ProtocolVersion.TLS_1_3);
        byte[] sessionId = new byte[tls13 && ctx.config.middleboxCompatibility() ? 32 : 0];
        ctx.config.random().nextBytes(sessionId);
        if (ctx.peerHost != null && !isIpLiteral(ctx.peerHost)) {
            ctx.serverName = ctx.peerHost; // RFC 6066 §3: literal IP addresses are not sent as server_name
        }
        SessionCache.Session cached = Tls12ClientHandshake.cachedSession(ctx);
        if (cached != null) {
            sessionId = Tls12Tickets.sessionIdFor(ctx, cached, sessionId); // RFC 5246 §7.4.1.2, RFC 5077 §3.4
            ctx.offeredSession = cached;
        }
        Map<NamedGroup, KeyShare> shares = new LinkedHashMap<>();
        if (tls13) {
            for (NamedGroup g : ctx.config.keyShareGroups()) {
                shares.put(g, ctx.crypto.generateKeyShare(g, ctx.config.random()));
            }
        }
        ClientHello hello = buildClientHello(ctx, random, sessionId, shares, null);
        hello = PskResumption.offer(ctx, hello); // a TLS 1.3 ticket, if one is stored for this server
        ctx.records.setWriteVersion(0x0301); // RFC 8446 §5.1: initial ClientHello record version
        ctx.send(hello);
        ctx.records.setWriteVersion(0x0303);
        ctx.note("sent ClientHello: " + (tls13 ? "TLS 1.3" : "") + (tls13 && ctx.config.isEnabled(ProtocolVersion.TLS_1_2) ? " and " : "")
                + (ctx.config.isEnabled(ProtocolVersion.TLS_1_2) ? "TLS 1.2" : "") + ", suites " + suiteNames(hello.cipherSuites())
                + (tls13 ? ", key shares " + shares.keySet() : "") + (cached == null ? "" : ", offering to resume " + cached));
        return new ExpectServerHello(hello, shares, null);
    }

    static ClientHello buildClientHello(HandshakeContext ctx, byte[] random, byte[] sessionId,
                                        Map<NamedGroup, KeyShare> shares, byte[] cookie) {
        boolean tls13 = ctx.config.isEnabled(ProtocolVersion.TLS_1_3);
        boolean tls12 = ctx.config.isEnabled(ProtocolVersion.TLS_1_2);
        List<Integer> suites = new ArrayList<>();
        for (CipherSuite s : ctx.config.cipherSuites()) {
            if (s.isTls13() ? tls13 : tls12) {
                suites.add(s.code());
            }
        }
        List<Extension> ext = new ArrayList<>();
        if (ctx.serverName != null) {
            ext.add(Extensions.serverNameClient(ctx.serverName));
        }
        List<Integer> groups = new ArrayList<>();
        for (NamedGroup g : ctx.config.groups()) {
            groups.add(g.code());
        }
        ext.add(Extensions.u16List(ExtensionType.SUPPORTED_GROUPS, groups));
        if (tls12) {
            ext.add(new Extension(ExtensionType.EC_POINT_FORMATS, new byte[] {1, 0})); // RFC 8422 §5.1.2: uncompressed
        }
        List<Integer> handshakeSchemes = new ArrayList<>();
        for (SignatureScheme s : ctx.config.signatureSchemes()) {
            if (s.usableInTls13Handshake()) {
                handshakeSchemes.add(s.code());
            }
        }
        List<Integer> offeredSchemes = new ArrayList<>(handshakeSchemes);
        if (tls12) {
            // RFC 8446 §4.2.3: rsa_pkcs1 may be offered for TLS 1.2; a TLS 1.3 server must not use it.
            for (SignatureScheme s : Tls12ServerHandshake.tls12Schemes(ctx)) {
                if (!offeredSchemes.contains(s.code())) {
                    offeredSchemes.add(s.code());
                }
            }
        }
        ext.add(Extensions.u16List(ExtensionType.SIGNATURE_ALGORITHMS, offeredSchemes));
        // RFC 8446 §4.2.3: certificates may also be signed with rsa_pkcs1, as most CAs still do.
        List<Integer> certSchemes = new ArrayList<>(handshakeSchemes);
        for (SignatureScheme s : new SignatureScheme[] {SignatureScheme.RSA_PKCS1_SHA256, SignatureScheme.RSA_PKCS1_SHA384,
                SignatureScheme.RSA_PKCS1_SHA512, SignatureScheme.ECDSA_SECP521R1_SHA512}) {
            if (!certSchemes.contains(s.code())) {
                certSchemes.add(s.code());
            }
        }
        ext.add(Extensions.u16List(ExtensionType.SIGNATURE_ALGORITHMS_CERT, certSchemes));
        if (!ctx.config.alpnProtocols().isEmpty()) {
            ext.add(Extensions.alpn(ctx.config.alpnProtocols()));
        }
        if (tls12) {
            if (ctx.config.extendedMasterSecret()) {
                ext.add(new Extension(ExtensionType.EXTENDED_MASTER_SECRET, new byte[0])); // RFC 7627 §5.1
            }
            ext.add(new Extension(ExtensionType.RENEGOTIATION_INFO, new byte[] {0}));  // RFC 5746 §3.4: empty
            Extension ticket = Tls12Tickets.clientExtension(ctx); // RFC 5077 §3.2
            if (ticket != null) {
                ext.add(ticket);
            }
        }
        if (tls13) {
            ext.add(Extensions.supportedVersionsClient(tls12
                    ? List.of(ProtocolVersion.TLS_1_3.code(), ProtocolVersion.TLS_1_2.code())
                    : List.of(ProtocolVersion.TLS_1_3.code())));
            // psk_dhe_ke (1): lets servers send tickets; resumption itself comes later.
            ext.add(new Extension(ExtensionType.PSK_KEY_EXCHANGE_MODES, new byte[] {1, 1}));
            List<Extensions.KeyShareEntry> entries = new ArrayList<>();
            for (KeyShare share : shares.values()) {
                entries.add(new Extensions.KeyShareEntry(share.group().code(), share.publicKey()));
            }
            ext.add(Extensions.keyShareClient(entries));
            if (cookie != null) {
                ext.add(Extensions.cookie(cookie));
            }
        }
        return new ClientHello(0x0303, random, sessionId, suites, new byte[] {0}, ext);
    }

    private static List<String> suiteNames(List<Integer> codes) {
        List<String> out = new ArrayList<>();
        for (int c : codes) {
            CipherSuite s = CipherSuite.of(c);
            out.add(s == null ? String.format("0x%04x", c) : s.ianaName());
        }
        return out;
    }

    static boolean isIpLiteral(String host) {
        return host.indexOf(':') >= 0 || host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }

    /** Waits for ServerHello, or a HelloRetryRequest that asks for another key share. */
    static final class ExpectServerHello implements HandshakeState {
        private final ClientHello sent;
        private final Map<NamedGroup, KeyShare> shares;
        private final ServerHello retry;

        ExpectServerHello(ClientHello sent, Map<NamedGroup, KeyShare> shares, ServerHello retry) {
            this.sent = sent;
            this.shares = shares;
            this.retry = retry;
        }

        @Override
        public HandshakeState handle(HandshakeContext ctx, byte[] message) throws TlsException {
            if ((message[0] & 0xFF) != HandshakeType.SERVER_HELLO) {
                throw HandshakeState.unexpected(this, message);
            }
            ctx.received(message);
            ServerHello sh = ServerHello.decode(HandshakeContext.body(message));
            Extension versions = sh.extension(ExtensionType.SUPPORTED_VERSIONS);
            if (versions == null) {
                // RFC 8446 §4.2.1: without supported_versions the server chose TLS 1.2 or older.
                if (sh.legacyVersion() == ProtocolVersion.TLS_1_2.code() && ctx.config.isEnabled(ProtocolVersion.TLS_1_2)) {
                    if (retry != null) {
                        throw TlsException.illegalParameter("server chose TLS 1.2 after a HelloRetryRequest");
                    }
                    return Tls12ClientHandshake.serverHello(ctx, message, sh, sent);
                }
                throw new TlsException(Alert.PROTOCOL_VERSION, "server chose " + versionName(sh.legacyVersion())
                        + "; this client speaks only " + (ctx.config.isEnabled(ProtocolVersion.TLS_1_2) ? "TLS 1.3 and TLS 1.2" : "TLS 1.3"));
            }
            if (!ctx.config.isEnabled(ProtocolVersion.TLS_1_3)) {
                // RFC 8446 §4.2.1: supported_versions in a ServerHello selects TLS 1.3, which was not offered.
                throw TlsException.illegalParameter("server sent supported_versions, but this client offered only TLS 1.2");
            }
            int version = Extensions.decodeSupportedVersionsServer(versions);
            if (version != ProtocolVersion.TLS_1_3.code()) {
                throw TlsException.illegalParameter("server selected version " + versionName(version) + ", which was not offered");
            }
            if (sh.legacyVersion() != 0x0303) {
                throw TlsException.illegalParameter("ServerHello legacy_version must be 0x0303");
            }
            CipherSuite suite = CipherSuite.of(sh.cipherSuite());
            if (suite == null || !suite.isTls13() || !sent.cipherSuites().contains(sh.cipherSuite())) {
                throw TlsException.illegalParameter(String.format("server chose cipher suite 0x%04x, which was not offered", sh.cipherSuite()));
            }
            if (!MessageDigest.isEqual(sh.legacySessionIdEcho(), sent.legacySessionId())) {
                throw TlsException.illegalParameter("ServerHello does not echo the client's legacy_session_id");
            }
            if (sh.legacyCompressionMethod() != 0) {
                throw TlsException.illegalParameter("ServerHello legacy_compression_method must be 0");
            }
            if (retry != null && suite.code() != retry.cipherSuite()) {
                // RFC 8446 §4.1.4: the ServerHello must repeat the suite of the HelloRetryRequest.
                throw TlsException.illegalParameter("ServerHello suite differs from the HelloRetryRequest's");
            }
            return sh.isHelloRetryRequest() ? helloRetry(ctx, message, sh, suite) : serverHello(ctx, message, sh, suite);
        }

        private HandshakeState helloRetry(HandshakeContext ctx, byte[] message, ServerHello hrr, CipherSuite suite) throws TlsException {
            if (retry != null) {
                throw TlsException.unexpectedMessage("server sent a second HelloRetryRequest");
            }
            NamedGroup selected = null;
            byte[] cookie = null;
            for (Extension e : hrr.extensions()) {
                switch (e.type()) {
                    case ExtensionType.SUPPORTED_VERSIONS:
                        break;
                    case ExtensionType.KEY_SHARE:
                        int code = Extensions.decodeKeyShareHelloRetry(e);
                        selected = NamedGroup.of(code);
                        // RFC 8446 §4.2.8: the group must be supported and not already offered.
                        if (selected == null || !ctx.config.groups().contains(selected) || shares.containsKey(selected)) {
                            throw TlsException.illegalParameter(String.format(
                                    "HelloRetryRequest asks for group 0x%04x, which is unsupported or was already offered", code));
                        }
                        break;
                    case ExtensionType.COOKIE:
                        cookie = Extensions.decodeCookie(e);
                        break;
                    default:
                        throw new TlsException(Alert.UNSUPPORTED_EXTENSION, "HelloRetryRequest carries "
                                + ExtensionType.name(e.type()) + ", which the client did not ask for");
                }
            }
            if (selected == null && cookie == null) {
                // RFC 8446 §4.1.4: a HelloRetryRequest that would not change the ClientHello is illegal.
                throw TlsException.illegalParameter("HelloRetryRequest asks for no change");
            }
            ctx.suite = suite;
            ctx.helloRetry = true;
            ctx.transcript.useHash(suite.hashName());
            ctx.transcript.replaceWithMessageHash();
            ctx.transcript.add(message);
            ctx.note("HelloRetryRequest: server wants a key share for " + selected + " (RFC 8446 4.1.4)");
            Map<NamedGroup, KeyShare> newShares = new LinkedHashMap<>();
            if (selected != null) {
                newShares.put(selected, ctx.crypto.generateKeyShare(selected, ctx.config.random()));
            } else {
                newShares.putAll(shares);
            }
            if (sent.legacySessionId().length > 0) {
                ctx.sendChangeCipherSpecOnce();
            }
            ClientHello second = buildClientHello(ctx, sent.random(), sent.legacySessionId(), newShares, cookie);
            second = PskResumption.reoffer(ctx, second, suite); // RFC 8446 §4.1.2: binders over the new transcript
            ctx.send(second);
            return new ExpectServerHello(second, newShares, hrr);
        }

        private HandshakeState serverHello(HandshakeContext ctx, byte[] message, ServerHello sh, CipherSuite suite) throws TlsException {
            Extensions.KeyShareEntry serverShare = null;
            for (Extension e : sh.extensions()) {
                switch (e.type()) {
                    case ExtensionType.SUPPORTED_VERSIONS:
                        break;
                    case ExtensionType.KEY_SHARE:
                        serverShare = Extensions.decodeKeyShareServer(e);
                        break;
                    case ExtensionType.PRE_SHARED_KEY:
                        PskResumption.accepted(ctx, e, suite);
                        break;
                    default:
                        throw new TlsException(Alert.UNSUPPORTED_EXTENSION, "ServerHello carries "
                                + ExtensionType.name(e.type()) + ", which the client did not ask for");
                }
            }
            if (serverShare == null) {
                throw new TlsException(Alert.MISSING_EXTENSION, "ServerHello has no key_share (and no PSK was offered)");
            }
            NamedGroup group = NamedGroup.of(serverShare.group());
            KeyShare mine = group == null ? null : shares.get(group);
            if (mine == null) {
                throw TlsException.illegalParameter(String.format("server key share is for group 0x%04x, which the client did not send",
                        serverShare.group()));
            }
            byte[] shared = mine.agree(serverShare.keyExchange());
            ctx.version = ProtocolVersion.TLS_1_3;
            ctx.suite = suite;
            ctx.group = group;
            ctx.transcript.useHash(suite.hashName());
            ctx.transcript.add(message);
            ctx.note("ServerHello: TLS 1.3, " + suite + ", key exchange " + group);
            ctx.deriveHandshakeSecrets(shared);
            ctx.setReadKeys(ctx.serverHandshakeSecret);
            if (sent.legacySessionId().length > 0) {
                ctx.sendChangeCipherSpecOnce();
            }
            ctx.setWriteKeys(ctx.clientHandshakeSecret);
            return new ExpectEncryptedExtensions(sent);
        }
    }

    static String versionName(int code) {
        ProtocolVersion v = ProtocolVersion.of(code);
        return v == null ? String.format("0x%04x", code) : v.displayName();
    }

    /** Waits for EncryptedExtensions: ALPN and the other answers to the client's extensions. */
    static final class ExpectEncryptedExtensions implements HandshakeState {
        private final ClientHello sent;

        ExpectEncryptedExtensions(ClientHello sent) {
            this.sent = sent;
        }

        @Override
        public HandshakeState handle(HandshakeContext ctx, byte[] message) throws TlsException {
            if ((message[0] & 0xFF) != HandshakeType.ENCRYPTED_EXTENSIONS) {
                throw HandshakeState.unexpected(this, message);
            }
            ctx.received(message);
            EncryptedExtensions ee = EncryptedExtensions.decode(HandshakeContext.body(message));
            for (Extension e : ee.extensions()) {
                if (sent.extension(e.type()) == null) {
                    // RFC 8446 §4.2: a response to an extension the client never sent.
                    throw new TlsException(Alert.UNSUPPORTED_EXTENSION, "EncryptedExtensions carries "
                            + ExtensionType.name(e.type()) + ", which the client did not ask for");
                }
                switch (e.type()) {
                    case ExtensionType.APPLICATION_LAYER_PROTOCOL_NEGOTIATION:
                        List<String> chosen = Extensions.decodeAlpn(e);
                        // RFC 7301 §3.1: exactly one protocol, one the client offered.
                        if (chosen.size() != 1 || !ctx.config.alpnProtocols().contains(chosen.get(0))) {
                            throw TlsException.illegalParameter("server selected ALPN " + chosen + ", which was not offered");
                        }
                        ctx.alpn = chosen.get(0);
                        break;
                    case ExtensionType.SERVER_NAME:
                        if (e.data().length != 0) {
                            throw TlsException.decodeError("server_name in EncryptedExtensions must be empty");
                        }
                        break;
                    case ExtensionType.SUPPORTED_GROUPS:
                        break; // the server's preferences, for next time (RFC 8446 §4.2.7)
                    case ExtensionType.SUPPORTED_VERSIONS:
                    case ExtensionType.KEY_SHARE:
                    case ExtensionType.SIGNATURE_ALGORITHMS:
                    case ExtensionType.SIGNATURE_ALGORITHMS_CERT:
                    case ExtensionType.PSK_KEY_EXCHANGE_MODES:
                    case ExtensionType.COOKIE:
                        throw TlsException.illegalParameter(ExtensionType.name(e.type()) + " is not allowed in EncryptedExtensions");
                    default:
                        break;
                }
            }
            ctx.transcript.add(message);
            // RFC 8446 §2.2: when resuming with a PSK the server sends no Certificate or CertificateVerify.
            return ctx.psk != null ? new ExpectFinished(null) : new ExpectCertificateOrCertificateRequest();
        }
    }

    /** The server may ask for a client certificate before sending its own. */
    static final class ExpectCertificateOrCertificateRequest implements HandshakeState {
        @Override
        public HandshakeState handle(HandshakeContext ctx, byte[] message) throws TlsException {
            int type = message[0] & 0xFF;
            if (type == HandshakeType.CERTIFICATE_REQUEST) {
                ctx.received(message);
                CertificateRequest request = CertificateRequest.decode(HandshakeContext.body(message));
                if (request.certificateRequestContext().length != 0) {
                    throw TlsException.illegalParameter("CertificateRequest context must be empty during the handshake");
                }
                if (request.extension(ExtensionType.SIGNATURE_ALGORITHMS) == null) {
                    throw new TlsException(Alert.MISSING_EXTENSION, "CertificateRequest without signature_algorithms");
                }
                ctx.transcript.add(message);
                ClientAuthentication.tls13Requested(ctx, request);
                return new ExpectCertificate(request);
            }
            if (type == HandshakeType.CERTIFICATE) {
                return new ExpectCertificate(null).handle(ctx, message);
            }
            throw HandshakeState.unexpected(this, message);
        }
    }

    /** The server's certificate chain, checked against the trust anchors and the host name. */
    static final class ExpectCertificate implements HandshakeState {
        private final CertificateRequest request;

        ExpectCertificate(CertificateRequest request) {
            this.request = request;
        }

        @Override
        public HandshakeState handle(HandshakeContext ctx, byte[] message) throws TlsException {
            if ((message[0] & 0xFF) != HandshakeType.CERTIFICATE) {
                throw HandshakeState.unexpected(this, message);
            }
            ctx.received(message);
            CertificateMessage cm = CertificateMessage.decode(HandshakeContext.body(message));
            if (cm.certificateRequestContext().length != 0) {
                throw TlsException.illegalParameter("server Certificate must have an empty request context");
            }
            if (cm.entries().isEmpty()) {
                // RFC 8446 §4.4.2.4: an empty server Certificate is decode_error.
                throw TlsException.decodeError("server sent an empty Certificate message");
            }
            ctx.acceptPeerChain(HandshakeContext.parseCertificates(cm), null);
            ctx.transcript.add(message);
            return new ExpectCertificateVerify(request);
        }
    }

    /** Proof that the server holds the certificate's private key, over the transcript so far. */
    static final class ExpectCertificateVerify implements HandshakeState {
        private final CertificateRequest request;

        ExpectCertificateVerify(CertificateRequest request) {
            this.request = request;
        }

        @Override
        public HandshakeState handle(HandshakeContext ctx, byte[] message) throws TlsException {
            if ((message[0] & 0xFF) != HandshakeType.CERTIFICATE_VERIFY) {
                throw HandshakeState.unexpected(this, message);
            }
            ctx.received(message);
            CertificateVerify cv = CertificateVerify.decode(HandshakeContext.body(message));
            SignatureScheme scheme = SignatureScheme.of(cv.algorithm());
            if (scheme == null || !scheme.usableInTls13Handshake() || !ctx.config.signatureSchemes().contains(scheme)) {
                throw TlsException.illegalParameter(String.format("server signed with scheme 0x%04x, which was not offered", cv.algorithm()));
            }
            PublicKey key = ctx.peerCertificates.get(0).getPublicKey();
            checkKeyMatchesScheme(key, scheme);
            byte[] content = CertificateVerify.signedContent(true, ctx.transcript.current());
            if (!ctx.crypto.verify(scheme, key, content, cv.signature())) {
                throw new TlsException(Alert.DECRYPT_ERROR, "server CertificateVerify signature (" + scheme + ") does not verify");
            }
            ctx.signatureScheme = scheme;
            ctx.transcript.add(message);
            return new ExpectFinished(request);
        }
    }

    /** RFC 8446 §4.2.3: the scheme must fit the certificate's key, and for ECDSA its curve. */
    static void checkKeyMatchesScheme(PublicKey key, SignatureScheme scheme) throws TlsException {
        String alg = key.getAlgorithm();
        boolean ok;
        switch (scheme.keyType()) {
            case "EC":
                ok = alg.equals("EC") && key instanceof ECPublicKey
                        && curveBits((ECPublicKey) key) == curveBitsOf(scheme.curve());
                break;
            case "RSA":
                ok = alg.equals("RSA");
                break;
            case "Ed25519":
                ok = alg.equals("Ed25519") || alg.equals("EdDSA");
                break;
            default:
                ok = false;
        }
        if (!ok) {
            throw TlsException.illegalParameter("signature scheme " + scheme + " does not fit the certificate's " + alg + " key");
        }
    }

    private static int curveBits(ECPublicKey key) {
        return key.getParams().getCurve().getField().getFieldSize();
    }

    private static int curveBitsOf(String curve) {
        return curve == null ? -1 : curve.equals("secp256r1") ? 256 : curve.equals("secp384r1") ? 384 : 521;
    }

    /** The server's Finished; then the client sends its own and the handshake is done. */
    static final class ExpectFinished implements HandshakeState {
        private final CertificateRequest request;

        ExpectFinished(CertificateRequest request) {
            this.request = request;
        }

        @Override
        public HandshakeState handle(HandshakeContext ctx, byte[] message) throws TlsException {
            if ((message[0] & 0xFF) != HandshakeType.FINISHED) {
                throw HandshakeState.unexpected(this, message);
            }
            ctx.received(message);
            Finished finished = Finished.decode(HandshakeContext.body(message), ctx.suite.hashLength());
            byte[] expected = ctx.keys.finishedVerifyData(ctx.serverHandshakeSecret, ctx.transcript.current());
            if (!MessageDigest.isEqual(expected, finished.verifyData())) {
                throw new TlsException(Alert.DECRYPT_ERROR, "server Finished does not match the transcript");
            }
            ctx.transcript.add(message);
            ctx.deriveApplicationSecrets();
            if (request != null) {
                ClientAuthentication.sendTls13(ctx); // RFC 8446 §4.4.2: Certificate (maybe empty), CertificateVerify
            }
            byte[] verifyData = ctx.keys.finishedVerifyData(ctx.clientHandshakeSecret, ctx.transcript.current());
            ctx.send(new Finished(verifyData));
            ctx.deriveResumptionSecret();
            ctx.setWriteKeys(ctx.clientApplicationSecret);
            ctx.setReadKeys(ctx.serverApplicationSecret);
            ctx.handshakeComplete = true;
            ctx.note("handshake complete: " + ctx.summary().oneLine());
            return new Connected();
        }
    }
}
