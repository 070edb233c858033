package org.tollgate.lb.l7;

import java.nio.charset.StandardCharsets;

/** The proxy's own short responses: errors with a one-line plain-text body, and 100 Continue. */
final class Responses {
    private Responses() {
    }

    static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

    /** RFC 9110 §15 reason phrases for the statuses the proxy produces itself. */
    static String reason(int status) {
        switch (status) {
            case 400: return "Bad Request";
            case 403: return "Forbidden";
            case 404: return "Not Found";
            case 405: return "Method Not Allowed";
            case 408: return "Request Timeout";
            case 413: return "Content Too Large";
            case 414: return "URI Too Long";
            case 417: return "Expectation Failed";
            case 429: return "Too Many Requests";
            case 431: return "Request Header Fields Too Large";
            case 500: return "Internal Server Error";
            case 501: return "Not Implemented";
            case 502: return "Bad Gateway";
            case 503: return "Service Unavailable";
            case 504: return "Gateway Timeout";
            case 505: return "HTTP Version Not Supported";
            default: return "Error";
        }
    }

    /**
     * A complete error response that closes the connection; {@code retryAfterSeconds} > 0
     * adds Retry-After (RFC 9110 §10.2.3).
     */
    static byte[] error(int status, String message, long retryAfterSeconds) {
        return error(status, message, retryAfterSeconds, null);
    }

    /** As {@link #error(int, String, long)}, with one more header line ({@code Name: value}) unless null. */
    static byte[] error(int status, String message, long retryAfterSeconds, String extraHeader) {
        String body = body(status, message);
        byte[] bodyBytes = body.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder(160)
                .append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n")
                .append("Content-Type: text/plain; charset=utf-8\r\n")
                .append("Content-Length: ").append(bodyBytes.length).append("\r\n")
                .append("Connection: close\r\n");
        if (retryAfterSeconds > 0) {
            head.append("Retry-After: ").append(retryAfterSeconds).append("\r\n");
        }
        if (extraHeader != null) {
            head.append(extraHeader).append("\r\n");
        }
        head.append("\r\n");
        byte[] h = head.toString().getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[h.length + bodyBytes.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(bodyBytes, 0, all, h.length, bodyBytes.length);
        return all;
    }

    private static String body(int status, String message) {
        return status + " " + reason(status) + ": " + message + "\n";
    }

    /** Bytes in the body of {@link #error}: for the access log. */
    static long bodyLength(int status, String message) {
        return body(status, message).getBytes(StandardCharsets.UTF_8).length;
    }
}
