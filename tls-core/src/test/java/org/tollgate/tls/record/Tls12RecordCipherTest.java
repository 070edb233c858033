package org.tollgate.tls.record;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.tollgate.tls.Alert;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.crypto.TlsCrypto;

/**
 * TLS 1.2 AEAD records (RFC 5246 §6.2.3.3): each record is checked against a plain JDK
 * cipher driven by hand with the nonce and additional data the RFCs prescribe, so a
 * mistake in the nonce or AAD layout cannot hide behind a symmetric round trip.
 */
class Tls12RecordCipherTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] KEY_128 = HEX.parseHex("000102030405060708090a0b0c0d0e0f");
    private static final byte[] KEY_256 = HEX.parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private static final byte[] SALT = HEX.parseHex("a0a1a2a3");
    private static final byte[] IV12 = HEX.parseHex("b0b1b2b3b4b5b6b7b8b9babb");
    private static final byte[] CONTENT = "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private static Tls12RecordCipher gcm() {
        return Tls12RecordCipher.of(TlsCrypto.defaultCrypto(), CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, KEY_128, SALT);
    }

    private static Tls12RecordCipher chacha() {
        return Tls12RecordCipher.of(TlsCrypto.defaultCrypto(), CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, KEY_256, IV12);
    }

    /** seq_num(8) || type || 0x0303 || plaintext length. */
    private static byte[] aad(long seq, int type, int length) {
        byte[] a = new byte[13];
        for (int i = 0; i < 8; i++) {
            a[i] = (byte) (seq >>> (56 - 8 * i));
        }
        a[8] = (byte) type;
        a[9] = 3;
        a[10] = 3;
        a[11] = (byte) (length >>> 8);
        a[12] = (byte) length;
        return a;
    }

    @Test
    void aesGcmRecordsCarryTheSequenceNumberAsExplicitNonceAndDecryptByTheRfc() throws Exception {
        Tls12RecordCipher writer = gcm();
        for (long seq = 0; seq < 3; seq++) {
            byte[] record = writer.seal(ContentType.APPLICATION_DATA, CONTENT);
            // Header: the real type, version 0x0303, length = 8 + content + 16.
            assertEquals(ContentType.APPLICATION_DATA, record[0]);
            assertEquals(0x0303, ((record[1] & 0xFF) << 8) | (record[2] & 0xFF));
            assertEquals(8 + CONTENT.length + 16, ((record[3] & 0xFF) << 8) | (record[4] & 0xFF));
            byte[] explicit = Arrays.copyOfRange(record, 5, 13);
            assertArrayEquals(HEX.parseHex(String.format("%016x", seq)), explicit);

            // RFC 5288 §3: nonce = salt || nonce_explicit.
            byte[] nonce = new byte[12];
            System.arraycopy(SALT, 0, nonce, 0, 4);
            System.arraycopy(explicit, 0, nonce, 4, 8);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(KEY_128, "AES"), new GCMParameterSpec(128, nonce));
            c.updateAAD(aad(seq, ContentType.APPLICATION_DATA, CONTENT.length));
            assertArrayEquals(CONTENT, c.doFinal(record, 13, record.length - 13));
        }
    }

    @Test
    void chachaRecordsUseTheRfc7905NonceAndNoExplicitPart() throws Exception {
        Tls12RecordCipher writer = chacha();
        for (long seq = 0; seq < 3; seq++) {
            byte[] record = writer.seal(ContentType.HANDSHAKE, CONTENT);
            assertEquals(ContentType.HANDSHAKE, record[0]);
            assertEquals(CONTENT.length + 16, ((record[3] & 0xFF) << 8) | (record[4] & 0xFF));
            byte[] nonce = IV12.clone();
            nonce[11] ^= (byte) seq; // RFC 7905 §2: IV xor the left-padded sequence number
            Cipher c = Cipher.getInstance("ChaCha20-Poly1305");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(KEY_256, "ChaCha20"), new IvParameterSpec(nonce));
            c.updateAAD(aad(seq, ContentType.HANDSHAKE, CONTENT.length));
            assertArrayEquals(CONTENT, c.doFinal(record, 5, record.length - 5));
        }
    }

    @Test
    void recordsOpenInOrderForBothCiphers() throws TlsException {
        for (boolean useGcm : new boolean[] {true, false}) {
            Tls12RecordCipher writer = useGcm ? gcm() : chacha();
            Tls12RecordCipher reader = useGcm ? gcm() : chacha();
            for (int i = 0; i < 5; i++) {
                byte[] content = Arrays.copyOf(CONTENT, i * 1000 + 1);
                byte[] record = writer.seal(ContentType.ALERT, content);
                assertArrayEquals(content, reader.open(record));
                assertEquals(ContentType.ALERT, reader.contentType());
            }
            assertEquals(5, reader.sequenceNumber());
        }
        // An empty application-data record is legal in TLS 1.2 (RFC 5246 §6.2.1).
        assertArrayEquals(new byte[0], gcm().open(gcm().seal(ContentType.APPLICATION_DATA, new byte[0])));
    }

    @Test
    void aChangedTypeSequenceBodyOrTagIsBadRecordMac() throws TlsException {
        for (boolean useGcm : new boolean[] {true, false}) {
            byte[] record = (useGcm ? gcm() : chacha()).seal(ContentType.APPLICATION_DATA, CONTENT);
            for (int at : new int[] {0, 5, 14, record.length - 1}) {
                byte[] bad = record.clone();
                bad[at] ^= at == 0 ? 0x01 : 0x40; // type 23 -> 22, or a flipped bit
                TlsException e = assertThrows(TlsException.class, () -> (useGcm ? gcm() : chacha()).open(bad));
                assertEquals(Alert.BAD_RECORD_MAC, e.alert());
            }
            Tls12RecordCipher reader = useGcm ? gcm() : chacha();
            reader.setSequenceNumber(1); // a replayed or reordered record
            assertEquals(Alert.BAD_RECORD_MAC, assertThrows(TlsException.class, () -> reader.open(record)).alert());
        }
        byte[] tooShort = HEX.parseHex("1703030017" + "00".repeat(23));
        assertEquals(Alert.BAD_RECORD_MAC, assertThrows(TlsException.class, () -> gcm().open(tooShort)).alert());
    }

    @Test
    void moreThan2To14BytesOfPlaintextIsRecordOverflow() {
        int body = 8 + (1 << 14) + 1 + 16;
        byte[] record = new byte[5 + body];
        record[0] = ContentType.APPLICATION_DATA;
        record[1] = 3;
        record[2] = 3;
        record[3] = (byte) (body >>> 8);
        record[4] = (byte) body;
        assertEquals(Alert.RECORD_OVERFLOW, assertThrows(TlsException.class, () -> gcm().open(record)).alert());
    }
}
