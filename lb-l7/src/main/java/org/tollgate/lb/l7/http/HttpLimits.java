package org.tollgate.lb.l7.http;

/**
 * What a parser accepts before refusing, each with the status it refuses with.
 *
 * @param maxStartLine   longest request line or status line, CRLF excluded (414 URI Too Long)
 * @param maxHeaderBytes largest header section (all field lines and trailers, CRLFs included)
 *                       (431 Request Header Fields Too Large)
 * @param maxHeaderCount most field lines in the header section, and again in trailers (431)
 * @param maxBodyBytes   largest body (413 Content Too Large); {@link Long#MAX_VALUE} for none
 */
public record HttpLimits(int maxStartLine, int maxHeaderBytes, int maxHeaderCount, long maxBodyBytes) {
    /** Longest chunk-size line with its extensions; longer gets 400 (extensions are ignored anyway). */
    public static final int MAX_CHUNK_LINE = 4096;

    /**
     * Defaults close to nginx and HAProxy: 8 KiB request line, 32 KiB of headers, 100
     * fields, 10 MiB of request body.
     */
    public static final HttpLimits REQUEST_DEFAULTS = new HttpLimits(8192, 32 * 1024, 100, 10L * 1024 * 1024);

    /** For backend responses: larger headers (Set-Cookie heavy pages), bodies unlimited (they are streamed). */
    public static final HttpLimits RESPONSE_DEFAULTS = new HttpLimits(8192, 64 * 1024, 200, Long.MAX_VALUE);

    /**
     * Checks that every limit is positive.
     * @param maxStartLine the longest request or status line (414 beyond)
     * @param maxHeaderBytes the largest header section (431 beyond)
     * @param maxHeaderCount the most field lines (431 beyond)
     * @param maxBodyBytes the largest body (413 beyond)
     */
    public HttpLimits {
        if (maxStartLine < 16 || maxHeaderBytes < 64 || maxHeaderCount < 1 || maxBodyBytes < 0) {
            throw new IllegalArgumentException("limits too small: " + maxStartLine + ", " + maxHeaderBytes + ", "
                    + maxHeaderCount + ", " + maxBodyBytes);
        }
    }

    /**
     * {@return these limits with another body limit}
     * @param n the largest body in bytes
     */
    public HttpLimits withMaxBodyBytes(long n) {
        return new HttpLimits(maxStartLine, maxHeaderBytes, maxHeaderCount, n);
    }
}
