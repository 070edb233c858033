package org.tollgate.tls.handshake;

import java.util.ArrayList;
import java.util.List;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.wire.WireReader;
import org.tollgate.tls.wire.WireWriter;

/**
 * Certificate (RFC 8446 §4.4.2): the sender's chain, leaf first, each entry a DER
 * certificate with its own extensions.
 */
public record CertificateMessage(byte[] certificateRequestContext, List<Entry> entries) implements Handshake {

    /** {@code struct { opaque cert_data<1..2^24-1>; Extension extensions<0..2^16-1>; } CertificateEntry}. */
    public record Entry(byte[] certData, List<Extension> extensions) {
    }

    @Override
    public int type() {
        return HandshakeType.CERTIFICATE;
    }

    @Override
    public void encodeBody(WireWriter w) {
        w.vector8(certificateRequestContext);
        int m = w.open24();
        for (Entry e : entries) {
            w.vector24(e.certData());
            Extension.encodeList(w, e.extensions());
        }
        w.close(m);
    }

    public static CertificateMessage decode(WireReader r) throws TlsException {
        byte[] context = r.vector8();
        WireReader list = r.sub24("certificate_list");
        List<Entry> entries = new ArrayList<>();
        while (list.hasRemaining()) {
            byte[] der = list.vector24();
            WireReader.checkLength("cert_data", der.length, 1, 0xFFFFFF);
            entries.add(new Entry(der, Extension.decodeList(list, "CertificateEntry")));
        }
        r.expectEnd();
        return new CertificateMessage(context, List.copyOf(entries));
    }
}
