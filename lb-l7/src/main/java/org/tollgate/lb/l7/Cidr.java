package org.tollgate.lb.l7;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Objects;

/**
 * An address block in CIDR notation (RFC 4632 §3.1 for IPv4, RFC 4291 §2.3 for IPv6):
 * {@code 10.0.0.0/8}, {@code 2001:db8::/32}, or a single address ({@code 127.0.0.2},
 * {@code ::1}). An IPv4 block never contains an IPv6 address and the other way round,
 * except that IPv4-mapped IPv6 addresses ({@code ::ffff:10.1.2.3}) are compared as IPv4.
 *
 * @param network the block's first address (host bits zero)
 * @param prefix  the number of leading bits that must match
 */
public record Cidr(InetAddress network, int prefix) {

    /** Checks the prefix length and that no host bit is set. */
    public Cidr {
        Objects.requireNonNull(network, "network");
        int bits = network.getAddress().length * 8;
        if (prefix < 0 || prefix > bits) {
            throw new IllegalArgumentException("prefix /" + prefix + " out of range for " + network.getHostAddress());
        }
        byte[] a = network.getAddress();
        byte[] masked = mask(a, prefix);
        if (!Arrays.equals(a, masked)) {
            throw new IllegalArgumentException(network.getHostAddress() + "/" + prefix + " has host bits set (did you mean "
                    + address(masked).getHostAddress() + "/" + prefix + "?)");
        }
    }

    /**
     * Parses {@code ADDRESS/PREFIX} or a single {@code ADDRESS}; only literal addresses,
     * never a host name (no DNS look-up happens here).
     */
    public static Cidr parse(String text) {
        String s = text.trim();
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        if (addr.startsWith("[") && addr.endsWith("]")) {
            addr = addr.substring(1, addr.length() - 1);
        }
        byte[] bytes = literal(addr);
        if (bytes == null) {
            throw new IllegalArgumentException("not an IP address: '" + text + "'");
        }
        int prefix = bytes.length * 8;
        if (slash >= 0) {
            String p = s.substring(slash + 1);
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("bad prefix length in '" + text + "'");
            }
            prefix = Integer.parseInt(p);
        }
        if (bytes.length == 16 && prefix >= 96 && canonical(address(bytes)).getAddress().length == 4) {
            // an IPv4-mapped block (::ffff:10.0.0.0/104) is the IPv4 block it maps
            return new Cidr(address(Arrays.copyOfRange(bytes, 12, 16)), prefix - 96);
        }
        return new Cidr(address(bytes), prefix);
    }

    /** True when {@code a} lies in this block. */
    public boolean contains(InetAddress a) {
        byte[] x = canonical(a).getAddress();
        byte[] n = network.getAddress();
        if (x.length != n.length) {
            return false;
        }
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (x[i] != n[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int m = (0xff << (8 - rest)) & 0xff;
        return (x[full] & m) == (n[full] & m);
    }

    /** IPv4-mapped IPv6 ({@code ::ffff:a.b.c.d}) as the IPv4 address it carries. */
    static InetAddress canonical(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length == 16) {
            for (int i = 0; i < 10; i++) {
                if (b[i] != 0) {
                    return a;
                }
            }
            if (b[10] == (byte) 0xff && b[11] == (byte) 0xff) {
                return address(Arrays.copyOfRange(b, 12, 16));
            }
        }
        return a;
    }

    private static byte[] mask(byte[] a, int prefix) {
        byte[] m = a.clone();
        for (int i = 0; i < m.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            m[i] = (byte) (m[i] & ((0xff << (8 - keep)) & 0xff));
        }
        return m;
    }

    /** The bytes of a literal IPv4 (dotted quad) or IPv6 address, or null if it is not one. */
    private static byte[] literal(String s) {
        if (s.isEmpty()) {
            return null;
        }
        boolean v6 = s.indexOf(':') >= 0;
        if (!v6 && !s.matches("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}")) {
            return null; // not a dotted quad: refuse rather than let InetAddress resolve a name
        }
        if (v6 && !s.matches("[0-9A-Fa-f:.]+")) {
            return null;
        }
        try {
            InetAddress a = InetAddress.getByName(s);
            if (!v6) {
                for (String part : s.split("\\.")) {
                    if (Integer.parseInt(part) > 255) {
                        return null;
                    }
                }
            }
            return (v6 && a instanceof Inet4Address) ? ipv4MappedAsV6(a) : a.getAddress();
        } catch (UnknownHostException | NumberFormatException e) {
            return null;
        }
    }

    /** Java turns {@code ::ffff:1.2.3.4} into an IPv4 address; a block written in IPv6 stays 128 bits long. */
    private static byte[] ipv4MappedAsV6(InetAddress a) {
        byte[] v6 = new byte[16];
        v6[10] = (byte) 0xff;
        v6[11] = (byte) 0xff;
        System.arraycopy(a.getAddress(), 0, v6, 12, 4);
        return v6;
    }

    private static InetAddress address(byte[] bytes) {
        try {
            // Inet6Address.getByAddress keeps 16 bytes as IPv6 (InetAddress.getByAddress would turn ::ffff:x into IPv4)
            return bytes.length == 16 ? Inet6Address.getByAddress(null, bytes, null) : InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Override
    public String toString() {
        return network.getHostAddress() + "/" + prefix;
    }
}
