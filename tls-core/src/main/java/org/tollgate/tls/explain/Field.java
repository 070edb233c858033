package org.tollgate.tls.explain;

import java.util.List;

/**
 * One field of a handshake message as it sits on the wire: where it starts, how many bytes
 * it takes, its name in the RFC's structure, what the bytes mean, and (for a structure or
 * a vector) the fields inside it.
 *
 * @param offset   position of the first byte, counted from the start of the message
 * @param length   number of bytes
 * @param name     the RFC's field name, e.g. {@code legacy_version} or {@code extension key_share}
 * @param meaning  the value in words, e.g. {@code 0x0303 (TLS 1.2, frozen)}; empty when the
 *                 children say it all
 * @param children the fields inside this one, in wire order; empty for a leaf
 */
public record Field(int offset, int length, String name, String meaning, List<Field> children) {

    public Field {
        children = List.copyOf(children);
    }

    /** A field with nothing inside it. */
    public static Field leaf(int offset, int length, String name, String meaning) {
        return new Field(offset, length, name, meaning, List.of());
    }

    /** True when this field is a structure or vector with fields inside. */
    public boolean hasChildren() {
        return !children.isEmpty();
    }
}
