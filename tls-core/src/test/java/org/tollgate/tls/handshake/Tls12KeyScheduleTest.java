package org.tollgate.tls.handshake;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.tollgate.tls.CipherSuite;

/**
 * The TLS 1.2 PRF against the published vectors (posted to the IETF TLS working group list,
 * msg03416, and used unchanged by BearSSL's and GNU Classpath's test suites, among others),
 * and the derivations built on it. That our master secret equals OpenSSL's for the same
 * connection is checked through the key log in the integration tests.
 */
class Tls12KeyScheduleTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void prfSha256MatchesThePublishedVector() {
        byte[] out = Tls12KeySchedule.prf("HmacSHA256", HEX.parseHex("9bbe436ba940f017b17652849a71db35"), "test label",
                HEX.parseHex("a0ba9f936cda311827a6f796ffd5198c"), 100);
        assertEquals("e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a"
                + "6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab"
                + "4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701"
                + "87347b66", HEX.formatHex(out));
    }

    @Test
    void prfSha384MatchesThePublishedVector() {
        byte[] out = Tls12KeySchedule.prf("HmacSHA384", HEX.parseHex("b80b733d6ceefcdc71566ea48e5567df"), "test label",
                HEX.parseHex("cd665cf6a8447dd6ff8b27555edb7465"), 148);
        assertEquals("7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd"
                + "e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd"
                + "8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425"
                + "9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee6"
                + "91c8f3a26854308d5eaa3be85e0990703d73e56f", HEX.formatHex(out));
    }

    @Test
    void aShorterOutputIsAPrefixOfALongerOne() {
        byte[] secret = HEX.parseHex("9bbe436ba940f017b17652849a71db35");
        byte[] seed = HEX.parseHex("a0ba9f936cda311827a6f796ffd5198c");
        byte[] long100 = Tls12KeySchedule.prf("HmacSHA256", secret, "test label", seed, 100);
        for (int n : new int[] {1, 31, 32, 33, 64, 99}) {
            assertArrayEquals(Arrays.copyOf(long100, n), Tls12KeySchedule.prf("HmacSHA256", secret, "test label", seed, n));
        }
    }

    /** The derivations are the PRF with the RFC's labels and seeds, which the vectors above pin down. */
    @Test
    void derivationsUseTheRfcLabelsSeedsAndLengths() {
        Tls12KeySchedule ks = new Tls12KeySchedule(CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384);
        byte[] pre = new byte[48];
        byte[] cr = new byte[32];
        byte[] sr = new byte[32];
        Arrays.fill(cr, (byte) 1);
        Arrays.fill(sr, (byte) 2);
        byte[] master = ks.masterSecret(pre, cr, sr);
        assertArrayEquals(Tls12KeySchedule.prf("HmacSHA384", pre, "master secret", concat(cr, sr), 48), master);
        byte[] sessionHash = new byte[48];
        byte[] ems = ks.extendedMasterSecret(pre, sessionHash);
        assertArrayEquals(Tls12KeySchedule.prf("HmacSHA384", pre, "extended master secret", sessionHash, 48), ems);
        assertFalse(Arrays.equals(master, ems));

        Tls12KeySchedule.KeyBlock kb = ks.keyBlock(master, cr, sr);
        byte[] block = Tls12KeySchedule.prf("HmacSHA384", master, "key expansion", concat(sr, cr), 2 * 32 + 2 * 4);
        assertArrayEquals(Arrays.copyOfRange(block, 0, 32), kb.clientWriteKey());
        assertArrayEquals(Arrays.copyOfRange(block, 32, 64), kb.serverWriteKey());
        assertArrayEquals(Arrays.copyOfRange(block, 64, 68), kb.clientWriteIv());
        assertArrayEquals(Arrays.copyOfRange(block, 68, 72), kb.serverWriteIv());

        Tls12KeySchedule chacha = new Tls12KeySchedule(CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256);
        assertEquals(12, chacha.keyBlock(master, cr, sr).serverWriteIv().length);

        assertArrayEquals(Tls12KeySchedule.prf("HmacSHA384", master, "client finished", sessionHash, 12),
                ks.verifyData(master, true, sessionHash));
        assertArrayEquals(Tls12KeySchedule.prf("HmacSHA384", master, "server finished", sessionHash, 12),
                ks.verifyData(master, false, sessionHash));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
