package org.tollgate.tls.handshake;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.wire.WireReader;
import org.tollgate.tls.wire.WireWriter;

/** Codecs of the extensions Tollgate understands, each named after its RFC structure. */
public final class Extensions {
    private Extensions() {
    }

    /** {@code struct { NamedGroup group; opaque key_exchange<1..2^16-1>; } KeyShareEntry} (RFC 8446 §4.2.8). */
    public record KeyShareEntry(int group, byte[] keyExchange) {
    }

    // --- supported_versions (RFC 8446 §4.2.1)

    public static Extension supportedVersionsClient(List<Integer> versions) {
        WireWriter w = new WireWriter();
        int m = w.open8();
        for (int v : versions) {
            w.u16(v);
        }
        w.close(m);
        return new Extension(ExtensionType.SUPPORTED_VERSIONS, w.toByteArray());
    }

    public static List<Integer> decodeSupportedVersionsClient(Extension e) throws TlsException {
        WireReader r = e.reader();
        WireReader list = r.sub8("supported_versions");
        r.expectEnd();
        if (list.remaining() < 2 || list.remaining() % 2 != 0) {
            throw TlsException.decodeError("supported_versions list has length " + list.remaining());
        }
        List<Integer> out = new ArrayList<>();
        while (list.hasRemaining()) {
            out.add(list.u16());
        }
        return out;
    }

    public static Extension supportedVersionsServer(int version) {
        return new Extension(ExtensionType.SUPPORTED_VERSIONS, new WireWriter(2).u16(version).toByteArray());
    }

    public static int decodeSupportedVersionsServer(Extension e) throws TlsException {
        WireReader r = e.reader();
        int v = r.u16();
        r.expectEnd();
        return v;
    }

    // --- u16 lists: supported_groups (RFC 8446 §4.2.7), signature_algorithms(_cert) (§4.2.3)

    public static Extension u16List(int type, List<Integer> values) {
        WireWriter w = new WireWriter();
        int m = w.open16();
        for (int v : values) {
            w.u16(v);
        }
        w.close(m);
        return new Extension(type, w.toByteArray());
    }

    public static List<Integer> decodeU16List(Extension e) throws TlsException {
        WireReader r = e.reader();
        WireReader list = r.sub16(ExtensionType.name(e.type()));
        r.expectEnd();
        if (list.remaining() < 2 || list.remaining() % 2 != 0) {
            throw TlsException.decodeError(ExtensionType.name(e.type()) + " list has length " + list.remaining());
        }
        List<Integer> out = new ArrayList<>();
        while (list.hasRemaining()) {
            out.add(list.u16());
        }
        return out;
    }

    // --- key_share (RFC 8446 §4.2.8)

    public static Extension keyShareClient(List<KeyShareEntry> shares) {
        WireWriter w = new WireWriter();
        int m = w.open16();
        for (KeyShareEntry s : shares) {
            w.u16(s.group()).vector16(s.keyExchange());
        }
        w.close(m);
        return new Extension(ExtensionType.KEY_SHARE, w.toByteArray());
    }

    public static List<KeyShareEntry> decodeKeyShareClient(Extension e) throws TlsException {
        WireReader r = e.reader();
        WireReader list = r.sub16("client_shares");
        r.expectEnd();
        List<KeyShareEntry> out = new ArrayList<>();
        List<Integer> groups = new ArrayList<>();
        while (list.hasRemaining()) {
            KeyShareEntry entry = decodeEntry(list);
            // RFC 8446 §4.2.8: clients MUST NOT offer multiple KeyShareEntry values for the same group.
            if (groups.contains(entry.group())) {
                throw TlsException.illegalParameter("key_share offers group " + entry.group() + " twice");
            }
            groups.add(entry.group());
            out.add(entry);
        }
        return out;
    }

    private static KeyShareEntry decodeEntry(WireReader r) throws TlsException {
        int group = r.u16();
        byte[] key = r.vector16();
        WireReader.checkLength("key_exchange", key.length, 1, 0xFFFF);
        return new KeyShareEntry(group, key);
    }

    public static Extension keyShareServer(KeyShareEntry share) {
        WireWriter w = new WireWriter();
        w.u16(share.group()).vector16(share.keyExchange());
        return new Extension(ExtensionType.KEY_SHARE, w.toByteArray());
    }

    public static KeyShareEntry decodeKeyShareServer(Extension e) throws TlsException {
        WireReader r = e.reader();
        KeyShareEntry entry = decodeEntry(r);
        r.expectEnd();
        return entry;
    }

