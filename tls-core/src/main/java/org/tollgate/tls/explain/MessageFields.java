package org.tollgate.tls.explain;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.SignatureScheme;
import org.tollgate.tls.handshake.ExtensionType;
import org.tollgate.tls.handshake.ServerHello;

/**
 * Splits the bytes of one handshake message into its fields, following the structures of
 * RFC 8446 §4 (and RFC 5246 §7.4 for the TLS 1.2 messages), with the offset and length of
 * every field, for an annotated hex dump. It reads for display only: bytes that do not fit
 * the structure end up in one "undecodable" field instead of an exception.
 */
public final class MessageFields {

    /** Where an extension sits decides its layout (RFC 8446 §4.2: key_share differs in each). */
    private enum Where { CLIENT_HELLO, SERVER_HELLO, HELLO_RETRY_REQUEST, OTHER }

    private MessageFields() {
    }

    /**
     * The message, read with the TLS 1.3 layouts, as one field whose children are the 4-byte header and the body's fields.
     * @param message a whole handshake message
     * @return its field tree
     */
    public static Field of(byte[] message) {
        return of(message, false, false);
    }

    /**
     * The message read with the layouts of TLS 1.2 (RFC 5246 §7.4) when {@code tls12}, else
     * of TLS 1.3. {@code rsaKeyExchange} says how a TLS 1.2 ClientKeyExchange is laid out
     * (EncryptedPreMasterSecret, RFC 5246 §7.4.7.1, or an ECPoint, RFC 8422 §5.7).
     * @param message a whole handshake message
     * @param tls12 true for the TLS 1.2 layouts
     * @param rsaKeyExchange true when a TLS 1.2 ClientKeyExchange holds an RSA-encrypted premaster secret
     * @return its field tree
     */
    public static Field of(byte[] message, boolean tls12, boolean rsaKeyExchange) {
        List<Field> fields = new ArrayList<>();
        Cursor c = new Cursor(message, fields);
        int type = message.length > 0 ? message[0] & 0xFF : -1;
        try {
            c.u8("msg_type", v -> typeName((int) v) + " (" + v + ")");
            c.u24("length", v -> v + " bytes follow (" + (tls12 ? "RFC 5246 §7.4" : "RFC 8446 §4") + ")");
            if (tls12) {
                tls12Body(c, type, message, rsaKeyExchange);
            } else switch (type) {
                case 1 -> clientHello(c);
                case 2 -> serverHello(c, message);
                case 4 -> newSessionTicket(c);
                case 8 -> extensions(c, Where.OTHER);
                case 11 -> certificate(c);
                case 13 -> {
                    c.vector8("certificate_request_context", b -> b.length == 0 ? "empty (during the handshake)" : hex(b));
                    extensions(c, Where.OTHER);
                }
                case 15 -> {
                    c.u16("algorithm", MessageFields::schemeName);
                    c.vector16("signature", b -> b.length + " bytes of signature over the transcript hash");
                }
                case 20 -> c.rest("verify_data", "HMAC(finished_key, Transcript-Hash) (RFC 8446 §4.4.4)");
                case 24 -> c.u8("request_update", v -> v == 0 ? "update_not_requested (0)" : v == 1 ? "update_requested (1)" : "invalid (" + v + ")");
                default -> c.rest("body", "");
            }
            c.undecodedRest();
        } catch (Truncated e) {
            c.undecodedRest();
        }
        return new Field(0, message.length, typeName(type), "", fields);
    }

