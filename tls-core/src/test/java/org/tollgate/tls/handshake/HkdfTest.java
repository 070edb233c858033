package org.tollgate.tls.handshake;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** HKDF against RFC 5869 Appendix A. */
class HkdfTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    @Test
    void rfc5869TestCase1Sha256() {
        byte[] ikm = new byte[22];
        Arrays.fill(ikm, (byte) 0x0b);
        byte[] salt = hex("000102030405060708090a0b0c");
        byte[] info = hex("f0f1f2f3f4f5f6f7f8f9");

        Hkdf hkdf = new Hkdf("HmacSHA256", 32);
        byte[] prk = hkdf.extract(salt, ikm);
        assertArrayEquals(hex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"), prk);
        // L = 42 needs two HMAC blocks, so the block counter is exercised too.
        assertArrayEquals(hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"),
                hkdf.expand(prk, info, 42));
    }

    @Test
    void expandRefusesMoreThan255Blocks() {
        Hkdf hkdf = new Hkdf("HmacSHA256", 32);
        assertThrows(IllegalArgumentException.class, () -> hkdf.expand(new byte[32], new byte[0], 255 * 32 + 1));
    }
}
