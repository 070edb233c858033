package org.tollgate.lb.l7.http;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A parsed request line and header section, with what the parser worked out from them:
 * framing, persistence and expectations. The headers are mutable so a proxy can rewrite
 * them before {@link #toBytes()} puts the head back on the wire.
 */
public final class RequestHead {
    private final String method;
    private final String target;
    private final HttpVersion version;
    private final HttpHeaders headers;
    private final BodyFraming framing;
    private final long contentLength;
    private final boolean keepAlive;
    private final boolean expectsContinue;

    /**
     * A parsed request head.
     * @param method the method, e.g. {@code GET}
     * @param target the request-target
     * @param version the HTTP version
     * @param headers the header fields
     * @param framing how the body is delimited
     * @param contentLength the body length for Content-Length framing
     * @param keepAlive whether the client keeps the connection (RFC 9112 §9.3)
     * @param expectsContinue whether the client sent {@code Expect: 100-continue}
     */
    public RequestHead(String method, String target, HttpVersion version, HttpHeaders headers,
                       BodyFraming framing, long contentLength, boolean keepAlive, boolean expectsContinue) {
        this.method = Objects.requireNonNull(method);
        this.target = Objects.requireNonNull(target);
        this.version = Objects.requireNonNull(version);
        this.headers = Objects.requireNonNull(headers);
        this.framing = Objects.requireNonNull(framing);
        this.contentLength = contentLength;
        this.keepAlive = keepAlive;
        this.expectsContinue = expectsContinue;
    }

    /** {@return the method, case-sensitive (RFC 9110 §9.1)} */
    public String method() {
        return method;
    }

    /** {@return the request-target as received (origin-form {@code /path?query} usually)} */
    public String target() {
        return target;
    }

    /** {@return the path part of an origin-form target (no query); the target itself otherwise} */
    public String path() {
        int q = target.indexOf('?');
        return q < 0 ? target : target.substring(0, q);
    }

    /** {@return the HTTP version of the request line} */
    public HttpVersion version() {
        return version;
    }

    /** {@return the header fields} */
    public HttpHeaders headers() {
        return headers;
    }

    /** {@return how the body is delimited (RFC 9112 §6.3)} */
    public BodyFraming framing() {
        return framing;
    }

    /** {@return the body length for {@link BodyFraming#CONTENT_LENGTH}, 0 for none, -1 when chunked} */
    public long contentLength() {
        return contentLength;
    }

    /** {@return true when the message has body bytes to read (or a chunked body, possibly empty)} */
    public boolean hasBody() {
        return framing == BodyFraming.CHUNKED || (framing == BodyFraming.CONTENT_LENGTH && contentLength > 0);
    }

    /**
     * Whether the client wants the connection kept after this exchange (RFC 9112 §9.3):
     * HTTP/1.1 unless {@code Connection: close}; HTTP/1.0 only with {@code Connection: keep-alive}.
     * @return whether to keep the connection
     */
    public boolean keepAlive() {
        return keepAlive;
    }

    /**
     * {@code Expect: 100-continue} (RFC 9110 §10.1.1): the client waits for 100 before sending the body.
     * @return whether the client waits for 100 Continue
     */
    public boolean expectsContinue() {
        return expectsContinue;
    }

    /** {@return true for the methods RFC 9110 §9.2.2 calls idempotent (which a proxy may retry)} */
    public boolean isIdempotent() {
        switch (method) {
            case "GET":
            case "HEAD":
            case "OPTIONS":
            case "TRACE":
            case "PUT":
            case "DELETE":
                return true;
            default:
                return false;
        }
    }

    /** {@return request line and headers, ending with the empty line} */
    public byte[] toBytes() {
        StringBuilder sb = new StringBuilder(256);
        sb.append(method).append(' ').append(target).append(' ').append(version.text()).append("\r\n");
        headers.appendTo(sb);
        sb.append("\r\n");
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    @Override
    public String toString() {
        return method + " " + target + " " + version + " " + framing
                + (framing == BodyFraming.CONTENT_LENGTH ? "(" + contentLength + ")" : "")
                + (keepAlive ? " keep-alive" : " close") + (expectsContinue ? " expect-100" : "")
                + "\n" + headers;
    }
}
