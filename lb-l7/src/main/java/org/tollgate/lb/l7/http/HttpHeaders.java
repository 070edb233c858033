package org.tollgate.lb.l7.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The field lines of a header section (or of trailers), in order, names as received.
 * Lookups ignore case (RFC 9110 §5.1). Values are kept byte for byte as ISO-8859-1
 * strings, so obs-text passes through unchanged.
 */
public final class HttpHeaders {
    /**
     * Hop-by-hop fields (RFC 9110 §7.6.1): they describe one connection, never the message,
     * and a proxy removes them, together with every field the Connection header names.
     * Proxy-Connection is not standard but is still sent by old clients.
     */
    public static final Set<String> HOP_BY_HOP = Set.of(
            "connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade");

    private final List<String> names = new ArrayList<>();
    private final List<String> values = new ArrayList<>();

    /** An empty header section. */
    public HttpHeaders() {
    }

    /**
     * A copy of {@code other}.
     * @param other the headers to copy
     */
    public HttpHeaders(HttpHeaders other) {
        names.addAll(other.names);
        values.addAll(other.values);
    }

    /** {@return number of field lines} */
    public int size() {
        return names.size();
    }

    /**
     * {@return the name of field line {@code i}, as received}
     * @param i the line's index
     */
    public String name(int i) {
        return names.get(i);
    }

    /**
     * {@return the value of field line {@code i}, without surrounding whitespace}
     * @param i the line's index
     */
    public String value(int i) {
        return values.get(i);
    }

    /**
     * Appends a field line; the caller makes sure name and value are valid.
     * @param name the field name
     * @param value the field value
     * @return these headers
     */
    public HttpHeaders add(String name, String value) {
        names.add(name);
        values.add(value);
        return this;
    }

    /**
     * Removes every line named {@code name}, then adds one.
     * @param name the field name
     * @param value the field value
     * @return these headers
     */
    public HttpHeaders set(String name, String value) {
        remove(name);
        return add(name, value);
    }

    /**
     * Removes every line named {@code name}; true if there was one.
     * @param name the field name (case-insensitive)
     * @return whether a line was removed
     */
    public boolean remove(String name) {
        boolean removed = false;
        for (int i = names.size() - 1; i >= 0; i--) {
            if (names.get(i).equalsIgnoreCase(name)) {
                names.remove(i);
                values.remove(i);
                removed = true;
            }
        }
        return removed;
    }

    /**
     * The first value of {@code name}, or null.
     * @param name the field name (case-insensitive)
     * @return the value, or null
     */
    public String get(String name) {
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).equalsIgnoreCase(name)) {
                return values.get(i);
            }
        }
        return null;
    }

    /**
     * Every value of {@code name}, in order.
     * @param name the field name (case-insensitive)
     * @return the values
     */
    public List<String> getAll(String name) {
        List<String> out = new ArrayList<>(1);
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).equalsIgnoreCase(name)) {
                out.add(values.get(i));
            }
        }
        return out;
    }

    /**
     * How many lines are named {@code name}.
     * @param name the field name (case-insensitive)
     * @return the number of lines
     */
    public int count(String name) {
        int n = 0;
        for (String s : names) {
            if (s.equalsIgnoreCase(name)) {
                n++;
            }
        }
        return n;
    }

    /**
     * {@return whether a line is named {@code name} (case-insensitive)}
     * @param name the field name
     */
    public boolean contains(String name) {
        return get(name) != null;
    }

    /**
     * The elements of every {@code name} line as one list (RFC 9110 §5.6.1: {@code #rule}
     * lists; several lines are one comma-joined list, §5.3), trimmed, empty elements
     * dropped, in lower case.
     * @param name the field name
     * @return the list elements, trimmed
     */
    public List<String> tokens(String name) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).equalsIgnoreCase(name)) {
                for (String part : values.get(i).split(",", -1)) {
                    String t = part.trim();
                    if (!t.isEmpty()) {
                        out.add(t.toLowerCase(Locale.ROOT));
                    }
                }
            }
        }
        return out;
    }

    /**
     * True if the {@code name} list holds {@code token} (case-insensitive).
     * @param name the field name
     * @param token the token
     * @return whether the list holds it
     */
    public boolean hasToken(String name, String token) {
        return tokens(name).contains(token.toLowerCase(Locale.ROOT));
    }

    /**
     * Removes the hop-by-hop fields: those of {@link #HOP_BY_HOP} and every field named in
     * a Connection line (RFC 9110 §7.6.1). Returns the Connection tokens that were present.
     * @return the names of the fields removed
     */
    public List<String> removeHopByHop() {
        List<String> connectionTokens = tokens("connection");
        for (String t : connectionTokens) {
            remove(t);
        }
        for (String h : HOP_BY_HOP) {
            remove(h);
        }
        return connectionTokens;
    }

    /**
     * The value of cookie {@code name} from the Cookie lines (RFC 6265 §5.4), or null.
     * @param name the cookie's name
     * @return the value, or null
     */
    public String cookie(String name) {
        for (String line : getAll("cookie")) {
            for (String pair : line.split(";")) {
                String p = pair.trim();
                int eq = p.indexOf('=');
                if (eq > 0 && p.substring(0, eq).trim().equals(name)) {
                    return p.substring(eq + 1).trim();
                }
            }
        }
        return null;
    }

    /**
     * Appends the field lines ({@code name: value CRLF} each) to {@code out}.
     * @param out where the lines go
     */
    public void appendTo(StringBuilder out) {
        for (int i = 0; i < names.size(); i++) {
            out.append(names.get(i)).append(": ").append(values.get(i)).append("\r\n");
        }
    }

    /** {@return the field lines as bytes, each ending in CRLF} */
    public byte[] toBytes() {
        StringBuilder sb = new StringBuilder();
        appendTo(sb);
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        appendTo(sb);
        return sb.toString();
    }
}
