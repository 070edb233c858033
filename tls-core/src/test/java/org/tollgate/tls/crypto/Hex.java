package org.tollgate.tls.crypto;

import java.util.HexFormat;

/** Hex as the RFCs print it: case and white space do not matter. */
final class Hex {

    private Hex() {
    }

    static byte[] bytes(String hex) {
        return HexFormat.of().parseHex(hex.replaceAll("\\s+", "").toLowerCase(java.util.Locale.ROOT));
    }

    static String string(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
