package org.tollgate.tls.handshake;

import java.lang.System.Logger.Level;
import java.security.PublicKey;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.function.Function;
import javax.security.auth.x500.X500Principal;
import org.tollgate.tls.Alert;
import org.tollgate.tls.ClientAuth;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.SignatureScheme;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.cert.CertifiedKey;

/**
 * Client certificates (mutual TLS), shared by the TLS 1.3 and TLS 1.2 state machines, which
 * only call in here at fixed points:
 *
 * <pre>
 * TLS 1.3 (RFC 8446 §4.3.2, §4.4.2-4.4.4)         TLS 1.2 (RFC 5246 §7.4.4, §7.4.6, §7.4.8)
 *   server: ... {EncryptedExtensions}               server: ... ServerKeyExchange?
 *           {CertificateRequest}                            CertificateRequest
 *           {Certificate} ... {Finished}                    ServerHelloDone
 *   client: {Certificate}                           client: Certificate
 *           {CertificateVerify}  (if not empty)             ClientKeyExchange
 *           {Finished}                                      CertificateVerify  (if not empty)
 *                                                           [ChangeCipherSpec] Finished
 * </pre>
 *
 * The server asks when {@link TlsConfig#clientAuth()} is WANT or NEED, naming its signature
 * algorithms and the subjects of {@link TlsConfig#clientVerifier()}'s trusted certificates as
 * the acceptable CAs. A chain that is sent is always checked (trust, validity, the clientAuth
 * extended key usage when present; never a host name), and a refusal is logged with its reason.
 * The client answers with the first of its {@link TlsConfig#certificates()} whose key can sign
 * with a scheme the server accepts, preferring one issued by a CA the server named; with none,
 * it sends an empty Certificate and the server decides.
 */
final class ClientAuthentication {
    private static final System.Logger LOG = System.getLogger(ClientAuthentication.class.getName());
    /** RFC 5246 §7.4.4 ClientCertificateType: rsa_sign(1), ecdsa_sign(64, RFC 8422 §5.5). */
    private static final byte RSA_SIGN = 1;
    private static final byte ECDSA_SIGN = 64;
    /** A CA list longer than this (a whole system trust store) is left out of the request. */
    private static final int MAX_CA_NAMES_BYTES = 32 * 1024;

    private ClientAuthentication() {
    }

    /** The client's answer to a CertificateRequest: its key and the scheme it will sign with. */
    record Credential(CertifiedKey key, SignatureScheme scheme) {
    }

    /** True when this endpoint may have to sign or check a TLS 1.2 CertificateVerify over the raw messages. */
    static boolean keepsTranscriptMessages(TlsConfig config, boolean client) {
        return config.isEnabled(ProtocolVersion.TLS_1_2)
                && (client ? !config.certificates().isEmpty() : config.clientAuth() != ClientAuth.NONE);
    }

    /** Server: true when the handshake includes a CertificateRequest. */
    static boolean requested(HandshakeContext ctx) {
        return !ctx.client && ctx.config.clientAuth() != ClientAuth.NONE;
    }

    // ------------------------------------------------------------------ server: asking

    /** RFC 8446 §4.3.2: an empty context, signature_algorithms (required) and certificate_authorities. */
    static CertificateRequest tls13Request(HandshakeContext ctx) {
        List<Integer> schemes = new ArrayList<>();
        for (SignatureScheme s : ctx.config.signatureSchemes()) {
            if (s.usableInTls13Handshake()) {
                schemes.add(s.code());
            }
        }
        List<Extension> extensions = new ArrayList<>();
        extensions.add(Extensions.u16List(ExtensionType.SIGNATURE_ALGORITHMS, schemes));
        List<byte[]> names = caNames(ctx);
        if (!names.isEmpty()) {
            extensions.add(Extensions.certificateAuthorities(names));
        }
        noteRequest(ctx, names);
        return new CertificateRequest(new byte[0], extensions);
    }

