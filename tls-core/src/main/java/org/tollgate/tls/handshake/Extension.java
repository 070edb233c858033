package org.tollgate.tls.handshake;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.wire.WireReader;
import org.tollgate.tls.wire.WireWriter;

/** One extension: {@code struct { ExtensionType extension_type; opaque extension_data<0..2^16-1>; }}. */
public record Extension(int type, byte[] data) {

    /** Decodes {@code Extension extensions<0..2^16-1>}; duplicates are illegal_parameter (RFC 8446 §4.2). */
    public static List<Extension> decodeList(WireReader r, String where) throws TlsException {
        WireReader list = r.sub16(where + " extensions");
        List<Extension> out = new ArrayList<>();
        Set<Integer> seen = new HashSet<>();
        while (list.hasRemaining()) {
            int type = list.u16();
            byte[] data = list.vector16();
            if (!seen.add(type)) {
                throw TlsException.illegalParameter(where + " carries the " + ExtensionType.name(type) + " extension twice");
            }
            out.add(new Extension(type, data));
        }
        return List.copyOf(out);
    }

    public static void encodeList(WireWriter w, List<Extension> extensions) {
        int m = w.open16();
        for (Extension e : extensions) {
            w.u16(e.type()).vector16(e.data());
        }
        w.close(m);
    }

    /** The extension of {@code type} in {@code list}, or null. */
    public static Extension find(List<Extension> list, int type) {
        for (Extension e : list) {
            if (e.type() == type) {
                return e;
            }
        }
        return null;
    }

    public WireReader reader() {
        return new WireReader(data, ExtensionType.name(type));
    }

    @Override
    public String toString() {
        return ExtensionType.name(type) + "(" + data.length + " bytes)";
    }
}
