package org.tollgate.tls.handshake;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
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
 * when it was issued, for how long, and (TLS 1.3) the ticket_age_add that hides the age.
 *
 * <pre>
 * struct {
 *     uint8  format = 1;
 *     uint16 version; uint16 cipher_suite;
 *     opaque secret&lt;1..255&gt;;
 *     uint8  extended_master_secret;
 *     opaque server_name&lt;0..2^16-1&gt;;  opaque alpn&lt;0..255&gt;;
 *     uint64 issued_ms; uint32 lifetime_s; uint32 age_add;
 * } TicketState;
 * </pre>
 */
record TicketState(ProtocolVersion version, CipherSuite suite, byte[] secret, boolean extendedMasterSecret,
                   String serverName, String alpn, Instant issued, long lifetimeSeconds, long ageAdd) {
    private static final int FORMAT = 1;

    byte[] encode() {
        WireWriter w = new WireWriter(96);
        w.u8(FORMAT).u16(version.code()).u16(suite.code()).vector8(secret).u8(extendedMasterSecret ? 1 : 0);
        w.vector16(serverName == null ? new byte[0] : serverName.getBytes(StandardCharsets.US_ASCII));
        w.vector8(alpn == null ? new byte[0] : alpn.getBytes(StandardCharsets.ISO_8859_1));
        long ms = issued.toEpochMilli();
        w.u32(ms >>> 32).u32(ms & 0xFFFFFFFFL).u32(lifetimeSeconds).u32(ageAdd);
        return w.toByteArray();
    }

    /** Seals this state into a ticket. */
    byte[] seal(TicketKeys keys) {
        return keys.seal(encode());
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
            if (r.u8() != FORMAT) {
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
            r.expectEnd();
            if (version == null || suite == null || secret.length == 0) {
                return null;
            }
            return new TicketState(version, suite, secret, ems,
                    name.length == 0 ? null : new String(name, StandardCharsets.US_ASCII),
                    alpn.length == 0 ? null : new String(alpn, StandardCharsets.ISO_8859_1),
                    Instant.ofEpochMilli(issuedMs), lifetime, ageAdd);
        } catch (TlsException e) {
            return null; // sealed by us, so only a bug or an old format gets here
        }
    }

    /** True while {@code now} is within the ticket's lifetime. */
    boolean aliveAt(Instant now) {
        return !now.isBefore(issued.minusSeconds(1)) && now.isBefore(issued.plusSeconds(lifetimeSeconds));
    }

    @Override
    public String toString() { // never the secret
        return "TicketState[" + version + " " + suite + (extendedMasterSecret ? " EMS" : "") + " name=" + serverName
                + " alpn=" + alpn + " issued=" + issued + " lifetime=" + lifetimeSeconds + "s]";
    }
}
