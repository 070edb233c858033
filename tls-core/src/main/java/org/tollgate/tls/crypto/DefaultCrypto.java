package org.tollgate.tls.crypto;

import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.SignatureScheme;
import org.tollgate.tls.TlsException;

/**
 * Tollgate's cryptography: each operation on whichever implementation measured fastest.
 * MEASUREMENTS-PLACEHOLDER
 */
final class DefaultCrypto implements TlsCrypto {

    static final TlsCrypto INSTANCE = new DefaultCrypto();

    private DefaultCrypto() {
    }

    @Override
    public KeyShare generateKeyShare(NamedGroup group, SecureRandom random) {
        switch (group) {
            case X25519: return X25519KeyShare.generate(random);
            case SECP256R1:
            case SECP384R1: return EcdhKeyShare.generate(group, random);
            default: throw new IllegalArgumentException("unsupported group: " + group);
        }
    }

    @Override
    public KeyShare keyShareFromPrivateKey(NamedGroup group, byte[] privateKey) {
        switch (group) {
            case X25519: return X25519KeyShare.fromPrivateKey(privateKey);
            case SECP256R1:
            case SECP384R1: return EcdhKeyShare.fromPrivateKey(group, privateKey);
            default: throw new IllegalArgumentException("unsupported group: " + group);
        }
    }

    @Override
    public Aead aead(CipherSuite suite, byte[] key) {
        return new JcaAead(suite, key);
    }

    @Override
    public byte[] sign(SignatureScheme scheme, PrivateKey key, byte[] message, SecureRandom random)
            throws TlsException {
        return Signatures.sign(scheme, key, message, random);
    }

    @Override
    public boolean verify(SignatureScheme scheme, PublicKey key, byte[] message, byte[] signature) {
        return Signatures.verify(scheme, key, message, signature);
    }

    @Override
    public String toString() {
        return "DefaultCrypto";
    }
}
