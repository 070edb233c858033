package org.tollgate.tls.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.tollgate.tls.Alert;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.crypto.TlsCrypto;

class SequenceNumberTest {
    private static RecordCipher cipher() {
        return RecordCipher.tls13(TlsCrypto.defaultCrypto(), CipherSuite.TLS_AES_128_GCM_SHA256, new byte[16], new byte[12]);
    }

    @Test
    void theSequenceNumberNeverWraps() throws TlsException {
        RecordCipher c = cipher();
        c.setSequenceNumber(-2L); // 2^64 - 2: the last usable number
        c.seal(23, new byte[] {1}, 0);
        TlsException e = assertThrows(TlsException.class, () -> c.seal(23, new byte[] {1}, 0));
        assertEquals(Alert.INTERNAL_ERROR, e.alert());
    }

    @Test
    void everyRecordUsesAFreshNonce() throws TlsException {
        RecordCipher c = cipher();
        byte[] a = c.seal(23, new byte[16], 0);
        byte[] b = c.seal(23, new byte[16], 0);
        assertFalse(Arrays.equals(a, b), "same plaintext, different sequence numbers, different ciphertext");
        RecordCipher reader = cipher();
        reader.setSequenceNumber(1);
        assertEquals(16, reader.open(b).length, "the second record opens at sequence number 1");
    }
}
