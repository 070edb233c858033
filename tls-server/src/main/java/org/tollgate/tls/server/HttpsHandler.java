package org.tollgate.tls.server;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.tollgate.tls.HandshakeSummary;

/**
 * The "https" mode: a tiny HTTP/1.1 server (RFC 9112) that answers {@code GET} and
 * {@code HEAD} of {@code /} with an HTML page describing the TLS connection: protocol,
 * cipher suite, key exchange group, signature scheme, ALPN and SNI.
 *
 * <p>A request is answered once its blank line has arrived, however it was split across
 * records. Connections persist as HTTP says (1.1: keep-alive unless {@code Connection:
 * close}; 1.0: close unless {@code Connection: keep-alive}); pipelined requests are
 * answered in order. Requests are bodiless here, so a request announcing a body, a
 * malformed request (400), a header section over {@value #MAX_HEADER_BYTES} bytes (431)
 * or an unknown version (505) is answered and the connection closed.
 */
public final class HttpsHandler implements ConnectionHandler {
    /** Largest request line plus header section accepted. */
    public static final int MAX_HEADER_BYTES = 16 * 1024 - 1;

    private final Clock clock;
    /** Bytes of the current request already searched for the blank line. */
    private int scanned;

    /** A handler using the system clock for the Date header. */
    public HttpsHandler() {
        this(Clock.systemUTC());
    }

    /**
     * With an explicit clock for the Date header.
     * @param clock the clock for the Date header (RFC 9110 §6.6.1)
     */
    public HttpsHandler(Clock clock) {
        this.clock = clock;
    }

    @Override
    public void onData(Connection connection, ByteBuffer data) {
        while (data.hasRemaining() && connection.isOpen()) {
            if (connection.hasPendingWrites()) {
                return; // backpressure: the next pipelined request waits for this response to go
            }
            skipLeadingEmptyLines(data);
            int end = headerEnd(data);
            if (end < 0) {
                if (data.remaining() > MAX_HEADER_BYTES) {
                    // RFC 6585 §5: 431 Request Header Fields Too Large
                    respond(connection, null, 431, "Request Header Fields Too Large",
                            "The request header section is larger than " + MAX_HEADER_BYTES + " bytes.", true);
                    data.position(data.limit());
                    connection.close();
                }
                return;
            }
            byte[] bytes = new byte[end - data.position()];
            data.get(bytes);
            String head = new String(bytes, StandardCharsets.ISO_8859_1);
            scanned = 0;
            if (!handle(connection, head)) {
                data.position(data.limit());
                connection.close();
                return;
            }
        }
    }

    /** RFC 9112 §2.2: a server should ignore at least one empty line before the request line. */
    private void skipLeadingEmptyLines(ByteBuffer data) {
        while (data.hasRemaining() && scanned == 0) {
            byte b = data.get(data.position());
            if (b == '\r' && data.remaining() >= 2 && data.get(data.position() + 1) == '\n') {
                data.position(data.position() + 2);
            } else if (b == '\n') {
                data.position(data.position() + 1);
            } else {
                return;
            }
        }
    }

    /** Index just past the blank line ending the header section, or -1 if it has not arrived. */
    private int headerEnd(ByteBuffer data) {
        int start = data.position();
        int limit = data.limit();
        for (int i = Math.max(start, start + scanned - 3); i < limit; i++) {
            if (data.get(i) != '\n') {
                continue;
            }
            // "\n\n" or "\n\r\n": RFC 9112 §2.2 lets a recipient take a bare LF as a line end.
            if (i + 1 < limit && data.get(i + 1) == '\n') {
                return i + 2;
            }
            if (i + 2 < limit && data.get(i + 1) == '\r' && data.get(i + 2) == '\n') {
                return i + 3;
            }
        }
        scanned = limit - start;
        return -1;
    }

