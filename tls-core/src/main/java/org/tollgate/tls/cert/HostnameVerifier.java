package org.tollgate.tls.cert;

import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;

/**
 * Checks that a server certificate was issued for the host the client meant to reach
 * (RFC 9525, which replaces RFC 6125).
 *
 * <ul>
 *   <li>Only the subjectAltName extension counts. The subject's common name is never
 *       used, not even when there are no DNS names (RFC 9525 §6.3).</li>
 *   <li>DNS names compare case-insensitively (ASCII only), ignoring one trailing dot.</li>
 *   <li>A wildcard is allowed only as the whole left-most label and matches exactly one
 *       label: {@code *.example.com} matches {@code a.example.com}, but neither
 *       {@code example.com} nor {@code a.b.example.com}. Partial wildcards
 *       ({@code f*.example.com}) and wildcards over a single label ({@code *.com}) never
 *       match.</li>
 *   <li>An IP address host (IPv4, IPv6, or IPv6 in brackets) matches only iPAddress
 *       entries, byte for byte (RFC 9525 §6.2).</li>
 *   <li>Internationalized names compare as A-labels: convert a Unicode host with
 *       {@link java.net.IDN#toASCII(String)} before calling.</li>
 * </ul>
 */
public final class HostnameVerifier {

    private HostnameVerifier() {
    }

    /**
     * True when {@code cert}'s subjectAltName covers {@code host}.
     * @param cert the server's leaf certificate
     * @param host the name or IP literal the client asked for
     * @return whether a subjectAltName matches
     */
    public static boolean matches(X509Certificate cert, String host) {
        Objects.requireNonNull(cert, "cert");
        return matches(subjectAltNames(cert), host);
    }

