package org.tollgate.tls.handshake;

import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HKDF (RFC 5869) over the HMAC of one hash. Small enough to read in one sitting. */
public final class Hkdf {
    private final String hmacName;
    private final int hashLength;
    private final Mac mac;

    public Hkdf(String hmacName, int hashLength) {
        this.hmacName = hmacName;
        this.hashLength = hashLength;
        try {
            this.mac = Mac.getInstance(hmacName);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(hmacName + " is missing from this JDK", e);
        }
    }

    public int hashLength() {
        return hashLength;
    }

    /** RFC 5869 §2.2: PRK = HMAC-Hash(salt, IKM); an empty salt means HashLen zeros. */
    public byte[] extract(byte[] salt, byte[] ikm) {
        if (salt == null || salt.length == 0) {
            salt = new byte[hashLength];
        }
        return hmac(salt, ikm);
    }

    /** RFC 5869 §2.3: T(i) = HMAC-Hash(PRK, T(i-1) | info | i), output the first L bytes. */
    public byte[] expand(byte[] prk, byte[] info, int length) {
        if (length > 255 * hashLength) {
            throw new IllegalArgumentException("HKDF-Expand length too large: " + length);
        }
        byte[] out = new byte[length];
        byte[] t = new byte[0];
        int filled = 0;
        try {
            mac.init(new SecretKeySpec(prk, hmacName));
            for (int i = 1; filled < length; i++) {
                mac.update(t);
                mac.update(info);
                mac.update((byte) i);
                t = mac.doFinal();
                int n = Math.min(t.length, length - filled);
                System.arraycopy(t, 0, out, filled, n);
                filled += n;
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** HMAC-Hash(key, data). */
    public byte[] hmac(byte[] key, byte[] data) {
        try {
            // SecretKeySpec refuses an empty key; HMAC pads keys with zeros, so zeros are the same key.
            mac.init(new SecretKeySpec(key.length == 0 ? new byte[hashLength] : key, hmacName));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
