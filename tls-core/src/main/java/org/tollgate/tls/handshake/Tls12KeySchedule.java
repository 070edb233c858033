package org.tollgate.tls.handshake;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.tollgate.tls.CipherSuite;

/**
 * TLS 1.2 key derivation (RFC 5246 §5, §6.3, §8.1, §7.4.9; RFC 7627 §4):
 *
 * <pre>
 * master_secret = PRF(pre_master_secret, "master secret", client_random + server_random)[0..47]
 *     or, with extended_master_secret (RFC 7627):
 * master_secret = PRF(pre_master_secret, "extended master secret", session_hash)[0..47]
 * key_block     = PRF(master_secret, "key expansion", server_random + client_random)
 *               = client_write_key, server_write_key, client_write_IV, server_write_IV  (AEAD: no MAC keys)
 * verify_data   = PRF(master_secret, "client finished" | "server finished", Hash(handshake_messages))[0..11]
 * </pre>
 *
 * The PRF is P_SHA256, or P_SHA384 for the suites named _SHA384 (RFC 5288 §3, RFC 5289 §3.2).
 * The session hash binds the master secret to the whole handshake up to ClientKeyExchange,
 * which closes the triple handshake attack on resumption.
 */
public final class Tls12KeySchedule {
    /** RFC 5246 §8.1: the master secret is always 48 bytes. */
    public static final int MASTER_SECRET_LENGTH = 48;
    /** RFC 5246 §7.4.9: verify_data_length is 12 for every suite here. */
    public static final int VERIFY_DATA_LENGTH = 12;

    private final CipherSuite suite;
    private final String hmacName;

    public Tls12KeySchedule(CipherSuite suite) {
        if (suite.isTls13()) {
            throw new IllegalArgumentException(suite + " is a TLS 1.3 suite");
        }
        this.suite = suite;
        this.hmacName = suite.hmacName();
    }

    /** The write keys and IVs of both sides, cut from the key block (RFC 5246 §6.3). */
    public record KeyBlock(byte[] clientWriteKey, byte[] serverWriteKey, byte[] clientWriteIv, byte[] serverWriteIv) {
    }

    /**
     * RFC 5246 §5: PRF(secret, label, seed) = P_hash(secret, label + seed), where
     * P_hash(secret, seed) = HMAC(secret, A(1) + seed) + HMAC(secret, A(2) + seed) + ...,
     * A(0) = seed, A(i) = HMAC(secret, A(i-1)).
     */
    public static byte[] prf(String hmacName, byte[] secret, String label, byte[] seed, int length) {
        byte[] labelAndSeed = concat(label.getBytes(StandardCharsets.US_ASCII), seed);
        byte[] out = new byte[length];
        try {
            Mac mac = Mac.getInstance(hmacName);
            // SecretKeySpec refuses an empty key; HMAC pads keys with zeros, so one zero byte is the same key.
            mac.init(new SecretKeySpec(secret.length == 0 ? new byte[1] : secret, hmacName));
            byte[] a = labelAndSeed;
            int filled = 0;
            while (filled < length) {
                a = mac.doFinal(a);
                mac.update(a);
                byte[] block = mac.doFinal(labelAndSeed);
                int n = Math.min(block.length, length - filled);
                System.arraycopy(block, 0, out, filled, n);
                filled += n;
            }
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(hmacName + " is missing from this JDK", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    public byte[] prf(byte[] secret, String label, byte[] seed, int length) {
        return prf(hmacName, secret, label, seed, length);
    }

    /** RFC 5246 §8.1: the classic master secret, bound only to the two randoms. */
    public byte[] masterSecret(byte[] preMasterSecret, byte[] clientRandom, byte[] serverRandom) {
        return prf(preMasterSecret, "master secret", concat(clientRandom, serverRandom), MASTER_SECRET_LENGTH);
    }

    /** RFC 7627 §4: the master secret bound to the session hash (the transcript through ClientKeyExchange). */
    public byte[] extendedMasterSecret(byte[] preMasterSecret, byte[] sessionHash) {
        return prf(preMasterSecret, "extended master secret", sessionHash, MASTER_SECRET_LENGTH);
    }

    /** RFC 5246 §6.3: the key block; AEAD suites have no MAC keys, so it holds two keys and two IVs. */
    public KeyBlock keyBlock(byte[] masterSecret, byte[] clientRandom, byte[] serverRandom) {
        int keyLength = suite.keyLength();
        int ivLength = suite.tls12FixedIvLength();
        byte[] block = prf(masterSecret, "key expansion", concat(serverRandom, clientRandom), 2 * keyLength + 2 * ivLength);
        int at = 0;
        byte[] clientKey = Arrays.copyOfRange(block, at, at += keyLength);
        byte[] serverKey = Arrays.copyOfRange(block, at, at += keyLength);
        byte[] clientIv = Arrays.copyOfRange(block, at, at += ivLength);
        byte[] serverIv = Arrays.copyOfRange(block, at, at + ivLength);
        return new KeyBlock(clientKey, serverKey, clientIv, serverIv);
    }

    /** RFC 5246 §7.4.9: Finished.verify_data over the hash of every handshake message before it. */
    public byte[] verifyData(byte[] masterSecret, boolean client, byte[] handshakeHash) {
        return prf(masterSecret, client ? "client finished" : "server finished", handshakeHash, VERIFY_DATA_LENGTH);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
