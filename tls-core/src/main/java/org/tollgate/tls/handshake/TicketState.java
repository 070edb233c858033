package org.tollgate.tls.handshake;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.TicketKeys;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.wire.WireReader;
import org.tollgate.tls.wire.WireWriter;

/**
 * What a server seals into a session ticket so that it can resume the session without
 * remembering anything (RFC 5077 §4 "recommended ticket construction", RFC 8446 §4.6.1):
 * the version, the suite, the secret (TLS 1.3: the ticket's PSK, derived from the
 * resumption_master_secret and the ticket nonce; TLS 1.2: the master secret), whether the
 * session used extended master secret, the server name and ALPN protocol it was made for,
 * when it was issued, for how long, (TLS 1.3) the ticket_age_add that hides the age, and the
 * client's certificate chain when the original handshake authenticated the client (mutual TLS):
 * a resumed connection inherits the original's authentication (RFC 8446 §2.2, §4.6.1), so the
 * server must be able to say who the client is without asking again.
 *
 * <pre>
 * struct {
 *     uint8  format = 2;
 *     uint16 version; uint16 cipher_suite;
 *     opaque secret&lt;1..255&gt;;
 *     uint8  extended_master_secret;
 *     opaque server_name&lt;0..2^16-1&gt;;  opaque alpn&lt;0..255&gt;;
 *     uint64 issued_ms; uint32 lifetime_s; uint32 age_add;
 *     ASN1Cert client_chain&lt;0..2^16-1&gt;;   (format 2; leaf first, as the client sent it)
 * } TicketState;
 * opaque ASN1Cert&lt;1..2^16-1&gt;;              (DER)
 * </pre>
 *
 * Format 1 (no client_chain) is still opened, as a ticket without a client identity: servers
 * that shared a key file before format 2 issued such tickets only when they did not ask for
 * client certificates. A state whose sealed ticket would exceed {@link #MAX_TICKET_LENGTH}
 * (a long client chain) is not issued at all.
 */
