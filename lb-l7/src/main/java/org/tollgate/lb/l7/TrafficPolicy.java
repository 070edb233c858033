package org.tollgate.lb.l7;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The abnormal-traffic filters, checked in this order before a request is routed:
 *
 * <ol>
 * <li>{@link #deny()} CIDRs: 403. Then, if {@link #allow()} is not empty, addresses outside
 *     it: 403. (Deny wins over allow, as in nginx's first-match lists written deny-first.)</li>
 * <li>{@link #maxConnectionsPerClient()}: a connection beyond it gets 503 with Retry-After
 *     to its first request and is closed (the refused connection is not counted, and it
 *     lives at most the header timeout).</li>
 * <li>{@link #rateLimit()}: a token bucket per client address, one token per request;
 *     an empty bucket gives 429 with Retry-After (the seconds until a token is back).</li>
 * <li>{@link #allowedMethods()} (when not empty): a method outside it gets 405 with an
 *     Allow header listing the allowed methods (RFC 9110 §15.5.6) if it is a method this
 *     proxy knows (RFC 9110 §9, PATCH of RFC 5789, the WebDAV methods), and 501 if it is
 *     not (RFC 9110 §15.6.2: the method is not recognized).</li>
 * <li>{@link #deniedPaths()}: glob patterns ({@code *} any run of characters, {@code /}
 *     included; {@code ?} one character) matched against the whole normalized path:
 *     percent-decoded, dot-segments removed (RFC 3986 §5.2.4), repeated slashes
 *     collapsed, so {@code /%61dmin/./x} and {@code //admin/x} both meet {@code /admin/*}.
 *     A match gets 403.</li>
 * </ol>
 * The client address is the connection's peer address ({@code X-Forwarded-For} is never
 * believed here). Every refusal closes the connection after its answer.
 */
public final class TrafficPolicy {
    /** No filter at all. */
    public static final TrafficPolicy NONE = builder().build();

    /** RFC 9110 §9.3, RFC 5789 (PATCH), RFC 4918 (WebDAV): methods a 405 may be given for. */
    static final Set<String> KNOWN_METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE",
            "PATCH", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK");

    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+"); // RFC 9110 §5.6.2

    private final List<Cidr> allow;
    private final List<Cidr> deny;
    private final Set<String> allowedMethods;
    private final List<String> deniedPaths;
    private final RateLimit rateLimit;
    private final int maxConnectionsPerClient;

    /**
     * A token bucket: {@code perSecond} tokens come back each second, up to {@code burst}.
     *
     * @param perSecond sustained requests per second per client address (above 0)
     * @param burst     requests a client may send at once after being quiet (at least 1)
     */
    public record RateLimit(double perSecond, int burst) {
        /** Checks that the rate is positive and finite and the burst at least 1. */
        public RateLimit {
            if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
                throw new IllegalArgumentException("rate must be above 0 requests per second, not " + perSecond);
            }
            if (burst < 1) {
                throw new IllegalArgumentException("burst must be at least 1, not " + burst);
            }
        }
    }

    private TrafficPolicy(Builder b) {
        this.allow = List.copyOf(b.allow);
        this.deny = List.copyOf(b.deny);
        this.allowedMethods = Set.copyOf(b.allowedMethods);
        this.deniedPaths = List.copyOf(b.deniedPaths);
        this.rateLimit = b.rateLimit;
        this.maxConnectionsPerClient = b.maxConnectionsPerClient;
    }

    /** Everything off; add what you need. */
    public static Builder builder() {
        return new Builder();
    }

    /** Client addresses let in; empty: everyone (but those denied). */
    public List<Cidr> allow() {
        return allow;
    }

    /** Client addresses refused with 403. */
    public List<Cidr> deny() {
        return deny;
    }

    /** Methods let through; empty: any method. */
    public Set<String> allowedMethods() {
        return allowedMethods;
    }

    /** Glob patterns of paths refused with 403. */
    public List<String> deniedPaths() {
        return deniedPaths;
    }

    /** The per-client-address rate limit, or null for none. */
    public RateLimit rateLimit() {
        return rateLimit;
    }

    /** Most connections open at once from one client address; 0 for no limit. */
    public int maxConnectionsPerClient() {
        return maxConnectionsPerClient;
    }

    /** The address refusal for {@code client}, or null when it may come in. */
    Refusal checkAddress(InetAddress client) {
        for (Cidr c : deny) {
            if (c.contains(client)) {
                return Refusal.ADDRESS_DENIED;
            }
        }
        if (!allow.isEmpty()) {
            for (Cidr c : allow) {
                if (c.contains(client)) {
                    return null;
                }
            }
            return Refusal.ADDRESS_NOT_ALLOWED;
        }
        return null;
    }

    /** The method refusal, or null. */
    Refusal checkMethod(String method) {
        if (allowedMethods.isEmpty() || allowedMethods.contains(method)) {
            return null;
        }
        return KNOWN_METHODS.contains(method) ? Refusal.METHOD_NOT_ALLOWED : Refusal.METHOD_UNKNOWN;
    }

    /** The first deny pattern {@code path} meets after normalization, or null. */
    String deniedPattern(String path) {
        if (deniedPaths.isEmpty()) {
            return null;
        }
        String normal = PathPatterns.normalize(path);
        for (String p : deniedPaths) {
            if (PathPatterns.matches(p, normal)) {
                return p;
            }
        }
        return null;
    }

    /** The Allow header value for a 405: the allowed methods in a stable order. */
    String allowHeader() {
        return String.join(", ", new java.util.TreeSet<>(allowedMethods));
    }

    @Override
    public String toString() {
        return "allow=" + allow + " deny=" + deny + " methods=" + allowedMethods + " deniedPaths=" + deniedPaths
                + " rateLimit=" + rateLimit + " maxConnectionsPerClient=" + maxConnectionsPerClient;
    }

    /** Builds a {@link TrafficPolicy}; every list starts empty and every limit off. */
    public static final class Builder {
        private final List<Cidr> allow = new ArrayList<>();
        private final List<Cidr> deny = new ArrayList<>();
        private final Set<String> allowedMethods = new LinkedHashSet<>();
        private final List<String> deniedPaths = new ArrayList<>();
        private RateLimit rateLimit;
        private int maxConnectionsPerClient;

        private Builder() {
        }

        /** Adds a block to the allow list (once there is one, only its addresses come in). */
        public Builder allow(Cidr c) {
            allow.add(Objects.requireNonNull(c));
            return this;
        }

        /** Adds a block to the deny list. */
        public Builder deny(Cidr c) {
            deny.add(Objects.requireNonNull(c));
            return this;
        }

        /** Adds a method to the allow-list (case-sensitive, RFC 9110 §9.1). */
        public Builder allowMethod(String method) {
            if (!TOKEN.matcher(method).matches()) {
                throw new IllegalArgumentException("not a method token: '" + method + "'");
            }
            allowedMethods.add(method);
            return this;
        }

        /** Adds a glob pattern of paths to refuse, starting with {@code /} or {@code *}. */
        public Builder denyPath(String glob) {
            if (glob.isEmpty() || (glob.charAt(0) != '/' && glob.charAt(0) != '*')) {
                throw new IllegalArgumentException("a path pattern starts with / or *: '" + glob + "'");
            }
            deniedPaths.add(glob);
            return this;
        }

        /** Sets the per-client rate limit; null for none. */
        public Builder rateLimit(RateLimit r) {
            this.rateLimit = r;
            return this;
        }

        /** Most connections at once per client address; 0 for no limit. */
        public Builder maxConnectionsPerClient(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("maxConnectionsPerClient must be 0 (none) or more, not " + n);
            }
            this.maxConnectionsPerClient = n;
            return this;
        }

        /** The immutable policy. */
        public TrafficPolicy build() {
            return new TrafficPolicy(this);
        }
    }
}