    /**
     * RFC 8446 §4 HandshakeType names, and the TLS 1.2 ones of RFC 5246 §7.4.
     * @param type the HandshakeType byte
     * @return the message name, or "unknown(N)"
     */
    public static String typeName(int type) {
        return switch (type) {
            case 0 -> "HelloRequest";
            case 1 -> "ClientHello";
            case 2 -> "ServerHello";
            case 4 -> "NewSessionTicket";
            case 5 -> "EndOfEarlyData";
            case 8 -> "EncryptedExtensions";
            case 11 -> "Certificate";
            case 12 -> "ServerKeyExchange";
            case 13 -> "CertificateRequest";
            case 14 -> "ServerHelloDone";
            case 15 -> "CertificateVerify";
            case 16 -> "ClientKeyExchange";
            case 20 -> "Finished";
            case 24 -> "KeyUpdate";
            case 254 -> "message_hash";
            default -> "handshake(" + type + ")";
        };
    }

    /** The TLS 1.2 bodies (RFC 5246 §7.4, RFC 8422 §5). */
    private static void tls12Body(Cursor c, int type, byte[] message, boolean rsaKeyExchange) throws Truncated {
        switch (type) {
            case 1 -> clientHello(c);
            case 2 -> tls12ServerHello(c);
            case 11 -> c.vector24List("certificate_list", (cc, i) ->
                    cc.vector24("ASN.1Cert " + i, MessageFields::certificateSummary));
            case 12 -> {
                c.struct("ServerECDHParams (signed)", p -> {
                    p.u8("curve_type", v -> v == 3 ? "named_curve (3) (RFC 8422 §5.4)" : "not named_curve (" + v + ")");
                    p.u16("namedcurve", MessageFields::groupName);
                    p.vector8("point", b -> b.length + "-byte ephemeral public key of the server");
                });
                c.u16("algorithm", v -> schemeName(v) + ": SignatureAndHashAlgorithm (RFC 5246 §7.4.1.4.1)");
                c.vector16("signature", b -> b.length + " bytes over client_random + server_random + ServerECDHParams");
            }
            case 13 -> {
                c.vector8List("certificate_types", 1, (cc, i) -> cc.u8("type", v -> v == 1 ? "rsa_sign (1)" : v == 64 ? "ecdsa_sign (64)" : String.valueOf(v)));
                c.vector16List("supported_signature_algorithms", 2, (cc, i) -> cc.u16("scheme", MessageFields::schemeName));
                c.vector16List("certificate_authorities", 2, (cc, i) ->
                        cc.vector16("DistinguishedName", b -> b.length + " bytes of DER"));
            }
            case 14 -> {
                // RFC 5246 §7.4.5: ServerHelloDone has an empty body.
            }
            case 16 -> {
                if (rsaKeyExchange) {
                    c.vector16("EncryptedPreMasterSecret", b -> b.length + " bytes: RSAES-PKCS1-v1_5(server's RSA public key,"
                            + " 48-byte premaster secret) (RFC 5246 §7.4.7.1)");
                } else {
                    c.vector8("ecdh_Yc", b -> b.length + "-byte ephemeral public key of the client (RFC 8422 §5.7)");
                }
            }
            case 20 -> c.rest("verify_data", "PRF(master_secret, finished_label, Hash(handshake_messages))[0..11] (RFC 5246 §7.4.9)");
            case 4 -> {
                c.u32("ticket_lifetime_hint", v -> v + " seconds (RFC 5077 §3.3)");
                c.vector16("ticket", b -> b.length + " bytes, opaque to the client");
            }
            default -> c.rest("body", "");
        }
    }

    private static void tls12ServerHello(Cursor c) throws Truncated {
        c.u16("server_version", v -> versionName(v) + ": the version chosen (RFC 5246 §7.4.1.3)");
        c.bytes("random", 32, b -> "32 bytes from the server's random generator");
        c.vector8("session_id", b -> b.length == 0 ? "empty: this session cannot be resumed by id"
                : b.length + " bytes: the id under which the server caches this session (RFC 5246 §7.4.1.3)");
        c.u16("cipher_suite", v -> suiteName(v) + ": the server's choice");
        c.u8("compression_method", v -> v == 0 ? "null (0)" : "invalid (" + v + ")");
        if (c.remaining() > 0) {
            extensions(c, Where.SERVER_HELLO);
        }
    }