    /** {@link #matches(X509Certificate, String)} over a leaf's already decoded subjectAltName entries. */
    static boolean matches(List<GeneralName> subjectAltNames, String host) {
        Objects.requireNonNull(host, "host");
        byte[] ip = parseIpAddress(host);
        if (ip == null && (host.indexOf(':') >= 0 || host.indexOf('[') >= 0)) {
            return false; // neither an IP literal we understand nor a DNS name
        }
        for (GeneralName name : subjectAltNames) {
            if (ip != null) {
                // RFC 9525 §6.2: an IP reference identity matches only an iPAddress entry.
                if (name.getTagNo() == GeneralName.iPAddress
                        && Arrays.equals(ip, ASN1OctetString.getInstance(name.getName()).getOctets())) {
                    return true;
                }
            } else if (name.getTagNo() == GeneralName.dNSName
                    && dnsNameMatches(((ASN1String) name.getName()).getString(), host)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The certificate's subjectAltName DNS names and IP addresses as text, in certificate
     * order (for error messages).
     */
    static List<String> describeNames(X509Certificate cert) {
        List<String> names = new ArrayList<>();
        for (GeneralName name : subjectAltNames(cert)) {
            if (name.getTagNo() == GeneralName.dNSName) {
                names.add(((ASN1String) name.getName()).getString());
            } else if (name.getTagNo() == GeneralName.iPAddress) {
                names.add(formatIpAddress(ASN1OctetString.getInstance(name.getName()).getOctets()));
            }
        }
        return names;
    }

    static List<GeneralName> subjectAltNames(X509Certificate cert) {
        byte[] extension = cert.getExtensionValue(Extension.subjectAlternativeName.getId());
        if (extension == null) {
            return List.of();
        }
        try {
            return List.of(GeneralNames.getInstance(JcaX509ExtensionUtils.parseExtensionValue(extension)).getNames());
        } catch (IOException | IllegalArgumentException e) {
            return List.of(); // a malformed extension names nothing
        }
    }

    // RFC 9525 §6.3, RFC 4343 (ASCII case-insensitive), RFC 1034 §3.1 (trailing dot).
    static boolean dnsNameMatches(String pattern, String host) {
        String h = normalizeDnsName(host);
        String p = normalizeDnsName(pattern);
        if (h == null || p == null) {
            return false;
        }
        if (!p.startsWith("*.")) {
            return p.indexOf('*') < 0 && p.equals(h);
        }
        String parent = p.substring(2);
        // RFC 9525 §6.3: only a whole left-most label; no second wildcard; and never a
        // wildcard directly above a single label (*.com), a public-suffix-like name.
        if (parent.indexOf('*') >= 0 || parent.indexOf('.') < 0) {
            return false;
        }
        int firstDot = h.indexOf('.');
        // The wildcard matches exactly one non-empty label.
        return firstDot > 0 && h.substring(firstDot + 1).equals(parent);
    }

    /** Lower-cased ASCII without the trailing dot, or null when it cannot be a DNS name. */
    private static String normalizeDnsName(String name) {
        String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (n.isEmpty() || n.startsWith(".") || n.contains("..")) {
            return null;
        }
        for (int i = 0; i < n.length(); i++) {
            if (n.charAt(i) > 0x7e || n.charAt(i) <= 0x20) {
                return null; // U-labels must arrive as A-labels (RFC 5890)
            }
        }
        return n.toLowerCase(Locale.ROOT);
    }

    /**
     * The bytes of an IPv4 (dotted quad) or IPv6 (RFC 4291 §2.2, optionally in brackets as
     * in a URI, RFC 3986 §3.2.2) literal; null if {@code host} is not one. Never does DNS.
     */
    static byte[] parseIpAddress(String host) {
        if (host.startsWith("[") && host.endsWith("]")) {
            return parseIpv6(host.substring(1, host.length() - 1));
        }
        return host.indexOf(':') >= 0 ? parseIpv6(host) : parseIpv4(host);
    }

    private static byte[] parseIpv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            String part = parts[i];
            // Decimal only: "010" (octal to inet_aton) and "0x7f" are not accepted.
            if (part.isEmpty() || part.length() > 3 || (part.length() > 1 && part.charAt(0) == '0')
                    || !part.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return null;
            }
            int value = Integer.parseInt(part);
            if (value > 255) {
                return null;
            }
            out[i] = (byte) value;
        }
        return out;
    }

    private static byte[] parseIpv6(String s) {
        int gap = s.indexOf("::");
        if (gap >= 0 && s.indexOf("::", gap + 1) >= 0) {
            return null;
        }
        List<Integer> head = gap >= 0 ? parseGroups(s.substring(0, gap), false) : parseGroups(s, true);
        List<Integer> tail = gap >= 0 ? parseGroups(s.substring(gap + 2), true) : List.of();
        if (head == null || tail == null) {
            return null;
        }
        int count = head.size() + tail.size();
        if (gap >= 0 ? count > 7 : count != 8) {
            return null;
        }
        byte[] out = new byte[16];
        for (int i = 0; i < head.size(); i++) {
            out[2 * i] = (byte) (head.get(i) >> 8);
            out[2 * i + 1] = (byte) (int) head.get(i);
        }
        for (int i = 0; i < tail.size(); i++) {
            int at = 16 - 2 * (tail.size() - i);
            out[at] = (byte) (tail.get(i) >> 8);
            out[at + 1] = (byte) (int) tail.get(i);
        }
        return out;
    }

    /** Colon-separated 16-bit groups; the last may be a dotted quad (two groups) if allowed. */
    private static List<Integer> parseGroups(String s, boolean dottedQuadLast) {
        List<Integer> groups = new ArrayList<>();
        if (s.isEmpty()) {
            return groups;
        }
        String[] parts = s.split(":", -1);
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i];
            if (dottedQuadLast && i == parts.length - 1 && part.indexOf('.') >= 0) {
                byte[] v4 = parseIpv4(part);
                if (v4 == null) {
                    return null;
                }
                groups.add((v4[0] & 0xff) << 8 | (v4[1] & 0xff));
                groups.add((v4[2] & 0xff) << 8 | (v4[3] & 0xff));
            } else {
                if (part.isEmpty() || part.length() > 4
                        || !part.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                    return null;
                }
                groups.add(Integer.parseInt(part, 16));
            }
        }
        return groups;
    }

    /** IPv4 dotted quad, or IPv6 in RFC 5952 form (lower case, longest zero run as "::"). */
    static String formatIpAddress(byte[] address) {
        if (address.length == 4) {
            return (address[0] & 0xff) + "." + (address[1] & 0xff) + "." + (address[2] & 0xff) + "." + (address[3] & 0xff);
        }
        if (address.length != 16) {
            return "<" + address.length + "-byte address>";
        }
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = (address[2 * i] & 0xff) << 8 | (address[2 * i + 1] & 0xff);
        }
        // RFC 5952 §4.2: shorten the longest run of two or more zero groups, the first on a tie.
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLength - 1;
                continue;
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(groups[i]));
        }
        return out.toString();
    }
}
