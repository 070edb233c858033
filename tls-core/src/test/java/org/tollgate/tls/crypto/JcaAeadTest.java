package org.tollgate.tls.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tollgate.tls.Alert;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.TlsException;

class JcaAeadTest {

    private final TlsCrypto crypto = TlsCrypto.defaultCrypto();

    // McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", test cases 4 and 16:
    // the same 60-byte plaintext, 20-byte AAD and 96-bit IV under a 128- and a 256-bit key.
    private static final String GCM_IV = "cafebabefacedbaddecaf888";
    private static final String GCM_AAD = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
    private static final String GCM_PLAINTEXT =
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
            + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";

    @Test
    void aes128GcmTestCase4() throws TlsException {
        assertKnownAnswer(CipherSuite.TLS_AES_128_GCM_SHA256, "feffe9928665731c6d6a8f9467308308",
                GCM_IV, GCM_AAD, GCM_PLAINTEXT,
                "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
                + "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
                "5bc94fbc3221a5db94fae95ae7121a47");
    }

    @Test
    void aes256GcmTestCase16() throws TlsException {
        assertKnownAnswer(CipherSuite.TLS_AES_256_GCM_SHA384,
                "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
                GCM_IV, GCM_AAD, GCM_PLAINTEXT,
                "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
                + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
                "76fc6ece0f4e1768cddf8853bb2d551b");
    }

    /** RFC 8439 §2.8.2; the nonce is the 32-bit constant 07000000 followed by the 64-bit IV. */
    @Test
    void chacha20Poly1305Rfc8439Section282() throws TlsException {
        String plaintext = Hex.string(("Ladies and Gentlemen of the class of '99: If I could offer you only one tip "
                + "for the future, sunscreen would be it.").getBytes(StandardCharsets.US_ASCII));
        assertKnownAnswer(CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
                "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
                "07000000" + "4041424344454647", "50515253c0c1c2c3c4c5c6c7", plaintext,
                "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
                + "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
                + "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
                + "3ff4def08e4b7a9de576d26586cec64b6116",
                "1ae10b594f09e26a7e902ecbd0600691");
    }

