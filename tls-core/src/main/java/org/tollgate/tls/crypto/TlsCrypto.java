package org.tollgate.tls.crypto;

import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.SignatureScheme;
import org.tollgate.tls.TlsException;

/**
 * The public-key and record cryptography the protocol needs, behind one small interface,
 * so the protocol code never names a provider. Which implementation backs each operation
 * was chosen by measurement (see {@link DefaultCrypto}).
 */
public interface TlsCrypto {

    /** The implementation the engine uses unless a configuration says otherwise. */
    static TlsCrypto defaultCrypto() {
        return DefaultCrypto.INSTANCE;
    }

    /** A fresh ephemeral key pair for {@code group}, drawn from {@code random}. */
    KeyShare generateKeyShare(NamedGroup group, SecureRandom random);

    /**
     * A key share from a known private key (known-answer tests, e.g. RFC 8448): for X25519
     * the 32-byte scalar, for the NIST curves the big-endian private scalar.
     */
    KeyShare keyShareFromPrivateKey(NamedGroup group, byte[] privateKey);

    /** The record cipher of {@code suite} keyed with {@code key}. */
    Aead aead(CipherSuite suite, byte[] key);

    /**
     * Signs {@code message} with {@code scheme} (RSA-PSS with MGF1 of the same hash and a
     * salt as long as the hash, RFC 8446 §4.2.3; ECDSA signatures DER-encoded).
     *
     * <p>{@code random} salts RSA-PSS. ECDSA takes its nonce from RFC 6979 (deterministic,
     * so a weak random source cannot leak the key) and Ed25519 is deterministic, so neither
     * draws from it. The hash comes from the scheme, the curve from the key: that TLS 1.3
     * binds the curve to the scheme is the protocol layer's check. A key that cannot make
     * this scheme's signatures, or any other failure, is {@code internal_error}.
     */
    byte[] sign(SignatureScheme scheme, PrivateKey key, byte[] message, SecureRandom random) throws TlsException;

    /**
     * True when {@code signature} is a valid {@code scheme} signature of {@code message} by
     * {@code key}. Never throws: a malformed key, signature or encoding (ECDSA: anything but
     * the one DER encoding of (r, s)) is simply false.
     */
    boolean verify(SignatureScheme scheme, PublicKey key, byte[] message, byte[] signature);

    /** TLS 1.2 RSA key exchange, client side: PKCS#1 v1.5 encryption of the 48-byte premaster secret. */
    default byte[] encryptPremaster(PublicKey serverKey, byte[] premaster, SecureRandom random) throws TlsException {
        return RsaKeyExchange.encryptPremaster(serverKey, premaster, random);
    }

    /**
     * TLS 1.2 RSA key exchange, server side, with the RFC 5246 §7.4.7.1 countermeasure: the
     * decrypted premaster secret if its padding, length and version are right, otherwise
     * {@code fallback}, without revealing which (see {@link RsaKeyExchange}).
     */
    default byte[] decryptPremaster(PrivateKey key, byte[] encrypted, int clientVersion, byte[] fallback) {
        return RsaKeyExchange.decryptPremaster(key, encrypted, clientVersion, fallback);
    }
}
