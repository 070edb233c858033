package org.tollgate.tls.crypto;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.digests.SHA1Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA384Digest;
import org.bouncycastle.crypto.digests.SHA512Digest;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.crypto.signers.StandardDSAEncoding;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.tollgate.tls.SignatureScheme;
import org.tollgate.tls.TlsException;

/**
 * Signing and verifying for every {@link SignatureScheme} (RFC 8446 §4.2.3, §4.4.3), each on
 * the implementation that measured fastest (see {@link DefaultCrypto}):
 *
 * <ul>
 *   <li>ECDSA on P-256, P-384 and P-521: BouncyCastle's {@link ECDSASigner} over its
 *       special-form curves, with the deterministic nonce of RFC 6979 (a weak random source
 *       cannot leak the key). Signatures are DER; verification accepts only the one DER
 *       encoding of (r, s) with 0 &lt; r, s &lt; n. A key on another curve, or a key that
 *       does not expose its scalar (a hardware token), goes to the JCA.
 *   <li>Ed25519: BouncyCastle's low-level {@link Ed25519} (RFC 8032 §5.1), with the public
 *       key of the last signing key cached so signing costs one scalar multiplication.
 *   <li>RSA (PSS and PKCS#1 v1.5): the JDK. RSASSA-PSS with MGF1 of the same hash and a salt
 *       as long as the hash (RFC 8446 §4.2.3), salt drawn from the given random.
 * </ul>
 *
 * <p>The hash comes from the scheme and the curve from the key. That TLS 1.3 also binds
 * the curve to the scheme ({@code ecdsa_secp256r1_sha256} only with a P-256 key) is for
 * the protocol layer to check, because TLS 1.2 does not (RFC 5246 §7.4.1.4.1).
 *
 * <p>Keys may be the JDK's or BouncyCastle's classes: EC keys are read through
 * {@link ECPrivateKey}/{@link ECPublicKey}, Ed25519 keys through their standard encodings.
 */
final class Signatures {

    private Signatures() {
    }

    /** Sign failures are local faults (wrong key for the scheme, broken provider): internal_error. */
    static byte[] sign(SignatureScheme scheme, PrivateKey key, byte[] message, SecureRandom random)
            throws TlsException {
        try {
            switch (scheme) {
                case ECDSA_SECP256R1_SHA256:
                case ECDSA_SECP384R1_SHA384:
                case ECDSA_SECP521R1_SHA512:
                case ECDSA_SHA1:
                    return ecdsaSign(scheme, key, message, random);
                case ED25519:
                    return ed25519Sign(key, message);
                case RSA_PSS_RSAE_SHA256:
                case RSA_PSS_RSAE_SHA384:
                case RSA_PSS_RSAE_SHA512:
                    requireRsaEncryptionKey(scheme, key.getAlgorithm());
                    return jcaSign("RSASSA-PSS", pssParameters(scheme), key, message, random);
                default: // rsa_pkcs1_*: TLS 1.2 and certificates only
                    requireRsaEncryptionKey(scheme, key.getAlgorithm());
                    return jcaSign(scheme.jcaAlgorithm(), null, key, message, random);
            }
        } catch (GeneralSecurityException | IOException | RuntimeException e) {
            throw TlsException.internalError("cannot sign with " + scheme + " using a "
                    + (key == null ? "null" : key.getAlgorithm()) + " key: " + e.getMessage(), e);
        }
    }

    /** Any malformed input (key, encoding, signature) is simply "not valid": never throws. */
    static boolean verify(SignatureScheme scheme, PublicKey key, byte[] message, byte[] signature) {
        if (scheme == null || key == null || message == null || signature == null) {
            return false;
        }
        try {
            switch (scheme) {
                case ECDSA_SECP256R1_SHA256:
                case ECDSA_SECP384R1_SHA384:
                case ECDSA_SECP521R1_SHA512:
                case ECDSA_SHA1:
                    return ecdsaVerify(scheme, key, message, signature);
                case ED25519:
                    return ed25519Verify(key, message, signature);
                case RSA_PSS_RSAE_SHA256:
                case RSA_PSS_RSAE_SHA384:
                case RSA_PSS_RSAE_SHA512:
                    return "RSA".equals(key.getAlgorithm())
                            && jcaVerify("RSASSA-PSS", pssParameters(scheme), key, message, signature);
                default:
                    return "RSA".equals(key.getAlgorithm())
                            && jcaVerify(scheme.jcaAlgorithm(), null, key, message, signature);
            }
        } catch (GeneralSecurityException | IOException | RuntimeException e) {
            return false;
        }
    }

