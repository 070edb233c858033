package org.tollgate.lb.l7.http;

/** The two HTTP/1 versions a message may carry (RFC 9112 §2.3). */
public enum HttpVersion {
    /** HTTP/1.0 (RFC 1945): no Host required, close by default. */
    HTTP_1_0("HTTP/1.0"),
    /** HTTP/1.1 (RFC 9112): Host required, keep-alive by default. */
    HTTP_1_1("HTTP/1.1");

    private final String text;

    HttpVersion(String text) {
        this.text = text;
    }

    /** {@return as on the wire, e.g. {@code HTTP/1.1}} */
    public String text() {
        return text;
    }

    @Override
    public String toString() {
        return text;
    }
}
