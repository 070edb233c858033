package org.tollgate.tls.crypto;

import java.math.BigInteger;
import java.security.SecureRandom;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.util.BigIntegers;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.TlsException;

/**
 * An ECDHE key share on secp256r1 or secp384r1 (RFC 8446 §4.2.8.2), computed with
 * BouncyCastle's curve arithmetic, which measured faster than the JDK 17 provider
 * (see {@link DefaultCrypto}).
 *
 * <p>The key_exchange is the uncompressed point {@code 0x04 || X || Y}; the shared secret is
 * the X coordinate of the product, always {@code fieldLength} bytes (RFC 8446 §7.4.2). The
 * peer's point is fully validated (SP 800-56A §5.6.2.3.4: coordinates in range, on the
 * curve; the curves have cofactor 1) before it is multiplied.
 */
final class EcdhKeyShare implements KeyShare {

    private final NamedGroup group;
    private final EcCurve curve;
    private final BigInteger privateKey;
    private final byte[] publicKey;

    private EcdhKeyShare(NamedGroup group, EcCurve curve, BigInteger privateKey) {
        this.group = group;
        this.curve = curve;
        this.privateKey = privateKey;
        // The generator is fixed, so the comb multiplier's precomputed table (cached on the
        // generator point) makes key generation several times cheaper than a generic multiply.
        ECPoint q = new FixedPointCombMultiplier().multiply(curve.generator, privateKey);
        this.publicKey = q.getEncoded(false);
    }

    static EcdhKeyShare generate(NamedGroup group, SecureRandom random) {
        EcCurve curve = curveOf(group);
        BigInteger n = curve.order;
        BigInteger d;
        do { // rejection sampling: uniform in [1, n-1] (FIPS 186-5 A.4.2)
            d = new BigInteger(n.bitLength(), random);
        } while (d.signum() == 0 || d.compareTo(n) >= 0);
        return new EcdhKeyShare(group, curve, d);
    }

    /** From a known big-endian private scalar in [1, n-1] (known-answer tests). */
    static EcdhKeyShare fromPrivateKey(NamedGroup group, byte[] scalar) {
        EcCurve curve = curveOf(group);
        BigInteger d = new BigInteger(1, scalar);
        if (d.signum() == 0 || d.compareTo(curve.order) >= 0) {
            throw new IllegalArgumentException(group + " private key must be in [1, n-1]");
        }
        return new EcdhKeyShare(group, curve, d);
    }

    private static EcCurve curveOf(NamedGroup group) {
        switch (group) {
            case SECP256R1: return EcCurve.SECP256R1;
            case SECP384R1: return EcCurve.SECP384R1;
            default: throw new IllegalArgumentException("not a NIST curve group: " + group);
        }
    }

    @Override
    public NamedGroup group() {
        return group;
    }

    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    @Override
    public byte[] agree(byte[] peer) throws TlsException {
        int fl = curve.fieldLength;
        // RFC 8446 §4.2.8.2: UncompressedPointRepresentation, legacy_form = 4.
        if (peer == null || peer.length != 1 + 2 * fl) {
            throw TlsException.illegalParameter(group + " key_exchange must be an uncompressed point of "
                    + (1 + 2 * fl) + " bytes, got " + (peer == null ? "none" : peer.length));
        }
        if (peer[0] != 0x04) {
            throw TlsException.illegalParameter(group + " key_exchange must start with 0x04 (uncompressed), got 0x"
                    + String.format("%02x", peer[0] & 0xff));
        }
        BigInteger x = new BigInteger(1, peer, 1, fl);
        BigInteger y = new BigInteger(1, peer, 1 + fl, fl);
        if (x.compareTo(curve.fieldPrime) >= 0 || y.compareTo(curve.fieldPrime) >= 0) {
            throw TlsException.illegalParameter(group + " key_exchange has a coordinate not below the field prime");
        }
        ECPoint q = curve.curve.createPoint(x, y);
        if (!q.isValid()) {
            throw TlsException.illegalParameter(group + " key_exchange is not a point on the curve");
        }
        // Same multiplication as BouncyCastle's ECDHBasicAgreement. It is not constant-time
        // with respect to the scalar, but the scalar is ephemeral and used for this one product.
        ECPoint s = q.multiply(privateKey).normalize();
        if (s.isInfinity()) {
            throw TlsException.illegalParameter(group + " shared secret is the point at infinity");
        }
        return BigIntegers.asUnsignedByteArray(fl, s.getAffineXCoord().toBigInteger());
    }

    @Override
    public String toString() {
        return "KeyShare(" + group + ")";
    }
}
