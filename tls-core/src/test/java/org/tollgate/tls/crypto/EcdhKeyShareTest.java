package org.tollgate.tls.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;
import javax.crypto.KeyAgreement;
import org.bouncycastle.util.BigIntegers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tollgate.tls.Alert;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.TlsException;

class EcdhKeyShareTest {

    private final TlsCrypto crypto = TlsCrypto.defaultCrypto();

    // RFC 5903 §8.1, 256-bit random ECP group: initiator i, responder r, shared x(g^ir).
    private static final String I = "C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 862D1433";
    private static final String GI = "04"
            + "DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180"
            + "5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 389E0577 B8990BB3";
    private static final String R = "C6EF9C5D 78AE012A 011164AC B397CE20 88685D8F 06BF9BE0 B283AB46 476BEE53";
    private static final String GR = "04"
            + "D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63"
            + "56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 53E74F33 039872AB";
    private static final String GIRX = "D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 4B9442DE";

    private static final BigInteger P256_PRIME = new BigInteger(
            "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff", 16);

    @Test
    void rfc5903Section81() throws TlsException {
        KeyShare initiator = crypto.keyShareFromPrivateKey(NamedGroup.SECP256R1, Hex.bytes(I));
        KeyShare responder = crypto.keyShareFromPrivateKey(NamedGroup.SECP256R1, Hex.bytes(R));
        assertArrayEquals(Hex.bytes(GI), initiator.publicKey());
        assertArrayEquals(Hex.bytes(GR), responder.publicKey());
        assertArrayEquals(Hex.bytes(GIRX), initiator.agree(Hex.bytes(GR)));
        assertArrayEquals(Hex.bytes(GIRX), responder.agree(Hex.bytes(GI)));
    }

