package org.tollgate.tls.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.tollgate.tls.Alert;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.TlsException;

class X25519KeyShareTest {

    private final TlsCrypto crypto = TlsCrypto.defaultCrypto();

    /** RFC 7748 §5.2: the two single-call test vectors of X25519(k, u). */
    @Test
    void rfc7748Section52FunctionVectors() throws TlsException {
        assertX25519("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
                "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
                "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
        // This u has its top bit set: RFC 7748 §5 says to mask it, not to reject it.
        assertX25519("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
                "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
                "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
    }

    private void assertX25519(String k, String u, String expected) throws TlsException {
        KeyShare share = crypto.keyShareFromPrivateKey(NamedGroup.X25519, Hex.bytes(k));
        assertEquals(expected, Hex.string(share.agree(Hex.bytes(u))));
    }

    /** RFC 7748 §6.1: Alice's and Bob's key pairs and their shared secret. */
    @Test
    void rfc7748Section61DiffieHellman() throws TlsException {
        KeyShare alice = crypto.keyShareFromPrivateKey(NamedGroup.X25519,
                Hex.bytes("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
        KeyShare bob = crypto.keyShareFromPrivateKey(NamedGroup.X25519,
                Hex.bytes("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
        assertEquals("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", Hex.string(alice.publicKey()));
        assertEquals("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", Hex.string(bob.publicKey()));
        String k = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
        assertEquals(k, Hex.string(alice.agree(bob.publicKey())));
        assertEquals(k, Hex.string(bob.agree(alice.publicKey())));
        assertEquals(NamedGroup.X25519, alice.group());
    }

    @Test
    void generatedSharesAgree() throws TlsException {
        SecureRandom random = new SecureRandom();
        KeyShare a = crypto.generateKeyShare(NamedGroup.X25519, random);
        KeyShare b = crypto.generateKeyShare(NamedGroup.X25519, random);
        assertEquals(32, a.publicKey().length);
        assertArrayEquals(a.agree(b.publicKey()), b.agree(a.publicKey()));
    }

    /** RFC 8446 §7.4.2: an all-zero shared secret (a low-order peer point) is illegal_parameter. */
    @Test
    void lowOrderPeerPointsAreRefused() {
        KeyShare share = crypto.generateKeyShare(NamedGroup.X25519, new SecureRandom());
        byte[] zero = new byte[32];
        byte[] one = new byte[32];
        one[0] = 1; // u = 1 has order 4
        for (byte[] lowOrder : new byte[][] {zero, one}) {
            TlsException e = assertThrows(TlsException.class, () -> share.agree(lowOrder));
            assertEquals(Alert.ILLEGAL_PARAMETER, e.alert());
            assertTrue(e.getMessage().contains("all zeros"), e.getMessage());
        }
    }

    @Test
    void wrongLengthIsRefused() {
        KeyShare share = crypto.generateKeyShare(NamedGroup.X25519, new SecureRandom());
        for (byte[] bad : new byte[][] {new byte[31], new byte[33], new byte[0], null}) {
            TlsException e = assertThrows(TlsException.class, () -> share.agree(bad));
            assertEquals(Alert.ILLEGAL_PARAMETER, e.alert());
        }
    }

    @Test
    void publicKeyIsACopy() {
        KeyShare share = crypto.generateKeyShare(NamedGroup.X25519, new SecureRandom());
        byte[] p = share.publicKey();
        p[0] ^= 1;
        assertTrue(share.publicKey()[0] != p[0]);
    }
}
