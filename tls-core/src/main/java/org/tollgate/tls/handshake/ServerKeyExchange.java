package org.tollgate.tls.handshake;

import org.tollgate.tls.TlsException;
import org.tollgate.tls.wire.WireReader;
import org.tollgate.tls.wire.WireWriter;

/**
 * ServerKeyExchange for ECDHE (RFC 8422 §5.4, RFC 5246 §7.4.3): the server's ephemeral
 * public key on a named curve, signed with the certificate's key over
 * {@code client_random + server_random + params}, so it cannot be replayed into another
 * handshake.
 *
 * <pre>
 * struct { ECCurveType curve_type = named_curve(3); NamedCurve namedcurve; opaque point<1..2^8-1>; } ServerECDHParams
 * struct { SignatureAndHashAlgorithm algorithm; opaque signature<0..2^16-1>; } digitally-signed
 * </pre>
 */
public record ServerKeyExchange(int namedGroup, byte[] publicKey, int signatureScheme, byte[] signature) implements Handshake {
    /** RFC 8422 §5.4: ECCurveType named_curve. */
    static final int NAMED_CURVE = 3;

    @Override
    public int type() {
        return HandshakeType.SERVER_KEY_EXCHANGE;
    }

    @Override
    public void encodeBody(WireWriter w) {
        w.bytes(params(namedGroup, publicKey)).u16(signatureScheme).vector16(signature);
    }

    /** The ServerECDHParams bytes, as signed. */
    static byte[] params(int namedGroup, byte[] publicKey) {
        return new WireWriter(4 + publicKey.length).u8(NAMED_CURVE).u16(namedGroup).vector8(publicKey).toByteArray();
    }

    /** RFC 5246 §7.4.3: the signature covers client_random + server_random + params. */
    static byte[] signedContent(byte[] clientRandom, byte[] serverRandom, int namedGroup, byte[] publicKey) {
        return new WireWriter(64 + 4 + publicKey.length).bytes(clientRandom).bytes(serverRandom)
                .bytes(params(namedGroup, publicKey)).toByteArray();
    }

    public static ServerKeyExchange decode(WireReader r) throws TlsException {
        int curveType = r.u8();
        if (curveType != NAMED_CURVE) {
            // RFC 8422 §5.4: explicit curves are deprecated and MUST NOT be used.
            throw TlsException.illegalParameter("ServerKeyExchange curve_type " + curveType + " is not named_curve");
        }
        int group = r.u16();
        byte[] point = r.vector8();
        WireReader.checkLength("ECPoint", point.length, 1, 255);
        int scheme = r.u16();
        byte[] signature = r.vector16();
        r.expectEnd();
        return new ServerKeyExchange(group, point, scheme, signature);
    }
}
