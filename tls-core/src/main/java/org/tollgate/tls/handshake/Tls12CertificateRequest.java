package org.tollgate.tls.handshake;

import java.util.ArrayList;
import java.util.List;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.wire.WireReader;
import org.tollgate.tls.wire.WireWriter;

/**
 * TLS 1.2 CertificateRequest (RFC 5246 §7.4.4): accepted certificate types, signature
 * algorithms and CA names.
 */
public record Tls12CertificateRequest(byte[] certificateTypes, List<Integer> signatureSchemes,
                                      List<byte[]> certificateAuthorities) implements Handshake {

    @Override
    public int type() {
        return HandshakeType.CERTIFICATE_REQUEST;
    }

    @Override
    public void encodeBody(WireWriter w) {
        w.vector8(certificateTypes);
        int m = w.open16();
        for (int s : signatureSchemes) {
            w.u16(s);
        }
        w.close(m);
        int a = w.open16();
        for (byte[] dn : certificateAuthorities) {
            w.vector16(dn);
        }
        w.close(a);
    }

    public static Tls12CertificateRequest decode(WireReader r) throws TlsException {
        byte[] types = r.vector8();
        WireReader.checkLength("certificate_types", types.length, 1, 255);
        WireReader schemes = r.sub16("supported_signature_algorithms");
        if (schemes.remaining() < 2 || schemes.remaining() % 2 != 0) {
            throw TlsException.decodeError("supported_signature_algorithms has length " + schemes.remaining());
        }
        List<Integer> list = new ArrayList<>();
        while (schemes.hasRemaining()) {
            list.add(schemes.u16());
        }
        WireReader cas = r.sub16("certificate_authorities");
        List<byte[]> names = new ArrayList<>();
        while (cas.hasRemaining()) {
            byte[] dn = cas.vector16();
            WireReader.checkLength("DistinguishedName", dn.length, 1, 0xFFFF);
            names.add(dn);
        }
        r.expectEnd();
        return new Tls12CertificateRequest(types, List.copyOf(list), List.copyOf(names));
    }
}