    /** RFC 5246 §7.4.4: certificate types, the signature algorithms we verify, the acceptable CAs. */
    static Tls12CertificateRequest tls12Request(HandshakeContext ctx) {
        List<Integer> schemes = new ArrayList<>();
        for (SignatureScheme s : Tls12ServerHandshake.tls12Schemes(ctx)) {
            schemes.add(s.code());
        }
        List<byte[]> names = caNames(ctx);
        noteRequest(ctx, names);
        return new Tls12CertificateRequest(new byte[] {RSA_SIGN, ECDSA_SIGN}, schemes, names);
    }

    private static List<byte[]> caNames(HandshakeContext ctx) {
        List<byte[]> names = new ArrayList<>();
        int total = 0;
        for (X500Principal p : ctx.config.clientVerifier().acceptedIssuers()) {
            byte[] der = p.getEncoded();
            total += 2 + der.length;
            names.add(der);
        }
        // RFC 8446 §4.2.4 / RFC 5246 §7.4.4: an empty list means "any CA", better than an oversized request.
        return total > MAX_CA_NAMES_BYTES ? List.of() : names;
    }

    private static void noteRequest(HandshakeContext ctx, List<byte[]> names) {
        List<String> subjects = new ArrayList<>();
        for (byte[] dn : names) {
            subjects.add(new X500Principal(dn).getName());
        }
        ctx.note("CertificateRequest: the server asks for a client certificate (client auth "
                + ctx.config.clientAuth() + ")" + (subjects.isEmpty() ? "" : ", issued by " + String.join("; ", subjects)));
    }

    // ------------------------------------------------------------------ server: checking

