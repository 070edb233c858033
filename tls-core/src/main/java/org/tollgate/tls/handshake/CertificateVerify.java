package org.tollgate.tls.handshake;

import java.nio.charset.StandardCharsets;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.wire.WireReader;
import org.tollgate.tls.wire.WireWriter;

/** CertificateVerify (RFC 8446 §4.4.3): a signature over the transcript with the certificate's key. */
public record CertificateVerify(int algorithm, byte[] signature) implements Handshake {

    @Override
    public int type() {
        return HandshakeType.CERTIFICATE_VERIFY;
    }

    @Override
    public void encodeBody(WireWriter w) {
        w.u16(algorithm).vector16(signature);
    }

    public static CertificateVerify decode(WireReader r) throws TlsException {
        int algorithm = r.u16();
        byte[] signature = r.vector16();
        r.expectEnd();
        return new CertificateVerify(algorithm, signature);
    }

    /**
     * RFC 8446 §4.4.3: the signed content is 64 spaces, a context string, a zero byte and
     * the transcript hash, so a signature cannot be replayed in another context.
     */
    public static byte[] signedContent(boolean server, byte[] transcriptHash) {
        byte[] context = (server ? "TLS 1.3, server CertificateVerify" : "TLS 1.3, client CertificateVerify")
                .getBytes(StandardCharsets.US_ASCII);
        WireWriter w = new WireWriter(64 + context.length + 1 + transcriptHash.length);
        for (int i = 0; i < 64; i++) {
            w.u8(0x20);
        }
        w.bytes(context).u8(0).bytes(transcriptHash);
        return w.toByteArray();
    }
}