record TicketState(ProtocolVersion version, CipherSuite suite, byte[] secret, boolean extendedMasterSecret,
                   String serverName, String alpn, Instant issued, long lifetimeSeconds, long ageAdd,
                   List<X509Certificate> clientCertificates) {
    private static final int FORMAT_WITHOUT_CLIENT_CHAIN = 1;
    private static final int FORMAT = 2;
    /**
     * The largest sealed ticket issued, in bytes: room for a client chain of a few ordinary
     * certificates. Clients store tickets and send them in every resuming ClientHello, so a
     * ticket must stay far below the 2^16-1 bytes a NewSessionTicket allows (RFC 8446 §4.6.1).
     */
    static final int MAX_TICKET_LENGTH = 8 * 1024;
    /** No certification path is longer (the certificate verifier follows at most as many). */
    private static final int MAX_CLIENT_CHAIN_CERTIFICATES = 10;

    TicketState {
        clientCertificates = List.copyOf(clientCertificates);
    }

    /** A ticket state without a client identity. */
    TicketState(ProtocolVersion version, CipherSuite suite, byte[] secret, boolean extendedMasterSecret,
                String serverName, String alpn, Instant issued, long lifetimeSeconds, long ageAdd) {
        this(version, suite, secret, extendedMasterSecret, serverName, alpn, issued, lifetimeSeconds, ageAdd, List.of());
    }

    byte[] encode() throws TlsException {
        WireWriter w = new WireWriter(96);
        w.u8(FORMAT).u16(version.code()).u16(suite.code()).vector8(secret).u8(extendedMasterSecret ? 1 : 0);
        w.vector16(serverName == null ? new byte[0] : serverName.getBytes(StandardCharsets.US_ASCII));
        w.vector8(alpn == null ? new byte[0] : alpn.getBytes(StandardCharsets.ISO_8859_1));
        long ms = issued.toEpochMilli();
        w.u32(ms >>> 32).u32(ms & 0xFFFFFFFFL).u32(lifetimeSeconds).u32(ageAdd);
        int chain = w.open16();
        long chainLength = 0;
        for (X509Certificate c : clientCertificates) {
            byte[] der;
            try {
                der = c.getEncoded();
            } catch (CertificateEncodingException e) {
                throw TlsException.internalError("cannot encode the client certificate for a ticket", e);
            }
            chainLength += 2 + der.length;
            if (chainLength > MAX_TICKET_LENGTH) { // vector16 would overflow long before 2^16; stop here
                return null;
            }
            w.vector16(der);
        }
        w.close(chain);
        return w.toByteArray();
    }

    /**
     * Seals this state into a ticket, or returns null when the ticket would be longer than
     * {@link #MAX_TICKET_LENGTH} (then the server issues none: see the callers' notes).
     */
    byte[] seal(TicketKeys keys) throws TlsException {
        byte[] plain = encode();
        if (plain == null || plain.length + TicketKeys.OVERHEAD > MAX_TICKET_LENGTH) {
            return null;
        }
        return keys.seal(plain);
    }

    /**
     * The state inside {@code ticket}, or null when it does not open (unknown or rotated-out
     * key, garbled, forged) or does not parse: then the server simply does a full handshake.
     */
    static TicketState open(TicketKeys keys, byte[] ticket) {
        byte[] plain = keys.open(ticket);
        if (plain == null) {
            return null;
        }
        try {
            WireReader r = new WireReader(plain, "ticket state");
            int format = r.u8();
            if (format != FORMAT && format != FORMAT_WITHOUT_CLIENT_CHAIN) {
                return null;
            }
            ProtocolVersion version = ProtocolVersion.of(r.u16());
            CipherSuite suite = CipherSuite.of(r.u16());
            byte[] secret = r.vector8();
            boolean ems = r.u8() == 1;
            byte[] name = r.vector16();
            byte[] alpn = r.vector8();
            long issuedMs = (r.u32() << 32) | r.u32();
            long lifetime = r.u32();
            long ageAdd = r.u32();
            List<X509Certificate> chain = format == FORMAT ? clientChain(r.sub16("client_chain")) : List.of();
            r.expectEnd();
            if (version == null || suite == null || secret.length == 0 || chain == null) {
                return null;
            }
            return new TicketState(version, suite, secret, ems,
                    name.length == 0 ? null : new String(name, StandardCharsets.US_ASCII),
                    alpn.length == 0 ? null : new String(alpn, StandardCharsets.ISO_8859_1),
                    Instant.ofEpochMilli(issuedMs), lifetime, ageAdd, chain);
        } catch (TlsException e) {
            return null; // sealed by us, so only a bug or an old format gets here
        }
    }

    /**
     * The certificates of {@code client_chain}, or null when one does not parse or there are too
     * many. Every length is checked against what is left before anything is allocated
     * (WireReader does), even though only the holder of a ticket key can make a ticket.
     */
    private static List<X509Certificate> clientChain(WireReader r) throws TlsException {
        List<X509Certificate> chain = new ArrayList<>();
        if (!r.hasRemaining()) {
            return chain;
        }
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            while (r.hasRemaining()) {
                byte[] der = r.vector16();
                if (der.length == 0 || chain.size() == MAX_CLIENT_CHAIN_CERTIFICATES) {
                    return null;
                }
                chain.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(der)));
            }
        } catch (CertificateException | ClassCastException e) {
            return null;
        }
        return chain;
    }

    /** True while {@code now} is within the ticket's lifetime. */
    boolean aliveAt(Instant now) {
        return !now.isBefore(issued.minusSeconds(1)) && now.isBefore(issued.plusSeconds(lifetimeSeconds));
    }

    @Override
    public String toString() { // never the secret
        return "TicketState[" + version + " " + suite + (extendedMasterSecret ? " EMS" : "") + " name=" + serverName
                + " alpn=" + alpn + " issued=" + issued + " lifetime=" + lifetimeSeconds + "s"
                + (clientCertificates.isEmpty() ? "" : " client=" + clientCertificates.get(0).getSubjectX500Principal().getName())
                + "]";
    }
}
