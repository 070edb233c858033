package org.tollgate.tls.explain;

import java.util.List;

/**
 * Prints a message's bytes as an annotated hex dump: the offset, up to 16 bytes in hex,
 * and the name and meaning of the field they belong to, nested the way the structures
 * nest. Long fields (certificates, signatures) show their first {@value #MAX_LINES_PER_FIELD}
 * lines and how many bytes were left out.
 *
 * <pre>
 *   0000  01                                                msg_type: ClientHello (1)
 *   0001  00 00 c4                                          length: 196 bytes follow
 *   0004  03 03                                             legacy_version: 0x0303 (TLS 1.2) ...
 * </pre>
 */
public final class HexDump {
    /** Bytes per line. */
    public static final int BYTES_PER_LINE = 16;
    /** Lines of hex shown for one field before the rest is summarised. */
    public static final int MAX_LINES_PER_FIELD = 2;

    private HexDump() {
    }

    /**
     * The dump of {@code message} annotated with {@code root}'s fields, each line starting with {@code indent}.
     * @param message the message bytes
     * @param root the message's fields
     * @param indent the prefix of every line
     * @return the annotated dump
     */
    public static String render(byte[] message, Field root, String indent) {
        StringBuilder out = new StringBuilder();
        for (Field f : root.children()) {
            field(out, message, f, indent, 0);
        }
        return out.toString();
    }

    private static void field(StringBuilder out, byte[] message, Field f, String indent, int depth) {
        String pad = "  ".repeat(depth);
        if (f.hasChildren()) {
            out.append(indent).append(String.format("%04x", f.offset())).append("  ")
                    .append(" ".repeat(BYTES_PER_LINE * 3)).append(pad).append(f.name())
                    .append(" (").append(f.length()).append(f.length() == 1 ? " byte" : " bytes").append(')')
                    .append(f.meaning().isEmpty() ? "" : ": " + f.meaning()).append('\n');
            for (Field child : f.children()) {
                field(out, message, child, indent, depth + 1);
            }
            return;
        }
        int lines = (f.length() + BYTES_PER_LINE - 1) / BYTES_PER_LINE;
        int shown = Math.min(lines, MAX_LINES_PER_FIELD);
        for (int line = 0; line < Math.max(shown, 1); line++) {
            int from = f.offset() + line * BYTES_PER_LINE;
            int to = Math.min(f.offset() + f.length(), from + BYTES_PER_LINE);
            out.append(indent).append(String.format("%04x", from)).append("  ");
            StringBuilder hex = new StringBuilder();
            for (int i = from; i < to && i < message.length; i++) {
                hex.append(String.format("%02x ", message[i] & 0xFF));
            }
            out.append(padRight(hex.toString(), BYTES_PER_LINE * 3));
            if (line == 0) {
                out.append(pad).append(f.name()).append(f.meaning().isEmpty() ? "" : ": " + f.meaning());
            }
            trimEnd(out);
            out.append('\n');
        }
        if (lines > shown) {
            int left = f.length() - shown * BYTES_PER_LINE;
            out.append(indent).append("      ... ").append(left).append(" more bytes of ").append(f.name()).append('\n');
        }
    }

    /**
     * Plain hex of {@code b}, for the summaries.
     * @param b the bytes
     * @return lower-case hex
     */
    public static String hex(byte[] b) {
        return MessageFields.hex(b);
    }

    /**
     * The first {@code n} bytes in hex and the full length: {@code 3f2a9c01... (32 bytes)}.
     * @param b the bytes
     * @param n how many to show
     * @return the truncated hex
     */
    public static String truncated(byte[] b, int n) {
        if (b.length <= n) {
            return hex(b) + " (" + b.length + " bytes)";
        }
        return MessageFields.hex(java.util.Arrays.copyOf(b, n)) + "... (" + b.length + " bytes)";
    }

    /**
     * Every leaf of {@code root}, depth first: the fields that own bytes.
     * @param root the field tree
     * @param into where the leaves are added
     */
    public static void leaves(Field root, List<Field> into) {
        if (!root.hasChildren()) {
            into.add(root);
            return;
        }
        for (Field f : root.children()) {
            leaves(f, into);
        }
    }

    private static String padRight(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }

    private static void trimEnd(StringBuilder b) {
        int n = b.length();
        while (n > 0 && b.charAt(n - 1) == ' ') {
            n--;
        }
        b.setLength(n);
    }
}
