package org.tollgate.tls.client;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads one HTTP/1.1 response to a GET (RFC 9112): status line and header fields, then the
 * body framed by chunked transfer coding, Content-Length, or the end of the connection
 * (RFC 9112 §6.3). Just enough HTTP for the command line; the TLS is the point here.
 */
final class HttpResponseReader {
    private static final int MAX_LINE = 8192;
    private static final int MAX_HEADER_LINES = 200;

    private final InputStream in;

    HttpResponseReader(InputStream in) {
        this.in = in;
    }

    /** The status code and the raw header block (status line included) of one response. */
    record Head(int status, String raw, List<String[]> fields) {
        String field(String name) {
            String value = null;
            for (String[] f : fields) {
                if (f[0].equalsIgnoreCase(name)) {
                    if (value != null && !value.equals(f[1])) {
                        // RFC 9112 §6.3: differing Content-Length values are an unrecoverable error.
                        throw new IllegalStateException("conflicting " + name + " fields: " + value + " and " + f[1]);
                    }
                    value = f[1];
                }
            }
            return value;
        }
    }

    /** Reads the response head (skipping 1xx interim responses), writes it to {@code headers} if not null, then the body to {@code body}. */
    Head read(OutputStream headers, OutputStream body) throws IOException {
        Head head;
        do {
            head = readHead();
            if (headers != null) {
                headers.write(head.raw().getBytes(StandardCharsets.ISO_8859_1));
            }
        } while (head.status() >= 100 && head.status() < 200 && head.status() != 101);
        readBody(head, body);
        return head;
    }

    private Head readHead() throws IOException {
        String statusLine = readLine(true);
        if (statusLine == null) {
            throw new ProtocolException("the server closed the connection without sending a response");
        }
        // RFC 9112 §4: HTTP-version SP status-code SP [ reason-phrase ]
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || !parts[1].matches("[0-9]{3}")) {
            throw new ProtocolException("not an HTTP/1.x status line: " + printable(statusLine));
        }
        StringBuilder raw = new StringBuilder(statusLine).append("\r\n");
        List<String[]> fields = new ArrayList<>();
        while (true) {
            String line = readLine(false);
            raw.append(line).append("\r\n");
            if (line.isEmpty()) {
                break;
            }
            if (fields.size() >= MAX_HEADER_LINES) {
                throw new ProtocolException("more than " + MAX_HEADER_LINES + " header fields");
            }
            int colon = line.indexOf(':');
            if (colon <= 0 || line.charAt(0) == ' ' || line.charAt(0) == '\t' || line.charAt(colon - 1) == ' ') {
                // RFC 9112 §5.1, §5.2: no whitespace before the colon, no obsolete line folding.
                throw new ProtocolException("malformed header field: " + printable(line));
            }
            fields.add(new String[] {line.substring(0, colon), line.substring(colon + 1).strip()});
        }
        return new Head(Integer.parseInt(parts[1]), raw.toString(), fields);
    }

    private void readBody(Head head, OutputStream body) throws IOException {
        int status = head.status();
        if (status == 204 || status == 304) {
            return; // RFC 9112 §6.3 rule 1: no body
        }
        String transferEncoding;
        String contentLength;
        try {
            transferEncoding = head.field("Transfer-Encoding");
            contentLength = head.field("Content-Length");
        } catch (IllegalStateException e) {
            throw new ProtocolException(e.getMessage());
        }
        if (transferEncoding != null) {
            // RFC 9112 §6.3 rule 4: chunked must be the final coding; then Content-Length is ignored.
            String[] codings = transferEncoding.toLowerCase(Locale.ROOT).split(",");
            if (!codings[codings.length - 1].strip().equals("chunked")) {
                copyUntilClose(body);
                return;
            }
            readChunked(body);
        } else if (contentLength != null) {
            if (!contentLength.matches("[0-9]{1,18}")) {
                throw new ProtocolException("invalid Content-Length: " + printable(contentLength));
            }
            copyExactly(Long.parseLong(contentLength), body);
        } else {
            copyUntilClose(body);
        }
    }

    private void readChunked(OutputStream body) throws IOException {
        while (true) {
            String line = readLine(false);
            int semicolon = line.indexOf(';'); // chunk extensions are ignored (RFC 9112 §7.1.1)
            String size = (semicolon < 0 ? line : line.substring(0, semicolon)).strip();
            if (!size.matches("[0-9a-fA-F]{1,15}")) {
                throw new ProtocolException("invalid chunk size line: " + printable(line));
            }
            long n = Long.parseLong(size, 16);
            if (n == 0) {
                while (!readLine(false).isEmpty()) {
                    // trailer fields (RFC 9112 §7.1.2) are read and dropped
                }
                return;
            }
            copyExactly(n, body);
            if (!readLine(false).isEmpty()) {
                throw new ProtocolException("chunk data not followed by CRLF");
            }
        }
    }

    private void copyExactly(long length, OutputStream body) throws IOException {
        byte[] buffer = new byte[16384];
        long left = length;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new EOFException("the response ended after " + (length - left) + " of " + length
                        + " announced body bytes");
            }
            body.write(buffer, 0, n);
            left -= n;
        }
    }

    private void copyUntilClose(OutputStream body) throws IOException {
        byte[] buffer = new byte[16384];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            body.write(buffer, 0, n);
        }
    }

    /** A line ended by CRLF (a bare LF is tolerated, RFC 9112 §2.2); null at a clean end of stream if {@code eofOk}. */
    private String readLine(boolean eofOk) throws IOException {
        StringBuilder line = new StringBuilder();
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (eofOk && line.length() == 0) {
                    return null;
                }
                throw new EOFException("the response ended in the middle of a line");
            }
            if (b == '\n') {
                int end = line.length();
                if (end > 0 && line.charAt(end - 1) == '\r') {
                    line.setLength(end - 1);
                }
                return line.toString();
            }
            if (line.length() >= MAX_LINE) {
                throw new ProtocolException("response line longer than " + MAX_LINE + " bytes");
            }
            line.append((char) b);
        }
    }

    private static String printable(String s) {
        String t = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return "'" + t.replaceAll("[^\\x20-\\x7e]", "?") + "'";
    }
}
