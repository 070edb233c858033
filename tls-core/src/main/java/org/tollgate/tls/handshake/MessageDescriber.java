package org.tollgate.tls.handshake;

import java.io.ByteArrayInputStream;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.SignatureScheme;
import org.tollgate.tls.TlsException;

/** One line in words for a handshake message, for traces and {@code --explain}. */
final class MessageDescriber {
    private MessageDescriber() {
    }

    static String describe(byte[] message, int hashLength) {
        return describe(message, hashLength, false);
    }

    static String describe(byte[] message, int hashLength, boolean tls12) {
        try {
            if (tls12) {
                switch (message[0] & 0xFF) {
                    case HandshakeType.CERTIFICATE: {
                        Tls12CertificateMessage m = Tls12CertificateMessage.decode(HandshakeContext.body(message));
                        return m.certificates().isEmpty() ? "no certificate" : certificate(m.asTls13());
                    }
                    case HandshakeType.SERVER_KEY_EXCHANGE: {
                        ServerKeyExchange ske = ServerKeyExchange.decode(HandshakeContext.body(message));
                        SignatureScheme s = SignatureScheme.of(ske.signatureScheme());
                        return "ECDHE " + groupName(ske.namedGroup()) + " public key " + ske.publicKey().length + " bytes, signed with "
                                + (s == null ? String.format("0x%04x", ske.signatureScheme()) : s);
                    }
                    case HandshakeType.CERTIFICATE_REQUEST:
                        return "certificate types, signature algorithms and "
                                + Tls12CertificateRequest.decode(HandshakeContext.body(message)).certificateAuthorities().size()
                                + " CA name(s)";
                    case HandshakeType.SERVER_HELLO_DONE:
                        return "end of the server's flight";
                    case HandshakeType.CLIENT_KEY_EXCHANGE:
                        return (message.length - 4) + " bytes: the RSA-encrypted premaster secret, or the client's ECDHE public key";
                    case HandshakeType.NEW_SESSION_TICKET: {
                        Tls12NewSessionTicket t = Tls12NewSessionTicket.decode(HandshakeContext.body(message));
                        return "lifetime hint " + t.lifetimeHint() + "s, ticket " + t.ticket().length + " bytes (RFC 5077)";
                    }
                    default:
                        break;
                }
            }
            switch (message[0] & 0xFF) {
                case HandshakeType.CLIENT_HELLO:
                    return clientHello(ClientHello.decode(HandshakeContext.body(message)));
                case HandshakeType.SERVER_HELLO:
                    return serverHello(ServerHello.decode(HandshakeContext.body(message)));
                case HandshakeType.ENCRYPTED_EXTENSIONS:
                    return "extensions " + names(EncryptedExtensions.decode(HandshakeContext.body(message)).extensions());
                case HandshakeType.CERTIFICATE:
                    return certificate(CertificateMessage.decode(HandshakeContext.body(message)));
                case HandshakeType.CERTIFICATE_REQUEST:
                    return "extensions " + names(CertificateRequest.decode(HandshakeContext.body(message)).extensions());
                case HandshakeType.CERTIFICATE_VERIFY: {
                    CertificateVerify cv = CertificateVerify.decode(HandshakeContext.body(message));
                    SignatureScheme s = SignatureScheme.of(cv.algorithm());
                    return "signature " + (s == null ? String.format("0x%04x", cv.algorithm()) : s) + ", " + cv.signature().length + " bytes";
                }
                case HandshakeType.FINISHED:
                    return "verify_data " + HexFormat.of().formatHex(message, 4, Math.min(message.length, 4 + 8)) + "...";
                case HandshakeType.NEW_SESSION_TICKET: {
                    NewSessionTicket t = NewSessionTicket.decode(HandshakeContext.body(message));
                    return "lifetime " + t.ticketLifetime() + "s, ticket " + t.ticket().length + " bytes";
                }
                case HandshakeType.KEY_UPDATE:
                    return KeyUpdate.decode(HandshakeContext.body(message)).updateRequested() ? "update_requested" : "update_not_requested";
                default:
                    return (message.length - 4) + " bytes";
            }
        } catch (TlsException | RuntimeException e) {
            return "undecodable: " + e.getMessage();
        }
    }

    private static String clientHello(ClientHello ch) throws TlsException {
        List<String> suites = new ArrayList<>();
        for (int c : ch.cipherSuites()) {
            CipherSuite s = CipherSuite.of(c);
            suites.add(s == null ? String.format("0x%04x", c) : s.ianaName());
        }
        StringBuilder b = new StringBuilder();
        b.append("random ").append(HexFormat.of().formatHex(ch.random(), 0, 8)).append("...");
        b.append(", session id ").append(ch.legacySessionId().length).append(" bytes");
        b.append(", suites ").append(suites);
        Extension sni = ch.extension(ExtensionType.SERVER_NAME);
        if (sni != null) {
            b.append(", server_name ").append(Extensions.decodeServerNameClient(sni));
        }
        Extension shares = ch.extension(ExtensionType.KEY_SHARE);
        if (shares != null) {
            List<String> groups = new ArrayList<>();
            for (Extensions.KeyShareEntry e : Extensions.decodeKeyShareClient(shares)) {
                groups.add(groupName(e.group()));
            }
            b.append(", key shares ").append(groups);
        }
        b.append(", extensions ").append(names(ch.extensions()));
        return b.toString();
    }

    private static String serverHello(ServerHello sh) throws TlsException {
        CipherSuite s = CipherSuite.of(sh.cipherSuite());
        StringBuilder b = new StringBuilder();
        b.append(sh.isHelloRetryRequest() ? "HelloRetryRequest, " : "random ")
                .append(sh.isHelloRetryRequest() ? "" : HexFormat.of().formatHex(sh.random(), 0, 8) + "..., ");
        b.append("suite ").append(s == null ? String.format("0x%04x", sh.cipherSuite()) : s.ianaName());
        Extension ks = sh.extension(ExtensionType.KEY_SHARE);
        if (ks != null) {
            b.append(", key share ").append(groupName(sh.isHelloRetryRequest()
                    ? Extensions.decodeKeyShareHelloRetry(ks) : Extensions.decodeKeyShareServer(ks).group()));
        }
        b.append(", extensions ").append(names(sh.extensions()));
        return b.toString();
    }

    private static String certificate(CertificateMessage cm) {
        List<String> subjects = new ArrayList<>();
        for (CertificateMessage.Entry e : cm.entries()) {
            try {
                X509Certificate c = (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(e.certData()));
                subjects.add(c.getSubjectX500Principal().getName());
            } catch (Exception ex) {
                subjects.add("unparsable certificate");
            }
        }
        return cm.entries().size() + " certificate(s) " + subjects;
    }

    private static String groupName(int code) {
        NamedGroup g = NamedGroup.of(code);
        return g == null ? String.format("0x%04x", code) : g.rfcName();
    }

    private static List<String> names(List<Extension> extensions) {
        List<String> out = new ArrayList<>();
        for (Extension e : extensions) {
            out.add(ExtensionType.name(e.type()));
        }
        return out;
    }
}
