package org.tollgate.tls.handshake;

import java.util.List;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.wire.WireReader;
import org.tollgate.tls.wire.WireWriter;

/** CertificateRequest (RFC 8446 §4.3.2): the server asks the client for a certificate. */
public record CertificateRequest(byte[] certificateRequestContext, List<Extension> extensions) implements Handshake {

    @Override
    public int type() {
        return HandshakeType.CERTIFICATE_REQUEST;
    }

    @Override
    public void encodeBody(WireWriter w) {
        w.vector8(certificateRequestContext);
        Extension.encodeList(w, extensions);
    }

    public static CertificateRequest decode(WireReader r) throws TlsException {
        byte[] context = r.vector8();
        List<Extension> extensions = Extension.decodeList(r, "CertificateRequest");
        r.expectEnd();
        return new CertificateRequest(context, extensions);
    }

    public Extension extension(int type) {
        return Extension.find(extensions, type);
    }
}
