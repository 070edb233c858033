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

    /**
     * Copies {@code children}.
     * @param offset the field's first byte in the message
     * @param length its length in bytes
     * @param name its name in the RFC's structure
     * @param meaning what the value means, in words
     * @param children the fields inside it, in order
     */
    public Field {
        children = List.copyOf(children);
    }

    /**
     * A field with nothing inside it.
     * @param offset first byte in the message
     * @param length length in bytes
     * @param name the RFC's name
     * @param meaning the value in words
     * @return the field
     */
    public static Field leaf(int offset, int length, String name, String meaning) {
        return new Field(offset, length, name, meaning, List.of());
    }

    /** {@return true when this field is a structure or vector with fields inside} */
    public boolean hasChildren() {
        return !children.isEmpty();
    }
}
