package org.tollgate.lb.l4;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The PROXY protocol header (HAProxy, "The PROXY protocol", versions 1 and 2): sent to
 * the backend before the client's first byte, so that the backend learns the client's
 * address and port, which an L4 proxy otherwise hides (the backend sees the proxy's).
 *
 * <ul>
 * <li>v1 (spec §2.1): one text line, {@code PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n},
 *     at most 107 bytes; {@code PROXY UNKNOWN\r\n} when the addresses cannot be told.</li>
 * <li>v2 (spec §2.2): binary; the 12-byte signature {@code \r\n\r\n\0\r\nQUIT\n}, then
 *     version and command ({@code 0x21}: version 2, PROXY), family and transport
 *     ({@code 0x11} TCP over IPv4, {@code 0x21} TCP over IPv6), the length of the address
 *     block, then source and destination addresses and ports in network order.</li>
 * </ul>
 * The backend must be configured to expect the header (nginx {@code proxy_protocol},
 * HAProxy {@code accept-proxy}); otherwise it reads it as data.
 */
public enum ProxyProtocol {
    /** Version 1: one text line, {@code PROXY TCP4 src dst sport dport\r\n}. */
    V1,
    /** Version 2: a binary header with a 12-byte signature. */
    V2;

    /** The v2 signature, spec §2.2. */
    static final byte[] V2_SIGNATURE = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

    /**
     * {@code v1} or {@code v2}, as the command line spells them.
     * @param text the version as written
     * @return the version
     * @throws IllegalArgumentException for anything else
     */
    public static ProxyProtocol parse(String text) {
        switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "v1":
            case "1":
                return V1;
            case "v2":
            case "2":
                return V2;
            default:
                throw new IllegalArgumentException("PROXY protocol version must be v1 or v2, not '" + text + "'");
        }
    }

    /**
     * The header for a TCP connection from {@code source} (the client) to
     * {@code destination} (the address it dialled); either may be null when unknown, which
     * gives {@code PROXY UNKNOWN} (v1) or the {@code AF_UNSPEC} family (v2).
     * @param source the client's address
     * @param destination the address the client connected to
     * @return the header bytes
     */
    public byte[] header(InetSocketAddress source, InetSocketAddress destination) {
        return this == V1 ? v1(source, destination) : v2(source, destination);
    }

    private static byte[] v1(InetSocketAddress src, InetSocketAddress dst) {
        InetAddress s = src == null ? null : src.getAddress();
        InetAddress d = dst == null ? null : dst.getAddress();
        String line;
        if (s instanceof Inet4Address && d instanceof Inet4Address) {
            line = "PROXY TCP4 " + s.getHostAddress() + " " + d.getHostAddress() + " " + src.getPort() + " " + dst.getPort() + "\r\n";
        } else if (s instanceof Inet6Address && d instanceof Inet6Address) {
            line = "PROXY TCP6 " + v6(s) + " " + v6(d) + " " + src.getPort() + " " + dst.getPort() + "\r\n";
        } else {
            line = "PROXY UNKNOWN\r\n"; // spec §2.1: the receiver then uses the real connection's addresses
        }
        return line.getBytes(StandardCharsets.US_ASCII);
    }

    /** IPv6 without Java's scope suffix ({@code %lo}); the spec wants the plain address. */
    private static String v6(InetAddress a) {
        String s = a.getHostAddress();
        int pct = s.indexOf('%');
        return pct < 0 ? s : s.substring(0, pct);
    }

    private static byte[] v2(InetSocketAddress src, InetSocketAddress dst) {
        byte[] s = src == null ? new byte[0] : src.getAddress().getAddress();
        byte[] d = dst == null ? new byte[0] : dst.getAddress().getAddress();
        int family;
        if (s.length == 4 && d.length == 4) {
            family = 0x11; // AF_INET, STREAM
        } else if (s.length == 16 && d.length == 16) {
            family = 0x21; // AF_INET6, STREAM
        } else {
            family = 0x00; // AF_UNSPEC: the receiver uses the real addresses
        }
        int addressLength = family == 0 ? 0 : 2 * s.length + 4;
        ByteBuffer b = ByteBuffer.allocate(16 + addressLength);
        b.put(V2_SIGNATURE);
        b.put((byte) 0x21); // version 2, command PROXY
        b.put((byte) family);
        b.putShort((short) addressLength);
        if (family != 0) {
            b.put(s).put(d).putShort((short) src.getPort()).putShort((short) dst.getPort());
        }
        return b.array();
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
