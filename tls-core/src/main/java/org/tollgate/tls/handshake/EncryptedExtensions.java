package org.tollgate.tls.handshake;

import java.util.List;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.wire.WireReader;
import org.tollgate.tls.wire.WireWriter;

/** EncryptedExtensions (RFC 8446 §4.3.1): the server's extensions that need no cryptographic context. */
public record EncryptedExtensions(List<Extension> extensions) implements Handshake {

    @Override
    public int type() {
        return HandshakeType.ENCRYPTED_EXTENSIONS;
    }

    @Override
    public void encodeBody(WireWriter w) {
        Extension.encodeList(w, extensions);
    }

    public static EncryptedExtensions decode(WireReader r) throws TlsException {
        List<Extension> extensions = Extension.decodeList(r, "EncryptedExtensions");
        r.expectEnd();
        return new EncryptedExtensions(extensions);
    }

    public Extension extension(int type) {
        return Extension.find(extensions, type);
    }
}
