package org.tollgate.tls.handshake;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.wire.WireReader;
import org.tollgate.tls.wire.WireWriter;

/**
 * ServerHello (RFC 8446 §4.1.3): the server's choice of suite, its random, the echoed
 * session id and its extensions. A HelloRetryRequest is a ServerHello whose random is the
 * fixed value {@link #HELLO_RETRY_REQUEST_RANDOM} (RFC 8446 §4.1.4).
 */
public record ServerHello(int legacyVersion, byte[] random, byte[] legacySessionIdEcho, int cipherSuite,
                          int legacyCompressionMethod, List<Extension> extensions) implements Handshake {

    /** SHA-256("HelloRetryRequest"), RFC 8446 §4.1.3. */
    public static final byte[] HELLO_RETRY_REQUEST_RANDOM = HexFormat.of().parseHex(
            "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c");

    /** RFC 8446 §4.1.3: last 8 bytes of a TLS 1.3 server's random when it negotiates TLS 1.2 ("DOWNGRD" 01). */
    public static final byte[] DOWNGRADE_TLS12 = HexFormat.of().parseHex("444f574e47524401");
    /** ... and when it negotiates TLS 1.1 or below ("DOWNGRD" 00). */
    public static final byte[] DOWNGRADE_TLS11 = HexFormat.of().parseHex("444f574e47524400");

    @Override
    public int type() {
        return HandshakeType.SERVER_HELLO;
    }

    public boolean isHelloRetryRequest() {
        return Arrays.equals(random, HELLO_RETRY_REQUEST_RANDOM);
    }

    @Override
    public void encodeBody(WireWriter w) {
        w.u16(legacyVersion).bytes(random).vector8(legacySessionIdEcho).u16(cipherSuite).u8(legacyCompressionMethod);
        Extension.encodeList(w, extensions);
    }

    public static ServerHello decode(WireReader r) throws TlsException {
        int version = r.u16();
        byte[] random = r.bytes(32);
        byte[] sessionId = r.vector8();
        WireReader.checkLength("ServerHello legacy_session_id_echo", sessionId.length, 0, 32);
        int suite = r.u16();
        int compression = r.u8();
        List<Extension> extensions = r.hasRemaining() ? Extension.decodeList(r, "ServerHello") : List.of();
        r.expectEnd();
        return new ServerHello(version, random, sessionId, suite, compression, extensions);
    }

    public Extension extension(int type) {
        return Extension.find(extensions, type);
    }
}
