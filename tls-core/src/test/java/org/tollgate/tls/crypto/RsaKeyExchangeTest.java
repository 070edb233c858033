package org.tollgate.tls.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import javax.crypto.Cipher;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** RFC 5246 §7.4.7.1: the decrypted premaster when it is well formed, the caller's random one otherwise. */
class RsaKeyExchangeTest {
    private static KeyPair keys;
    private static int k;
    private static final byte[] FALLBACK = new byte[48];

    @BeforeAll
    static void keys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        keys = g.generateKeyPair();
        k = (((RSAPublicKey) keys.getPublic()).getModulus().bitLength() + 7) / 8;
        Arrays.fill(FALLBACK, (byte) 0xEE);
    }

    private static byte[] premaster() {
        byte[] m = new byte[48];
        new SecureRandom().nextBytes(m);
        m[0] = 3;
        m[1] = 3;
        return m;
    }

    private static byte[] raw(byte[] em) throws Exception {
        Cipher c = Cipher.getInstance("RSA/ECB/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, keys.getPublic());
        return c.doFinal(em);
    }

    private static byte[] block(byte[] m) {
        byte[] em = new byte[k];
        em[1] = 2;
        Arrays.fill(em, 2, k - m.length - 1, (byte) 0x33);
        System.arraycopy(m, 0, em, k - m.length, m.length);
        return em;
    }

    private static byte[] decrypt(byte[] c) {
        return RsaKeyExchange.decryptPremaster(keys.getPrivate(), c, 0x0303, FALLBACK);
    }

    @Test
    void aWellFormedPremasterIsReturned() throws Exception {
        byte[] m = premaster();
        assertArrayEquals(m, decrypt(RsaKeyExchange.encryptPremaster(keys.getPublic(), m, new SecureRandom())));
        assertArrayEquals(m, decrypt(raw(block(m))));
    }

    @Test
    void everyMalformedPremasterGivesTheFallback() throws Exception {
        byte[] m = premaster();
        byte[] typeOne = block(m);
        typeOne[1] = 1;
        byte[] leadingByte = block(m);
        leadingByte[0] = 1;
        byte[] noSeparator = block(m);
        noSeparator[k - 49] = 9;
        byte[] shortPadding = block(m);
        shortPadding[9] = 0; // a zero inside PS: the message would be longer than 48 bytes
        byte[] oldVersion = m.clone();
        oldVersion[1] = 1;
        for (byte[] c : new byte[][] {raw(typeOne), raw(noSeparator), raw(shortPadding), raw(block(oldVersion)),
                raw(block(Arrays.copyOf(m, 47))), raw(block(Arrays.copyOf(m, 49))), Arrays.copyOf(raw(block(m)), k - 1),
                new byte[k + 1], new byte[0]}) {
            assertArrayEquals(FALLBACK, decrypt(c));
        }
        byte[] aboveModulus = new byte[k];
        Arrays.fill(aboveModulus, (byte) 0xFF);
        assertArrayEquals(FALLBACK, decrypt(aboveModulus));
        assertArrayEquals(FALLBACK, decrypt(raw(leadingByte)));
    }
}
