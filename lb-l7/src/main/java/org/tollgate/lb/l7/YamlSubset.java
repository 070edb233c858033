package org.tollgate.lb.l7;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The small part of YAML (1.2) that lb-l7's config file uses, read by hand so that every
 * value keeps the line it came from:
 *
 * <ul>
 * <li>block mappings ({@code key: value}, or {@code key:} with a more indented block below),</li>
 * <li>block sequences ({@code - item}, where an item may itself be a mapping),</li>
 * <li>plain, {@code "double"} and {@code 'single'} quoted scalars, and flow sequences of
 *     scalars ({@code [a, b]}),</li>
 * <li>{@code #} comments at the start of a line or after a space.</li>
 * </ul>
 *
 * Everything else YAML has (tabs for indentation, anchors and aliases, tags, flow
 * mappings, block scalars, several documents, duplicate keys) is refused with the line,
 * rather than half-understood.
 */
final class YamlSubset {

    /** A value and the line it starts on. */
    sealed interface Node permits Scalar, Mapping, Sequence {
        int line();
    }

    /** A scalar's text (quotes removed, escapes applied). */
    record Scalar(int line, String text) implements Node {
    }

    /** Keys in file order, each with the line of its key. */
    record Mapping(int line, Map<String, Entry> entries) implements Node {
    }

    /** A key's line and its value. */
    record Entry(int line, String key, Node value) {
    }

    /** Items in order. */
    record Sequence(int line, List<Node> items) implements Node {
    }

    /** A syntax error on a line (1-based). */
    static final class SyntaxError extends Exception {
        final int line;

        SyntaxError(int line, String message) {
            super(message);
            this.line = line;
        }
    }

    private record Line(int number, int indent, String text) {
        boolean isItem() {
            return text.equals("-") || text.startsWith("- ");
        }
    }

    private final List<Line> lines;
    private int pos;

    private YamlSubset(List<Line> lines) {
        this.lines = lines;
    }

    /** Parses a whole file; an empty file is an empty mapping. */
    static Node parse(String text) throws SyntaxError {
        List<Line> lines = new ArrayList<>();
        String[] raw = text.split("\r?\n", -1);
        for (int i = 0; i < raw.length; i++) {
            int number = i + 1;
            String s = stripComment(raw[i], number);
            int indent = 0;
            while (indent < s.length() && s.charAt(indent) == ' ') {
                indent++;
            }
            if (indent < s.length() && s.charAt(indent) == '\t') {
                throw new SyntaxError(number, "tab in indentation (YAML indents with spaces only)");
            }
            String body = s.strip();
            if (body.isEmpty()) {
                continue;
            }
            if (body.equals("---") || body.equals("...")) {
                if (lines.isEmpty() && body.equals("---")) {
                    continue; // an explicit start of the one document
                }
                throw new SyntaxError(number, "several YAML documents in one file are not supported");
            }
            lines.add(new Line(number, indent, body));
        }
        if (lines.isEmpty()) {
            return new Mapping(1, new LinkedHashMap<>());
        }
        YamlSubset p = new YamlSubset(lines);
        Line first = lines.get(0);
        if (first.indent != 0) {
            throw new SyntaxError(first.number, "the first setting must not be indented");
        }
        Node root = p.block(0);
        if (p.pos < lines.size()) {
            Line l = lines.get(p.pos);
            throw new SyntaxError(l.number, "unexpected indentation");
        }
        return root;
    }

    private Node block(int indent) throws SyntaxError {
        Line l = lines.get(pos);
        return l.isItem() ? sequence(indent) : mapping(indent);
    }

    private Mapping mapping(int indent) throws SyntaxError {
        Map<String, Entry> entries = new LinkedHashMap<>();
        int startLine = lines.get(pos).number;
        while (pos < lines.size()) {
            Line l = lines.get(pos);
            if (l.indent < indent) {
                break;
            }
            if (l.indent > indent) {
                throw new SyntaxError(l.number, "unexpected indentation");
            }
            if (l.isItem()) {
                throw new SyntaxError(l.number, "a list item where a 'key: value' was expected");
            }
            int colon = keyColon(l.text);
            if (colon < 0) {
                throw new SyntaxError(l.number, "expected 'key: value', found '" + l.text + "'");
            }
            String key = l.text.substring(0, colon).strip();
            if (!key.matches("[A-Za-z0-9_.-]+")) {
                throw new SyntaxError(l.number, "'" + key + "' is not a plain key (letters, digits, '-', '_', '.')");
            }
            if (entries.containsKey(key)) {
                throw new SyntaxError(l.number, "'" + key + "' given twice (first on line " + entries.get(key).line + ")");
            }
            String rest = l.text.substring(colon + 1).strip();
            pos++;
            Node value;
            if (!rest.isEmpty()) {
                value = scalarOrFlow(rest, l.number);
            } else if (pos < lines.size() && lines.get(pos).indent > indent) {
                value = block(lines.get(pos).indent);
            } else if (pos < lines.size() && lines.get(pos).indent == indent && lines.get(pos).isItem()) {
                value = sequence(indent); // YAML lets a list sit at its key's own indentation
            } else {
                value = new Scalar(l.number, "");
            }
            entries.put(key, new Entry(l.number, key, value));
        }
        return new Mapping(startLine, entries);
    }

    private Sequence sequence(int indent) throws SyntaxError {
        List<Node> items = new ArrayList<>();
        int startLine = lines.get(pos).number;
        while (pos < lines.size()) {
            Line l = lines.get(pos);
            if (l.indent < indent || (l.indent == indent && !l.isItem())) {
                break;
            }
            if (l.indent > indent) {
                throw new SyntaxError(l.number, "unexpected indentation");
            }
            String rest = l.text.substring(1);
            int inner = 1;
            while (inner < l.text.length() && l.text.charAt(inner) == ' ') {
                inner++;
            }
            rest = rest.strip();
            if (rest.isEmpty()) {
                pos++;
                if (pos < lines.size() && lines.get(pos).indent > indent) {
                    items.add(block(lines.get(pos).indent));
                } else {
                    items.add(new Scalar(l.number, ""));
                }
            } else if (rest.startsWith("- ") || rest.equals("-")) {
                throw new SyntaxError(l.number, "a list directly inside a list item is not supported; use a key");
            } else if (keyColon(rest) >= 0) {
                // "- key: value": a mapping whose keys line up with this first one
                lines.set(pos, new Line(l.number, l.indent + inner, rest));
                items.add(mapping(l.indent + inner));
            } else {
                items.add(scalarOrFlow(rest, l.number));
                pos++;
            }
        }
        return new Sequence(startLine, items);
    }

    private static Node scalarOrFlow(String text, int line) throws SyntaxError {
        if (text.startsWith("[")) {
            if (!text.endsWith("]")) {
                throw new SyntaxError(line, "a flow list must end with ']' on the same line");
            }
            List<Node> items = new ArrayList<>();
            String inside = text.substring(1, text.length() - 1).strip();
            if (!inside.isEmpty()) {
                for (String part : splitFlow(inside, line)) {
                    items.add(scalar(part.strip(), line));
                }
            }
            return new Sequence(line, items);
        }
        return scalar(text, line);
    }

    private static List<String> splitFlow(String inside, int line) throws SyntaxError {
        List<String> parts = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        char quote = 0;
        for (int i = 0; i < inside.length(); i++) {
            char c = inside.charAt(i);
            if (quote != 0) {
                if (c == '\\' && quote == '"' && i + 1 < inside.length()) {
                    cur.append(c).append(inside.charAt(++i));
                    continue;
                }
                if (c == quote) {
                    quote = 0;
                }
                cur.append(c);
            } else if (c == '"' || c == '\'') {
                quote = c;
                cur.append(c);
            } else if (c == ',') {
                parts.add(cur.toString());
                cur.setLength(0);
            } else if (c == '[' || c == '{') {
                throw new SyntaxError(line, "nested flow collections are not supported");
            } else {
                cur.append(c);
            }
        }
        if (quote != 0) {
            throw new SyntaxError(line, "unclosed quote");
        }
        parts.add(cur.toString());
        for (String p : parts) {
            if (p.isBlank()) {
                throw new SyntaxError(line, "empty item in a flow list");
            }
        }
        return parts;
    }

    private static Scalar scalar(String text, int line) throws SyntaxError {
        if (text.startsWith("\"")) {
            if (text.length() < 2 || !text.endsWith("\"")) {
                throw new SyntaxError(line, "unclosed double quote");
            }
            StringBuilder sb = new StringBuilder();
            for (int i = 1; i < text.length() - 1; i++) {
                char c = text.charAt(i);
                if (c == '\\') {
                    if (i + 1 >= text.length() - 1) {
                        throw new SyntaxError(line, "a backslash ends the quoted text");
                    }
                    char e = text.charAt(++i);
                    switch (e) {
                        case '"': case '\\': case '/': sb.append(e); break;
                        case 'n': sb.append('\n'); break;
                        case 't': sb.append('\t'); break;
                        default: throw new SyntaxError(line, "unknown escape \\" + e + " (known: \\\" \\\\ \\n \\t)");
                    }
                } else if (c == '"') {
                    throw new SyntaxError(line, "text after the closing quote");
                } else {
                    sb.append(c);
                }
            }
            return new Scalar(line, sb.toString());
        }
        if (text.startsWith("'")) {
            if (text.length() < 2 || !text.endsWith("'")) {
                throw new SyntaxError(line, "unclosed single quote");
            }
            String inner = text.substring(1, text.length() - 1);
            if (inner.replace("''", "").contains("'")) {
                throw new SyntaxError(line, "text after the closing quote");
            }
            return new Scalar(line, inner.replace("''", "'"));
        }
        char c = text.charAt(0);
        if (c == '&' || c == '*' || c == '!' || c == '|' || c == '>' || c == '{' || c == '%' || c == '@' || c == '`') {
            throw new SyntaxError(line, "'" + c + "' starts a YAML feature this config file does not use "
                    + "(anchors, aliases, tags, block scalars, flow mappings); quote the value if it is text");
        }
        return new Scalar(line, text);
    }

    /** Index of the colon ending a key (a colon followed by a space or the end of the line), or -1. */
    private static int keyColon(String text) {
        if (text.startsWith("\"") || text.startsWith("'") || text.startsWith("[")) {
            return -1;
        }
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == ':' && (i + 1 == text.length() || text.charAt(i + 1) == ' ')) {
                return i;
            }
        }
        return -1;
    }

    private static String stripComment(String line, int number) throws SyntaxError {
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == '\\' && quote == '"') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if ((c == '"' || c == '\'') && (i == 0 || " [,:-".indexOf(line.charAt(i - 1)) >= 0)) {
                quote = c;
            } else if (c == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
                return line.substring(0, i);
            }
        }
        return line;
    }
}