    private void assertKnownAnswer(CipherSuite suite, String key, String nonce, String aad, String plaintext,
            String ciphertext, String tag) throws TlsException {
        byte[] p = Hex.bytes(plaintext);
        // Sealed into a separate buffer, at an offset.
        byte[] out = new byte[3 + p.length + Aead.TAG_LENGTH];
        int n = crypto.aead(suite, Hex.bytes(key)).seal(Hex.bytes(nonce), Hex.bytes(aad), p, 0, p.length, out, 3);
        assertEquals(p.length + Aead.TAG_LENGTH, n);
        assertEquals(ciphertext + tag, Hex.string(Arrays.copyOfRange(out, 3, 3 + n)));

        // Sealed in place (a fresh instance: the JDK refuses to reuse key and nonce for encryption).
        byte[] buffer = Arrays.copyOf(p, p.length + Aead.TAG_LENGTH);
        crypto.aead(suite, Hex.bytes(key)).seal(Hex.bytes(nonce), Hex.bytes(aad), buffer, 0, p.length, buffer, 0);
        assertEquals(ciphertext + tag, Hex.string(buffer));

        // Opened in place.
        Aead opener = crypto.aead(suite, Hex.bytes(key));
        int m = opener.open(Hex.bytes(nonce), Hex.bytes(aad), buffer, 0, buffer.length, buffer, 0);
        assertEquals(p.length, m);
        assertArrayEquals(p, Arrays.copyOf(buffer, m));

        // Opened to another buffer at an offset, twice with the same instance.
        byte[] sealed = Hex.bytes(ciphertext + tag);
        byte[] plain = new byte[5 + p.length];
        for (int i = 0; i < 2; i++) {
            assertEquals(p.length, opener.open(Hex.bytes(nonce), Hex.bytes(aad), sealed, 0, sealed.length, plain, 5));
            assertArrayEquals(p, Arrays.copyOfRange(plain, 5, 5 + p.length));
        }
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void roundTripsManyRecordsWithDistinctNonces(CipherSuite suite) throws TlsException {
        byte[] key = new byte[suite.keyLength()];
        Arrays.fill(key, (byte) 7);
        Aead sealer = crypto.aead(suite, key);
        Aead opener = crypto.aead(suite, key);
        byte[] aad = {23, 3, 3, 0, 0};
        for (int i = 0; i < 50; i++) {
            byte[] nonce = new byte[12];
            nonce[11] = (byte) i;
            int len = i * 37;
            byte[] record = new byte[len + Aead.TAG_LENGTH];
            for (int j = 0; j < len; j++) {
                record[j] = (byte) (i + j);
            }
            byte[] plaintext = Arrays.copyOf(record, len);
            assertEquals(len + Aead.TAG_LENGTH, sealer.seal(nonce, aad, record, 0, len, record, 0));
            assertEquals(len, opener.open(nonce, aad, record, 0, record.length, record, 0));
            assertArrayEquals(plaintext, Arrays.copyOf(record, len));
        }
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void anyAlterationIsBadRecordMac(CipherSuite suite) throws TlsException {
        byte[] key = new byte[suite.keyLength()];
        byte[] nonce = new byte[12];
        byte[] aad = {23, 3, 3, 0, 21};
        byte[] sealed = new byte[5 + Aead.TAG_LENGTH];
        crypto.aead(suite, key).seal(nonce, aad, new byte[] {1, 2, 3, 4, 5}, 0, 5, sealed, 0);
        Aead opener = crypto.aead(suite, key);

        byte[] badTag = sealed.clone();
        badTag[badTag.length - 1] ^= 1;
        assertBadRecordMac(() -> opener.open(nonce, aad, badTag, 0, badTag.length, new byte[32], 0));
        byte[] badCiphertext = sealed.clone();
        badCiphertext[0] ^= (byte) 0x80;
        assertBadRecordMac(() -> opener.open(nonce, aad, badCiphertext, 0, badCiphertext.length, new byte[32], 0));
        byte[] badAad = aad.clone();
        badAad[4] = 22;
        assertBadRecordMac(() -> opener.open(nonce, badAad, sealed, 0, sealed.length, new byte[32], 0));
        byte[] otherNonce = nonce.clone();
        otherNonce[0] = 1;
        assertBadRecordMac(() -> opener.open(otherNonce, aad, sealed, 0, sealed.length, new byte[32], 0));
        assertBadRecordMac(() -> opener.open(nonce, aad, sealed, 0, Aead.TAG_LENGTH - 1, new byte[32], 0));

        // The instance still works after failures.
        byte[] out = new byte[5];
        assertEquals(5, opener.open(nonce, aad, sealed, 0, sealed.length, out, 0));
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, out);
    }

    private static void assertBadRecordMac(org.junit.jupiter.api.function.Executable open) {
        TlsException e = assertThrows(TlsException.class, open);
        assertEquals(Alert.BAD_RECORD_MAC, e.alert());
        assertTrue(e.getMessage().startsWith("record authentication failed"), e.getMessage());
    }

    @Test
    void wrongKeyLengthIsAProgrammingError() {
        assertThrows(IllegalArgumentException.class,
                () -> crypto.aead(CipherSuite.TLS_AES_128_GCM_SHA256, new byte[32]));
        assertThrows(IllegalArgumentException.class,
                () -> crypto.aead(CipherSuite.TLS_CHACHA20_POLY1305_SHA256, new byte[16]));
    }

    @Test
    void wrongNonceLengthIsInternalError() {
        Aead aead = crypto.aead(CipherSuite.TLS_AES_128_GCM_SHA256, new byte[16]);
        TlsException e = assertThrows(TlsException.class,
                () -> aead.seal(new byte[8], null, new byte[1], 0, 1, new byte[17], 0));
        assertEquals(Alert.INTERNAL_ERROR, e.alert());
    }
}
