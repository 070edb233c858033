package org.tollgate.tls.handshake;

import java.util.ArrayList;
import java.util.List;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.wire.WireReader;
import org.tollgate.tls.wire.WireWriter;

/**
 * ClientHello (RFC 8446 §4.1.2): the client's versions (in supported_versions), cipher
 * suites, random, legacy session id and extensions.
 */
public record ClientHello(int legacyVersion, byte[] random, byte[] legacySessionId, List<Integer> cipherSuites,
                          byte[] legacyCompressionMethods, List<Extension> extensions) implements Handshake {

    @Override
    public int type() {
        return HandshakeType.CLIENT_HELLO;
    }

    @Override
    public void encodeBody(WireWriter w) {
        w.u16(legacyVersion).bytes(random).vector8(legacySessionId);
        int m = w.open16();
        for (int suite : cipherSuites) {
            w.u16(suite);
        }
        w.close(m);
        w.vector8(legacyCompressionMethods);
        Extension.encodeList(w, extensions);
    }

    public static ClientHello decode(WireReader r) throws TlsException {
        int version = r.u16();
        byte[] random = r.bytes(32);
        byte[] sessionId = r.vector8();
        WireReader.checkLength("ClientHello legacy_session_id", sessionId.length, 0, 32);
        WireReader suitesReader = r.sub16("ClientHello cipher_suites");
        if (suitesReader.remaining() < 2 || suitesReader.remaining() % 2 != 0) {
            throw TlsException.decodeError("ClientHello cipher_suites has odd or zero length " + suitesReader.remaining());
        }
        List<Integer> suites = new ArrayList<>(suitesReader.remaining() / 2);
        while (suitesReader.hasRemaining()) {
            suites.add(suitesReader.u16());
        }
        byte[] compression = r.vector8();
        WireReader.checkLength("ClientHello legacy_compression_methods", compression.length, 1, 255);
        // RFC 5246 §7.4.1.2: a ClientHello may end without an extensions block.
        List<Extension> extensions = r.hasRemaining() ? Extension.decodeList(r, "ClientHello") : List.of();
        r.expectEnd();
        return new ClientHello(version, random, sessionId, List.copyOf(suites), compression, extensions);
    }

    public Extension extension(int type) {
        return Extension.find(extensions, type);
    }
}
