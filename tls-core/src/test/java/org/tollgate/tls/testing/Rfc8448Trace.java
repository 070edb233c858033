package org.tollgate.tls.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The values of an RFC 8448 trace, read from a test resource that keeps the RFC's own layout:
 * {@code name (N octets):  hex hex ...}, continued on indented lines; {@code #} starts a comment.
 * Every value is checked against its declared octet count, so a dropped or doubled octet in the
 * copied text fails loudly here instead of as a puzzling mismatch further on.
 */
public final class Rfc8448Trace {
    private static final Pattern HEAD = Pattern.compile("^(\\S+) \\((\\d+) octets\\):\\s*(.*)$");

    private final Map<String, byte[]> values;

    private Rfc8448Trace(Map<String, byte[]> values) {
        this.values = values;
    }

    /** RFC 8448 §3, the simple 1-RTT handshake. */
    public static Rfc8448Trace simple1Rtt() {
        return load("/rfc8448/simple-1rtt.txt");
    }

    public static Rfc8448Trace load(String resource) {
        try (InputStream in = Rfc8448Trace.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("test resource missing: " + resource);
            }
            return parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Rfc8448Trace parse(BufferedReader reader) throws IOException {
        Map<String, byte[]> values = new LinkedHashMap<>();
        String name = null;
        int declared = 0;
        StringBuilder hex = new StringBuilder();
        for (String line = reader.readLine(); ; line = reader.readLine()) {
            boolean continuation = line != null && !line.isBlank() && Character.isWhitespace(line.charAt(0));
            if (continuation && name != null) {
                hex.append(line.strip().replace(" ", ""));
                continue;
            }
            if (name != null) {
                byte[] value = HexFormat.of().parseHex(hex);
                if (value.length != declared) {
                    throw new IllegalStateException(name + ": the trace says " + declared + " octets, found " + value.length);
                }
                if (values.put(name, value) != null) {
                    throw new IllegalStateException(name + " appears twice in the trace");
                }
                name = null;
                hex.setLength(0);
            }
            if (line == null) {
                break;
            }
            Matcher m = HEAD.matcher(line);
            if (m.matches()) {
                name = m.group(1);
                declared = Integer.parseInt(m.group(2));
                hex.append(m.group(3).replace(" ", ""));
            } else if (!line.isBlank() && !line.startsWith("#")) {
                throw new IllegalStateException("unexpected line in trace: " + line);
            }
        }
        return new Rfc8448Trace(values);
    }

    /** The value called {@code name}; a fresh copy each time. */
    public byte[] get(String name) {
        byte[] v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException("no value " + name + " in the trace; have " + values.keySet());
        }
        return v.clone();
    }

    /** The concatenation of several values, e.g. a run of handshake messages. */
    public byte[] concat(String... names) {
        int length = 0;
        for (String n : names) {
            length += get(n).length;
        }
        byte[] out = new byte[length];
        int off = 0;
        for (String n : names) {
            byte[] v = get(n);
            System.arraycopy(v, 0, out, off, v.length);
            off += v.length;
        }
        return out;
    }
}