    /** Our shares interoperate with the JDK's ECDH in both directions. */
    @ParameterizedTest
    @EnumSource(value = NamedGroup.class, names = {"SECP256R1", "SECP384R1"})
    void agreesWithTheJdk(NamedGroup group) throws Exception {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
        kpg.initialize(new ECGenParameterSpec(group.rfcName()));
        KeyPair jdk = kpg.generateKeyPair();
        ECPublicKey jdkPublic = (ECPublicKey) jdk.getPublic();
        int fl = group == NamedGroup.SECP256R1 ? 32 : 48;

        KeyShare ours = crypto.generateKeyShare(group, new SecureRandom());
        byte[] ourPublic = ours.publicKey();
        assertEquals(group.publicKeyLength(), ourPublic.length);
        assertEquals(0x04, ourPublic[0]);

        byte[] jdkEncoded = new byte[1 + 2 * fl];
        jdkEncoded[0] = 4;
        System.arraycopy(BigIntegers.asUnsignedByteArray(fl, jdkPublic.getW().getAffineX()), 0, jdkEncoded, 1, fl);
        System.arraycopy(BigIntegers.asUnsignedByteArray(fl, jdkPublic.getW().getAffineY()), 0, jdkEncoded, 1 + fl, fl);
        byte[] ourSecret = ours.agree(jdkEncoded);

        PublicKey ourAsJdk = KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(
                new BigInteger(1, Arrays.copyOfRange(ourPublic, 1, 1 + fl)),
                new BigInteger(1, Arrays.copyOfRange(ourPublic, 1 + fl, 1 + 2 * fl))), jdkPublic.getParams()));
        KeyAgreement ka = KeyAgreement.getInstance("ECDH");
        ka.init(jdk.getPrivate());
        ka.doPhase(ourAsJdk, true);
        byte[] jdkSecret = ka.generateSecret();

        assertEquals(fl, ourSecret.length);
        assertArrayEquals(jdkSecret, ourSecret);
    }

    @Test
    void sharedSecretKeepsItsLeadingZeros() throws TlsException {
        // Agreements until one X coordinate starts with a zero byte (1 in 256 per try).
        SecureRandom random = new SecureRandom();
        KeyShare a = crypto.generateKeyShare(NamedGroup.SECP256R1, random);
        for (int i = 0; i < 4000; i++) {
            KeyShare b = crypto.generateKeyShare(NamedGroup.SECP256R1, random);
            byte[] s = a.agree(b.publicKey());
            assertEquals(32, s.length);
            if (s[0] == 0) {
                assertArrayEquals(s, b.agree(a.publicKey()));
                return;
            }
        }
    }

    @Test
    void pointNotOnTheCurveIsRefused() {
        byte[] bad = Hex.bytes(GR);
        bad[64] ^= 1;
        assertIllegal(NamedGroup.SECP256R1, bad, "not a point on the curve");
        byte[] zero = new byte[65];
        zero[0] = 4; // (0, 0) is not on P-256 (b != 0)
        assertIllegal(NamedGroup.SECP256R1, zero, "not a point on the curve");
    }

    @Test
    void compressedOrMislabelledPointIsRefused() {
        for (int prefix : new int[] {0x00, 0x02, 0x03, 0x06, 0x07}) {
            byte[] bad = Hex.bytes(GR);
            bad[0] = (byte) prefix;
            assertIllegal(NamedGroup.SECP256R1, bad, "must start with 0x04");
        }
        byte[] compressed = Arrays.copyOf(Hex.bytes(GR), 33);
        compressed[0] = 0x03;
        assertIllegal(NamedGroup.SECP256R1, compressed, "65 bytes");
    }

    @Test
    void wrongLengthIsRefused() {
        byte[] gr = Hex.bytes(GR);
        assertIllegal(NamedGroup.SECP256R1, Arrays.copyOf(gr, 64), "65 bytes");
        assertIllegal(NamedGroup.SECP256R1, Arrays.copyOf(gr, 66), "65 bytes");
        assertIllegal(NamedGroup.SECP256R1, new byte[] {0}, "65 bytes"); // the SEC 1 point at infinity
        assertIllegal(NamedGroup.SECP256R1, new byte[0], "65 bytes");
        assertIllegal(NamedGroup.SECP384R1, gr, "97 bytes"); // a P-256 point offered for P-384
    }

    @Test
    void coordinateNotBelowThePrimeIsRefused() {
        byte[] p = BigIntegers.asUnsignedByteArray(32, P256_PRIME);
        byte[] xTooBig = Hex.bytes(GR);
        System.arraycopy(p, 0, xTooBig, 1, 32);
        assertIllegal(NamedGroup.SECP256R1, xTooBig, "not below the field prime");
        byte[] yTooBig = Hex.bytes(GR);
        Arrays.fill(yTooBig, 33, 65, (byte) 0xff);
        assertIllegal(NamedGroup.SECP256R1, yTooBig, "not below the field prime");
        // y + p still names the same field element; it must not be reduced and accepted.
        byte[] gr = Hex.bytes(GR);
        BigInteger y = new BigInteger(1, Arrays.copyOfRange(gr, 33, 65));
        if (y.add(P256_PRIME).bitLength() <= 256) {
            System.arraycopy(BigIntegers.asUnsignedByteArray(32, y.add(P256_PRIME)), 0, gr, 33, 32);
            assertIllegal(NamedGroup.SECP256R1, gr, "not below the field prime");
        }
    }

    @Test
    void privateKeyOutOfRangeIsRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> crypto.keyShareFromPrivateKey(NamedGroup.SECP256R1, new byte[32]));
        assertThrows(IllegalArgumentException.class,
                () -> crypto.keyShareFromPrivateKey(NamedGroup.SECP256R1, Hex.bytes(
                        "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"))); // n
    }

    private void assertIllegal(NamedGroup group, byte[] peer, String expectedMessage) {
        KeyShare share = crypto.generateKeyShare(group, new SecureRandom());
        TlsException e = assertThrows(TlsException.class, () -> share.agree(peer));
        assertEquals(Alert.ILLEGAL_PARAMETER, e.alert());
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains(expectedMessage), e.getMessage());
    }
}