    /**
     * Checks the client's chain: an empty one is refused under NEED (RFC 8446 §4.4.2.4:
     * certificate_required; RFC 5246 §7.4.6: handshake_failure) and accepted under WANT; a
     * chain that does not verify is refused with the verifier's alert (unknown_ca,
     * bad_certificate, certificate_expired, unsupported_certificate).
     */
    static void checkChain(HandshakeContext ctx, List<X509Certificate> chain, boolean tls13) throws TlsException {
        if (chain.isEmpty()) {
            if (ctx.config.clientAuth() == ClientAuth.NEED) {
                String why = "the client sent no certificate, but this server requires one (client auth NEED)";
                LOG.log(Level.WARNING, "client certificate missing: {0}", why);
                throw tls13 ? new TlsException(Alert.CERTIFICATE_REQUIRED, why) : TlsException.handshakeFailure(why);
            }
            LOG.log(Level.INFO, "client certificate missing: the client sent none; going on without a client identity"
                    + " (client auth WANT)");
            ctx.note("the client sent an empty Certificate: no client identity (client auth WANT)");
            return;
        }
        try {
            ctx.acceptPeerChain(chain, null); // the same check as the client's on the server's chain
        } catch (TlsException e) {
            LOG.log(Level.WARNING, "client certificate refused ({0}): {1}", e.alert().rfcName(), e.getMessage());
            throw new TlsException(e.alert(), "client certificate refused: " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ server: resuming

    /**
     * Server, before resuming a session (TLS 1.3 ticket, TLS 1.2 ticket or session id): why the
     * client identity that the session remembers cannot stand under this server's policy now,
     * or null when it can. A resumed handshake has no Certificate from the client (RFC 8446
     * §4.3.2: no CertificateRequest with a PSK; RFC 5246 §7.3: none in the abbreviated
     * handshake), so a refusal here means a full handshake, which asks for a certificate again.
     *
     * <p>NEED and no remembered certificate is refused. A remembered chain must first be within
     * its validity period at {@link TlsConfig#clock()} (a date comparison per certificate, with
     * its own message), then pass {@link TlsConfig#clientVerifier()} again, as in a full
     * handshake: a client CA removed from the configuration stops the resumption of the
     * sessions it vouched for. That costs a certification path validation (one or two
     * signature checks) but no handshake signature and no CertificateVerify, and only for
     * sessions with a client certificate. Only the client's proof of its key is not repeated:
     * it holds the session's secret, which the original handshake bound to that proof.
     */
    static String resumptionRefusal(HandshakeContext ctx, List<X509Certificate> chain) {
        ClientAuth mode = ctx.config.clientAuth();
        if (chain.isEmpty()) {
            return mode == ClientAuth.NEED
                    ? "the original connection had no client certificate and this server requires one (client auth NEED)"
                    : null;
        }
        if (mode == ClientAuth.NONE) {
            return null; // resumed without the identity: see resumedIdentity
        }
        Date now = Date.from(ctx.config.clock().instant());
        for (X509Certificate c : chain) {
            try {
                c.checkValidity(now); // RFC 5280 §4.1.2.5
            } catch (CertificateExpiredException e) {
                return "client certificate " + c.getSubjectX500Principal().getName() + " expired at "
                        + c.getNotAfter().toInstant();
            } catch (CertificateNotYetValidException e) {
                return "client certificate " + c.getSubjectX500Principal().getName() + " is not valid until "
                        + c.getNotBefore().toInstant();
            }
        }
        try {
            ctx.config.clientVerifier().verify(chain, null, false);
        } catch (TlsException e) {
            return "the client certificate no longer verifies: " + e.getMessage();
        }
        return null;
    }

    /**
     * Server, resuming a session that {@link #resumptionRefusal} let through: the client identity
     * the connection reports (its {@code peerCertificates}) and a trace note saying where it came
     * from. A server that does not ask for client certificates (NONE) reports none, as its full
     * handshakes would.
     *
     * @param from what the session came from, for the note: "the ticket" or "the cached session"
     */
    static List<X509Certificate> resumedIdentity(HandshakeContext ctx, List<X509Certificate> chain, String from) {
        if (chain.isEmpty()) {
            if (requested(ctx)) {
                ctx.note("no client identity: the original connection sent no client certificate (client auth WANT)");
            }
            return List.of();
        }
        if (!requested(ctx)) {
            ctx.note("the session remembers client certificate " + chain.get(0).getSubjectX500Principal().getName()
                    + ", but this server does not ask for client certificates (client auth NONE): no client identity");
            return List.of();
        }
        // RFC 8446 §2.2, §4.6.1: the resumed connection inherits the original's authentication.
        ctx.note("client identity from " + from + ": " + chain.get(0).getSubjectX500Principal().getName()
                + ", authenticated with its certificate in the original handshake and still valid (valid until "
                + chain.get(0).getNotAfter().toInstant() + "); no CertificateRequest when resuming (RFC 8446 4.3.2)");
        return chain;
    }

    /** TLS 1.3: the client's Certificate, the first message of its second flight. */
    static final class ExpectClientCertificate implements HandshakeState {
        private final boolean tls13;
        private final HandshakeState next;

        /** {@code next}: TLS 1.3 the state after CertificateVerify (or after an empty Certificate); TLS 1.2 ClientKeyExchange. */
        ExpectClientCertificate(boolean tls13, HandshakeState next) {
            this.tls13 = tls13;
            this.next = next;
        }

        @Override
        public HandshakeState handle(HandshakeContext ctx, byte[] message) throws TlsException {
            if ((message[0] & 0xFF) != HandshakeType.CERTIFICATE) {
                if (!tls13 && ctx.config.clientAuth() == ClientAuth.NEED) {
                    // RFC 5246 §7.4.6: a client must answer a CertificateRequest, if only with an empty list.
                    LOG.log(Level.WARNING, "client certificate missing: the client skipped its Certificate message");
                }
                throw HandshakeState.unexpected(this, message);
            }
            ctx.received(message);
            List<X509Certificate> chain;
            if (tls13) {
                CertificateMessage cm = CertificateMessage.decode(HandshakeContext.body(message));
                if (cm.certificateRequestContext().length != 0) {
                    // RFC 8446 §4.4.2: the context echoes the CertificateRequest's, empty in the handshake.
                    throw TlsException.illegalParameter("client Certificate has a request context the server never sent");
                }
                chain = HandshakeContext.parseCertificates(cm);
            } else {
                chain = HandshakeContext.parseCertificates(Tls12CertificateMessage.decode(HandshakeContext.body(message)).asTls13());
            }
            checkChain(ctx, chain, tls13);
            ctx.transcript.add(message);
            return tls13 ? afterCertificate(ctx, true, next) : next;
        }
    }

    /** The client's CertificateVerify comes next when it sent a certificate. */
    static HandshakeState afterCertificate(HandshakeContext ctx, boolean tls13, HandshakeState next) {
        return requested(ctx) && !ctx.peerCertificates.isEmpty() ? new ExpectClientCertificateVerify(tls13, next) : next;
    }

    /**
     * Proof that the client holds its certificate's key: TLS 1.3 signs the transcript hash
     * with the client context string (RFC 8446 §4.4.3); TLS 1.2 signs all handshake messages
     * so far (RFC 5246 §7.4.8). A bad signature is decrypt_error.
     */
    static final class ExpectClientCertificateVerify implements HandshakeState {
        private final boolean tls13;
        private final HandshakeState next;

        ExpectClientCertificateVerify(boolean tls13, HandshakeState next) {
            this.tls13 = tls13;
            this.next = next;
        }

        @Override
        public HandshakeState handle(HandshakeContext ctx, byte[] message) throws TlsException {
            if ((message[0] & 0xFF) != HandshakeType.CERTIFICATE_VERIFY) {
                throw HandshakeState.unexpected(this, message);
            }
            ctx.received(message);
            CertificateVerify cv = CertificateVerify.decode(HandshakeContext.body(message));
            SignatureScheme scheme = SignatureScheme.of(cv.algorithm());
            PublicKey key = ctx.peerCertificates.get(0).getPublicKey();
            boolean offered = scheme != null && (tls13
                    ? scheme.usableInTls13Handshake() && ctx.config.signatureSchemes().contains(scheme)
                    : Tls12ServerHandshake.tls12Schemes(ctx).contains(scheme));
            if (!offered) {
                throw refused(TlsException.illegalParameter(String.format(
                        "client signed its CertificateVerify with scheme 0x%04x, which the server did not ask for", cv.algorithm())));
            }
            try {
                if (tls13) {
                    ClientHandshake.checkKeyMatchesScheme(key, scheme);
                } else if (!scheme.keyType().equals(key instanceof ECKey ? "EC" : key.getAlgorithm())) {
                    throw TlsException.illegalParameter("signature scheme " + scheme + " does not fit the client certificate's "
                            + key.getAlgorithm() + " key");
                }
            } catch (TlsException e) {
                throw refused(e);
            }
            byte[] signed = tls13 ? CertificateVerify.signedContent(false, ctx.transcript.current()) : ctx.transcript.messages();
            if (!ctx.crypto.verify(scheme, key, signed, cv.signature())) {
                throw refused(new TlsException(Alert.DECRYPT_ERROR, "client CertificateVerify signature (" + scheme
                        + ") does not verify with the key of " + ctx.peerCertificates.get(0).getSubjectX500Principal().getName()));
            }
            ctx.transcript.add(message);
            ctx.note("client CertificateVerify (" + scheme + ") verified: the client holds the certificate's private key");
            return next;
        }

        private static TlsException refused(TlsException e) {
            LOG.log(Level.WARNING, "client certificate refused ({0}): {1}", e.alert().rfcName(), e.getMessage());
            return e;
        }
    }

    // ------------------------------------------------------------------ client: answering

    /** TLS 1.3 client: remembers which certificate (if any) answers this CertificateRequest. */
    static void tls13Requested(HandshakeContext ctx, CertificateRequest request) throws TlsException {
        List<Integer> schemes = Extensions.decodeU16List(request.extension(ExtensionType.SIGNATURE_ALGORITHMS));
        Extension cas = request.extension(ExtensionType.CERTIFICATE_AUTHORITIES);
        List<byte[]> names = cas == null ? List.of() : Extensions.decodeCertificateAuthorities(cas);
        choose(ctx, names, key -> ServerHandshake.schemeFor(ctx, key, schemes));
    }

    /** TLS 1.2 client: the same, where the certificate type must be one the server listed too. */
    static void tls12Requested(HandshakeContext ctx, Tls12CertificateRequest request) {
        choose(ctx, request.certificateAuthorities(), key -> {
            byte type = key.leaf().getPublicKey() instanceof ECKey ? ECDSA_SIGN
                    : "RSA".equals(key.leaf().getPublicKey().getAlgorithm()) ? RSA_SIGN : 0;
            boolean typeAccepted = false;
            for (byte t : request.certificateTypes()) {
                typeAccepted |= t == type && type != 0;
            }
            return typeAccepted ? Tls12ServerHandshake.schemeFor(ctx, key, request.signatureSchemes()) : null;
        });
    }

    private static void choose(HandshakeContext ctx, List<byte[]> caNames, Function<CertifiedKey, SignatureScheme> schemeOf) {
        Credential chosen = null;
        for (CertifiedKey key : ctx.config.certificates()) {
            SignatureScheme scheme = schemeOf.apply(key);
            if (scheme == null) {
                continue;
            }
            if (issuedByOneOf(key, caNames)) {
                chosen = new Credential(key, scheme);
                break;
            }
            if (chosen == null) {
                chosen = new Credential(key, scheme);
            }
        }
        ctx.clientCredential = chosen;
        ctx.note("server requests a client certificate; " + (chosen != null
                ? "this client answers with " + chosen.key().leaf().getSubjectX500Principal().getName()
                        + ", signing with " + chosen.scheme()
                : ctx.config.certificates().isEmpty() ? "this client has none and will send an empty Certificate"
                        : "none of this client's certificates fits the request: it will send an empty Certificate"));
    }

    /** RFC 8446 §4.2.4: a chain with a certificate issued by (or being) one of the named CAs; any chain when none is named. */
    private static boolean issuedByOneOf(CertifiedKey key, List<byte[]> caNames) {
        if (caNames.isEmpty()) {
            return true;
        }
        for (X509Certificate c : key.chain()) {
            for (byte[] dn : caNames) {
                if (Arrays.equals(dn, c.getIssuerX500Principal().getEncoded())
                        || Arrays.equals(dn, c.getSubjectX500Principal().getEncoded())) {
                    return true;
                }
            }
        }
        return false;
    }

    /** TLS 1.3 client, after the server's Finished: Certificate, then CertificateVerify when it is not empty. */
    static void sendTls13(HandshakeContext ctx) throws TlsException {
        Credential c = ctx.clientCredential;
        if (c == null) {
            // RFC 8446 §4.4.2: a client without a suitable certificate sends an empty Certificate.
            ctx.send(new CertificateMessage(new byte[0], List.of()));
            return;
        }
        ctx.send(ServerHandshake.certificateMessage(c.key()));
        byte[] content = CertificateVerify.signedContent(false, ctx.transcript.current());
        ctx.send(new CertificateVerify(c.scheme().code(), ctx.crypto.sign(c.scheme(), c.key().privateKey(), content,
                ctx.config.random())));
    }

    /** TLS 1.2 client, right after ServerHelloDone (RFC 5246 §7.4.6): the chain, or an empty list. */
    static void sendTls12Certificate(HandshakeContext ctx) throws TlsException {
        Credential c = ctx.clientCredential;
        ctx.send(c == null ? new Tls12CertificateMessage(List.of()) : Tls12ServerHandshake.certificateMessage(c.key()));
    }

    /** TLS 1.2 client, after ClientKeyExchange (RFC 5246 §7.4.8): signs every handshake message so far. */
    static void sendTls12CertificateVerify(HandshakeContext ctx) throws TlsException {
        Credential c = ctx.clientCredential;
        if (c != null) {
            byte[] signature = ctx.crypto.sign(c.scheme(), c.key().privateKey(), ctx.transcript.messages(), ctx.config.random());
            ctx.send(new CertificateVerify(c.scheme().code(), signature));
        }
    }
}
