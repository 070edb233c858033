package org.tollgate.tls.handshake;

import java.security.MessageDigest;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.tollgate.tls.Alert;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.SignatureScheme;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.cert.CertifiedKey;
import org.tollgate.tls.crypto.KeyShare;

/**
 * The server side of the TLS 1.3 handshake (RFC 8446 §2):
 *
 * <pre>
 * ClientHello  -->  (HelloRetryRequest, if no usable key share; then ClientHello again)
 *                   ServerHello, {EncryptedExtensions}, {CertificateRequest}?, {Certificate}, {CertificateVerify}, {Finished}
 * {Certificate}?, {CertificateVerify}?  (mutual TLS, see ClientAuthentication)
 * {Finished}   -->
 * </pre>
 *
 * Every choice is the server's preference: the first of its configured suites, groups and
 * ALPN protocols that the client also offers.
 */
public final class ServerHandshake {
    private ServerHandshake() {
    }

    public static HandshakeState start() {
        return new ExpectClientHello(null);
    }

    /** Waits for a ClientHello (a second one after a HelloRetryRequest). */
    static final class ExpectClientHello implements HandshakeState {
        /** The HelloRetryRequest already sent, or null on the first ClientHello. */
        private final Retry retry;

        record Retry(CipherSuite suite, NamedGroup group, ClientHello first) {
        }

        ExpectClientHello(Retry retry) {
            this.retry = retry;
        }

        @Override
        public String name() {
            return retry == null ? "ExpectClientHello" : "ExpectClientHelloAfterRetry";
        }

