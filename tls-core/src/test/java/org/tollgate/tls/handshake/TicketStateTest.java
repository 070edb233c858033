package org.tollgate.tls.handshake;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.TicketKeys;
import org.tollgate.tls.cert.CertifiedKey;
import org.tollgate.tls.cert.DemoCertificates;
import org.tollgate.tls.wire.WireWriter;

/** The sealed session state: the client chain it carries, its size cap, and strict decoding. */
class TicketStateTest {
    private static final DemoCertificates.Pki PKI = DemoCertificates.create(Clock.systemUTC());
    private static final Instant ISSUED = Instant.parse("2026-11-27T10:00:00.123Z");
    private final TicketKeys keys = TicketKeys.generate();

    private static TicketState state(List<X509Certificate> chain) {
        return new TicketState(ProtocolVersion.TLS_1_3, CipherSuite.TLS_AES_128_GCM_SHA256, new byte[32], true,
                "localhost", "h2", ISSUED, 7200, 0x01020304L, chain);
    }

    @Test
    void theClientChainSurvivesSealingInOrder() throws Exception {
        CertifiedKey client = PKI.client();
        List<X509Certificate> chain = List.of(client.leaf(), PKI.ca());
        TicketState opened = TicketState.open(keys, state(chain).seal(keys));
        assertNotNull(opened);
        assertEquals(chain, opened.clientCertificates());
        assertEquals("localhost", opened.serverName());
        assertEquals("h2", opened.alpn());
        assertEquals(ISSUED, opened.issued());
        assertEquals(0x01020304L, opened.ageAdd());
        assertTrue(opened.toString().contains("client=CN="), opened.toString());
    }

    @Test
    void withoutAClientTheChainIsEmpty() throws Exception {
        TicketState opened = TicketState.open(keys, state(List.of()).seal(keys));
        assertNotNull(opened);
        assertEquals(List.of(), opened.clientCertificates());
    }

    @Test
    void aStateTooLongForTheCapIsNotSealed() throws Exception {
        X509Certificate leaf = PKI.client().leaf();
        int perCertificate = leaf.getEncoded().length + 2;
        int fits = (TicketState.MAX_TICKET_LENGTH - 200) / perCertificate;
        byte[] sealed = state(Collections.nCopies(Math.min(fits, 10), leaf)).seal(keys);
        assertTrue(sealed != null && sealed.length <= TicketState.MAX_TICKET_LENGTH);
        int tooMany = TicketState.MAX_TICKET_LENGTH / perCertificate + 1;
        assertNull(state(Collections.nCopies(tooMany, leaf)).seal(keys));
    }

    /** The fields of format 2 up to and including age_add, as {@link TicketState#encode} writes them. */
    private static WireWriter head(int format) {
        WireWriter w = new WireWriter(128);
        w.u8(format).u16(ProtocolVersion.TLS_1_3.code()).u16(CipherSuite.TLS_AES_128_GCM_SHA256.code())
                .vector8(new byte[32]).u8(1).vector16("localhost".getBytes()).vector8(new byte[0]);
        long ms = ISSUED.toEpochMilli();
        w.u32(ms >>> 32).u32(ms & 0xFFFFFFFFL).u32(7200).u32(5);
        return w;
    }

    @Test
    void aFormatOneTicketOpensWithoutAClientIdentity() {
        TicketState opened = TicketState.open(keys, keys.seal(head(1).toByteArray()));
        assertNotNull(opened, "tickets of servers from before the client chain still resume");
        assertEquals(List.of(), opened.clientCertificates());
        assertEquals("localhost", opened.serverName());
    }

    @Test
    void everyBrokenChainEncodingIsRefusedNotThrown() throws Exception {
        byte[] der = PKI.client().leaf().getEncoded();
        // The valid reference: one certificate.
        WireWriter ok = head(2);
        int mark = ok.open16();
        ok.vector16(der);
        ok.close(mark);
        assertNotNull(TicketState.open(keys, keys.seal(ok.toByteArray())));

        List<byte[]> broken = List.of(
                head(2).toByteArray(), // client_chain missing altogether
                head(2).u16(0xFFFF).toByteArray(), // chain length far beyond the state
                head(2).u16(der.length + 2).u16(der.length + 100).bytes(der).toByteArray(), // certificate length beyond the chain
                head(2).u16(2).u16(0).toByteArray(), // an empty certificate
                head(2).u16(6).u16(4).bytes(new byte[] {0x30, 0x02, 0x05, 0x00}).toByteArray(), // not a certificate
                head(2).u16(der.length + 3).vector16(der).u8(0).toByteArray(), // a stray byte in the chain
                Arrays.copyOf(ok.toByteArray(), ok.size() - 1), // truncated
                withTrailingByte(ok.toByteArray()),
                head(3).u16(0).toByteArray()); // an unknown format
        for (int i = 0; i < broken.size(); i++) {
            assertNull(TicketState.open(keys, keys.seal(broken.get(i))), "case " + i);
        }
        WireWriter eleven = head(2);
        int m = eleven.open16();
        for (int i = 0; i < 11; i++) {
            eleven.vector16(der);
        }
        eleven.close(m);
        assertNull(TicketState.open(keys, keys.seal(eleven.toByteArray())), "more certificates than any path has");
    }

    private static byte[] withTrailingByte(byte[] b) {
        byte[] out = Arrays.copyOf(b, b.length + 1);
        assertArrayEquals(b, Arrays.copyOf(out, b.length));
        return out;
    }
}
