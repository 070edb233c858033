package org.tollgate.tls.record;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.tollgate.tls.Alert;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.testing.Rfc8448Trace;

/**
 * TLS 1.3 record protection (RFC 8446 §5.2-5.4) against the protected records of RFC 8448 §3,
 * with the traffic keys and IVs the trace gives: each record opens to the trace's plaintext and
 * the right content type, and sealing that plaintext again gives the trace's record byte for
 * byte. The AEAD is the JDK's AES-GCM ({@link JcaAeadForTests}), so what is under test here is
 * the nonce, the additional data, the inner content type and the padding handling.
 */
class Rfc8448RecordTest {
    private static final byte[] CLOSE_NOTIFY = {1, 0}; // warning(1), close_notify(0)

    private final Rfc8448Trace trace = Rfc8448Trace.simple1Rtt();

    private RecordCipher cipher(String direction) {
        return new RecordCipher(new JcaAeadForTests(trace.get(direction + "_key")), trace.get(direction + "_iv"));
    }

    private byte[] serverFlight() {
        return trace.concat("EncryptedExtensions", "Certificate", "CertificateVerify", "ServerFinished");
    }

    private static void assertOpens(RecordCipher reader, byte[] record, int contentType, byte[] content) throws TlsException {
        long seq = reader.sequenceNumber();
        assertArrayEquals(content, reader.open(record));
        assertEquals(contentType, reader.contentType());
        assertEquals(seq + 1, reader.sequenceNumber());
    }

    @Test
    void serverHandshakeFlight() throws TlsException {
        byte[] record = trace.get("server_flight_record");
        assertOpens(cipher("server_handshake"), record, ContentType.HANDSHAKE, serverFlight());
        assertArrayEquals(record, cipher("server_handshake").seal(ContentType.HANDSHAKE, serverFlight(), 0));
    }

    @Test
    void clientFinished() throws TlsException {
        byte[] record = trace.get("client_finished_record");
        assertOpens(cipher("client_handshake"), record, ContentType.HANDSHAKE, trace.get("ClientFinished"));
        assertArrayEquals(record, cipher("client_handshake").seal(ContentType.HANDSHAKE, trace.get("ClientFinished"), 0));
    }

    @Test
    void clientApplicationDataThenCloseNotify() throws TlsException {
        RecordCipher reader = cipher("client_application");
        assertOpens(reader, trace.get("client_application_data_record"), ContentType.APPLICATION_DATA,
                trace.get("application_data"));
        assertOpens(reader, trace.get("client_alert_record"), ContentType.ALERT, CLOSE_NOTIFY);

        RecordCipher writer = cipher("client_application");
        assertArrayEquals(trace.get("client_application_data_record"),
                writer.seal(ContentType.APPLICATION_DATA, trace.get("application_data"), 0));
        assertArrayEquals(trace.get("client_alert_record"), writer.seal(ContentType.ALERT, CLOSE_NOTIFY, 0));
    }

    @Test
    void serverNewSessionTicketApplicationDataThenCloseNotify() throws TlsException {
        // Under the server's application keys: NewSessionTicket is record 0, the data record 1, the alert 2.
        RecordCipher reader = cipher("server_application");
        assertOpens(reader, trace.get("new_session_ticket_record"), ContentType.HANDSHAKE, trace.get("NewSessionTicket"));
        assertOpens(reader, trace.get("server_application_data_record"), ContentType.APPLICATION_DATA,
                trace.get("application_data"));
        assertOpens(reader, trace.get("server_alert_record"), ContentType.ALERT, CLOSE_NOTIFY);

        RecordCipher writer = cipher("server_application");
        assertArrayEquals(trace.get("new_session_ticket_record"),
                writer.seal(ContentType.HANDSHAKE, trace.get("NewSessionTicket"), 0));
        assertArrayEquals(trace.get("server_application_data_record"),
                writer.seal(ContentType.APPLICATION_DATA, trace.get("application_data"), 0));
        assertArrayEquals(trace.get("server_alert_record"), writer.seal(ContentType.ALERT, CLOSE_NOTIFY, 0));
    }

    @Test
    void paddingIsStrippedAndTheContentTypeFound() throws TlsException {
        byte[] content = trace.get("application_data");
        byte[] padded = cipher("client_application").seal(ContentType.APPLICATION_DATA, content, 100);
        assertEquals(RecordCipher.HEADER_LENGTH + content.length + 1 + 100 + 16, padded.length);
        assertOpens(cipher("client_application"), padded, ContentType.APPLICATION_DATA, content);
    }

    // ---- Damage: every one is bad_record_mac (RFC 8446 §5.2).

    private static void assertBadRecordMac(RecordCipher reader, byte[] record) {
        TlsException e = assertThrows(TlsException.class, () -> reader.open(record));
        assertEquals(Alert.BAD_RECORD_MAC, e.alert());
    }

    @Test
    void flippedTagBitIsBadRecordMac() {
        byte[] record = trace.get("server_flight_record");
        record[record.length - 1] ^= 0x01;
        assertBadRecordMac(cipher("server_handshake"), record);
    }

    @Test
    void flippedCiphertextBitIsBadRecordMac() {
        byte[] record = trace.get("server_flight_record");
        record[RecordCipher.HEADER_LENGTH + 10] ^= (byte) 0x80;
        assertBadRecordMac(cipher("server_handshake"), record);
    }

    @Test
    void changedHeaderIsBadRecordMacBecauseTheHeaderIsTheAdditionalData() {
        // opaque_type, legacy_record_version and length all go into the AEAD's additional data.
        for (int i = 0; i < RecordCipher.HEADER_LENGTH; i++) {
            byte[] record = trace.get("client_finished_record");
            record[i] ^= 0x01;
            assertBadRecordMac(cipher("client_handshake"), record);
        }
    }

    @Test
    void replayedRecordIsBadRecordMacBecauseTheNonceMoved() throws TlsException {
        byte[] record = trace.get("client_finished_record");
        RecordCipher reader = cipher("client_handshake");
        reader.open(record);
        assertBadRecordMac(reader, record); // now sequence number 1
    }

    @Test
    void recordUnderTheWrongKeyIsBadRecordMac() {
        assertBadRecordMac(cipher("client_handshake"), trace.get("server_flight_record"));
    }

    @Test
    void recordTooShortForATagIsBadRecordMac() {
        byte[] record = trace.get("client_finished_record");
        byte[] truncated = Arrays.copyOf(record, RecordCipher.HEADER_LENGTH + 16);
        assertBadRecordMac(cipher("client_handshake"), truncated);
    }
}