        @Override
        public HandshakeState handle(HandshakeContext ctx, byte[] message) throws TlsException {
            if ((message[0] & 0xFF) != HandshakeType.CLIENT_HELLO) {
                throw HandshakeState.unexpected(this, message);
            }
            ctx.firstClientHelloSeen = true;
            ctx.received(message);
            ClientHello ch = ClientHello.decode(HandshakeContext.body(message));
            if (retry == null) {
                ctx.clientRandom = ch.random();
            } else if (!MessageDigest.isEqual(ch.random(), retry.first().random())
                    || !MessageDigest.isEqual(ch.legacySessionId(), retry.first().legacySessionId())) {
                // RFC 8446 §4.1.2: the second ClientHello repeats the first except for the retried parts.
                throw TlsException.illegalParameter("second ClientHello changed its random or session id");
            }

            ProtocolVersion version = negotiateVersion(ctx, ch);
            if (version == ProtocolVersion.TLS_1_2) {
                if (retry != null) {
                    throw TlsException.illegalParameter("second ClientHello no longer offers TLS 1.3");
                }
                return Tls12ServerHandshake.clientHello(ctx, message, ch);
            }
            ctx.version = ProtocolVersion.TLS_1_3;
            // RFC 8446 §4.1.2: legacy_compression_methods is exactly one byte, 0.
            if (ch.legacyCompressionMethods().length != 1 || ch.legacyCompressionMethods()[0] != 0) {
                throw TlsException.illegalParameter("TLS 1.3 ClientHello must offer only the null compression method");
            }

            CipherSuite suite = chooseSuite(ctx, ch);
            if (retry != null && suite != retry.suite()) {
                throw TlsException.illegalParameter("second ClientHello leads to another cipher suite");
            }

            // RFC 8446 §9.2: certificate authentication needs signature_algorithms.
            Extension sigAlgsExt = ch.extension(ExtensionType.SIGNATURE_ALGORITHMS);
            if (sigAlgsExt == null) {
                throw new TlsException(Alert.MISSING_EXTENSION, "ClientHello has no signature_algorithms extension");
            }
            List<Integer> clientSchemes = Extensions.decodeU16List(sigAlgsExt);

            Extension groupsExt = ch.extension(ExtensionType.SUPPORTED_GROUPS);
            Extension sharesExt = ch.extension(ExtensionType.KEY_SHARE);
            if (groupsExt == null || sharesExt == null) {
                // RFC 8446 §9.2: supported_groups and key_share go together, and without a PSK both are needed.
                throw new TlsException(Alert.MISSING_EXTENSION, "ClientHello needs both supported_groups and key_share");
            }
            List<Integer> clientGroups = Extensions.decodeU16List(groupsExt);
            List<Extensions.KeyShareEntry> clientShares = Extensions.decodeKeyShareClient(sharesExt);
            for (Extensions.KeyShareEntry e : clientShares) {
                if (!clientGroups.contains(e.group())) {
                    throw TlsException.illegalParameter(String.format("key share for group 0x%04x not in supported_groups", e.group()));
                }
            }
            NamedGroup group = null;
            for (NamedGroup g : ctx.config.groups()) {
                if (clientGroups.contains(g.code())) {
                    group = g;
                    break;
                }
            }
            if (group == null) {
                throw TlsException.handshakeFailure("no key exchange group in common: client offers "
                        + groupNames(clientGroups) + ", server allows " + ctx.config.groups());
            }
            Extensions.KeyShareEntry clientShare = null;
            for (Extensions.KeyShareEntry e : clientShares) {
                if (e.group() == group.code()) {
                    clientShare = e;
                }
            }
            if (clientShare == null) {
                if (retry != null) {
                    throw TlsException.illegalParameter("second ClientHello still has no key share for " + group);
                }
                return helloRetryRequest(ctx, message, ch, suite, group);
            }
            if (retry != null && group != retry.group()) {
                throw TlsException.illegalParameter("second ClientHello answers with another group than requested");
            }

            // RFC 6066 §3: server_name picks the certificate.
            Extension sniExt = ch.extension(ExtensionType.SERVER_NAME);
            String sni = sniExt == null ? null : Extensions.decodeServerNameClient(sniExt);
            ctx.serverName = sni;

            negotiateAlpn(ctx, ch);

            // RFC 8446 §4.2.11: a ticket that opens and whose binder verifies replaces the certificate.
            PskResumption.Accepted psk = PskResumption.accept(ctx, ch, message, suite, retry != null);
            Choice cert = psk == null ? chooseCertificate(ctx, sni, clientSchemes) : null;

            // Hash the ClientHello now that the suite fixes the hash.
            ctx.suite = suite;
            ctx.group = group;
            if (retry == null) {
                ctx.transcript.useHash(suite.hashName());
            }
            ctx.transcript.add(message);
            ctx.note("ClientHello: chose " + suite + " and " + group + " (server preference)"
                    + (sni == null ? "" : ", server name " + sni) + (ctx.alpn == null ? "" : ", ALPN " + ctx.alpn));

            KeyShare serverShare = ctx.crypto.generateKeyShare(group, ctx.config.random());
            byte[] shared = serverShare.agree(clientShare.keyExchange());
            byte[] random = new byte[32];
            ctx.config.random().nextBytes(random);
            List<Extension> shExtensions = new ArrayList<>(List.of(
                    Extensions.supportedVersionsServer(ProtocolVersion.TLS_1_3.code()),
                    Extensions.keyShareServer(new Extensions.KeyShareEntry(group.code(), serverShare.publicKey()))));
            if (psk != null) {
                shExtensions.add(PskResumption.serverExtension(psk));
            }
            ServerHello sh = new ServerHello(0x0303, random, ch.legacySessionId(), suite.code(), 0, shExtensions);
            ctx.send(sh);
            if (ch.legacySessionId().length > 0) {
                ctx.sendChangeCipherSpecOnce(); // RFC 8446 D.4: the client is in compatibility mode
            }
            ctx.deriveHandshakeSecrets(shared);
            ctx.setWriteKeys(ctx.serverHandshakeSecret);
            ctx.setReadKeys(ctx.clientHandshakeSecret);

            List<Extension> ee = new ArrayList<>();
            if (ctx.alpn != null) {
                ee.add(Extensions.alpn(List.of(ctx.alpn)));
            }
            if (cert != null && cert.nameMatched()) {
                ee.add(new Extension(ExtensionType.SERVER_NAME, new byte[0])); // RFC 6066 §3: name was used
            }
            ctx.send(new EncryptedExtensions(ee));
            if (cert != null) { // a PSK handshake skips Certificate and CertificateVerify (RFC 8446 §2.2)
                if (ClientAuthentication.requested(ctx)) {
                    ctx.send(ClientAuthentication.tls13Request(ctx)); // RFC 8446 §4.3.2
                }
                ctx.send(certificateMessage(cert.key()));
                ctx.signatureScheme = cert.scheme();
                byte[] content = CertificateVerify.signedContent(true, ctx.transcript.current());
                byte[] signature = ctx.crypto.sign(cert.scheme(), cert.key().privateKey(), content, ctx.config.random());
                ctx.send(new CertificateVerify(cert.scheme().code(), signature));
            }
            ctx.send(new Finished(ctx.keys.finishedVerifyData(ctx.serverHandshakeSecret, ctx.transcript.current())));
            ctx.deriveApplicationSecrets();
            ctx.setWriteKeys(ctx.serverApplicationSecret);
            return cert != null && ClientAuthentication.requested(ctx) // RFC 8446 §4.3.2: never with a PSK
                    ? new ClientAuthentication.ExpectClientCertificate(true, new ExpectClientFinished())
                    : new ExpectClientFinished();
        }

