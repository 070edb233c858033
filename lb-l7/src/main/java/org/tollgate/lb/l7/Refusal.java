package org.tollgate.lb.l7;

/**
 * Why the proxy itself refused a request (rather than a backend answering it), each with
 * the status the client gets. Every refusal is counted ({@link StatsSnapshot#refusals()})
 * and logged, and closes the connection after the answer.
 */
public enum Refusal {
    /** The parser refused the request (smuggling, limits, syntax): 400, 413, 414, 417, 431, 501 or 505. */
    INVALID_REQUEST("invalid_request", 400),
    /** The request head did not arrive within the header timeout: 408. */
    HEADER_TIMEOUT("header_timeout", 408),
    /** The client address is in a deny list: 403. */
    ADDRESS_DENIED("address_denied", 403),
    /** There is an allow list and the client address is not in it: 403. */
    ADDRESS_NOT_ALLOWED("address_not_allowed", 403),
    /** The client address has the most connections it may have open: 503 with Retry-After. */
    TOO_MANY_CONNECTIONS("too_many_connections", 503),
    /** The client address sent requests faster than its token bucket refills: 429 with Retry-After. */
    RATE_LIMITED("rate_limited", 429),
    /** A method the proxy knows but the method allow-list leaves out: 405 with Allow. */
    METHOD_NOT_ALLOWED("method_not_allowed", 405),
    /** A method the proxy does not know while a method allow-list is set: 501. */
    METHOD_UNKNOWN("method_unknown", 501),
    /** The normalized path matches a deny pattern: 403. */
    PATH_DENIED("path_denied", 403),
    /** No route matches the request: 404. */
    NO_ROUTE("no_route", 404);

    private final String label;
    private final int status;

    Refusal(String label, int status) {
        this.label = label;
        this.status = status;
    }

    /** A short snake_case name for logs and metrics labels, e.g. {@code rate_limited}. */
    public String label() {
        return label;
    }

    /** The status the client gets ({@link #INVALID_REQUEST}: the usual one; the parser picks the exact one). */
    public int status() {
        return status;
    }
}