    private static void clientHello(Cursor c) throws Truncated {
        c.u16("legacy_version", v -> versionName(v) + (v == 0x0303 ? ", frozen at TLS 1.2: versions are offered in supported_versions (RFC 8446 §4.1.2)" : ""));
        c.bytes("random", 32, b -> "32 bytes from the client's random generator");
        c.vector8("legacy_session_id", b -> b.length == 0 ? "empty"
                : b.length + " random bytes (TLS 1.3 middlebox compatibility, RFC 8446 D.4; TLS 1.2 resumed sessions by this id)");
        c.vector16List("cipher_suites", 2, (cc, i) -> cc.u16("cipher_suite", MessageFields::suiteName));
        c.vector8("legacy_compression_methods", b -> b.length == 1 && b[0] == 0 ? "null (0): compression is gone (CRIME)" : hex(b));
        if (c.remaining() > 0) {
            extensions(c, Where.CLIENT_HELLO);
        }
    }

    private static void serverHello(Cursor c, byte[] message) throws Truncated {
        boolean hrr = message.length >= 38
                && Arrays.equals(Arrays.copyOfRange(message, 6, 38), ServerHello.HELLO_RETRY_REQUEST_RANDOM);
        c.u16("legacy_version", v -> versionName(v) + (v == 0x0303 ? ", frozen: the real version is in supported_versions" : ""));
        c.bytes("random", 32, b -> hrr ? "SHA-256(\"HelloRetryRequest\"): marks a HelloRetryRequest (RFC 8446 §4.1.3)"
                : "32 bytes from the server's random generator");
        c.vector8("legacy_session_id_echo", b -> b.length == 0 ? "empty" : "the client's " + b.length + "-byte session id, echoed");
        c.u16("cipher_suite", v -> suiteName(v) + ": the server's choice");
        c.u8("legacy_compression_method", v -> v == 0 ? "null (0)" : "invalid (" + v + ")");
        if (c.remaining() > 0) {
            extensions(c, hrr ? Where.HELLO_RETRY_REQUEST : Where.SERVER_HELLO);
        }
    }

    private static void newSessionTicket(Cursor c) throws Truncated {
        c.u32("ticket_lifetime", v -> v + " seconds");
        c.u32("ticket_age_add", v -> "obfuscates the ticket age the client reports");
        c.vector8("ticket_nonce", b -> b.length + " bytes");
        c.vector16("ticket", b -> b.length + " bytes, opaque to the client");
        extensions(c, Where.OTHER);
    }

    private static void certificate(Cursor c) throws Truncated {
        c.vector8("certificate_request_context", b -> b.length == 0 ? "empty" : hex(b));
        c.vector24List("certificate_list", (cc, i) -> cc.struct("CertificateEntry " + i, inner -> {
            inner.vector24("cert_data", MessageFields::certificateSummary);
            inner.vector16List("extensions", 4, (e, j) -> extension(e, Where.OTHER));
        }));
    }

    private static void extensions(Cursor c, Where where) throws Truncated {
        c.vector16List("extensions", 4, (cc, i) -> extension(cc, where));
    }

    private static void extension(Cursor c, Where where) throws Truncated {
        int type = c.peekU16();
        String name = ExtensionType.name(type);
        c.struct("extension " + name, e -> {
            e.u16("extension_type", v -> name + " (" + v + ")");
            int length = e.peekU16();
            e.u16("extension_data length", v -> v + " bytes");
            e.sub(length, d -> extensionData(d, type, where));
        });
    }

