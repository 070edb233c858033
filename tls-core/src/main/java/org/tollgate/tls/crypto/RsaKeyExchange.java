package org.tollgate.tls.crypto;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.RSAKey;
import javax.crypto.Cipher;
import org.tollgate.tls.TlsException;

/**
 * TLS 1.2 RSA key exchange (RFC 5246 §7.4.7.1): the client encrypts a 48-byte premaster
 * secret (client_version, then 46 random bytes) to the server certificate's RSA key with
 * PKCS#1 v1.5; the server decrypts it.
 *
 * <h2>Not a padding oracle</h2>
 *
 * If a server told a bad padding apart from a good one, by alert, by message or by time,
 * an attacker could decrypt a recorded premaster secret with a million or so crafted
 * ClientKeyExchange messages (Bleichenbacher 1998; ROBOT 2017). RFC 5246 §7.4.7.1 prescribes
 * the countermeasure, and {@link #decryptPremaster} follows it:
 *
 * <ol>
 *   <li>the caller draws a random 48-byte premaster secret R <em>before</em> decrypting;
 *   <li>the ciphertext goes through raw RSA ({@code RSA/ECB/NoPadding}, with the JDK's
 *       blinding), not through {@code RSA/ECB/PKCS1Padding}, whose {@code BadPaddingException}
 *       would be a branch on the secret;
 *   <li>the padding {@code 00 02 PS(>=8 non-zero) 00 M}, the length of M (exactly 48) and
 *       the version in M's first two bytes are all checked, byte by byte over the whole
 *       block, into one mask, without an early exit;
 *   <li>the result is M where the mask says valid and R elsewhere, chosen with bit
 *       operations, not with an {@code if};
 *   <li>the handshake goes on identically either way. A wrong premaster gives the server
 *       keys other than the client's, so the client's Finished fails to decrypt: the
 *       alert is bad_record_mac, the same as for any corrupted Finished record.
 * </ol>
 *
 * <p>What Java cannot promise: the JIT may compile the selection into branches, and the
 * exceptional paths (a ciphertext longer than the key, or not below the modulus) take other
 * times, but those depend only on what the attacker sent, not on the secret.
 */
final class RsaKeyExchange {
    /** RFC 5246 §7.4.7.1: the premaster secret is 48 bytes. */
    static final int PREMASTER_LENGTH = 48;

    private RsaKeyExchange() {
    }

    /** PKCS#1 v1.5 encryption of the premaster secret (client side). */
    static byte[] encryptPremaster(PublicKey key, byte[] premaster, SecureRandom random) throws TlsException {
        try {
            Cipher c = Cipher.getInstance("RSA/ECB/PKCS1Padding");
            c.init(Cipher.ENCRYPT_MODE, key, random);
            return c.doFinal(premaster);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw TlsException.internalError("cannot encrypt the premaster secret to the server's RSA key: " + e.getMessage(), e);
        }
    }

    /**
     * The premaster secret from {@code encrypted}, or {@code fallback} (48 random bytes the
     * caller drew beforehand) when decryption, padding, length or version is wrong. Never
     * throws for anything the peer sent, and never says which case happened.
     */
    static byte[] decryptPremaster(PrivateKey key, byte[] encrypted, int clientVersion, byte[] fallback) {
        if (fallback.length != PREMASTER_LENGTH) {
            throw new IllegalArgumentException("the fallback premaster secret must be 48 bytes");
        }
        int k = (((RSAKey) key).getModulus().bitLength() + 7) / 8;
        byte[] em = new byte[k];
        try {
            // RFC 8017 §7.2.2 step 1: a ciphertext of the wrong length is a decryption error.
            if (encrypted.length == k) {
                Cipher c = Cipher.getInstance("RSA/ECB/NoPadding");
                c.init(Cipher.DECRYPT_MODE, key);
                byte[] raw = c.doFinal(encrypted);
                int n = Math.min(raw.length, k);
                System.arraycopy(raw, raw.length - n, em, k - n, n); // right-aligned, as I2OSP gives it
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            // Ciphertext not below the modulus: em stays all zeros, which fails the check below.
        }
        // EM = 0x00 || 0x02 || PS || 0x00 || M, |M| = 48, |PS| = k - 51 >= 8 (RFC 8017 §7.2.2 step 3).
        int good = eq(em[0], 0) & eq(em[1], 2);
        int separator = k - PREMASTER_LENGTH - 1;
        for (int i = 2; i < separator; i++) {
            good &= 1 - eq(em[i], 0);
        }
        good &= eq(em[separator], 0);
        good &= k >= PREMASTER_LENGTH + 11 ? 1 : 0; // public: the key size
        // RFC 5246 §7.4.7.1: the first two bytes must be ClientHello.client_version.
        good &= eq(em[k - PREMASTER_LENGTH], clientVersion >>> 8) & eq(em[k - PREMASTER_LENGTH + 1], clientVersion & 0xFF);
        int mask = -good; // all ones when valid, all zeros otherwise
        byte[] premaster = new byte[PREMASTER_LENGTH];
        for (int i = 0; i < PREMASTER_LENGTH; i++) {
            premaster[i] = (byte) ((em[k - PREMASTER_LENGTH + i] & mask) | (fallback[i] & ~mask));
        }
        java.util.Arrays.fill(em, (byte) 0);
        return premaster;
    }

    /** 1 when the byte {@code a} equals {@code b} (0..255), else 0, without a branch. */
    private static int eq(int a, int b) {
        int x = (a ^ b) & 0xFF;
        return (x - 1) >>> 31;
    }
}
