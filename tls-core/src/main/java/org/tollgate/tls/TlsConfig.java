package org.tollgate.tls;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.tollgate.tls.cert.CertificateVerifier;
import org.tollgate.tls.cert.CertifiedKey;

/**
 * Everything a connection is configured with, immutable once built. Randomness and time
 * are injected here so a test can replay a handshake byte for byte.
 *
 * <pre>{@code
 * TlsConfig server = TlsConfig.builder().certificate(CertifiedKey.load(certPem, keyPem)).build();
 * TlsConfig client = TlsConfig.builder().verifier(CertificateVerifier.fromPemFile(caPem)).build();
 * }</pre>
 */
public final class TlsConfig {
    private final List<ProtocolVersion> versions;
    private final List<CipherSuite> cipherSuites;
    private final List<NamedGroup> groups;
    private final List<NamedGroup> keyShareGroups;
    private final List<SignatureScheme> signatureSchemes;
    private final List<String> alpnProtocols;
    private final List<CertifiedKey> certificates;
    private final CertificateVerifier verifier;
    private final SecureRandom random;
    private final Clock clock;
    private final KeyLog keyLog;
    private final HandshakeTrace trace;
    private final Duration handshakeTimeout;
    private final int maxHandshakeMessageSize;
    private final boolean middleboxCompatibility;
    private final boolean preferClientCipherOrder;
    private final boolean extendedMasterSecret;
    private final SessionCache sessionCache;
    private final TicketKeys ticketKeys;
    private final int ticketCount;
    private final Duration ticketLifetime;
    private final ClientAuth clientAuth;
    private final CertificateVerifier clientVerifier;

    private TlsConfig(Builder b) {
        this.versions = List.copyOf(b.versions);
        this.cipherSuites = b.effectiveCipherSuites();
        this.groups = List.copyOf(b.groups);
        this.keyShareGroups = b.keyShareGroups == null ? List.of(groups.get(0)) : List.copyOf(b.keyShareGroups);
        this.signatureSchemes = List.copyOf(b.signatureSchemes);
        this.alpnProtocols = List.copyOf(b.alpnProtocols);
        this.certificates = List.copyOf(b.certificates);
        this.verifier = b.verifier;
        this.random = b.random;
        this.clock = b.clock;
        this.keyLog = b.keyLog;
        this.trace = b.trace;
        this.handshakeTimeout = b.handshakeTimeout;
        this.maxHandshakeMessageSize = b.maxHandshakeMessageSize;
        this.middleboxCompatibility = b.middleboxCompatibility;
        this.preferClientCipherOrder = b.preferClientCipherOrder;
        this.extendedMasterSecret = b.extendedMasterSecret;
        this.sessionCache = b.sessionCache;
        this.ticketKeys = b.ticketKeys;
        this.ticketCount = b.ticketCount;
        this.ticketLifetime = b.ticketLifetime;
        this.clientAuth = b.clientAuth;
        this.clientVerifier = b.clientVerifier;
    }

