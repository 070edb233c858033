package org.tollgate.lb.l4;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Reads the server name (SNI) out of the first bytes of a TLS connection without
 * decrypting anything and without consuming them: the caller keeps the bytes and
 * forwards them unchanged. This is what HAProxy's {@code req.ssl_sni} and nginx's
 * {@code ssl_preread} do.
 *
 * <p>Written here rather than reusing tls-core's {@code ClientHello} decoder, which is
 * internal to tls-core (its package is not exported). This reader is deliberately
 * small: it walks only the fields it must skip, checks every length against what it was
 * given, and never allocates more than the bytes it was handed.
 *
 * <p>Handshake messages may be split over several TLS records (RFC 8446 §5.1), so the
 * records are joined before the ClientHello is read; a record of another type before the
 * ClientHello is complete is malformed (handshake messages must not be interleaved).
 */
final class ClientHelloPeek {

    /** What the bytes seen so far tell. */
    enum Status {
        /** A ClientHello so far, but incomplete: read more (within the limits). */
        NEED_MORE,
        /** A complete ClientHello with a host_name. */
        FOUND,
        /** A complete ClientHello without server_name (an IP literal was dialled, or an old client). */
        NO_SERVER_NAME,
        /** The first bytes are not a TLS handshake record: plain text, SSLv2, anything else. */
        NOT_TLS,
        /** Starts as TLS but breaks the rules: the connection must not be trusted to a pool by name. */
        MALFORMED
    }

    record Result(Status status, String serverName, String reason) {
        static Result of(Status s, String reason) {
            return new Result(s, null, reason);
        }
    }

    private static final int CONTENT_HANDSHAKE = 22;     // RFC 8446 §5.1 ContentType.handshake
    private static final int HANDSHAKE_CLIENT_HELLO = 1; // RFC 8446 §4 HandshakeType.client_hello
    private static final int EXTENSION_SERVER_NAME = 0;  // RFC 6066 §3
    private static final int NAME_TYPE_HOST_NAME = 0;    // RFC 6066 §3
    private static final int MAX_RECORD = 1 << 14;       // RFC 8446 §5.1: TLSPlaintext.length <= 2^14

    private ClientHelloPeek() {
    }

    /** Looks at {@code data[0, length)}, the first bytes the client sent. */
    static Result peek(byte[] data, int length) {
        if (length == 0) {
            return Result.of(Status.NEED_MORE, "nothing yet");
        }
        if ((data[0] & 0xff) != CONTENT_HANDSHAKE) {
            return Result.of(Status.NOT_TLS, String.format("first byte 0x%02x is not a TLS handshake record", data[0] & 0xff));
        }
        if (length >= 2 && data[1] != 3) {
            return Result.of(Status.NOT_TLS, String.format("record version major 0x%02x is not 3", data[1] & 0xff));
        }
        // Join the handshake records' bodies.
        byte[] handshake = new byte[length];
        int joined = 0;
        int pos = 0;
        while (length - pos >= 5) {
            int type = data[pos] & 0xff;
            if (type != CONTENT_HANDSHAKE) {
                return Result.of(Status.MALFORMED, "record of type " + type + " before the ClientHello was complete (RFC 8446 §5.1)");
            }
            if (data[pos + 1] != 3) {
                return Result.of(Status.MALFORMED, "record version major is not 3");
            }
            int recordLength = u16(data, pos + 3);
            if (recordLength == 0 || recordLength > MAX_RECORD) {
                return Result.of(Status.MALFORMED, "handshake record length " + recordLength + " (RFC 8446 §5.1: 1 to 2^14)");
            }
            if (length - pos - 5 < recordLength) {
                // A partial record: its bytes may already hold the whole ClientHello, but a
                // record is only trusted whole, as a TLS stack would take it.
                break;
            }
            System.arraycopy(data, pos + 5, handshake, joined, recordLength);
            joined += recordLength;
            pos += 5 + recordLength;
            if (joined >= 4) {
                Result r = fromHandshake(handshake, joined);
                if (r.status() != Status.NEED_MORE) {
                    return r; // what follows (early data, a ChangeCipherSpec) is not ours to judge
                }
            }
        }
        if (joined >= 4) {
            return fromHandshake(handshake, joined);
        }
        return Result.of(Status.NEED_MORE, "record incomplete");
    }

    /** Total bytes (record headers included) the first ClientHello claims, or -1 when not yet known. */
    static int announcedSize(byte[] data, int length) {
        if (length < 9) {
            return -1;
        }
        int hello = 4 + u24(data, 6);
        // each record carries at most 2^14 bytes, and its own 5-byte header
        int records = (hello + MAX_RECORD - 1) / MAX_RECORD;
        return hello + 5 * records;
    }

    private static Result fromHandshake(byte[] hs, int length) {
        int type = hs[0] & 0xff;
        if (type != HANDSHAKE_CLIENT_HELLO) {
            return Result.of(Status.MALFORMED, "first handshake message is type " + type + ", not ClientHello");
        }
        int bodyLength = u24(hs, 1);
        if (length - 4 < bodyLength) {
            return Result.of(Status.NEED_MORE, "ClientHello incomplete: " + (length - 4) + " of " + bodyLength + " bytes");
        }
        try {
            return clientHello(new Reader(hs, 4, 4 + bodyLength));
        } catch (Malformed e) {
            return Result.of(Status.MALFORMED, e.getMessage());
        }
    }