    // ---- ECDSA -------------------------------------------------------------------------

    /** A signing key as BouncyCastle wants it, derived once per key: a server signs with the same key again and again. */
    private record EcSigningKey(PrivateKey key, EcCurve curve, ECPrivateKeyParameters parameters) {
    }

    /** The last EC key used to sign (null curve: not one of ours, signed by the JCA). */
    private static volatile EcSigningKey lastEc;

    private static byte[] ecdsaSign(SignatureScheme scheme, PrivateKey key, byte[] message, SecureRandom random)
            throws GeneralSecurityException, IOException {
        EcSigningKey k = lastEc;
        if (k == null || k.key() != key) {
            EcCurve curve = key instanceof ECPrivateKey ? EcCurve.of(((ECPrivateKey) key).getParams()) : null;
            k = new EcSigningKey(key, curve,
                    curve == null ? null : new ECPrivateKeyParameters(((ECPrivateKey) key).getS(), curve.domain));
            lastEc = k;
        }
        if (k.curve() == null) {
            return jcaSign(scheme.jcaAlgorithm(), null, key, message, random);
        }
        byte[] hash = MessageDigest.getInstance(hashName(scheme)).digest(message);
        // RFC 6979: k = HMAC_DRBG(private key, hash), with the scheme's hash.
        ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(bcDigest(scheme)));
        signer.init(true, k.parameters());
        BigInteger[] rs = signer.generateSignature(hash);
        return StandardDSAEncoding.INSTANCE.encode(k.curve().order, rs[0], rs[1]);
    }

    private static boolean ecdsaVerify(SignatureScheme scheme, PublicKey key, byte[] message, byte[] signature)
            throws GeneralSecurityException, IOException {
        EcCurve curve = key instanceof ECPublicKey ? EcCurve.of(((ECPublicKey) key).getParams()) : null;
        if (curve == null) {
            return jcaVerify(scheme.jcaAlgorithm(), null, key, message, signature);
        }
        // Throws unless the bytes are exactly the DER encoding of two integers in [0, n):
        // no trailing bytes, no padded integers, no long-form lengths where short would do.
        BigInteger[] rs = StandardDSAEncoding.INSTANCE.decode(curve.order, signature);
        java.security.spec.ECPoint w = ((ECPublicKey) key).getW();
        ECPoint q = curve.curve.validatePoint(w.getAffineX(), w.getAffineY()); // on the curve, or throws
        byte[] hash = MessageDigest.getInstance(hashName(scheme)).digest(message);
        ECDSASigner verifier = new ECDSASigner();
        verifier.init(false, new ECPublicKeyParameters(q, curve.domain));
        return verifier.verifySignature(hash, rs[0], rs[1]); // false unless 0 < r, s < n
    }

    private static String hashName(SignatureScheme scheme) {
        switch (scheme) {
            case ECDSA_SECP256R1_SHA256: return "SHA-256";
            case ECDSA_SECP384R1_SHA384: return "SHA-384";
            case ECDSA_SECP521R1_SHA512: return "SHA-512";
            case ECDSA_SHA1: return "SHA-1";
            default: throw new IllegalArgumentException("not an ECDSA scheme: " + scheme);
        }
    }

    private static Digest bcDigest(SignatureScheme scheme) {
        switch (scheme) {
            case ECDSA_SECP256R1_SHA256: return new SHA256Digest();
            case ECDSA_SECP384R1_SHA384: return new SHA384Digest();
            case ECDSA_SECP521R1_SHA512: return new SHA512Digest();
            case ECDSA_SHA1: return new SHA1Digest();
            default: throw new IllegalArgumentException("not an ECDSA scheme: " + scheme);
        }
    }

    // ---- Ed25519 -----------------------------------------------------------------------

    /** A signing key as the low-level code wants it: the 32-byte seed and its public key. */
    private record Ed25519SigningKey(PrivateKey key, byte[] seed, byte[] publicKey) {
    }

    /** The last Ed25519 key used to sign; a server signs with the same key again and again. */
    private static volatile Ed25519SigningKey lastEd25519;

    private static byte[] ed25519Sign(PrivateKey key, byte[] message) throws IOException {
        Ed25519SigningKey k = lastEd25519;
        if (k == null || k.key() != key) {
            byte[] seed = ed25519Seed(key);
            byte[] publicKey = new byte[Ed25519.PUBLIC_KEY_SIZE];
            Ed25519.generatePublicKey(seed, 0, publicKey, 0);
            k = new Ed25519SigningKey(key, seed, publicKey);
            lastEd25519 = k;
        }
        byte[] signature = new byte[Ed25519.SIGNATURE_SIZE];
        // The public key passed in is the one derived from this very seed (RFC 8032 §5.1.6).
        Ed25519.sign(k.seed(), 0, k.publicKey(), 0, message, 0, message.length, signature, 0);
        return signature;
    }

    private static boolean ed25519Verify(PublicKey key, byte[] message, byte[] signature) {
        if (signature.length != Ed25519.SIGNATURE_SIZE) {
            return false;
        }
        SubjectPublicKeyInfo info = SubjectPublicKeyInfo.getInstance(key.getEncoded());
        if (!EdECObjectIdentifiers.id_Ed25519.equals(info.getAlgorithm().getAlgorithm())) {
            return false;
        }
        byte[] publicKey = info.getPublicKeyData().getOctets();
        // Rejects a non-canonical S or R, and a public key that is not a curve point.
        return publicKey.length == Ed25519.PUBLIC_KEY_SIZE
                && Ed25519.verify(signature, 0, publicKey, 0, message, 0, message.length);
    }

    /** The 32-byte seed from the PKCS#8 encoding (RFC 8410 §7), the same for JDK and BC keys. */
    private static byte[] ed25519Seed(PrivateKey key) throws IOException {
        byte[] encoded = key.getEncoded();
        if (encoded == null) {
            throw new IllegalArgumentException("the Ed25519 key does not reveal its encoding");
        }
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(encoded);
        if (!EdECObjectIdentifiers.id_Ed25519.equals(info.getPrivateKeyAlgorithm().getAlgorithm())) {
            throw new IllegalArgumentException("not an Ed25519 key: " + key.getAlgorithm());
        }
        byte[] seed = ASN1OctetString.getInstance(info.parsePrivateKey()).getOctets();
        if (seed.length != Ed25519.SECRET_KEY_SIZE) {
            throw new IllegalArgumentException("an Ed25519 private key is 32 bytes, got " + seed.length);
        }
        return seed;
    }

    // ---- RSA and the JCA fallback ------------------------------------------------------

    private static final PSSParameterSpec PSS_SHA256 =
            new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, PSSParameterSpec.TRAILER_FIELD_BC);
    private static final PSSParameterSpec PSS_SHA384 =
            new PSSParameterSpec("SHA-384", "MGF1", MGF1ParameterSpec.SHA384, 48, PSSParameterSpec.TRAILER_FIELD_BC);
    private static final PSSParameterSpec PSS_SHA512 =
            new PSSParameterSpec("SHA-512", "MGF1", MGF1ParameterSpec.SHA512, 64, PSSParameterSpec.TRAILER_FIELD_BC);

    /** RFC 8446 §4.2.3: MGF1 with the same hash, salt as long as the hash output. */
    private static PSSParameterSpec pssParameters(SignatureScheme scheme) {
        switch (scheme) {
            case RSA_PSS_RSAE_SHA256: return PSS_SHA256;
            case RSA_PSS_RSAE_SHA384: return PSS_SHA384;
            case RSA_PSS_RSAE_SHA512: return PSS_SHA512;
            default: throw new IllegalArgumentException("not an RSA-PSS scheme: " + scheme);
        }
    }

    /** rsa_pss_rsae_* and rsa_pkcs1_* are for rsaEncryption keys, not RSASSA-PSS-only keys. */
    private static void requireRsaEncryptionKey(SignatureScheme scheme, String algorithm) {
        if (!"RSA".equals(algorithm)) {
            throw new IllegalArgumentException(scheme + " needs an RSA (rsaEncryption) key");
        }
    }

    private static byte[] jcaSign(String algorithm, PSSParameterSpec pss, PrivateKey key, byte[] message,
            SecureRandom random) throws GeneralSecurityException {
        Signature s = Signature.getInstance(algorithm);
        if (random != null) {
            s.initSign(key, random);
        } else {
            s.initSign(key);
        }
        if (pss != null) {
            s.setParameter(pss);
        }
        s.update(message);
        return s.sign();
    }

    private static boolean jcaVerify(String algorithm, PSSParameterSpec pss, PublicKey key, byte[] message,
            byte[] signature) throws GeneralSecurityException {
        Signature s = Signature.getInstance(algorithm);
        s.initVerify(key);
        if (pss != null) {
            s.setParameter(pss);
        }
        s.update(message);
        return s.verify(signature);
    }
}