    /** {@return a builder with the secure defaults: TLS 1.3 and 1.2, AEAD suites, no RSA key exchange} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return a builder starting from this configuration} */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.versions = versions;
        b.cipherSuites = cipherSuites;
        b.cipherSuitesSet = true;
        b.groups = groups;
        b.keyShareGroups = keyShareGroups;
        b.signatureSchemes = signatureSchemes;
        b.alpnProtocols = alpnProtocols;
        b.certificates = new ArrayList<>(certificates);
        b.verifier = verifier;
        b.random = random;
        b.clock = clock;
        b.keyLog = keyLog;
        b.trace = trace;
        b.handshakeTimeout = handshakeTimeout;
        b.maxHandshakeMessageSize = maxHandshakeMessageSize;
        b.middleboxCompatibility = middleboxCompatibility;
        b.preferClientCipherOrder = preferClientCipherOrder;
        b.extendedMasterSecret = extendedMasterSecret;
        b.sessionCache = sessionCache;
        b.ticketKeys = ticketKeys;
        b.ticketCount = ticketCount;
        b.ticketLifetime = ticketLifetime;
        b.clientAuth = clientAuth;
        b.clientVerifier = clientVerifier;
        return b;
    }

    /** {@return the protocol versions enabled, highest first: TLS 1.3 and TLS 1.2 by default} */
    public List<ProtocolVersion> versions() {
        return versions;
    }

    /**
     * True when {@code v} is enabled and at least one of its cipher suites is too.
     * @param v a protocol version
     * @return whether it can be negotiated
     */
    public boolean isEnabled(ProtocolVersion v) {
        if (!versions.contains(v)) {
            return false;
        }
        for (CipherSuite s : cipherSuites) {
            if (s.version() == v) {
                return true;
            }
        }
        return false;
    }

    /**
     * Cipher suites in preference order, TLS 1.3 and TLS 1.2 together; each version uses its
     * own. By default the TLS 1.3 suites and the TLS 1.2 ECDHE suites: RSA key exchange
     * (TLS_RSA_*) only when enabled with {@link Builder#rsaKeyExchange} or named explicitly.
     * @return the enabled suites
     */
    public List<CipherSuite> cipherSuites() {
        return cipherSuites;
    }

    /**
     * TLS 1.2 extended master secret (RFC 7627): on by default, a client offers it and a
     * server accepts it. A peer without it still gets a full handshake (the summary says
     * {@code no-ems}); off is only for tests and for reproducing old peers.
     * @return whether extended master secret is on
     */
    public boolean extendedMasterSecret() {
        return extendedMasterSecret;
    }

    /** {@return true when a TLS_RSA_* suite is enabled (TLS 1.2 RSA key exchange, no forward secrecy)} */
    public boolean rsaKeyExchange() {
        for (CipherSuite s : cipherSuites) {
            if (s.keyExchange() == CipherSuite.KeyExchange.RSA) {
                return true;
            }
        }
        return false;
    }

    /**
     * A TLS 1.2 server normally picks the first of its own suites that the client offers;
     * with this set it picks the client's first that it allows (RFC 5246 §7.4.1.3 leaves the
     * choice to the server). TLS 1.3 suites are always chosen by server preference.
     * @return whether the client's order wins
     */
    public boolean preferClientCipherOrder() {
        return preferClientCipherOrder;
    }

    /**
     * TLS 1.2 session-id resumption (RFC 5246 §7.3); null (the default) turns it off. A server
     * with a cache gives every full handshake with extended master secret a fresh 32-byte session
     * id and resumes it later; a client stores sessions under "server name:port" (see
     * {@link TlsEngine#client(TlsConfig, String, int)}) and offers them again.
     * @return the session cache, or null
     */
    public SessionCache sessionCache() {
        return sessionCache;
    }

    /**
     * Server: the keys that seal session tickets, or null (the default): no tickets. With keys,
     * a TLS 1.3 server sends {@link #ticketCount()} NewSessionTickets after each handshake and
     * resumes with psk_dhe_ke (RFC 8446 §4.2.9); a TLS 1.2 server issues RFC 5077 tickets to
     * clients that ask and resumes them. Tickets are stateless: the server remembers nothing,
     * so a ticket can be presented again within its lifetime; without 0-RTT this replays nothing
     * (a resumed handshake still runs a fresh ECDHE exchange and Finished in TLS 1.3).
     * @return the ticket keys, or null
     */
    public TicketKeys ticketKeys() {
        return ticketKeys;
    }

    /** {@return server, TLS 1.3: NewSessionTickets sent after each handshake (2 by default, like OpenSSL)} */
    public int ticketCount() {
        return ticketCount;
    }

    /** {@return server: how long an issued ticket may be used (2 hours by default; at most 7 days, RFC 8446 §4.6.1)} */
    public Duration ticketLifetime() {
        return ticketLifetime;
    }

    /** {@return the key exchange groups in preference order} */
    public List<NamedGroup> groups() {
        return groups;
    }

    /** {@return the groups a client sends a key share for in its first ClientHello} */
    public List<NamedGroup> keyShareGroups() {
        return keyShareGroups;
    }

    /** {@return the signature schemes for CertificateVerify, in preference order} */
    public List<SignatureScheme> signatureSchemes() {
        return signatureSchemes;
    }

    /**
     * ALPN protocol names in preference order; empty means ALPN is not used.
     * @return the ALPN names
     */
    public List<String> alpnProtocols() {
        return alpnProtocols;
    }

    /**
     * Server certificates; the first is the default when no server name matches. On a client,
     * the certificates it may send when a server asks for one (mutual TLS): the first whose
     * key can sign with a scheme the server accepts.
     * @return the certificates
     */
    public List<CertifiedKey> certificates() {
        return certificates;
    }

    /** {@return server: whether to request a client certificate; {@link ClientAuth#NONE} by default} */
    public ClientAuth clientAuth() {
        return clientAuth;
    }

    /**
     * Server: how a client's certificate chain is checked (trust anchors, validity, the
     * clientAuth extended key usage when present; no host name). Its trusted subjects are the
     * CA names sent in the CertificateRequest.
     * @return the client-certificate verifier, or null when client authentication is off
     */
    public CertificateVerifier clientVerifier() {
        return clientVerifier;
    }

    /** {@return how a client checks the server's certificate chain and name} */
    public CertificateVerifier verifier() {
        return verifier;
    }

    /** {@return the source of every random byte: client and server randoms, key shares, nonces} */
    public SecureRandom random() {
        return random;
    }

    /** {@return the clock for handshake deadlines, certificate validity and session lifetimes} */
    public Clock clock() {
        return clock;
    }

    /** {@return where the secrets go for Wireshark; {@link KeyLog#NONE} by default} */
    public KeyLog keyLog() {
        return keyLog;
    }

    /** {@return the handshake trace; {@link HandshakeTrace#NONE} by default} */
    public HandshakeTrace trace() {
        return trace;
    }

    /** {@return how long an endpoint waits for a handshake to finish before closing the connection} */
    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    /**
     * Largest handshake message accepted; a longer one is refused before it is buffered.
     * @return the limit in bytes
     */
    public int maxHandshakeMessageSize() {
        return maxHandshakeMessageSize;
    }

    /** {@return whether a client sends a session id and a ChangeCipherSpec to look like TLS 1.2 (RFC 8446 Appendix D.4)} */
    public boolean middleboxCompatibility() {
        return middleboxCompatibility;
    }

    /** Builds a {@link TlsConfig}; every setting has a secure default. */
    public static final class Builder {
        private List<ProtocolVersion> versions = List.of(ProtocolVersion.TLS_1_3, ProtocolVersion.TLS_1_2);
        private List<CipherSuite> cipherSuites = List.of(CipherSuite.TLS_AES_128_GCM_SHA256,
                CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
                CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256);
        private boolean cipherSuitesSet;
        private Boolean rsaKeyExchange;
        private boolean preferClientCipherOrder;
        private boolean extendedMasterSecret = true;
        private List<NamedGroup> groups = List.of(NamedGroup.X25519, NamedGroup.SECP256R1, NamedGroup.SECP384R1);
        private List<NamedGroup> keyShareGroups;
        private List<SignatureScheme> signatureSchemes = List.of(SignatureScheme.ECDSA_SECP256R1_SHA256,
                SignatureScheme.ECDSA_SECP384R1_SHA384, SignatureScheme.ED25519,
                SignatureScheme.RSA_PSS_RSAE_SHA256, SignatureScheme.RSA_PSS_RSAE_SHA384,
                SignatureScheme.RSA_PSS_RSAE_SHA512);
        private List<String> alpnProtocols = List.of();
        private List<CertifiedKey> certificates = new ArrayList<>();
        private CertificateVerifier verifier;
        private SecureRandom random;
        private Clock clock = Clock.systemUTC();
        private boolean clockSet;
        private KeyLog keyLog = KeyLog.NONE;
        private HandshakeTrace trace = HandshakeTrace.NONE;
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private int maxHandshakeMessageSize = 128 * 1024;
        private boolean middleboxCompatibility = true;
        private SessionCache sessionCache;
        private TicketKeys ticketKeys;
        private int ticketCount = 2;
        private Duration ticketLifetime = Duration.ofHours(2);
        private ClientAuth clientAuth = ClientAuth.NONE;
        private CertificateVerifier clientVerifier;

        private Builder() {
        }

        /**
         * TLS 1.3 and/or TLS 1.2; nothing older is, or will be, supported.
         * @param v the versions
         * @return this builder
         */
        public Builder versions(List<ProtocolVersion> v) {
            for (ProtocolVersion p : v) {
                if (p != ProtocolVersion.TLS_1_3 && p != ProtocolVersion.TLS_1_2) {
                    throw new IllegalArgumentException(p + " is not supported: Tollgate speaks TLS 1.3 and TLS 1.2,"
                            + " never anything older (RFC 8996)");
                }
            }
            List<ProtocolVersion> sorted = new ArrayList<>(new java.util.LinkedHashSet<>(nonEmpty(v, "versions")));
            sorted.sort((a, b) -> Integer.compare(b.code(), a.code()));
            this.versions = List.copyOf(sorted);
            return this;
        }

        /**
         * Suites in preference order; naming a TLS_RSA_* suite here enables RSA key exchange.
         * @param v the suites
         * @return this builder
         */
        public Builder cipherSuites(List<CipherSuite> v) {
            this.cipherSuites = nonEmpty(v, "cipher suites");
            this.cipherSuitesSet = true;
            return this;
        }

        /**
         * Turns TLS 1.2 RSA key exchange (TLS_RSA_WITH_AES_*_GCM_*) on or off. It is off by
         * default: the premaster secret travels encrypted to the long-term key, so whoever
         * gets that key later can decrypt every recorded session (no forward secrecy). The
         * teaching demo turns it on, because it is the classic handshake the project
         * explains. On adds the RSA suites after the others (unless the suite list was set
         * explicitly); off removes them even from an explicit list.
         * @param on true to allow TLS_RSA_* suites
         * @return this builder
         */
        public Builder rsaKeyExchange(boolean on) {
            this.rsaKeyExchange = on;
            return this;
        }

        /**
         * See {@link TlsConfig#sessionCache()}; null turns resumption off (the default).
         * @param cache the cache, or null
         * @return this builder
         */
        public Builder sessionCache(SessionCache cache) {
            this.sessionCache = cache;
            return this;
        }

        /**
         * A new server session cache of {@code maxEntries} sessions living {@code lifetime} each.
         * @param maxEntries the cache size
         * @param lifetime how long a session lives
         * @return this builder
         */
        public Builder sessionCache(int maxEntries, Duration lifetime) {
            return sessionCache(SessionCache.create(maxEntries, lifetime));
        }

        /**
         * See {@link TlsConfig#ticketKeys()}; null (the default) issues no tickets.
         * @param keys the ticket keys, or null
         * @return this builder
         */
        public Builder ticketKeys(TicketKeys keys) {
            this.ticketKeys = keys;
            return this;
        }

        /**
         * See {@link TlsConfig#ticketCount()}.
         * @param n 0 to 10 TLS 1.3 tickets per handshake
         * @return this builder
         */
        public Builder ticketCount(int n) {
            if (n < 0 || n > 10) {
                throw new IllegalArgumentException("ticket count must be 0 to 10, not " + n);
            }
            this.ticketCount = n;
            return this;
        }

        /**
         * See {@link TlsConfig#ticketLifetime()}.
         * @param d above zero and at most 7 days (RFC 8446 §4.6.1)
         * @return this builder
         */
        public Builder ticketLifetime(Duration d) {
            if (d.isNegative() || d.isZero() || d.compareTo(Duration.ofDays(7)) > 0) {
                throw new IllegalArgumentException("ticket lifetime must be above zero and at most 7 days (RFC 8446 4.6.1), not " + d);
            }
            this.ticketLifetime = d;
            return this;
        }

        /**
         * See {@link TlsConfig#extendedMasterSecret()}; on by default.
         * @param on true for RFC 7627
         * @return this builder
         */
        public Builder extendedMasterSecret(boolean on) {
            this.extendedMasterSecret = on;
            return this;
        }

        /**
         * See {@link TlsConfig#preferClientCipherOrder()}; off by default.
         * @param on true to follow the client's order
         * @return this builder
         */
        public Builder preferClientCipherOrder(boolean on) {
            this.preferClientCipherOrder = on;
            return this;
        }

        private List<CipherSuite> effectiveCipherSuites() {
            List<CipherSuite> out = new ArrayList<>(cipherSuites);
            if (Boolean.TRUE.equals(rsaKeyExchange) && !cipherSuitesSet) {
                out.add(CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256);
                out.add(CipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384);
            } else if (Boolean.FALSE.equals(rsaKeyExchange)) {
                out.removeIf(s -> s.keyExchange() == CipherSuite.KeyExchange.RSA);
            }
            if (out.isEmpty()) {
                throw new IllegalArgumentException("rsaKeyExchange(false) leaves no cipher suite enabled");
            }
            return List.copyOf(out);
        }

        /**
         * Groups in preference order, for supported_groups (RFC 8446 §4.2.7).
         * @param v the groups
         * @return this builder
         */
        public Builder groups(List<NamedGroup> v) {
            this.groups = nonEmpty(v, "groups");
            if (keyShareGroups != null && !groups.containsAll(keyShareGroups)) {
                keyShareGroups = null;
            }
            return this;
        }

        /**
         * Groups a client sends key shares for at once (RFC 8446 §4.2.8); the others cost a HelloRetryRequest.
         * @param v the groups
         * @return this builder
         */
        public Builder keyShareGroups(List<NamedGroup> v) {
            this.keyShareGroups = List.copyOf(v);
            return this;
        }

        /**
         * Schemes in preference order, for signature_algorithms (RFC 8446 §4.2.3).
         * @param v the schemes
         * @return this builder
         */
        public Builder signatureSchemes(List<SignatureScheme> v) {
            this.signatureSchemes = nonEmpty(v, "signature schemes");
            return this;
        }

        /**
         * ALPN names in preference order (RFC 7301); empty turns ALPN off.
         * @param v the protocol names, e.g. {@code http/1.1}
         * @return this builder
         */
        public Builder alpnProtocols(List<String> v) {
            for (String p : v) {
                if (p.isEmpty() || p.length() > 255) {
                    throw new IllegalArgumentException("ALPN protocol names are 1 to 255 bytes: '" + p + "'");
                }
            }
            this.alpnProtocols = List.copyOf(v);
            return this;
        }

        /**
         * Server: asks clients for a certificate (see {@link ClientAuth}); WANT and NEED need a
         * {@link #clientVerifier}.
         * @param mode none, want or need
         * @return this builder
         */
        public Builder clientAuth(ClientAuth mode) {
            this.clientAuth = Objects.requireNonNull(mode);
            return this;
        }

        /**
         * Server: the trust for client certificates, e.g. {@code CertificateVerifier.fromPemFile(clientCa)}.
         * @param v the verifier for client certificate chains
         * @return this builder
         */
        public Builder clientVerifier(CertificateVerifier v) {
            this.clientVerifier = Objects.requireNonNull(v);
            return this;
        }

        /**
         * Adds a certificate: a server's (the first added is the default) or a client's (mutual TLS).
         * @param key the certificate chain and its private key
         * @return this builder
         */
        public Builder certificate(CertifiedKey key) {
            this.certificates.add(Objects.requireNonNull(key));
            return this;
        }

        /**
         * How a client checks the server's chain and name; {@link CertificateVerifier#systemDefault()} by default.
         * @param v the verifier
         * @return this builder
         */
        public Builder verifier(CertificateVerifier v) {
            this.verifier = Objects.requireNonNull(v);
            return this;
        }

        /**
         * The source of randomness; inject a seeded one only in tests.
         * @param r the random source
         * @return this builder
         */
        public Builder random(SecureRandom r) {
            this.random = Objects.requireNonNull(r);
            return this;
        }

        /**
         * The clock of this connection: handshake deadlines and, when set here, the time at
         * which the peer's certificates must be valid (it is handed to the verifier).
         * @param c the clock
         * @return this builder
         */
        public Builder clock(Clock c) {
            this.clock = Objects.requireNonNull(c);
            this.clockSet = true;
            return this;
        }

        /**
         * Where secrets are logged in the NSS key log format.
         * @param k the key log
         * @return this builder
         */
        public Builder keyLog(KeyLog k) {
            this.keyLog = Objects.requireNonNull(k);
            return this;
        }

        /**
         * Receives every handshake message and decision, for --explain and debugging.
         * @param t the trace
         * @return this builder
         */
        public Builder trace(HandshakeTrace t) {
            this.trace = Objects.requireNonNull(t);
            return this;
        }

        /**
         * How long a handshake may take before the connection is closed.
         * @param d the timeout
         * @return this builder
         */
        public Builder handshakeTimeout(Duration d) {
            this.handshakeTimeout = Objects.requireNonNull(d);
            return this;
        }

        /**
         * The largest handshake message accepted (the certificate chain is the usual big one).
         * @param n the limit in bytes
         * @return this builder
         */
        public Builder maxHandshakeMessageSize(int n) {
            if (n < 1024) {
                throw new IllegalArgumentException("maxHandshakeMessageSize below 1024 cannot hold a certificate");
            }
            this.maxHandshakeMessageSize = n;
            return this;
        }

        /**
         * Whether a TLS 1.3 client sends a legacy session id and ChangeCipherSpec (RFC 8446 §D.4).
         * @param on true by default
         * @return this builder
         */
        public Builder middleboxCompatibility(boolean on) {
            this.middleboxCompatibility = on;
            return this;
        }

        /**
         * {@return the immutable configuration}
         * @throws IllegalArgumentException when the settings contradict each other
         */
        public TlsConfig build() {
            if (random == null) {
                random = new SecureRandom();
            }
            if (verifier == null) {
                verifier = CertificateVerifier.systemDefault();
            }
            if (clientAuth != ClientAuth.NONE && clientVerifier == null) {
                throw new IllegalArgumentException("clientAuth(" + clientAuth + ") needs a clientVerifier:"
                        + " the CAs that issue the client certificates");
            }
            if (clockSet) {
                verifier = verifier.withClock(clock); // one injected time for the whole connection
                if (clientVerifier != null) {
                    clientVerifier = clientVerifier.withClock(clock);
                }
            }
            return new TlsConfig(this);
        }

        private static <T> List<T> nonEmpty(List<T> v, String what) {
            if (v.isEmpty()) {
                throw new IllegalArgumentException("at least one of the " + what + " must be enabled");
            }
            return List.copyOf(v);
        }
    }
}