    private static void extensionData(Cursor c, int type, Where where) throws Truncated {
        switch (type) {
            case ExtensionType.SUPPORTED_VERSIONS -> {
                if (where == Where.CLIENT_HELLO) {
                    c.vector8List("versions", 2, (cc, i) -> cc.u16("version", MessageFields::versionName));
                } else {
                    c.u16("selected_version", MessageFields::versionName);
                }
            }
            case ExtensionType.SUPPORTED_GROUPS ->
                    c.vector16List("named_group_list", 2, (cc, i) -> cc.u16("group", MessageFields::groupName));
            case ExtensionType.SIGNATURE_ALGORITHMS, ExtensionType.SIGNATURE_ALGORITHMS_CERT ->
                    c.vector16List("supported_signature_algorithms", 2, (cc, i) -> cc.u16("scheme", MessageFields::schemeName));
            case ExtensionType.KEY_SHARE -> {
                if (where == Where.CLIENT_HELLO) {
                    c.vector16List("client_shares", 4, (cc, i) -> keyShareEntry(cc));
                } else if (where == Where.HELLO_RETRY_REQUEST) {
                    c.u16("selected_group", v -> groupName(v) + ": send a key share for this group");
                } else {
                    keyShareEntry(c);
                }
            }
            case ExtensionType.SERVER_NAME -> {
                if (c.remaining() > 0) {
                    c.vector16List("server_name_list", 3, (cc, i) -> cc.struct("ServerName", s -> {
                        s.u8("name_type", v -> v == 0 ? "host_name (0)" : String.valueOf(v));
                        s.vector16("host_name", b -> new String(b, StandardCharsets.ISO_8859_1));
                    }));
                }
            }
            case ExtensionType.APPLICATION_LAYER_PROTOCOL_NEGOTIATION ->
                    c.vector16List("protocol_name_list", 1, (cc, i) ->
                            cc.vector8("protocol_name", b -> new String(b, StandardCharsets.ISO_8859_1)));
            case ExtensionType.PSK_KEY_EXCHANGE_MODES ->
                    c.vector8List("ke_modes", 1, (cc, i) ->
                            cc.u8("mode", v -> v == 1 ? "psk_dhe_ke (1): resume with a fresh ECDHE too" : v == 0 ? "psk_ke (0)" : String.valueOf(v)));
            case ExtensionType.EC_POINT_FORMATS ->
                    c.vector8List("ec_point_format_list", 1, (cc, i) ->
                            cc.u8("format", v -> v == 0 ? "uncompressed (0)" : String.valueOf(v)));
            case ExtensionType.RENEGOTIATION_INFO ->
                    c.vector8("renegotiated_connection", b -> b.length == 0 ? "empty: a first handshake (RFC 5746 §3.2)" : hex(b));
            case ExtensionType.COOKIE -> c.vector16("cookie", b -> b.length + " bytes the client must echo");
            case ExtensionType.PRE_SHARED_KEY -> {
                if (where == Where.SERVER_HELLO) {
                    c.u16("selected_identity", v -> "the server resumes with PSK number " + v);
                } else {
                    c.vector16List("identities", 7, (cc, i) -> cc.struct("PskIdentity " + i, p -> {
                        p.vector16("identity", b -> b.length + "-byte ticket, sealed by the server: opaque to the client");
                        p.u32("obfuscated_ticket_age", v -> "ticket age in ms + ticket_age_add, mod 2^32 (RFC 8446 §4.2.11.1)");
                    }));
                    c.vector16List("binders", 33, (cc, i) -> cc.vector8("PskBinderEntry " + i,
                            b -> b.length + "-byte HMAC over the ClientHello up to the binders (RFC 8446 §4.2.11.2)"));
                }
            }
            case ExtensionType.SESSION_TICKET -> {
                if (c.remaining() > 0) {
                    c.rest("ticket", "the session ticket the server issued earlier, presented to resume (RFC 5077 §3.2)");
                }
            }
            default -> {
                if (c.remaining() > 0) {
                    c.rest("extension_data", "");
                }
            }
        }
    }

