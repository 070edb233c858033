package org.tollgate.tls.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.util.BigIntegers;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tollgate.tls.Alert;
import org.tollgate.tls.SignatureScheme;
import org.tollgate.tls.TlsException;

class SignaturesTest {

    /** BouncyCastle's JCA provider, not installed: only to make BC key classes (as PEM loading does). */
    private static final Provider BC = new BouncyCastleProvider();
    private static final TlsCrypto CRYPTO = TlsCrypto.defaultCrypto();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final byte[] MESSAGE = "TLS 1.3, server CertificateVerify".getBytes(StandardCharsets.US_ASCII);

    private static KeyPair rsa;

    @BeforeAll
    static void rsaKey() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        rsa = g.generateKeyPair();
    }

    // ---- Ed25519: RFC 8032 §7.1 -------------------------------------------------------

    /** RFC 8410 §10.3 framing of a raw Ed25519 key: PKCS#8 for the seed, X.509 for the public key. */
    private static final String PKCS8_ED25519_PREFIX = "302e020100300506032b657004220420";
    private static final String X509_ED25519_PREFIX = "302a300506032b6570032100";

    @Test
    void ed25519Rfc8032Test1EmptyMessage() throws Exception {
        assertEd25519("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                + "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
    }

    @Test
    void ed25519Rfc8032Test2OneByte() throws Exception {
        assertEd25519("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
                "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
                + "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
    }

    private void assertEd25519(String seed, String publicKey, String message, String signature) throws Exception {
        byte[] m = Hex.bytes(message);
        for (KeyFactory kf : new KeyFactory[] {KeyFactory.getInstance("Ed25519"), KeyFactory.getInstance("Ed25519", BC)}) {
            PrivateKey priv = kf.generatePrivate(new PKCS8EncodedKeySpec(Hex.bytes(PKCS8_ED25519_PREFIX + seed)));
            PublicKey pub = kf.generatePublic(new X509EncodedKeySpec(Hex.bytes(X509_ED25519_PREFIX + publicKey)));
            String provider = kf.getProvider().getName();
            assertEquals(signature, Hex.string(CRYPTO.sign(SignatureScheme.ED25519, priv, m, RANDOM)), provider);
            // Again, from the cached signing key.
            assertEquals(signature, Hex.string(CRYPTO.sign(SignatureScheme.ED25519, priv, m, RANDOM)), provider);
            assertTrue(CRYPTO.verify(SignatureScheme.ED25519, pub, m, Hex.bytes(signature)), provider);

            byte[] tampered = Hex.bytes(signature);
            tampered[10] ^= 4;
            assertFalse(CRYPTO.verify(SignatureScheme.ED25519, pub, m, tampered));
            assertFalse(CRYPTO.verify(SignatureScheme.ED25519, pub, Hex.bytes("73"), Hex.bytes(signature)));
            assertFalse(CRYPTO.verify(SignatureScheme.ED25519, pub, m, Arrays.copyOf(Hex.bytes(signature), 63)));
        }
    }

    @Test
    void ed25519AgreesWithTheJdk() throws Exception {
        KeyPair kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] ours = CRYPTO.sign(SignatureScheme.ED25519, kp.getPrivate(), MESSAGE, RANDOM);
        Signature jdk = Signature.getInstance("Ed25519");
        jdk.initVerify(kp.getPublic());
        jdk.update(MESSAGE);
        assertTrue(jdk.verify(ours));
        jdk.initSign(kp.getPrivate());
        jdk.update(MESSAGE);
        byte[] theirs = jdk.sign();
        assertArrayEquals(theirs, ours); // Ed25519 is deterministic
        assertTrue(CRYPTO.verify(SignatureScheme.ED25519, kp.getPublic(), MESSAGE, theirs));
    }

    /** RFC 8032 §5.1.7: S must be below the group order L; S + L is the classic malleation. */
    @Test
    void ed25519RefusesNonCanonicalS() throws Exception {
        KeyPair kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] sig = CRYPTO.sign(SignatureScheme.ED25519, kp.getPrivate(), MESSAGE, RANDOM);
        BigInteger l = BigInteger.ONE.shiftLeft(252).add(new BigInteger("27742317777372353535851937790883648493"));
        byte[] sLittleEndian = Arrays.copyOfRange(sig, 32, 64);
        BigInteger s = new BigInteger(1, reverse(sLittleEndian)).add(l);
        byte[] malleated = sig.clone();
        System.arraycopy(reverse(BigIntegers.asUnsignedByteArray(32, s)), 0, malleated, 32, 32);
        assertFalse(CRYPTO.verify(SignatureScheme.ED25519, kp.getPublic(), MESSAGE, malleated));
    }

    private static byte[] reverse(byte[] b) {
        byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = b[b.length - 1 - i];
        }
        return r;
    }

    // ---- ECDSA --------------------------------------------------------------------------

    /**
     * RFC 6979 §A.2.5: P-256, SHA-256, message "sample". Our ECDSA uses the deterministic k
     * of RFC 6979, so the signature must be exactly (r, s) of the RFC.
     */
    @Test
    void ecdsaP256Rfc6979Sample() throws Exception {
        for (Provider provider : new Provider[] {null, BC}) {
            KeyFactory kf = provider == null ? KeyFactory.getInstance("EC") : KeyFactory.getInstance("EC", provider);
            ECParameterSpec p256 = p256Parameters();
            PrivateKey priv = kf.generatePrivate(new ECPrivateKeySpec(new BigInteger(
                    "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721", 16), p256));
            PublicKey pub = kf.generatePublic(new ECPublicKeySpec(new ECPoint(
                    new BigInteger("60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6", 16),
                    new BigInteger("7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299", 16)), p256));
            byte[] sample = "sample".getBytes(StandardCharsets.US_ASCII);
            byte[] expected = Hex.bytes("3046"
                    + "022100" + "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
                    + "022100" + "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8");
            String name = provider == null ? "JDK keys" : "BC keys";
            assertArrayEquals(expected, CRYPTO.sign(SignatureScheme.ECDSA_SECP256R1_SHA256, priv, sample, RANDOM), name);
            assertTrue(CRYPTO.verify(SignatureScheme.ECDSA_SECP256R1_SHA256, pub, sample, expected), name);
            assertTrue(jdkVerify("SHA256withECDSA", pub, sample, expected), name);
        }
    }

    private static ECParameterSpec p256Parameters() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return ((ECPrivateKey) g.generateKeyPair().getPrivate()).getParams();
    }

    @ParameterizedTest
    @EnumSource(value = SignatureScheme.class, names = {"ECDSA_SECP256R1_SHA256", "ECDSA_SECP384R1_SHA384",
            "ECDSA_SECP521R1_SHA512"})
    void ecdsaAgreesWithTheJdkBothWays(SignatureScheme scheme) throws Exception {
        for (Provider provider : new Provider[] {null, BC}) {
            KeyPairGenerator g = provider == null
                    ? KeyPairGenerator.getInstance("EC") : KeyPairGenerator.getInstance("EC", provider);
            g.initialize(new ECGenParameterSpec(scheme.curve()));
            KeyPair kp = g.generateKeyPair();
            String name = scheme + " " + kp.getPrivate().getClass().getSimpleName();

            byte[] ours = CRYPTO.sign(scheme, kp.getPrivate(), MESSAGE, RANDOM);
            assertTrue(jdkVerify(scheme.jcaAlgorithm(), kp.getPublic(), MESSAGE, ours), name);
            assertTrue(CRYPTO.verify(scheme, kp.getPublic(), MESSAGE, ours), name);
            assertArrayEquals(ours, CRYPTO.sign(scheme, kp.getPrivate(), MESSAGE, RANDOM), "RFC 6979 is deterministic");

            Signature jdk = Signature.getInstance(scheme.jcaAlgorithm());
            jdk.initSign(kp.getPrivate());
            jdk.update(MESSAGE);
            assertTrue(CRYPTO.verify(scheme, kp.getPublic(), MESSAGE, jdk.sign()), name);

            byte[] tampered = ours.clone();
            tampered[tampered.length - 3] ^= 1;
            assertFalse(CRYPTO.verify(scheme, kp.getPublic(), MESSAGE, tampered), name);
            byte[] otherMessage = MESSAGE.clone();
            otherMessage[0] ^= 1;
            assertFalse(CRYPTO.verify(scheme, kp.getPublic(), otherMessage, ours), name);
        }
    }

    /** Only the one DER encoding of (r, s) is accepted: no BER leniency, no trailing bytes. */
    @Test
    void ecdsaRefusesMalformedDer() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair kp = g.generateKeyPair();
        SignatureScheme scheme = SignatureScheme.ECDSA_SECP256R1_SHA256;
        byte[] der = CRYPTO.sign(scheme, kp.getPrivate(), MESSAGE, RANDOM);
        BigInteger[] rs = decode(der);
        assertTrue(CRYPTO.verify(scheme, kp.getPublic(), MESSAGE, encode(rs[0], rs[1], false, false)));

        byte[] trailing = Arrays.copyOf(der, der.length + 1);
        assertFalse(CRYPTO.verify(scheme, kp.getPublic(), MESSAGE, trailing), "trailing byte");
        assertFalse(CRYPTO.verify(scheme, kp.getPublic(), MESSAGE, encode(rs[0], rs[1], true, false)), "padded r");
        assertFalse(CRYPTO.verify(scheme, kp.getPublic(), MESSAGE, encode(rs[0], rs[1], false, true)), "long length");
        BigInteger n = new BigInteger("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", 16);
        assertFalse(CRYPTO.verify(scheme, kp.getPublic(), MESSAGE, encode(rs[0], rs[1].add(n), false, false)), "s + n");
        assertFalse(CRYPTO.verify(scheme, kp.getPublic(), MESSAGE, encode(rs[0], BigInteger.ZERO, false, false)), "s = 0");
        assertFalse(CRYPTO.verify(scheme, kp.getPublic(), MESSAGE, encode(rs[0], rs[1].negate(), false, false)), "s < 0");
        assertFalse(CRYPTO.verify(scheme, kp.getPublic(), MESSAGE, new byte[0]), "empty");
        assertFalse(CRYPTO.verify(scheme, kp.getPublic(), MESSAGE, Arrays.copyOf(der, der.length - 1)), "truncated");
        byte[] raw = new byte[64]; // IEEE P1363 r||s instead of DER
        System.arraycopy(BigIntegers.asUnsignedByteArray(32, rs[0]), 0, raw, 0, 32);
        System.arraycopy(BigIntegers.asUnsignedByteArray(32, rs[1]), 0, raw, 32, 32);
        assertFalse(CRYPTO.verify(scheme, kp.getPublic(), MESSAGE, raw), "raw r||s");
    }

    private static BigInteger[] decode(byte[] der) {
        int rLen = der[3];
        BigInteger r = new BigInteger(Arrays.copyOfRange(der, 4, 4 + rLen));
        int sLen = der[5 + rLen];
        BigInteger s = new BigInteger(Arrays.copyOfRange(der, 6 + rLen, 6 + rLen + sLen));
        return new BigInteger[] {r, s};
    }

    /** A hand-made SEQUENCE { INTEGER r, INTEGER s }, optionally non-minimal. */
    private static byte[] encode(BigInteger r, BigInteger s, boolean padR, boolean longFormLength) {
        byte[] rb = r.toByteArray();
        if (padR) {
            byte[] padded = new byte[rb.length + 1];
            System.arraycopy(rb, 0, padded, 1, rb.length);
            rb = padded;
        }
        byte[] sb = s.toByteArray();
        int body = 2 + rb.length + 2 + sb.length;
        byte[] out = new byte[(longFormLength ? 3 : 2) + body];
        int i = 0;
        out[i++] = 0x30;
        if (longFormLength) {
            out[i++] = (byte) 0x81;
        }
        out[i++] = (byte) body;
        out[i++] = 0x02;
        out[i++] = (byte) rb.length;
        System.arraycopy(rb, 0, out, i, rb.length);
        i += rb.length;
        out[i++] = 0x02;
        out[i++] = (byte) sb.length;
        System.arraycopy(sb, 0, out, i, sb.length);
        return out;
    }

    // ---- RSA ----------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = SignatureScheme.class, names = {"RSA_PSS_RSAE_SHA256", "RSA_PSS_RSAE_SHA384",
            "RSA_PSS_RSAE_SHA512"})
    void rsaPssAgreesWithTheJdkWithExplicitParameters(SignatureScheme scheme) throws Exception {
        String hash = scheme.jcaAlgorithm();
        int saltLength = Integer.parseInt(hash.substring(4)) / 8; // RFC 8446 §4.2.3: salt = hash length
        PSSParameterSpec pss = new PSSParameterSpec(hash, "MGF1", new MGF1ParameterSpec(hash), saltLength, 1);

        byte[] ours = CRYPTO.sign(scheme, rsa.getPrivate(), MESSAGE, RANDOM);
        assertEquals(256, ours.length);
        Signature jdk = Signature.getInstance("RSASSA-PSS");
        jdk.setParameter(pss);
        jdk.initVerify(rsa.getPublic());
        jdk.update(MESSAGE);
        assertTrue(jdk.verify(ours), "the JDK verifies ours");
        assertTrue(CRYPTO.verify(scheme, rsa.getPublic(), MESSAGE, ours));
        assertFalse(Arrays.equals(ours, CRYPTO.sign(scheme, rsa.getPrivate(), MESSAGE, RANDOM)), "salted");

        jdk.initSign(rsa.getPrivate());
        jdk.setParameter(pss);
        jdk.update(MESSAGE);
        assertTrue(CRYPTO.verify(scheme, rsa.getPublic(), MESSAGE, jdk.sign()), "we verify the JDK's");

        // A PSS signature with another salt length or hash is not this scheme's.
        jdk.setParameter(new PSSParameterSpec(hash, "MGF1", new MGF1ParameterSpec(hash), 20, 1));
        jdk.update(MESSAGE);
        assertFalse(CRYPTO.verify(scheme, rsa.getPublic(), MESSAGE, jdk.sign()), "salt length 20");

        byte[] tampered = ours.clone();
        tampered[100] ^= 1;
        assertFalse(CRYPTO.verify(scheme, rsa.getPublic(), MESSAGE, tampered));
        assertFalse(CRYPTO.verify(scheme, rsa.getPublic(), MESSAGE, Arrays.copyOf(ours, 255)));
    }

    /** BouncyCastle RSA keys (as loaded from PEM) work for PSS, and the JDK verifies. */
    @Test
    void rsaPssWithBouncyCastleKey() throws Exception {
        KeyFactory bcRsa = KeyFactory.getInstance("RSA", BC);
        PrivateKey priv = bcRsa.generatePrivate(new PKCS8EncodedKeySpec(rsa.getPrivate().getEncoded()));
        PublicKey pub = bcRsa.generatePublic(new X509EncodedKeySpec(rsa.getPublic().getEncoded()));
        byte[] sig = CRYPTO.sign(SignatureScheme.RSA_PSS_RSAE_SHA256, priv, MESSAGE, RANDOM);
        assertTrue(CRYPTO.verify(SignatureScheme.RSA_PSS_RSAE_SHA256, rsa.getPublic(), MESSAGE, sig));
        assertTrue(CRYPTO.verify(SignatureScheme.RSA_PSS_RSAE_SHA256, pub, MESSAGE, sig));
    }

    @ParameterizedTest
    @EnumSource(value = SignatureScheme.class, names = {"RSA_PKCS1_SHA256", "RSA_PKCS1_SHA384", "RSA_PKCS1_SHA512",
            "RSA_PKCS1_SHA1"})
    void rsaPkcs1AgreesWithTheJdk(SignatureScheme scheme) throws Exception {
        byte[] ours = CRYPTO.sign(scheme, rsa.getPrivate(), MESSAGE, RANDOM);
        assertTrue(jdkVerify(scheme.jcaAlgorithm(), rsa.getPublic(), MESSAGE, ours));
        Signature jdk = Signature.getInstance(scheme.jcaAlgorithm());
        jdk.initSign(rsa.getPrivate());
        jdk.update(MESSAGE);
        byte[] theirs = jdk.sign();
        assertArrayEquals(theirs, ours); // PKCS#1 v1.5 is deterministic
        assertTrue(CRYPTO.verify(scheme, rsa.getPublic(), MESSAGE, theirs));
        theirs[0] ^= 1;
        assertFalse(CRYPTO.verify(scheme, rsa.getPublic(), MESSAGE, theirs));
    }

    @Test
    void ecdsaSha1VerifiesAJdkSignature() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair kp = g.generateKeyPair();
        Signature jdk = Signature.getInstance("SHA1withECDSA");
        jdk.initSign(kp.getPrivate());
        jdk.update(MESSAGE);
        assertTrue(CRYPTO.verify(SignatureScheme.ECDSA_SHA1, kp.getPublic(), MESSAGE, jdk.sign()));
    }

    // ---- Wrong keys and garbage -----------------------------------------------------------

    @Test
    void wrongKeyForTheSchemeFailsToSignWithInternalError() throws Exception {
        KeyPair ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        for (SignatureScheme scheme : new SignatureScheme[] {SignatureScheme.ECDSA_SECP256R1_SHA256,
                SignatureScheme.RSA_PSS_RSAE_SHA256, SignatureScheme.RSA_PKCS1_SHA256}) {
            TlsException e = assertThrows(TlsException.class, () -> CRYPTO.sign(scheme, ed.getPrivate(), MESSAGE, RANDOM));
            assertEquals(Alert.INTERNAL_ERROR, e.alert(), scheme.toString());
        }
        TlsException e = assertThrows(TlsException.class,
                () -> CRYPTO.sign(SignatureScheme.ED25519, rsa.getPrivate(), MESSAGE, RANDOM));
        assertEquals(Alert.INTERNAL_ERROR, e.alert());
    }

    @Test
    void verifyNeverThrows() throws Exception {
        KeyPair ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] garbage = new byte[64];
        for (SignatureScheme scheme : SignatureScheme.values()) {
            for (PublicKey key : new PublicKey[] {ed.getPublic(), rsa.getPublic()}) {
                assertFalse(CRYPTO.verify(scheme, key, MESSAGE, garbage), scheme + " " + key.getAlgorithm());
                assertFalse(CRYPTO.verify(scheme, key, MESSAGE, new byte[0]));
                assertFalse(CRYPTO.verify(scheme, key, null, garbage));
                assertFalse(CRYPTO.verify(scheme, key, MESSAGE, null));
            }
            assertFalse(CRYPTO.verify(scheme, null, MESSAGE, garbage));
        }
        // A valid RSA signature under an Ed25519 scheme, and vice versa.
        byte[] pss = CRYPTO.sign(SignatureScheme.RSA_PSS_RSAE_SHA256, rsa.getPrivate(), MESSAGE, RANDOM);
        assertFalse(CRYPTO.verify(SignatureScheme.ED25519, rsa.getPublic(), MESSAGE, pss));
        byte[] eds = CRYPTO.sign(SignatureScheme.ED25519, ed.getPrivate(), MESSAGE, RANDOM);
        assertFalse(CRYPTO.verify(SignatureScheme.RSA_PSS_RSAE_SHA256, ed.getPublic(), MESSAGE, eds));
    }

    private static boolean jdkVerify(String algorithm, PublicKey key, byte[] message, byte[] signature)
            throws Exception {
        Signature s = Signature.getInstance(algorithm);
        s.initVerify(key);
        s.update(message);
        return s.verify(signature);
    }
}