    /** In a HelloRetryRequest the key_share carries only the selected group. */
    public static Extension keyShareHelloRetry(int group) {
        return new Extension(ExtensionType.KEY_SHARE, new WireWriter(2).u16(group).toByteArray());
    }

    public static int decodeKeyShareHelloRetry(Extension e) throws TlsException {
        WireReader r = e.reader();
        int group = r.u16();
        r.expectEnd();
        return group;
    }

    // --- server_name (RFC 6066 §3)

    public static Extension serverNameClient(String hostName) {
        WireWriter w = new WireWriter();
        int list = w.open16();
        w.u8(0); // NameType host_name
        w.vector16(hostName.getBytes(StandardCharsets.US_ASCII));
        w.close(list);
        return new Extension(ExtensionType.SERVER_NAME, w.toByteArray());
    }

    /** The host_name in a client's server_name extension, or null when it names none. */
    public static String decodeServerNameClient(Extension e) throws TlsException {
        WireReader r = e.reader();
        WireReader list = r.sub16("server_name_list");
        r.expectEnd();
        if (!list.hasRemaining()) {
            throw TlsException.decodeError("server_name_list is empty");
        }
        String host = null;
        while (list.hasRemaining()) {
            int nameType = list.u8();
            byte[] name = list.vector16();
            if (nameType == 0) {
                // RFC 6066 §3: the list MUST NOT contain more than one name of the same name_type.
                if (host != null) {
                    throw TlsException.illegalParameter("server_name carries two host names");
                }
                WireReader.checkLength("HostName", name.length, 1, 0xFFFF);
                for (byte b : name) {
                    if (b <= 0x20 || b >= 0x7F) {
                        throw TlsException.illegalParameter("server_name host_name holds a non-ASCII or control byte");
                    }
                }
                host = new String(name, StandardCharsets.US_ASCII);
            }
        }
        return host;
    }

    // --- application_layer_protocol_negotiation (RFC 7301 §3.1)

    public static Extension alpn(List<String> protocols) {
        WireWriter w = new WireWriter();
        int m = w.open16();
        for (String p : protocols) {
            w.vector8(p.getBytes(StandardCharsets.US_ASCII));
        }
        w.close(m);
        return new Extension(ExtensionType.APPLICATION_LAYER_PROTOCOL_NEGOTIATION, w.toByteArray());
    }

    public static List<String> decodeAlpn(Extension e) throws TlsException {
        WireReader r = e.reader();
        WireReader list = r.sub16("protocol_name_list");
        r.expectEnd();
        List<String> out = new ArrayList<>();
        while (list.hasRemaining()) {
            byte[] name = list.vector8();
            // RFC 7301 §3.1: empty strings MUST NOT be included.
            WireReader.checkLength("ProtocolName", name.length, 1, 255);
            out.add(new String(name, StandardCharsets.ISO_8859_1));
        }
        if (out.isEmpty()) {
            throw TlsException.decodeError("ALPN protocol_name_list is empty");
        }
        return out;
    }

    // --- cookie (RFC 8446 §4.2.2)

    public static Extension cookie(byte[] cookie) {
        return new Extension(ExtensionType.COOKIE, new WireWriter().vector16(cookie).toByteArray());
    }

    public static byte[] decodeCookie(Extension e) throws TlsException {
        WireReader r = e.reader();
        byte[] c = r.vector16();
        r.expectEnd();
        WireReader.checkLength("cookie", c.length, 1, 0xFFFF);
        return c;
    }

    // --- certificate_authorities (RFC 8446 §4.2.4): DER distinguished names of acceptable CAs

    /** {@code DistinguishedName authorities<3..2^16-1>}, each {@code opaque DistinguishedName<1..2^16-1>}. */
    public static Extension certificateAuthorities(List<byte[]> distinguishedNames) {
        WireWriter w = new WireWriter();
        int m = w.open16();
        for (byte[] dn : distinguishedNames) {
            w.vector16(dn);
        }
        w.close(m);
        return new Extension(ExtensionType.CERTIFICATE_AUTHORITIES, w.toByteArray());
    }

    public static List<byte[]> decodeCertificateAuthorities(Extension e) throws TlsException {
        WireReader r = e.reader();
        WireReader list = r.sub16("certificate_authorities");
        r.expectEnd();
        WireReader.checkLength("certificate_authorities", list.remaining(), 3, 0xFFFF);
        List<byte[]> names = new ArrayList<>();
        while (list.hasRemaining()) {
            byte[] dn = list.vector16();
            WireReader.checkLength("DistinguishedName", dn.length, 1, 0xFFFF);
            names.add(dn);
        }
        return names;
    }
}