        private HandshakeState helloRetryRequest(HandshakeContext ctx, byte[] message, ClientHello ch,
                                                 CipherSuite suite, NamedGroup group) throws TlsException {
            ctx.suite = suite;
            ctx.helloRetry = true;
            ctx.transcript.add(message);
            ctx.transcript.useHash(suite.hashName());
            ctx.transcript.replaceWithMessageHash();
            ctx.note("ClientHello has no key share for " + group + ": sending HelloRetryRequest (RFC 8446 4.1.4)");
            ServerHello hrr = new ServerHello(0x0303, ServerHello.HELLO_RETRY_REQUEST_RANDOM, ch.legacySessionId(),
                    suite.code(), 0, List.of(Extensions.supportedVersionsServer(ProtocolVersion.TLS_1_3.code()),
                    Extensions.keyShareHelloRetry(group.code())));
            ctx.send(hrr);
            if (ch.legacySessionId().length > 0) {
                ctx.sendChangeCipherSpecOnce();
            }
            return new ExpectClientHello(new Retry(suite, group, ch));
        }
    }

    /** RFC 7507 §2: TLS_FALLBACK_SCSV, sent by a client retrying with a lower version than it supports. */
    static final int TLS_FALLBACK_SCSV = 0x5600;

    /**
     * Picks the version (RFC 8446 §4.2.1, RFC 5246 Appendix E.1): from supported_versions when
     * the client sends it (legacy_version is then ignored), else legacy_version is the
     * client's highest version. TLS 1.3 when both sides have it, else TLS 1.2, else
     * protocol_version: SSL 3.0, TLS 1.0 and TLS 1.1 are never spoken (RFC 8996).
     */
    static ProtocolVersion negotiateVersion(HandshakeContext ctx, ClientHello ch) throws TlsException {
        Extension versionsExt = ch.extension(ExtensionType.SUPPORTED_VERSIONS);
        List<Integer> offered = versionsExt == null ? null : Extensions.decodeSupportedVersionsClient(versionsExt);
        boolean client13 = offered != null && offered.contains(ProtocolVersion.TLS_1_3.code());
        boolean client12 = offered != null ? offered.contains(ProtocolVersion.TLS_1_2.code()) : ch.legacyVersion() >= 0x0303;
        boolean server13 = ctx.config.isEnabled(ProtocolVersion.TLS_1_3);
        boolean server12 = ctx.config.isEnabled(ProtocolVersion.TLS_1_2);
        ProtocolVersion chosen = client13 && server13 ? ProtocolVersion.TLS_1_3
                : client12 && server12 ? ProtocolVersion.TLS_1_2 : null;
        if (chosen == null) {
            List<String> ours = new ArrayList<>();
            for (ProtocolVersion v : List.of(ProtocolVersion.TLS_1_3, ProtocolVersion.TLS_1_2)) {
                if (ctx.config.isEnabled(v)) {
                    ours.add(v.displayName().replace("TLSv", "TLS "));
                }
            }
            throw new TlsException(Alert.PROTOCOL_VERSION, "client offers only "
                    + (offered == null ? ClientHandshake.versionName(ch.legacyVersion()) + " and older"
                    : offered.stream().map(ClientHandshake::versionName).collect(Collectors.joining(", ")))
                    + "; this server speaks " + String.join(" and ", ours));
        }
        // RFC 7507 §3: a fallback retry below the server's highest version means someone
        // interfered with the first attempt: inappropriate_fallback.
        ProtocolVersion highest = server13 ? ProtocolVersion.TLS_1_3 : ProtocolVersion.TLS_1_2;
        if (ch.cipherSuites().contains(TLS_FALLBACK_SCSV) && chosen.code() < highest.code()) {
            throw new TlsException(Alert.INAPPROPRIATE_FALLBACK, "client signals a fallback (TLS_FALLBACK_SCSV) to "
                    + chosen + ", but this server supports " + highest + ": the first attempt was interfered with");
        }
        return chosen;
    }

    /** RFC 7301 §3.2: the server picks one protocol it supports, or fails with no_application_protocol. */
    static void negotiateAlpn(HandshakeContext ctx, ClientHello ch) throws TlsException {
        Extension alpnExt = ch.extension(ExtensionType.APPLICATION_LAYER_PROTOCOL_NEGOTIATION);
        if (alpnExt != null && !ctx.config.alpnProtocols().isEmpty()) {
            List<String> offered = Extensions.decodeAlpn(alpnExt);
            for (String p : ctx.config.alpnProtocols()) {
                if (offered.contains(p)) {
                    ctx.alpn = p;
                    break;
                }
            }
            if (ctx.alpn == null) {
                throw new TlsException(Alert.NO_APPLICATION_PROTOCOL, "no application protocol in common: client offers "
                        + offered + ", server allows " + ctx.config.alpnProtocols());
            }
        }
    }

