package org.tollgate.tls.crypto;

import java.security.GeneralSecurityException;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.tollgate.tls.Alert;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.TlsException;

/**
 * AES-GCM or ChaCha20-Poly1305 through the JDK's providers (RFC 5116, RFC 8439). The JDK's
 * AES-GCM uses the AES-NI and carry-less multiply intrinsics and is as fast as OpenSSL's
 * (BASELINES.md), so there is nothing to gain from another implementation.
 *
 * <p>One {@link Cipher} and one key object per instance, re-initialised with the record's
 * nonce for each call: the only per-record allocation left is the JCA parameter object.
 * {@code Cipher.getInstance} (a provider look-up) is the expensive part of making one, and
 * a connection makes four per direction's life (handshake keys, then application keys, then
 * each KeyUpdate), so the {@link Cipher} is taken over from the instance this one replaces
 * ({@link #takeCipherFrom}) and looked up only when there is none to take.
 * The JDK refuses to encrypt twice with the same key and nonce under AES-GCM and
 * ChaCha20-Poly1305; TLS never does (RFC 8446 §5.3), so that refusal surfaces as
 * {@code internal_error}.
 *
 * <p>The JDK's ChaCha20-Poly1305 also refuses to <em>decrypt</em> twice in a row with the
 * same nonce, which TLS does legitimately: a server that rejected 0-RTT data tries each
 * record at the same sequence number until one deprotects (RFC 8446 §4.2.10), and the
 * record layer may retry after a failure. {@link #open} steps the cipher through another
 * nonce first in that case.
 */
final class JcaAead implements Aead {

    private static final int NONCE_LENGTH = 12;

    private final CipherSuite suite;
    private final boolean gcm;
    private final SecretKeySpec key;
    /** Looked up on first use unless taken over from the previous key's instance. */
    private Cipher cipher;
    /** ChaCha20-Poly1305 only: the nonce of the last init, to dodge the JDK's re-init check. */
    private final byte[] lastNonce;

    JcaAead(CipherSuite suite, byte[] key) {
        if (key == null || key.length != suite.keyLength()) {
            throw new IllegalArgumentException(suite + " needs a " + suite.keyLength() + "-byte key, got "
                    + (key == null ? "null" : key.length));
        }
        this.suite = suite;
        this.gcm = suite.isAesGcm();
        this.key = new SecretKeySpec(key, gcm ? "AES" : "ChaCha20");
        this.lastNonce = gcm ? null : new byte[NONCE_LENGTH];
    }

    /**
     * Takes the JCA cipher of {@code previous}, the instance whose key this one replaces in
     * the same direction, when both use the same transformation; {@code previous} must not be
     * used afterwards (if it is, it looks up a cipher of its own). Every call initialises the
     * cipher with this instance's key and the record's nonce, so nothing carries over.
     */
    @Override
    public void takeCipherFrom(Aead previous) {
        if (cipher == null && previous instanceof JcaAead && ((JcaAead) previous).cipher != null
                && suite.cipherTransformation().equals(((JcaAead) previous).suite.cipherTransformation())) {
            JcaAead p = (JcaAead) previous;
            cipher = p.cipher;
            p.cipher = null;
        }
    }

    private Cipher cipher() throws TlsException {
        if (cipher == null) {
            try {
                cipher = Cipher.getInstance(suite.cipherTransformation());
            } catch (GeneralSecurityException e) {
                throw TlsException.internalError("this JDK lacks " + suite.cipherTransformation(), e);
            }
        }
        return cipher;
    }

    @Override
    public int seal(byte[] nonce, byte[] aad, byte[] in, int inOff, int len, byte[] out, int outOff)
            throws TlsException {
        try {
            // Cipher.doFinal is copy-safe: out may be in, as the interface promises.
            return encryptor(nonce, aad).doFinal(in, inOff, len, out, outOff);
        } catch (GeneralSecurityException | IllegalStateException e) {
            throw TlsException.internalError(suite + " encryption failed: " + e.getMessage(), e);
        }
    }

    @Override
    public int seal(byte[] nonce, byte[] aad, byte[] in, int inOff, int len, byte[] trailer, int trailerLen,
            byte[] out, int outOff) throws TlsException {
        try {
            // One AEAD operation in two calls: the content from where it is, then the trailer.
            Cipher cipher = encryptor(nonce, aad);
            int n = cipher.update(in, inOff, len, out, outOff);
            return n + cipher.doFinal(trailer, 0, trailerLen, out, outOff + n);
        } catch (GeneralSecurityException | IllegalStateException e) {
            throw TlsException.internalError(suite + " encryption failed: " + e.getMessage(), e);
        }
    }

    /** The cipher, initialised to encrypt with {@code nonce}, the additional data fed in. */
    private Cipher encryptor(byte[] nonce, byte[] aad) throws GeneralSecurityException, TlsException {
        Cipher cipher = cipher();
        cipher.init(Cipher.ENCRYPT_MODE, key, parameters(nonce));
        remember(nonce);
        if (aad != null && aad.length > 0) {
            cipher.updateAAD(aad);
        }
        return cipher;
    }

    @Override
    public int open(byte[] nonce, byte[] aad, byte[] in, int inOff, int len, byte[] out, int outOff)
            throws TlsException {
        if (len < TAG_LENGTH) {
            throw new TlsException(Alert.BAD_RECORD_MAC, "record authentication failed: " + len
                    + " bytes of ciphertext cannot hold a " + TAG_LENGTH + "-byte tag");
        }
        Cipher cipher = cipher();
        try {
            AlgorithmParameterSpec parameters = parameters(nonce);
            if (lastNonce != null && Arrays.equals(nonce, lastNonce)) {
                byte[] other = nonce.clone();
                other[0] ^= 1;
                cipher.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(other));
            }
            cipher.init(Cipher.DECRYPT_MODE, key, parameters);
            remember(nonce);
            if (aad != null && aad.length > 0) {
                cipher.updateAAD(aad);
            }
            return cipher.doFinal(in, inOff, len, out, outOff);
        } catch (AEADBadTagException e) {
            // RFC 8446 §5.2: a record that fails to deprotect is bad_record_mac.
            throw new TlsException(Alert.BAD_RECORD_MAC, "record authentication failed (" + suite
                    + "): wrong key or nonce, altered additional data, or a corrupted record");
        } catch (GeneralSecurityException | IllegalStateException e) {
            throw TlsException.internalError(suite + " decryption failed: " + e.getMessage(), e);
        }
    }

    private void remember(byte[] nonce) {
        if (lastNonce != null) {
            System.arraycopy(nonce, 0, lastNonce, 0, NONCE_LENGTH);
        }
    }

    private AlgorithmParameterSpec parameters(byte[] nonce) throws TlsException {
        if (nonce == null || nonce.length != NONCE_LENGTH) {
            throw TlsException.internalError("an AEAD nonce is 12 bytes, got "
                    + (nonce == null ? "null" : nonce.length), null);
        }
        return gcm ? new GCMParameterSpec(TAG_LENGTH * 8, nonce) : new IvParameterSpec(nonce);
    }

    @Override
    public String toString() {
        return "Aead(" + suite + ")";
    }
}
