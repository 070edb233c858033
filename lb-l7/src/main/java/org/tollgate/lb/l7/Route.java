package org.tollgate.lb.l7;

import java.util.Locale;
import java.util.Objects;
import org.tollgate.lb.l7.http.RequestHead;

/**
 * One routing rule: every condition given must hold, and the request goes to {@code pool}.
 * Routes are tried in order and the first match wins (like HAProxy's {@code use_backend}
 * lines), so the order in the configuration is the order of evaluation.
 *
 * @param host       Host without port, case-insensitive; {@code *.example.com} matches any
 *                   subdomain; null for any
 * @param pathPrefix path prefix ({@code /api/}), null for any
 * @param method     method, case-sensitive (RFC 9110 §9.1), null for any
 * @param header     {@code name=value}: a request header with exactly that value, null for any
 * @param cookie     {@code name=value}: a cookie with exactly that value, null for any
 * @param pool       name of the backend pool
 */
public record Route(String host, String pathPrefix, String method, String header, String cookie, String pool) {

    public Route {
        Objects.requireNonNull(pool, "pool");
        if (header != null && header.indexOf('=') <= 0) {
            throw new IllegalArgumentException("header condition must be name=value: " + header);
        }
        if (cookie != null && cookie.indexOf('=') <= 0) {
            throw new IllegalArgumentException("cookie condition must be name=value: " + cookie);
        }
        host = host == null ? null : host.toLowerCase(Locale.ROOT);
    }

    /** A route that takes everything to {@code pool}. */
    public static Route all(String pool) {
        return new Route(null, null, null, null, null, pool);
    }

    public boolean matches(RequestHead request) {
        if (host != null && !hostMatches(request)) {
            return false;
        }
        if (pathPrefix != null && !request.path().startsWith(pathPrefix)) {
            return false;
        }
        if (method != null && !method.equals(request.method())) {
            return false;
        }
        if (header != null) {
            int eq = header.indexOf('=');
            if (!header.substring(eq + 1).equals(request.headers().get(header.substring(0, eq)))) {
                return false;
            }
        }
        if (cookie != null) {
            int eq = cookie.indexOf('=');
            if (!cookie.substring(eq + 1).equals(request.headers().cookie(cookie.substring(0, eq)))) {
                return false;
            }
        }
        return true;
    }

    /** Why {@code request} does not match (the first condition that fails, in words), or null when it does. For --explain. */
    String mismatch(RequestHead request) {
        if (host != null && !hostMatches(request)) {
            String h = request.headers().get("host");
            return h == null ? "no Host header" : "Host is " + hostWithoutPort(h).toLowerCase(Locale.ROOT) + ", not " + host;
        }
        if (pathPrefix != null && !request.path().startsWith(pathPrefix)) {
            return "path " + request.path() + " does not start with " + pathPrefix;
        }
        if (method != null && !method.equals(request.method())) {
            return "method is " + request.method() + ", not " + method;
        }
        if (header != null) {
            int eq = header.indexOf('=');
            String v = request.headers().get(header.substring(0, eq));
            if (!header.substring(eq + 1).equals(v)) {
                return v == null ? "no " + header.substring(0, eq) + " header" : header.substring(0, eq) + " is '" + v + "'";
            }
        }
        if (cookie != null) {
            int eq = cookie.indexOf('=');
            String v = request.headers().cookie(cookie.substring(0, eq));
            if (!cookie.substring(eq + 1).equals(v)) {
                return v == null ? "no cookie " + cookie.substring(0, eq) : "cookie " + cookie.substring(0, eq) + " is '" + v + "'";
            }
        }
        return null;
    }

    private boolean hostMatches(RequestHead request) {
        String h = request.headers().get("host");
        if (h == null) {
            return false;
        }
        h = hostWithoutPort(h).toLowerCase(Locale.ROOT);
        if (host.startsWith("*.")) {
            return h.endsWith(host.substring(1));
        }
        return h.equals(host);
    }

    /** {@code example.com:8443} -> {@code example.com}; {@code [::1]:80} -> {@code [::1]}. */
    static String hostWithoutPort(String host) {
        int colon = host.lastIndexOf(':');
        if (colon > 0 && host.indexOf(']') < colon) {
            return host.substring(0, colon);
        }
        return host;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        if (host != null) {
            sb.append("host=").append(host).append(' ');
        }
        if (pathPrefix != null) {
            sb.append("path=").append(pathPrefix).append("* ");
        }
        if (method != null) {
            sb.append("method=").append(method).append(' ');
        }
        if (header != null) {
            sb.append("header ").append(header).append(' ');
        }
        if (cookie != null) {
            sb.append("cookie ").append(cookie).append(' ');
        }
        return (sb.length() == 0 ? "any " : sb.toString()) + "-> " + pool;
    }
}