    /** RFC 8446 §4.1.2 (and RFC 5246 §7.4.1.2, the same layout). */
    private static Result clientHello(Reader r) throws Malformed {
        r.skip(2, "legacy_version");
        r.skip(32, "random");
        int sessionId = r.u8("legacy_session_id length");
        if (sessionId > 32) {
            throw new Malformed("legacy_session_id longer than 32 bytes");
        }
        r.skip(sessionId, "legacy_session_id");
        int suites = r.u16("cipher_suites length");
        if (suites < 2 || suites % 2 != 0) {
            throw new Malformed("cipher_suites length " + suites + " (RFC 8446 §4.1.2: 2..2^16-2, even)");
        }
        r.skip(suites, "cipher_suites");
        int compressions = r.u8("legacy_compression_methods length");
        if (compressions < 1) {
            throw new Malformed("no compression method (RFC 8446 §4.1.2: at least one)");
        }
        r.skip(compressions, "legacy_compression_methods");
        if (r.remaining() == 0) {
            return Result.of(Status.NO_SERVER_NAME, "ClientHello without extensions");
        }
        Reader extensions = r.vector16("extensions");
        if (r.remaining() != 0) {
            throw new Malformed(r.remaining() + " bytes after the extensions");
        }
        Set<Integer> seen = new HashSet<>();
        String name = null;
        while (extensions.remaining() > 0) {
            int type = extensions.u16("extension type");
            Reader body = extensions.vector16("extension " + type);
            if (!seen.add(type)) {
                throw new Malformed("extension " + type + " appears twice (RFC 8446 §4.2)");
            }
            if (type == EXTENSION_SERVER_NAME) {
                name = serverName(body);
            }
        }
        return name == null ? Result.of(Status.NO_SERVER_NAME, "no server_name extension")
                : new Result(Status.FOUND, name, "server_name " + name);
    }

    /** RFC 6066 §3: ServerNameList, at most one host_name. */
    private static String serverName(Reader ext) throws Malformed {
        Reader list = ext.vector16("server_name_list");
        if (ext.remaining() != 0 || list.remaining() == 0) {
            throw new Malformed("server_name extension badly sized");
        }
        String host = null;
        while (list.remaining() > 0) {
            int nameType = list.u8("name_type");
            Reader name = list.vector16("HostName");
            if (nameType != NAME_TYPE_HOST_NAME) {
                continue; // RFC 6066 §3: unknown name types are possible in principle; only host_name counts
            }
            if (host != null) {
                throw new Malformed("two host_names in server_name (RFC 6066 §3)");
            }
            host = hostName(name.rest());
        }
        if (host == null) {
            throw new Malformed("server_name without a host_name");
        }
        return host;
    }

    /** RFC 6066 §3: an ASCII DNS name without a trailing dot; letters, digits, '-', '_' and dots. */
    private static String hostName(byte[] bytes) throws Malformed {
        if (bytes.length == 0 || bytes.length > 255) {
            throw new Malformed("host_name of " + bytes.length + " bytes");
        }
        for (byte b : bytes) {
            char c = (char) (b & 0xff);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
            if (!ok) {
                throw new Malformed(String.format("host_name holds byte 0x%02x", (int) c));
            }
        }
        String s = new String(bytes, StandardCharsets.US_ASCII);
        if (s.startsWith(".") || s.endsWith(".") || s.contains("..")) {
            throw new Malformed("host_name '" + s + "' has an empty label");
        }
        return s.toLowerCase(Locale.ROOT);
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xff) << 8 | (b[at + 1] & 0xff);
    }

    private static int u24(byte[] b, int at) {
        return (b[at] & 0xff) << 16 | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff);
    }

    private static final class Malformed extends Exception {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    /** Bounds-checked reads over {@code bytes[pos, end)}. */
    private static final class Reader {
        private final byte[] bytes;
        private int pos;
        private final int end;

        Reader(byte[] bytes, int pos, int end) {
            this.bytes = bytes;
            this.pos = pos;
            this.end = end;
        }

        int remaining() {
            return end - pos;
        }

        private void need(int n, String what) throws Malformed {
            if (n > remaining()) {
                throw new Malformed(what + " runs past the end of its enclosing field");
            }
        }

        int u8(String what) throws Malformed {
            need(1, what);
            return bytes[pos++] & 0xff;
        }

        int u16(String what) throws Malformed {
            need(2, what);
            int v = ClientHelloPeek.u16(bytes, pos);
            pos += 2;
            return v;
        }

        void skip(int n, String what) throws Malformed {
            need(n, what);
            pos += n;
        }

        Reader vector16(String what) throws Malformed {
            int n = u16(what + " length");
            need(n, what);
            Reader r = new Reader(bytes, pos, pos + n);
            pos += n;
            return r;
        }

        byte[] rest() {
            byte[] b = java.util.Arrays.copyOfRange(bytes, pos, end);
            pos = end;
            return b;
        }
    }
}
