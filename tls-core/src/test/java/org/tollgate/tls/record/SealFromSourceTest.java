package org.tollgate.tls.record;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.crypto.TlsCrypto;

/**
 * {@link RecordProtection#seal(byte[], int, int, int, byte[], int)} encrypts content where it
 * lies, without copying it into the record buffer first (the JCA cipher is fed the content,
 * then TLS 1.3's content-type byte). Every record it makes must be byte for byte the one
 * {@link RecordProtection#sealInPlace} makes from the same content at the same sequence
 * number, with the production ciphers of every suite, and must open again.
 */
class SealFromSourceTest {
    private static final TlsCrypto CRYPTO = TlsCrypto.defaultCrypto();
    private static final int[] LENGTHS = {0, 1, 15, 16, 17, 1000, 16383, 16384};

    private static RecordProtection protection(CipherSuite suite, int seed) {
        Random random = new Random(seed);
        byte[] key = new byte[suite.keyLength()];
        random.nextBytes(key);
        byte[] iv = new byte[12];
        random.nextBytes(iv);
        if (suite.isTls13()) {
            return RecordCipher.tls13(CRYPTO, suite, key, iv);
        }
        return Tls12RecordCipher.of(CRYPTO, suite, key, suite.isAesGcm() ? Arrays.copyOf(iv, 4) : iv);
    }

    @Test
    void sealingFromTheCallersArrayMakesTheSameRecordsAsSealingInPlace() throws TlsException {
        CipherSuite[] suites = {
            CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
            CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        };
        Random random = new Random(7);
        for (CipherSuite suite : suites) {
            RecordProtection fromSource = protection(suite, 1);
            RecordProtection inPlace = protection(suite, 1);
            RecordProtection reader = protection(suite, 1);
            for (int length : LENGTHS) {
                byte[] content = new byte[length];
                random.nextBytes(content);
                // The content sits at an odd offset of a larger array, as in a caller's ByteBuffer.
                byte[] src = new byte[length + 11];
                System.arraycopy(content, 0, src, 3, length);
                byte[] record = new byte[RecordCipher.HEADER_LENGTH + length + fromSource.overhead(0) + 2];
                int n = fromSource.seal(src, 3, length, ContentType.APPLICATION_DATA, record, 2);

                byte[] expected = new byte[RecordCipher.HEADER_LENGTH + length + inPlace.overhead(0)];
                System.arraycopy(content, 0, expected, RecordCipher.HEADER_LENGTH, length);
                int m = inPlace.sealInPlace(expected, 0, length, ContentType.APPLICATION_DATA, 0);
                assertArrayEquals(Arrays.copyOf(expected, m), Arrays.copyOfRange(record, 2, 2 + n), suite + ", " + length + " bytes");

                byte[] opened = new byte[n];
                int k = reader.open(record, 2, n - RecordCipher.HEADER_LENGTH, opened, 0);
                assertArrayEquals(content, Arrays.copyOf(opened, k));
                assertEquals(ContentType.APPLICATION_DATA, reader.contentType());
            }
        }
    }

    @Test
    void theRecordLayerSealsHeapAndDirectBuffersAlike() throws TlsException {
        for (CipherSuite suite : new CipherSuite[] {CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}) {
            byte[] content = new byte[40_000]; // three records: 16384, 16384, 7232
            new Random(3).nextBytes(content);
            RecordLayer heap = new RecordLayer();
            heap.setWriteCipher(protection(suite, 2));
            heap.write(ContentType.APPLICATION_DATA, ByteBuffer.wrap(content, 0, content.length).slice());
            RecordLayer direct = new RecordLayer();
            direct.setWriteCipher(protection(suite, 2));
            ByteBuffer d = ByteBuffer.allocateDirect(content.length);
            d.put(content).flip();
            direct.write(ContentType.APPLICATION_DATA, d);
            assertArrayEquals(direct.output().drainAll(), heap.output().drainAll(), suite.toString());
        }
    }
}
