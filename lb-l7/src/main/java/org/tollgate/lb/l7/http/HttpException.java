package org.tollgate.lb.l7.http;

/**
 * A message that breaks HTTP/1.1's rules or our limits, with the status a server answers
 * it with (400, 413, 414, 431, 501, 505, ...). For responses parsed from a backend the
 * status is always 502: the proxy's client is told the gateway got a bad answer.
 *
 * <p>After any HttpException the connection's framing can no longer be trusted: the
 * caller sends the status (with {@code Connection: close}) and closes the connection.
 */
public final class HttpException extends Exception {
    private static final long serialVersionUID = 1L;
    /** The HTTP status to answer with. */
    private final int status;

    /**
     * A message the proxy refuses with {@code status}.
     * @param status the HTTP status code
     * @param message what was wrong, for the log and the response body
     */
    public HttpException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** {@return the status code to answer with} */
    public int status() {
        return status;
    }

    @Override
    public String toString() {
        return status + " " + getMessage();
    }
}