    private static CipherSuite chooseSuite(HandshakeContext ctx, ClientHello ch) throws TlsException {
        for (CipherSuite s : ctx.config.cipherSuites()) {
            if (s.isTls13() && ch.cipherSuites().contains(s.code())) {
                return s;
            }
        }
        List<String> offered = new ArrayList<>();
        for (int code : ch.cipherSuites()) {
            CipherSuite s = CipherSuite.of(code);
            if (s != null && s.isTls13()) {
                offered.add(s.ianaName());
            }
        }
        List<CipherSuite> ours = new ArrayList<>();
        for (CipherSuite s : ctx.config.cipherSuites()) {
            if (s.isTls13()) {
                ours.add(s);
            }
        }
        throw TlsException.handshakeFailure("no cipher suite in common: client offers "
                + (offered.isEmpty() ? "no TLS 1.3 suite" : offered.toString()) + ", server allows " + ours);
    }

    private static String groupNames(List<Integer> codes) {
        List<String> names = new ArrayList<>();
        for (int c : codes) {
            NamedGroup g = NamedGroup.of(c);
            names.add(g == null ? String.format("0x%04x", c) : g.rfcName());
        }
        return names.toString();
    }

    record Choice(CertifiedKey key, SignatureScheme scheme, boolean nameMatched) {
    }

    /**
     * Picks the certificate for the requested name whose key can sign with a scheme the client
     * accepts; without a match, the default (first usable) certificate. RFC 6066 §3 allows an
     * unrecognized_name warning here, but RFC 8446 §6 makes every alert except close_notify and
     * user_canceled fatal in TLS 1.3, so a TLS 1.3 server goes on silently.
     */
    private static Choice chooseCertificate(HandshakeContext ctx, String sni, List<Integer> clientSchemes) throws TlsException {
        Choice fallback = null;
        for (CertifiedKey key : ctx.config.certificates()) {
            SignatureScheme scheme = schemeFor(ctx, key, clientSchemes);
            if (scheme == null) {
                continue;
            }
            if (sni != null && key.matchesServerName(sni)) {
                return new Choice(key, scheme, true);
            }
            if (fallback == null) {
                fallback = new Choice(key, scheme, false);
            }
        }
        if (fallback == null) {
            if (ctx.config.certificates().isEmpty()) {
                throw TlsException.internalError("server has no certificate configured", null);
            }
            throw TlsException.handshakeFailure("no certificate can sign with the client's signature algorithms "
                    + schemeNames(clientSchemes));
        }
        if (sni != null) {
            ctx.note("no certificate for " + sni + ": using the default certificate");
        }
        return fallback;
    }

    static SignatureScheme schemeFor(HandshakeContext ctx, CertifiedKey key, List<Integer> clientSchemes) {
        for (SignatureScheme s : key.signatureSchemes()) {
            if (s.usableInTls13Handshake() && clientSchemes.contains(s.code()) && ctx.config.signatureSchemes().contains(s)) {
                return s;
            }
        }
        return null;
    }

    private static String schemeNames(List<Integer> codes) {
        List<String> names = new ArrayList<>();
        for (int c : codes) {
            SignatureScheme s = SignatureScheme.of(c);
            names.add(s == null ? String.format("0x%04x", c) : s.rfcName());
        }
        return names.toString();
    }

    static CertificateMessage certificateMessage(CertifiedKey key) throws TlsException {
        List<CertificateMessage.Entry> entries = new ArrayList<>();
        try {
            for (X509Certificate c : key.chain()) {
                entries.add(new CertificateMessage.Entry(c.getEncoded(), List.of()));
            }
        } catch (CertificateEncodingException e) {
            throw TlsException.internalError("cannot encode the server certificate", e);
        }
        return new CertificateMessage(new byte[0], entries);
    }

    /** The client's Finished proves it saw the same handshake; then application data may flow. */
    static final class ExpectClientFinished implements HandshakeState {
        @Override
        public HandshakeState handle(HandshakeContext ctx, byte[] message) throws TlsException {
            if ((message[0] & 0xFF) == HandshakeType.CERTIFICATE) {
                throw TlsException.unexpectedMessage("client sent a Certificate that was not requested");
            }
            if ((message[0] & 0xFF) != HandshakeType.FINISHED) {
                throw HandshakeState.unexpected(this, message);
            }
            ctx.received(message);
            Finished finished = Finished.decode(HandshakeContext.body(message), ctx.suite.hashLength());
            byte[] expected = ctx.keys.finishedVerifyData(ctx.clientHandshakeSecret, ctx.transcript.current());
            if (!MessageDigest.isEqual(expected, finished.verifyData())) {
                throw new TlsException(Alert.DECRYPT_ERROR, "client Finished does not match the transcript");
            }
            ctx.transcript.add(message);
            ctx.deriveResumptionSecret();
            ctx.setReadKeys(ctx.clientApplicationSecret);
            ctx.handshakeComplete = true;
            ctx.note("handshake complete: " + ctx.summary().oneLine());
            PskResumption.sendTickets(ctx);
            return new Connected();
        }
    }
}
