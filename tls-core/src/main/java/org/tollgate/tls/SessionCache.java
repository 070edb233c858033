package org.tollgate.tls;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayDeque;
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

    /**
     * What resuming a session needs (RFC 5246 §7.3 "session state"), plus what must match to
     * resume it. For TLS 1.2 {@code masterSecret} is the master secret; for a TLS 1.3 ticket it
     * is the ticket's PSK (RFC 8446 §4.6.1). A client's session may carry the server's
     * {@code ticket} (RFC 5077 or a TLS 1.3 NewSessionTicket, else null) with its
     * {@code ticketAgeAdd} and {@code ticketLifetimeSeconds}; {@code created} is when it arrived.
     * @param id the session id (empty for a TLS 1.3 ticket)
     * @param masterSecret the 48-byte master secret (TLS 1.2) or the ticket's PSK (TLS 1.3)
     * @param cipherSuite the suite negotiated
     * @param version the version negotiated
     * @param extendedMasterSecret whether the master secret was made with RFC 7627
     * @param serverName the SNI name, or null
     * @param alpn the ALPN protocol agreed, or null
     * @param peerCertificates the peer's chain, leaf first, as verified in the full handshake
     * @param created when the session was made (for a client's ticket: when it arrived)
     * @param ticket the server's ticket, or null
     * @param ticketAgeAdd the TLS 1.3 ticket_age_add, 0 otherwise
     * @param ticketLifetimeSeconds the ticket's lifetime in seconds, 0 without a ticket
     */
    public record Session(byte[] id, byte[] masterSecret, CipherSuite cipherSuite, ProtocolVersion version,
                          boolean extendedMasterSecret, String serverName, String alpn,
                          List<X509Certificate> peerCertificates, Instant created,
                          byte[] ticket, long ticketAgeAdd, long ticketLifetimeSeconds) {
        /**
         * Checks the fields and copies the secrets, so the caller's arrays can be wiped.
         * @param id the session id (empty for a TLS 1.3 ticket)
         * @param masterSecret the 48-byte master secret (TLS 1.2) or the ticket's PSK (TLS 1.3)
         * @param cipherSuite the suite negotiated
         * @param version the version negotiated
         * @param extendedMasterSecret whether the master secret was made with RFC 7627
         * @param serverName the SNI name, or null
         * @param alpn the ALPN protocol agreed, or null
         * @param peerCertificates the peer's chain, leaf first, as verified in the full handshake
         * @param created when the session was made (for a client's ticket: when it arrived)
         * @param ticket the server's ticket, or null
         * @param ticketAgeAdd the TLS 1.3 ticket_age_add, 0 otherwise
         * @param ticketLifetimeSeconds the ticket's lifetime in seconds, 0 without a ticket
         */
        public Session {
            id = id.clone();
            masterSecret = masterSecret.clone();
            peerCertificates = List.copyOf(peerCertificates);
            ticket = ticket == null ? null : ticket.clone();
            Objects.requireNonNull(cipherSuite);
            Objects.requireNonNull(version);
            Objects.requireNonNull(created);
        }

        /**
         * A session without a ticket (TLS 1.2 session-id resumption).
         * @param id the session id
         * @param masterSecret the 48-byte master secret
         * @param cipherSuite the suite negotiated
         * @param version the version negotiated
         * @param extendedMasterSecret whether the master secret was made with RFC 7627
         * @param serverName the SNI name, or null
         * @param alpn the ALPN protocol agreed, or null
         * @param peerCertificates the peer's chain, leaf first, as verified in the full handshake
         * @param created when the session was made
         */
        public Session(byte[] id, byte[] masterSecret, CipherSuite cipherSuite, ProtocolVersion version,
                       boolean extendedMasterSecret, String serverName, String alpn,
                       List<X509Certificate> peerCertificates, Instant created) {
            this(id, masterSecret, cipherSuite, version, extendedMasterSecret, serverName, alpn, peerCertificates,
                    created, null, 0, 0);
        }

        /** {@return a copy of the server's ticket for this session, or null} */
        @Override
        public byte[] ticket() {
            return ticket == null ? null : ticket.clone();
        }

        /**
         * Whether a ticket's own lifetime (from {@code created}) has not run out.
         * @param now the current time
         * @return true while the ticket lives; true for sessions without a ticket
         */
        public boolean ticketAlive(Instant now) {
            return ticket == null || now.isBefore(created.plusSeconds(ticketLifetimeSeconds));
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
                    + " name=" + serverName + (ticket == null ? "" : " ticket=" + ticket.length + "B") + " created=" + created + "]";
        }
    }

    /** TLS 1.3 tickets a client keeps per server (RFC 8446 §C.4: each is used once). */
    static final int TICKETS_PER_SERVER = 4;

    private final int maxEntries;
    private final Duration lifetime;
    private final LinkedHashMap<String, Session> entries;
    /** Client side, TLS 1.3: unused tickets per "host:port", newest last; bounded like {@code entries}. */
    private final LinkedHashMap<String, ArrayDeque<Session>> tickets;

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
        this.tickets = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, ArrayDeque<Session>> eldest) {
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

    /**
     * Client, TLS 1.3: keeps a ticket from a NewSessionTicket for the server under {@code key};
     * the oldest goes when a server has more than a few.
     * @param key "server name:port"
     * @param ticket a session that carries a ticket
     */
    public synchronized void addTicket(String key, Session ticket) {
        if (ticket.ticket() == null) {
            throw new IllegalArgumentException("not a ticket: " + ticket);
        }
        ArrayDeque<Session> q = tickets.computeIfAbsent(key, k -> new ArrayDeque<>());
        q.addLast(ticket);
        while (q.size() > TICKETS_PER_SERVER) {
            q.removeFirst();
        }
    }

    /**
     * Client, TLS 1.3: removes and returns the newest live ticket for {@code key}. A
     * ticket is handed out once only (RFC 8446 §C.4: clients SHOULD NOT reuse a ticket, so
     * that two connections cannot be linked by it); expired ones are dropped.
     * @param key "server name:port"
     * @param now the current time
     * @return the ticket's session, or null
     */
    public synchronized Session takeTicket(String key, Instant now) {
        ArrayDeque<Session> q = tickets.get(key);
        while (q != null && !q.isEmpty()) {
            Session s = q.removeLast();
            if (s.ticketAlive(now) && now.isBefore(s.created().plus(lifetime))) {
                if (q.isEmpty()) {
                    tickets.remove(key);
                }
                return s;
            }
        }
        tickets.remove(key);
        return null;
    }

    /**
     * Client, TLS 1.3: how many unused tickets are kept for {@code key}.
     * @param key "server name:port"
     * @return the number of tickets
     */
    public synchronized int ticketCount(String key) {
        ArrayDeque<Session> q = tickets.get(key);
        return q == null ? 0 : q.size();
    }

    /** {@return the number of sessions held now} */
    public synchronized int size() {
        return entries.size();
    }
}
