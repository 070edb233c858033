package org.tollgate.lb.l7.http;

/** How a message's body is delimited (RFC 9112 §6.3). */
public enum BodyFraming {
    /** No body at all (no Content-Length and no Transfer-Encoding in a request; 1xx, 204, 304, a response to HEAD). */
    NONE,
    /** Exactly Content-Length bytes. */
    CONTENT_LENGTH,
    /** Transfer-Encoding: chunked, ending with a zero-size chunk and optional trailers. */
    CHUNKED,
    /** A response without length: the body ends when the backend closes (never reusable). */
    UNTIL_CLOSE
}
