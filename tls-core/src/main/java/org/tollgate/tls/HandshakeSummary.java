package org.tollgate.tls;

import java.security.cert.X509Certificate;
import java.util.List;

/**
 * What a finished handshake agreed on. {@code group} is null for a handshake without
 * (EC)DHE (TLS 1.2 RSA key exchange); {@code signatureScheme} is null when nothing was
 * signed (RSA key exchange); {@code alpn} and {@code serverName} are null when not
 * negotiated. {@code extendedMasterSecret} is false only for a TLS 1.2 handshake whose peer
 * did not use RFC 7627 (TLS 1.3 always binds its secrets to the transcript).
 * {@code peerCertificates} is the peer's verified chain, leaf first: the server's on a
 * client; on a server the client's certificate chain (mutual TLS, see {@link ClientAuth}),
 * empty when no client certificate was requested or sent.
 * {@code resumption} says how a resumed handshake found its session ({@link Resumption#NONE}
 * for a full handshake); {@code resumed} is true exactly when it is not NONE.
 * @param version the negotiated protocol version
 * @param cipherSuite the negotiated cipher suite
 * @param group the key exchange group, or null (TLS 1.2 RSA key exchange)
 * @param signatureScheme the scheme of the peer's handshake signature, or null
 * @param alpn the negotiated application protocol, or null
 * @param serverName the SNI name, or null
 * @param resumed whether an earlier session was resumed
 * @param helloRetryRequest whether the server sent a HelloRetryRequest
 * @param peerCertificates the peer's certificate chain, leaf first (empty when none)
 * @param extendedMasterSecret whether RFC 7627 was used (always true for TLS 1.3)
 * @param resumption how the session was resumed
 */
public record HandshakeSummary(ProtocolVersion version, CipherSuite cipherSuite, NamedGroup group,
                               SignatureScheme signatureScheme, String alpn, String serverName,
                               boolean resumed, boolean helloRetryRequest,
                               List<X509Certificate> peerCertificates, boolean extendedMasterSecret,
                               Resumption resumption) {

    /** How a handshake resumed an earlier session. */
    public enum Resumption {
        /** A full handshake: nothing was resumed. */
        NONE("full-handshake"),
        /** TLS 1.2 abbreviated handshake from the server's session cache (RFC 5246 §7.3). */
        SESSION_ID("session-id"),
        /** TLS 1.2 abbreviated handshake from a session ticket (RFC 5077). */
        TICKET("ticket"),
        /** TLS 1.3 handshake with a pre-shared key from a NewSessionTicket, with (EC)DHE (RFC 8446 §2.2). */
        PSK("psk");

        private final String label;

        Resumption(String label) {
            this.label = label;
        }

        /** {@return the short name used in {@link HandshakeSummary#oneLine()}: full-handshake, session-id, ticket or psk} */
        public String label() {
            return label;
        }
    }

    /**
     * The canonical form, with {@code resumed} checked against {@code resumption}.
     * @param version the negotiated protocol version
     * @param cipherSuite the negotiated cipher suite
     * @param group the key exchange group, or null (TLS 1.2 RSA key exchange)
     * @param signatureScheme the scheme of the peer's handshake signature, or null
     * @param alpn the negotiated application protocol, or null
     * @param serverName the SNI name, or null
     * @param resumed whether an earlier session was resumed
     * @param helloRetryRequest whether the server sent a HelloRetryRequest
     * @param peerCertificates the peer's certificate chain, leaf first (empty when none)
     * @param extendedMasterSecret whether RFC 7627 was used (always true for TLS 1.3)
     * @param resumption how the session was resumed; null means "from {@code resumed}"
     */
    public HandshakeSummary {
        if (resumption == null) {
            resumption = resumed ? Resumption.SESSION_ID : Resumption.NONE;
        }
        if (resumed != (resumption != Resumption.NONE)) {
            throw new IllegalArgumentException("resumed=" + resumed + " contradicts resumption=" + resumption);
        }
    }

    /**
     * The summary without the way of resumption (a resumed one counts as session id resumption).
     * @param version the negotiated protocol version
     * @param cipherSuite the negotiated cipher suite
     * @param group the key exchange group, or null (TLS 1.2 RSA key exchange)
     * @param signatureScheme the scheme of the peer's handshake signature, or null
     * @param alpn the negotiated application protocol, or null
     * @param serverName the SNI name, or null
     * @param resumed whether an earlier session was resumed
     * @param helloRetryRequest whether the server sent a HelloRetryRequest
     * @param peerCertificates the peer's certificate chain, leaf first (empty when none)
     * @param extendedMasterSecret whether RFC 7627 was used (always true for TLS 1.3)
     */
    public HandshakeSummary(ProtocolVersion version, CipherSuite cipherSuite, NamedGroup group,
                            SignatureScheme signatureScheme, String alpn, String serverName,
                            boolean resumed, boolean helloRetryRequest, List<X509Certificate> peerCertificates,
                            boolean extendedMasterSecret) {
        this(version, cipherSuite, group, signatureScheme, alpn, serverName, resumed, helloRetryRequest,
                peerCertificates, extendedMasterSecret, null);
    }

    /**
     * The summary as it was before TLS 1.2 (extended master secret implied).
     * @param version the negotiated protocol version
     * @param cipherSuite the negotiated cipher suite
     * @param group the key exchange group, or null (TLS 1.2 RSA key exchange)
     * @param signatureScheme the scheme of the server's signature, or null
     * @param alpn the negotiated application protocol, or null
     * @param serverName the SNI name, or null
     * @param resumed whether the session was resumed
     * @param helloRetryRequest whether the server asked for another key share
     * @param peerCertificates the peer's chain, leaf first (empty when none)
     */
    public HandshakeSummary(ProtocolVersion version, CipherSuite cipherSuite, NamedGroup group,
                            SignatureScheme signatureScheme, String alpn, String serverName,
                            boolean resumed, boolean helloRetryRequest, List<X509Certificate> peerCertificates) {
        this(version, cipherSuite, group, signatureScheme, alpn, serverName, resumed, helloRetryRequest,
                peerCertificates, true, null);
    }

    /** {@return one line for logs and the command lines: {@code TLSv1.3 TLS_AES_128_GCM_SHA256 x25519 ...}} */
    public String oneLine() {
        StringBuilder b = new StringBuilder();
        b.append(version).append(' ').append(cipherSuite);
        b.append(" group=").append(group == null ? "none" : group.rfcName());
        b.append(" signature=").append(signatureScheme == null ? "none" : signatureScheme.rfcName());
        b.append(" alpn=").append(alpn == null ? "none" : alpn);
        if (serverName != null) {
            b.append(" sni=").append(serverName);
        }
        if (version == ProtocolVersion.TLS_1_2) {
            b.append(extendedMasterSecret ? " ems" : " no-ems");
        }
        b.append(resumed ? " resumed=" + resumption.label() : " full-handshake");
        if (helloRetryRequest) {
            b.append(" hello-retry");
        }
        return b.toString();
    }
}
