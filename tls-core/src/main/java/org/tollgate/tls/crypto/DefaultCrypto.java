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
 *
 * <ul>
 *   <li>Key shares: BouncyCastle. X25519 with the low-level {@code rfc7748.X25519}
 *       ({@link X25519KeyShare}); secp256r1 and secp384r1 on BouncyCastle's special-form
 *       curves ({@link EcdhKeyShare}).
 *   <li>Signatures ({@link Signatures}): ECDSA with BouncyCastle's {@code ECDSASigner}
 *       (RFC 6979 nonces), Ed25519 with the low-level {@code rfc8032.Ed25519}; RSA on the JDK.
 *   <li>Record protection ({@link JcaAead}): the JDK's AES-GCM and ChaCha20-Poly1305.
 * </ul>
 *
 * <p>Measured with {@code CryptoSpeed} (in the test sources; run by hand) on a shared 2-core
 * AMD EPYC virtual machine, OpenJDK 17.0.15 and Temurin 25.0.3, BouncyCastle 1.83, one
 * thread, operations per second. Each JDK/BouncyCastle pair was measured in alternating
 * windows in one run; other builds were running on the machine, so the absolute figures
 * sit below BASELINES.md and only the ratios mean much.
 *
 * <pre>
 *                                  JDK 17   ours on 17   ratio |  JDK 25   ours on 25   ratio
 * x25519 keygen + derive            1 373        4 727    3.4x |   1 585        5 715    3.6x
 * secp256r1 keygen + derive           391        2 444    6.3x |     334        1 771    5.3x
 * secp384r1 keygen + derive            93          439    4.7x |      96          342    3.6x
 * ECDSA P-256 sign                  1 072        7 999    7.5x |   1 878        3 576    1.9x
 * ECDSA P-256 verify                  659        3 504    5.3x |   1 078        3 809    3.5x
 * ECDSA P-384 sign                    363        2 295    6.3x |     576        3 281    5.7x
 * ECDSA P-384 verify                  210          907    4.3x |     249          933    3.7x
 * Ed25519 sign                        736       19 069   25.9x |   1 247       23 343   18.7x
 * Ed25519 verify                      517        4 247    8.2x |     837        8 472   10.1x
 * RSA-2048 PSS sign (JDK)             622                      |     708
 * RSA-2048 PSS verify (JDK)        17 075                      |  23 958
 * </pre>
 *
 * <p>BouncyCastle wins every elliptic-curve row on both JDKs, so it backs all of them. (An
 * earlier run, under heavier load and with back-to-back rather than alternating windows,
 * gave the same ordering: 4.1x to 20x.) Ed25519 signing caches the public key of the last
 * signing key, which saves the scalar multiplication that would derive it on each call.
 *
 * <p>Record protection in MB/s, JDK 17 / JDK 25: AES-128-GCM seal 16 KiB 2 300 / 2 804,
 * open 16 KiB 2 379 / 2 771, seal 1 KiB 1 316 / 1 041; AES-256-GCM seal 16 KiB 2 269 /
 * 2 543; ChaCha20-Poly1305 seal 16 KiB 202 / 329, where BouncyCastle's pure-Java
 * {@code ChaCha20Poly1305} made 110 / 119. The JDK is faster for both AEADs. Sealing in
 * place cost the same as sealing into another buffer (2 300 vs 2 412 MB/s, within noise).
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
