package org.tollgate.tls.handshake;

import java.util.ArrayList;
import java.util.List;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.wire.WireReader;
import org.tollgate.tls.wire.WireWriter;

/**
 * TLS 1.2 Certificate (RFC 5246 §7.4.2): {@code ASN.1Cert certificate_list<0..2^24-1>}, leaf
 * first, without TLS 1.3's request context and per-certificate extensions. A client
 * without a certificate answers a CertificateRequest with an empty list (§7.4.6).
 */
public record Tls12CertificateMessage(List<byte[]> certificates) implements Handshake {

    @Override
    public int type() {
        return HandshakeType.CERTIFICATE;
    }

    @Override
    public void encodeBody(WireWriter w) {
        int m = w.open24();
        for (byte[] der : certificates) {
            w.vector24(der);
        }
        w.close(m);
    }

    public static Tls12CertificateMessage decode(WireReader r) throws TlsException {
        WireReader list = r.sub24("certificate_list");
        r.expectEnd();
        List<byte[]> out = new ArrayList<>();
        while (list.hasRemaining()) {
            byte[] der = list.vector24();
            WireReader.checkLength("ASN.1Cert", der.length, 1, 0xFFFFFF);
            out.add(der);
        }
        return new Tls12CertificateMessage(List.copyOf(out));
    }

    /** The same chain as a TLS 1.3 message, so both versions share one certificate parser. */
    CertificateMessage asTls13() {
        List<CertificateMessage.Entry> entries = new ArrayList<>();
        for (byte[] der : certificates) {
            entries.add(new CertificateMessage.Entry(der, List.of()));
        }
        return new CertificateMessage(new byte[0], entries);
    }
}