    private static void keyShareEntry(Cursor c) throws Truncated {
        int group = c.peekU16();
        c.struct("KeyShareEntry " + groupName(group), k -> {
            k.u16("group", MessageFields::groupName);
            k.vector16("key_exchange", b -> b.length + "-byte ephemeral public key");
        });
    }

    // ------------------------------------------------------------------ names

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    static String versionName(long value) {
        int v = (int) value;
        ProtocolVersion p = ProtocolVersion.of(v);
        return String.format("0x%04x", v) + (p == null ? "" : " (" + p.displayName() + ")");
    }

    static String suiteName(long value) {
        int v = (int) value;
        CipherSuite s = CipherSuite.of(v);
        if (s != null) {
            return s.ianaName() + String.format(" (0x%04x)", v);
        }
        // RFC 8701 GREASE values look like 0x?a?a.
        if ((v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff)) {
            return String.format("GREASE (0x%04x)", v);
        }
        return String.format("0x%04x", v);
    }

    static String groupName(long value) {
        int v = (int) value;
        NamedGroup g = NamedGroup.of(v);
        return g == null ? String.format("0x%04x", v) : g.rfcName() + String.format(" (0x%04x)", v);
    }

    static String schemeName(long value) {
        int v = (int) value;
        SignatureScheme s = SignatureScheme.of(v);
        return s == null ? String.format("0x%04x", v) : s.rfcName() + String.format(" (0x%04x)", v);
    }

    static String certificateSummary(byte[] der) {
        X509Certificate c = parseCertificate(der);
        if (c == null) {
            return der.length + " bytes that do not parse as X.509";
        }
        return "X.509 " + c.getSubjectX500Principal().getName() + ", issued by " + c.getIssuerX500Principal().getName();
    }

