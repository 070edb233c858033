package org.tollgate.tls.handshake;

import org.tollgate.tls.TlsException;
import org.tollgate.tls.wire.WireReader;
import org.tollgate.tls.wire.WireWriter;

/**
 * ClientKeyExchange (RFC 5246 §7.4.7): for RSA key exchange the premaster secret encrypted
 * to the server certificate's RSA key ({@code EncryptedPreMasterSecret}, a u16-prefixed
 * vector, §7.4.7.1); for ECDHE the client's ephemeral public key ({@code ECPoint}, a
 * u8-prefixed vector, RFC 8422 §5.7). Which one it is depends on the chosen suite.
 */
public record ClientKeyExchange(boolean rsa, byte[] exchangeKeys) implements Handshake {

    @Override
    public int type() {
        return HandshakeType.CLIENT_KEY_EXCHANGE;
    }

    @Override
    public void encodeBody(WireWriter w) {
        if (rsa) {
            w.vector16(exchangeKeys);
        } else {
            w.vector8(exchangeKeys);
        }
    }

    public static ClientKeyExchange decode(WireReader r, boolean rsa) throws TlsException {
        byte[] keys = rsa ? r.vector16() : r.vector8();
        r.expectEnd();
        WireReader.checkLength(rsa ? "EncryptedPreMasterSecret" : "ECPoint", keys.length, 1, rsa ? 0xFFFF : 255);
        return new ClientKeyExchange(rsa, keys);
    }
}