    /** Answers one request; returns false when the connection must close afterwards. */
    private boolean handle(Connection connection, String requestHead) {
        String[] lines = requestHead.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.indexOf('\r') >= 0 || line.indexOf('\0') >= 0) {
                // RFC 9112 §2.2: a bare CR is invalid; we also refuse NUL.
                return badRequest(connection, "bare CR or NUL in the request");
            }
            lines[i] = line;
        }
        // Request line: method SP request-target SP HTTP-version (RFC 9112 §3).
        String[] parts = lines[0].split(" ", -1);
        if (parts.length != 3 || !isToken(parts[0]) || parts[1].isEmpty()) {
            return badRequest(connection, "malformed request line");
        }
        String method = parts[0];
        String target = parts[1];
        String version = parts[2];
        boolean http11;
        if (version.equals("HTTP/1.1")) {
            http11 = true;
        } else if (version.equals("HTTP/1.0")) {
            http11 = false;
        } else if (version.matches("HTTP/[0-9]\\.[0-9]")) {
            respond(connection, null, 505, "HTTP Version Not Supported", "Only HTTP/1.0 and HTTP/1.1 are spoken here.", true);
            return false;
        } else {
            return badRequest(connection, "malformed HTTP version");
        }

        String host = null;
        int hosts = 0;
        String connectionHeader = "";
        String contentLength = null;
        boolean transferEncoding = false;
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty()) {
                continue; // the terminating blank line
            }
            if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
                return badRequest(connection, "obsolete line folding"); // RFC 9112 §5.2
            }
            int colon = line.indexOf(':');
            if (colon <= 0 || !isToken(line.substring(0, colon))) {
                // RFC 9112 §5.1: no whitespace between field name and colon.
                return badRequest(connection, "malformed header field");
            }
            String name = line.substring(0, colon).toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).strip();
            switch (name) {
                case "host":
                    hosts++;
                    host = value;
                    break;
                case "connection":
                    connectionHeader = connectionHeader.isEmpty() ? value : connectionHeader + "," + value;
                    break;
                case "content-length":
                    if (!value.matches("[0-9]{1,10}") || (contentLength != null && !contentLength.equals(value))) {
                        return badRequest(connection, "invalid Content-Length"); // RFC 9112 §6.3
                    }
                    contentLength = value;
                    break;
                case "transfer-encoding":
                    transferEncoding = true;
                    break;
                default:
                    break;
            }
        }
        // RFC 9112 §3.2: an HTTP/1.1 request has exactly one Host header.
        if (hosts > 1 || (http11 && hosts == 0)) {
            return badRequest(connection, http11 && hosts == 0 ? "missing Host header" : "more than one Host header");
        }
        if (transferEncoding) {
            respond(connection, null, 501, "Not Implemented", "Request bodies are not accepted here.", true);
            return false;
        }
        if (contentLength != null && Long.parseLong(contentLength) != 0) {
            respond(connection, null, 413, "Content Too Large", "Request bodies are not accepted here.", true);
            return false;
        }
        boolean head = method.equals("HEAD");
        if (!head && !method.equals("GET")) {
            respond(connection, "GET, HEAD", 405, "Method Not Allowed", "Only GET and HEAD are served.", true);
            return false;
        }
        boolean keepAlive = keepAlive(http11, connectionHeader);
        String path = path(target);
        if (path == null) {
            return badRequest(connection, "malformed request target");
        }
        String query = path.indexOf('?') >= 0 ? path.substring(0, path.indexOf('?')) : path;
        if (!query.equals("/") && !query.equals("/index.html")) {
            send(connection, 404, "Not Found", null, page("Not found", "<p>Nothing lives at " + html(query)
                    + ". Try <a href=\"/\">/</a>.</p>"), head, keepAlive, http11);
            return keepAlive;
        }
        send(connection, 200, "OK", null, connectionPage(connection, method, target, host), head, keepAlive, http11);
        return keepAlive;
    }

    private static boolean keepAlive(boolean http11, String connectionHeader) {
        boolean close = false;
        boolean keep = false;
        for (String option : connectionHeader.split(",")) {
            String o = option.strip().toLowerCase(Locale.ROOT);
            close |= o.equals("close");
            keep |= o.equals("keep-alive");
        }
        // RFC 9112 §9.3: 1.1 persists unless "close"; 1.0 only with "keep-alive".
        return !close && (http11 || keep);
    }

    /** The path of an origin-form or absolute-form target (RFC 9112 §3.2), or null. */
    private static String path(String target) {
        if (target.startsWith("/")) {
            return target;
        }
        for (String scheme : new String[] {"https://", "http://"}) {
            if (target.regionMatches(true, 0, scheme, 0, scheme.length())) {
                int slash = target.indexOf('/', scheme.length());
                return slash < 0 ? "/" : target.substring(slash);
            }
        }
        return null;
    }

    private boolean badRequest(Connection connection, String why) {
        respond(connection, null, 400, "Bad Request", "Bad request: " + why + ".", true);
        return false;
    }

    private void respond(Connection connection, String allow, int status, String reason, String text, boolean close) {
        send(connection, status, reason, allow, page(status + " " + reason, "<p>" + html(text) + "</p>"), false, !close, true);
    }

    private void send(Connection connection, int status, String reason, String allow, String body, boolean head,
                      boolean keepAlive, boolean http11) {
        byte[] content = body.getBytes(StandardCharsets.UTF_8);
        StringBuilder h = new StringBuilder(256);
        // RFC 9110 §6.2: a server sends its own highest version, 1.1, to 1.0 clients too.
        h.append("HTTP/1.1 ").append(status).append(' ').append(reason).append("\r\n");
        h.append("Date: ").append(DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(clock))).append("\r\n");
        h.append("Server: tollgate\r\n");
        h.append("Content-Type: text/html; charset=utf-8\r\n");
        h.append("Content-Length: ").append(content.length).append("\r\n");
        if (allow != null) {
            h.append("Allow: ").append(allow).append("\r\n");
        }
        if (!keepAlive) {
            h.append("Connection: close\r\n");
        } else if (!http11) {
            h.append("Connection: keep-alive\r\n");
        }
        h.append("Cache-Control: no-store\r\n\r\n");
        byte[] header = h.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer out = ByteBuffer.allocate(header.length + (head ? 0 : content.length));
        out.put(header);
        if (!head) {
            out.put(content);
        }
        connection.write(out.flip());
    }

    private static String connectionPage(Connection connection, String method, String target, String host) {
        HandshakeSummary s = connection.summary();
        StringBuilder b = new StringBuilder();
        b.append("<p>You reached Tollgate, a TLS server written from the sockets up.</p>\n<table>\n");
        row(b, "Protocol", String.valueOf(s.version()));
        row(b, "Cipher suite", String.valueOf(s.cipherSuite()));
        row(b, "Key exchange group", s.group() == null ? "none" : s.group().rfcName());
        row(b, "Signature scheme", s.signatureScheme() == null ? "none" : s.signatureScheme().rfcName());
        row(b, "ALPN", s.alpn() == null ? "none" : s.alpn());
        row(b, "SNI", s.serverName() == null ? "none" : s.serverName());
        row(b, "Resumed", s.resumed() ? "yes" : "no (full handshake)");
        row(b, "HelloRetryRequest", s.helloRetryRequest() ? "yes" : "no");
        row(b, "Client certificate", s.peerCertificates().isEmpty() ? "none"
                : s.peerCertificates().get(0).getSubjectX500Principal().getName()
                + " (issued by " + s.peerCertificates().get(0).getIssuerX500Principal().getName() + ")");
        row(b, "Client address", String.valueOf(connection.remoteAddress()));
        row(b, "Request", method + " " + target);
        row(b, "Host header", host == null ? "none" : host);
        b.append("</table>\n<pre>").append(html(s.oneLine())).append("</pre>\n");
        return page("Tollgate TLS connection", b.toString());
    }

    private static void row(StringBuilder b, String name, String value) {
        b.append("<tr><th>").append(name).append("</th><td>").append(html(value)).append("</td></tr>\n");
    }

    private static String page(String title, String body) {
        return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + html(title) + "</title></head>\n<body><h1>"
                + html(title) + "</h1>\n" + body + "</body></html>\n";
    }

    private static String html(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** RFC 9110 §5.6.2: token = 1*tchar. */
    private static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean tchar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!tchar) {
                return false;
            }
        }
        return true;
    }
}
