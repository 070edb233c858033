package org.tollgate.tls;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A bounded, thread-safe cache of TLS 1.2 sessions for session-id resumption (RFC 5246 §7.3,
 * §F.1.4): least recently used entries are evicted beyond {@code maxEntries}, and an entry
 * older than {@code lifetime} is never returned (RFC 5246 §F.1.4 suggests at most 24 hours).
 *
 * <p>A server keys its cache by session id; a client keys its own by "server name:port", so
 * one cache object can even serve both roles without the keys colliding. Set it with
 * {@link TlsConfig.Builder#sessionCache(SessionCache)}. The cache holds master secrets: keep it
 * in memory only, and give it a lifetime no longer than needed.
 */
public final class SessionCache {
    /** RFC 5246 §F.1.4: "an upper limit of 24 hours is suggested for session ID lifetimes". */
    public static final Duration MAX_LIFETIME = Duration.ofHours(24);

    /** What resuming a TLS 1.2 session needs (RFC 5246 §7.3 "session state"), plus what must match to resume it. */
    public record Session(byte[] id, byte[] masterSecret, CipherSuite cipherSuite, ProtocolVersion version,
                          boolean extendedMasterSecret, String serverName, String alpn,
                          List<X509Certificate> peerCertificates, Instant created) {
        /**
         * Copies the secrets, so the caller's arrays can be wiped.
         * @param id the session id
         * @param masterSecret the 48-byte master secret
         * @param cipherSuite the suite negotiated
         * @param version the version negotiated
         * @param serverName the SNI name, or null
         * @param extendedMasterSecret whether the master secret was made with RFC 7627
         * @param created when the session was made
         * @param alpn the ALPN protocol agreed, or null
         * @param peerCertificates the peer's chain, leaf first, as verified in the full handshake
         */
        public Session {
            id = id.clone();
            masterSecret = masterSecret.clone();
            peerCertificates = List.copyOf(peerCertificates);
            Objects.requireNonNull(cipherSuite);
            Objects.requireNonNull(version);
            Objects.requireNonNull(created);
        }

        /** {@return a copy of the session id} */
        @Override
        public byte[] id() {
            return id.clone();
        }

        /** {@return a copy of the master secret} */
        @Override
        public byte[] masterSecret() {
            return masterSecret.clone();
        }

        @Override
        public String toString() { // never the master secret
            return "Session[" + cipherSuite + " " + version + (extendedMasterSecret ? " EMS" : " no-EMS")
                    + " name=" + serverName + " created=" + created + "]";
        }
    }

    private final int maxEntries;
    private final Duration lifetime;
    private final LinkedHashMap<String, Session> entries;

    private SessionCache(int maxEntries, Duration lifetime) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("a session cache holds at least one session, not " + maxEntries);
        }
        if (lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(MAX_LIFETIME) > 0) {
            throw new IllegalArgumentException("session lifetime must be above zero and at most 24 hours (RFC 5246 F.1.4), not "
                    + lifetime);
        }
        this.maxEntries = maxEntries;
        this.lifetime = lifetime;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) { // access order: least recently used first
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Session> eldest) {
                return size() > SessionCache.this.maxEntries;
            }
        };
    }

    /**
     * A cache of at most {@code maxEntries} sessions, each usable for {@code lifetime}.
     * @param maxEntries at most this many sessions; the least recently used goes first
     * @param lifetime how long a session may be resumed, at most {@link #MAX_LIFETIME}
     * @return the cache
     */
    public static SessionCache create(int maxEntries, Duration lifetime) {
        return new SessionCache(maxEntries, lifetime);
    }

    /** {@return a cache of 1000 sessions, each resumable for 2 hours} */
    public static SessionCache create() {
        return create(1000, Duration.ofHours(2));
    }

    /** {@return the most sessions the cache holds} */
    public int maxEntries() {
        return maxEntries;
    }

    /** {@return how long a session stays resumable} */
    public Duration lifetime() {
        return lifetime;
    }

    /**
     * Stores {@code session} under {@code key}, evicting the least recently used when full.
     * @param key a server's session id in hex, or a client's "host:port"
     * @param session the session
     */
    public synchronized void put(String key, Session session) {
        entries.put(key, session);
    }

    /**
     * The live session under {@code key}, or null; an expired one is removed.
     * @param key the key it was stored under
     * @param now the current time, to check the lifetime
     * @return the session, or null
     */
    public synchronized Session get(String key, Instant now) {
        Session s = entries.get(key);
        if (s != null && !now.isBefore(s.created().plus(lifetime))) {
            entries.remove(key);
            return null;
        }
        return s;
    }

    /**
     * Forgets the session under {@code key}, e.g. after a failed resumption.
     * @param key the key it was stored under
     */
    public synchronized void remove(String key) {
        entries.remove(key);
    }

    /** {@return the number of sessions held now} */
    public synchronized int size() {
        return entries.size();
    }
}
