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

    /**
     * A parsed response head.
     * @param version the HTTP version
     * @param status the status code
     * @param reason the reason phrase
     * @param headers the header fields
     * @param framing how the body is delimited
     * @param contentLength the body length for Content-Length framing
     * @param keepAlive whether the backend keeps the connection (RFC 9112 §9.3)
     */
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

    /** {@return the HTTP version of the status line} */
    public HttpVersion version() {
        return version;
    }

    /** {@return the status code} */
    public int status() {
        return status;
    }

    /** {@return the reason phrase (may be empty)} */
    public String reason() {
        return reason;
    }

    /** {@return the header fields} */
    public HttpHeaders headers() {
        return headers;
    }

    /** {@return how the body is delimited (RFC 9112 §6.3)} */
    public BodyFraming framing() {
        return framing;
    }

    /** {@return the body length for {@link BodyFraming#CONTENT_LENGTH}, 0 for none, -1 otherwise} */
    public long contentLength() {
        return contentLength;
    }

    /** {@return 1xx: an interim response; the final one follows on the same connection (RFC 9110 §15.2)} */
    public boolean isInformational() {
        return status < 200;
    }

    /**
     * Whether the backend keeps the connection after this response (RFC 9112 §9.3); never
     * when the body is delimited by close.
     * @return whether the connection may be reused
     */
    public boolean keepAlive() {
        return keepAlive;
    }

    /** {@return status line and headers, ending with the empty line} */
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
