package org.tollgate.tls.record;

import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.tollgate.tls.Alert;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.crypto.Aead;

/**
 * AES-GCM straight from the JDK, for testing the record layer without the production
 * crypto. Deliberately plain: a new {@link Cipher} per call, so it cannot share state
 * between records and hide a nonce bug in {@link RecordCipher}.
 */
final class JcaAeadForTests implements Aead {
    private final SecretKeySpec key;

    JcaAeadForTests(byte[] key) {
        this.key = new SecretKeySpec(key, "AES");
    }

    @Override
    public int seal(byte[] nonce, byte[] aad, byte[] in, int inOff, int len, byte[] out, int outOff) throws TlsException {
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_LENGTH * 8, nonce.clone()));
            c.updateAAD(aad);
            return c.doFinal(in, inOff, len, out, outOff);
        } catch (GeneralSecurityException e) {
            throw TlsException.internalError("AES-GCM seal failed", e);
        }
    }

    @Override
    public int open(byte[] nonce, byte[] aad, byte[] in, int inOff, int len, byte[] out, int outOff) throws TlsException {
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_LENGTH * 8, nonce.clone()));
            c.updateAAD(aad);
            return c.doFinal(in, inOff, len, out, outOff);
        } catch (AEADBadTagException e) {
            throw new TlsException(Alert.BAD_RECORD_MAC, "record authentication failed", e);
        } catch (GeneralSecurityException e) {
            throw TlsException.internalError("AES-GCM open failed", e);
        }
    }
}
