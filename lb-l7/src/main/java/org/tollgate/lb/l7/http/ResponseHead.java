package org.tollgate.lb.l7.http;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/** A parsed status line and header section, with the framing and persistence worked out. */
public final class ResponseHead {
    private final HttpVersion version;
    private final int status;
    private final String reason;
    private final HttpHeaders headers;
    private final BodyFraming framing;
    private final long contentLength;
    private final boolean keepAlive;

    public ResponseHead(HttpVersion version, int status, String reason, HttpHeaders headers,
                        BodyFraming framing, long contentLength, boolean keepAlive) {
        this.version = Objects.requireNonNull(version);
        this.status = status;
        this.reason = Objects.requireNonNull(reason);
        this.headers = Objects.requireNonNull(headers);
        this.framing = Objects.requireNonNull(framing);
        this.contentLength = contentLength;
        this.keepAlive = keepAlive;
    }

    public HttpVersion version() {
        return version;
    }

    public int status() {
        return status;
    }

    public String reason() {
        return reason;
    }

    public HttpHeaders headers() {
        return headers;
    }

    public BodyFraming framing() {
        return framing;
    }

    /** The body length for {@link BodyFraming#CONTENT_LENGTH}, 0 for none, -1 otherwise. */
    public long contentLength() {
        return contentLength;
    }

    /** 1xx: an interim response; the final one follows on the same connection (RFC 9110 §15.2). */
    public boolean isInformational() {
        return status < 200;
    }

    /**
     * Whether the backend keeps the connection after this response (RFC 9112 §9.3); never
     * when the body is delimited by close.
     */
    public boolean keepAlive() {
        return keepAlive;
    }

    /** Status line and headers, ending with the empty line. */
    public byte[] toBytes() {
        StringBuilder sb = new StringBuilder(256);
        sb.append(version.text()).append(' ').append(status).append(' ').append(reason).append("\r\n");
        headers.appendTo(sb);
        sb.append("\r\n");
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    @Override
    public String toString() {
        return version + " " + status + " " + reason + " " + framing
                + (framing == BodyFraming.CONTENT_LENGTH ? "(" + contentLength + ")" : "")
                + (keepAlive ? " keep-alive" : " close") + "\n" + headers;
    }
}