    static X509Certificate parseCertificate(byte[] der) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (Exception e) {
            return null;
        }
    }

    // ------------------------------------------------------------------ the cursor

    /** Thrown when a length points past the end: the rest is shown undecoded. */
    private static final class Truncated extends Exception {
        private static final long serialVersionUID = 1L;

        Truncated() {
            super(null, null, false, false);
        }
    }

    private interface IntMeaning {
        String of(long value);
    }

    private interface BytesMeaning {
        String of(byte[] value);
    }

    private interface Body {
        void read(Cursor c) throws Truncated;
    }

    private interface Element {
        void read(Cursor c, int index) throws Truncated;
    }

    /** Reads fields from {@code pos} to {@code end}, appending them to {@code out}. */
    private static final class Cursor {
        private final byte[] b;
        private final List<Field> out;
        private int pos;
        private final int end;

        Cursor(byte[] b, List<Field> out) {
            this(b, out, 0, b.length);
        }

        Cursor(byte[] b, List<Field> out, int pos, int end) {
            this.b = b;
            this.out = out;
            this.pos = pos;
            this.end = end;
        }

        int remaining() {
            return end - pos;
        }

        private long number(int n) throws Truncated {
            if (remaining() < n) {
                throw new Truncated();
            }
            long v = 0;
            for (int i = 0; i < n; i++) {
                v = (v << 8) | (b[pos + i] & 0xFF);
            }
            return v;
        }

        int peekU16() throws Truncated {
            return (int) number(2);
        }

        private void integer(String name, int n, IntMeaning meaning) throws Truncated {
            long v = number(n);
            out.add(Field.leaf(pos, n, name, meaning.of(v)));
            pos += n;
        }

        void u8(String name, IntMeaning m) throws Truncated {
            integer(name, 1, m);
        }

        void u16(String name, IntMeaning m) throws Truncated {
            integer(name, 2, v -> m.of(v));
        }

        void u24(String name, IntMeaning m) throws Truncated {
            integer(name, 3, m);
        }

        void u32(String name, IntMeaning m) throws Truncated {
            integer(name, 4, m);
        }

        void bytes(String name, int n, BytesMeaning m) throws Truncated {
            if (remaining() < n) {
                throw new Truncated();
            }
            out.add(Field.leaf(pos, n, name, m.of(Arrays.copyOfRange(b, pos, pos + n))));
            pos += n;
        }

        void rest(String name, String meaning) {
            if (remaining() > 0) {
                out.add(Field.leaf(pos, remaining(), name, meaning));
                pos = end;
            }
        }

        void undecodedRest() {
            if (remaining() > 0) {
                out.add(Field.leaf(pos, remaining(), "undecodable", remaining() + " bytes that do not fit the structure"));
                pos = end;
            }
        }

        /** A vector with an {@code lengthBytes}-byte length, shown as one field: length + content. */
        private void vector(String name, int lengthBytes, BytesMeaning m) throws Truncated {
            int start = pos;
            int n = (int) number(lengthBytes);
            if (remaining() < lengthBytes + n) {
                throw new Truncated();
            }
            byte[] content = Arrays.copyOfRange(b, pos + lengthBytes, pos + lengthBytes + n);
            List<Field> kids = List.of(Field.leaf(start, lengthBytes, "length", n + " bytes"),
                    Field.leaf(start + lengthBytes, n, "data", ""));
            if (n == 0) {
                out.add(Field.leaf(start, lengthBytes, name, "length 0: " + m.of(content)));
            } else {
                out.add(new Field(start, lengthBytes + n, name, m.of(content), kids));
            }
            pos += lengthBytes + n;
        }

        void vector8(String name, BytesMeaning m) throws Truncated {
            vector(name, 1, m);
        }

        void vector16(String name, BytesMeaning m) throws Truncated {
            vector(name, 2, m);
        }

        void vector24(String name, BytesMeaning m) throws Truncated {
            vector(name, 3, m);
        }

        /** A vector of elements: its length, then each element read by {@code element}. */
        private void list(String name, int lengthBytes, int elementMin, Element element) throws Truncated {
            int start = pos;
            int n = (int) number(lengthBytes);
            if (remaining() < lengthBytes + n) {
                throw new Truncated();
            }
            List<Field> kids = new ArrayList<>();
            kids.add(Field.leaf(start, lengthBytes, "length", n + " bytes"));
            Cursor inner = new Cursor(b, kids, start + lengthBytes, start + lengthBytes + n);
            int count = 0;
            try {
                while (inner.remaining() >= elementMin && inner.remaining() > 0) {
                    element.read(inner, count++);
                }
            } catch (Truncated e) {
                // fall through: the rest is shown undecoded
            }
            inner.undecodedRest();
            String meaning = count + (count == 1 ? " entry" : " entries");
            out.add(new Field(start, lengthBytes + n, name, meaning, kids));
            pos += lengthBytes + n;
        }

        void vector8List(String name, int elementMin, Element element) throws Truncated {
            list(name, 1, elementMin, element);
        }

        void vector16List(String name, int elementMin, Element element) throws Truncated {
            list(name, 2, elementMin, element);
        }

        void vector24List(String name, Element element) throws Truncated {
            list(name, 3, 1, element);
        }

        /** A structure without its own length: its fields are read by {@code body}. */
        void struct(String name, Body body) throws Truncated {
            int start = pos;
            List<Field> kids = new ArrayList<>();
            Cursor inner = new Cursor(b, kids, pos, end);
            try {
                body.read(inner);
            } finally {
                pos = inner.pos;
                out.add(new Field(start, pos - start, name, "", kids));
            }
        }

        /** The next {@code n} bytes as a unit (an extension's data), read by {@code body}. */
        void sub(int n, Body body) throws Truncated {
            if (remaining() < n) {
                throw new Truncated();
            }
            Cursor inner = new Cursor(b, out, pos, pos + n);
            try {
                body.read(inner);
            } catch (Truncated e) {
                // shown undecoded below
            }
            inner.undecodedRest();
            pos += n;
        }
    }
}
