package org.tollgate.tls.crypto;

import java.math.BigInteger;
import java.security.spec.ECFieldFp;
import java.security.spec.ECParameterSpec;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECPoint;

/**
 * The NIST prime curves Tollgate speaks, as BouncyCastle's hand-tuned curve implementations
 * ({@link CustomNamedCurves}: special-form field arithmetic, a fixed-point comb for the
 * generator). One instance per curve, so the precomputed multiples of the generator that
 * BouncyCastle caches on the generator point are computed once per JVM.
 */
enum EcCurve {
    SECP256R1("secp256r1"),
    SECP384R1("secp384r1"),
    SECP521R1("secp521r1");

    final String name;
    final ECDomainParameters domain;
    final ECCurve curve;
    final ECPoint generator;
    final BigInteger order;
    final BigInteger fieldPrime;
    /** Bytes of one coordinate: 32, 48 and 66. */
    final int fieldLength;

    EcCurve(String name) {
        X9ECParameters x9 = CustomNamedCurves.getByName(name);
        this.name = name;
        this.domain = new ECDomainParameters(x9);
        this.curve = domain.getCurve();
        this.generator = domain.getG();
        this.order = domain.getN();
        this.fieldPrime = curve.getField().getCharacteristic();
        this.fieldLength = curve.getFieldElementEncodingLength();
    }

    /**
     * The curve of a JCA key's parameters (JDK or BouncyCastle key alike), or null for a
     * curve we do not implement here. Compares the domain parameters, not a name, because
     * a key's {@link ECParameterSpec} need not carry one.
     */
    private record Match(ECParameterSpec spec, EcCurve curve) {
    }

    private static volatile Match lastMatch;

    static EcCurve of(ECParameterSpec spec) {
        if (spec == null || !(spec.getCurve().getField() instanceof ECFieldFp)) {
            return null;
        }
        // Keys of one curve usually share one (immutable) parameter object: remember the last
        // match and skip the comparisons, which convert six field elements to BigIntegers.
        Match last = lastMatch;
        if (last != null && last.spec() == spec) {
            return last.curve();
        }
        BigInteger p = ((ECFieldFp) spec.getCurve().getField()).getP();
        for (EcCurve c : values()) {
            if (c.order.equals(spec.getOrder())
                    && c.fieldPrime.equals(p)
                    && c.curve.getA().toBigInteger().equals(spec.getCurve().getA())
                    && c.curve.getB().toBigInteger().equals(spec.getCurve().getB())
                    && c.generator.getAffineXCoord().toBigInteger().equals(spec.getGenerator().getAffineX())
                    && c.generator.getAffineYCoord().toBigInteger().equals(spec.getGenerator().getAffineY())) {
                lastMatch = new Match(spec, c);
                return c;
            }
        }
        return null;
    }
}
