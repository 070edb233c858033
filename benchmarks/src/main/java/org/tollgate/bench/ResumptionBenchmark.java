package org.tollgate.bench;

import java.net.Socket;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.jsse.BCX509ExtendedKeyManager;
import org.bouncycastle.jsse.BCSSLEngine;
import org.bouncycastle.jsse.BCSSLParameters;
import org.bouncycastle.jsse.BCX509Key;
import org.bouncycastle.jsse.provider.BouncyCastleJsseProvider;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.SessionCache;
import org.tollgate.tls.TicketKeys;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.cert.CertificateVerifier;
import org.tollgate.tls.cert.CertifiedKey;
import org.tollgate.tls.cert.DemoCertificates.KeyType;

/**
 * Full against resumed handshakes, client and server in memory in one thread, for three
 * stacks on the same JVM: Tollgate's engine, SunJSSE's SSLEngine and BouncyCastle's BCJSSE
 * SSLEngine (backed by the BouncyCastle JCA provider). Three key exchanges ({@code kx}):
 *
 * <ul>
 *   <li>{@code TLS12_RSA}: TLS 1.2, TLS_RSA_WITH_AES_128_GCM_SHA256 (the premaster secret
 *       encrypted to the server's RSA-2048 key), resumed by session id (Tollgate: a server
 *       session cache, no ticket keys) or by whatever the provider does by default (session
 *       id or RFC 5077 ticket);
 *   <li>{@code TLS12_ECDHE}: TLS 1.2, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, x25519,
 *       RSA-2048 certificate, resumed the same way;
 *   <li>{@code TLS13}: TLS 1.3, TLS_AES_128_GCM_SHA256, x25519, ECDSA P-256 certificate,
 *       resumed with a ticket and psk_dhe_ke (a fresh x25519 exchange, no certificate);
 *       Tollgate's server sends one ticket per handshake, SunJSSE's default.
 * </ul>
 *
 * {@code fullHandshake} makes a client that never offers a session; {@code
 * resumedHandshake} makes one that offers the session (or ticket) cached under
 * "localhost:443" (only a cache key: there is no socket), which the setup primes with one
 * full handshake and checks is really resumed. Both use the same server configuration
 * (session cache and tickets on), so a full handshake also pays for storing its session or
 * sending its tickets. Each operation creates both engines and runs until neither side has
 * anything to send, NewSessionTickets included. Counters as in {@link HandshakeBenchmark}:
 * the benchmark thread's CPU time inside each side's calls.
 *
 * <p>JDK 24 and later disable TLS_RSA_* by default; {@link BenchPki} re-enables them for
 * this JVM so that SunJSSE can take part in the RSA key exchange case.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Djdk.tls.namedGroups=x25519", "-Xms512m", "-Xmx512m"})
public class ResumptionBenchmark {

    /** What the session cache keys the client's sessions by; nothing listens there. */
    static final int PORT = 443;

    /** The three key exchanges: protocol, suite and certificate for every stack alike. */
    enum Kx {
        TLS12_RSA("TLSv1.2", CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256, KeyType.RSA_2048),
        TLS12_ECDHE("TLSv1.2", CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, KeyType.RSA_2048),
        TLS13("TLSv1.3", CipherSuite.TLS_AES_128_GCM_SHA256, KeyType.EC_P256);

        final String protocol;
        final CipherSuite suite;
        final KeyType keyType;

        Kx(String protocol, CipherSuite suite, KeyType keyType) {
            this.protocol = protocol;
            this.suite = suite;
            this.keyType = keyType;
        }
    }

    @Param({"tollgate", "jsse", "bcjsse"})
    public String impl;

    @Param({"TLS12_RSA", "TLS12_ECDHE", "TLS13"})
    public String kx;

    /**
     * As {@link HandshakeBenchmark.SideTime}, plus {@code resumed}: the handshakes that really
     * were resumed (Tollgate's summary says so; for SunJSSE and BCJSSE the server's key
     * manager was not asked for a key), so a stack that falls back to full handshakes shows.
     */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class SideTime {
        public long serverCpuNanos;
        public long clientCpuNanos;
        public long handshakes;
        public long resumed;

        @Setup(org.openjdk.jmh.annotations.Level.Iteration)
        public void reset() {
            serverCpuNanos = 0;
            clientCpuNanos = 0;
            handshakes = 0;
            resumed = 0;
        }
    }

    /** BCJSSE logs every connection at INFO through java.util.logging; held here so the level sticks. */
    private static final Logger BCJSSE_LOG = Logger.getLogger("org.bouncycastle.jsse");

    private Kx exchange;
    // Tollgate
    private TlsConfig fullClient;
    private TlsConfig resumingClient;
    private TlsConfig server;
    // SunJSSE and BCJSSE
    private SSLContext clientContext;
    private SSLContext serverContext;
    private CountingKeyManager serverKeys;

    @Setup
    public void setUp() throws Exception {
        exchange = Kx.valueOf(kx);
        if (impl.equals("tollgate")) {
            setUpTollgate();
            HandshakeSummary first = tollgate(resumingClient).client.summary();
            HandshakeSummary again = tollgate(resumingClient).client.summary();
            HandshakeSummary full = tollgate(fullClient).client.summary();
            if (first.resumed() || !again.resumed() || full.resumed() || !again.cipherSuite().equals(exchange.suite)
                    || (exchange.suite.keyExchange() != CipherSuite.KeyExchange.RSA && first.group() != NamedGroup.X25519)) {
                throw new IllegalStateException("unexpected Tollgate handshakes: " + first.oneLine() + " / "
                        + again.oneLine() + " / " + full.oneLine());
            }
        } else {
            if (!"x25519".equalsIgnoreCase(System.getProperty("jdk.tls.namedGroups"))) {
                throw new IllegalStateException("run with -Djdk.tls.namedGroups=x25519");
            }
            // A server would not log every connection: BCJSSE's INFO lines cost CPU and fill the output.
            BCJSSE_LOG.setLevel(Level.WARNING);
            setUpJsse(impl.equals("bcjsse"));
            // The server's key manager is asked for a key only in a full handshake.
            long before = serverKeys.chosen.get();
            JssePair first = jsse(true);
            long afterFirst = serverKeys.chosen.get();
            jsse(true);
            long afterResumed = serverKeys.chosen.get();
            jsse(false);
            long afterFull = serverKeys.chosen.get();
            String suite = first.client.getSession().getCipherSuite();
            if (afterResumed != afterFirst) {
                // BCJSSE 1.83 does not resume TLS 1.3 sessions, nor SunJSSE 25 our TLS_RSA ones: measured
                // anyway, and the resumed counter shows it.
                System.err.println("note: " + impl + " made a full handshake where a " + exchange.protocol
                        + " resumption was offered");
            }
            if (afterFirst == before || afterFull == afterResumed
                    || !suite.equals(exchange.suite.name())
                    || !first.client.getSession().getProtocol().equals(exchange.protocol)) {
                throw new IllegalStateException(impl + " did not resume as expected (" + exchange.protocol + " " + suite
                        + "): server key chosen " + (afterFirst - before) + ", " + (afterResumed - afterFirst) + ", "
                        + (afterFull - afterResumed) + " times in a full, a resumed and a full handshake");
            }
        }
    }

    @Benchmark
    public Object fullHandshake(SideTime time) throws Exception {
        return count(time, false);
    }

    @Benchmark
    public Object resumedHandshake(SideTime time) throws Exception {
        return count(time, true);
    }

    private Object count(SideTime time, boolean resume) throws Exception {
        if (server != null) {
            TollgatePair p = tollgate(resume ? resumingClient : fullClient);
            time.serverCpuNanos += p.serverNanos;
            time.clientCpuNanos += p.clientNanos;
            time.handshakes++;
            if (p.client.summary().resumed()) {
                time.resumed++;
            }
            return p;
        }
        long keysBefore = serverKeys.chosen.get();
        JssePair p = jsse(resume);
        time.serverCpuNanos += p.serverNanos;
        time.clientCpuNanos += p.clientNanos;
        time.handshakes++;
        if (serverKeys.chosen.get() == keysBefore) {
            time.resumed++;
        }
        return p;
    }

    // ---------------------------------------------------------------- Tollgate

    private void setUpTollgate() {
        List<ProtocolVersion> versions = List.of(exchange.protocol.equals("TLSv1.3") ? ProtocolVersion.TLS_1_3
                : ProtocolVersion.TLS_1_2);
        CertifiedKey key = BenchPki.serverKey(exchange.keyType);
        TlsConfig.Builder s = TlsConfig.builder().certificate(key).versions(versions)
                .cipherSuites(List.of(exchange.suite)).groups(List.of(NamedGroup.X25519))
                .sessionCache(SessionCache.create(10_000, java.time.Duration.ofHours(1)));
        TlsConfig.Builder c = TlsConfig.builder().verifier(CertificateVerifier.trusting(List.of(BenchPki.ca())))
                .versions(versions).cipherSuites(List.of(exchange.suite)).groups(List.of(NamedGroup.X25519));
        if (exchange == Kx.TLS13) {
            // RFC 8446 §4.6.1 tickets sealed with a ticket key; one per handshake (SunJSSE's default),
            // so that every resumption leaves the client a fresh ticket for the next.
            s.ticketKeys(TicketKeys.generate()).ticketCount(1);
        }
        server = s.build();
        fullClient = c.build();
        resumingClient = c.sessionCache(SessionCache.create(100, java.time.Duration.ofHours(1))).build();
    }

    private TollgatePair tollgate(TlsConfig client) throws Exception {
        return new TollgatePair(client, server, client == resumingClient ? PORT : -1).handshake();
    }

    // ---------------------------------------------------------------- SunJSSE and BCJSSE

    private void setUpJsse(boolean bouncyCastle) throws Exception {
        Provider provider = bouncyCastle ? new BouncyCastleJsseProvider(new BouncyCastleProvider()) : null;
        CertifiedKey key = BenchPki.serverKey(exchange.keyType);
        char[] password = "bench".toCharArray();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("server", key.privateKey(), password, key.chain().toArray(new X509Certificate[0]));
        // Each provider's own key manager: BCJSSE asks for TLS 1.2 key types (such as "KE:RSA")
        // that only its own understands.
        KeyManagerFactory kmf = bouncyCastle ? KeyManagerFactory.getInstance("PKIX", provider)
                : KeyManagerFactory.getInstance("SunX509", "SunJSSE");
        kmf.init(ks, password);
        serverKeys = new CountingKeyManager((X509ExtendedKeyManager) kmf.getKeyManagers()[0]);
        serverContext = bouncyCastle ? SSLContext.getInstance("TLS", provider) : SSLContext.getInstance("TLS", "SunJSSE");
        serverContext.init(new KeyManager[] {bouncyCastle ? new CountingBcKeyManager(serverKeys) : serverKeys}, null, null);

        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("ca", BenchPki.ca());
        TrustManagerFactory tmf = bouncyCastle ? TrustManagerFactory.getInstance("PKIX", provider)
                : TrustManagerFactory.getInstance("PKIX", "SunJSSE");
        tmf.init(ts);
        clientContext = bouncyCastle ? SSLContext.getInstance("TLS", provider) : SSLContext.getInstance("TLS", "SunJSSE");
        clientContext.init(null, tmf.getTrustManagers(), null);
    }

    /** A resuming client engine knows its peer's host and port (the session cache key); a full one does not. */
    private JssePair jsse(boolean resume) throws Exception {
        return new JssePair(() -> {
            SSLEngine e = resume ? clientContext.createSSLEngine(BenchPki.HOST, PORT) : clientContext.createSSLEngine();
            e.setUseClientMode(true);
            SSLParameters p = e.getSSLParameters();
            p.setProtocols(new String[] {exchange.protocol});
            p.setCipherSuites(new String[] {exchange.suite.name()});
            p.setServerNames(List.of(new SNIHostName(BenchPki.HOST)));
            p.setEndpointIdentificationAlgorithm("HTTPS");
            e.setSSLParameters(p);
            return bouncyCastleGroups(e);
        }, () -> {
            SSLEngine e = serverContext.createSSLEngine();
            e.setUseClientMode(false);
            SSLParameters p = e.getSSLParameters();
            p.setProtocols(new String[] {exchange.protocol});
            p.setCipherSuites(new String[] {exchange.suite.name()});
            e.setSSLParameters(p);
            return bouncyCastleGroups(e);
        }).handshake();
    }

    /**
     * BCJSSE offers ECDSA signature schemes only for curves among its named groups, and the
     * demo CA signs with ECDSA P-256: so BCJSSE gets x25519 first (the group both sides then
     * agree on) and secp256r1 after it, where jdk.tls.namedGroups says x25519 alone.
     */
    private static SSLEngine bouncyCastleGroups(SSLEngine e) {
        if (e instanceof BCSSLEngine) {
            BCSSLEngine bc = (BCSSLEngine) e;
            BCSSLParameters p = bc.getParameters();
            p.setNamedGroups(new String[] {"x25519", "secp256r1"});
            bc.setParameters(p);
        }
        return e;
    }

    /**
     * BCJSSE selects keys through its own interface, with key types such as "KE:RSA" that a
     * plain key manager does not know: this one passes those calls on to BCJSSE's own key
     * manager and counts them like {@link CountingKeyManager}.
     */
    static final class CountingBcKeyManager extends BCX509ExtendedKeyManager {
        private final CountingKeyManager counting;
        private final BCX509ExtendedKeyManager delegate;

        CountingBcKeyManager(CountingKeyManager counting) {
            this.counting = counting;
            this.delegate = (BCX509ExtendedKeyManager) counting.delegate;
        }

        @Override
        public BCX509Key chooseEngineServerKeyBC(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
            BCX509Key key = delegate.chooseEngineServerKeyBC(keyTypes, issuers, engine);
            if (key != null) {
                counting.chosen.incrementAndGet();
            }
            return key;
        }

        @Override
        public BCX509Key chooseServerKeyBC(String[] keyTypes, Principal[] issuers, Socket socket) {
            BCX509Key key = delegate.chooseServerKeyBC(keyTypes, issuers, socket);
            if (key != null) {
                counting.chosen.incrementAndGet();
            }
            return key;
        }

        @Override
        protected BCX509Key getKeyBC(String keyType, String alias) {
            PrivateKey key = delegate.getPrivateKey(alias);
            X509Certificate[] chain = delegate.getCertificateChain(alias);
            return key == null || chain == null ? null : new BCX509Key() {
                @Override
                public X509Certificate[] getCertificateChain() {
                    return chain.clone();
                }

                @Override
                public String getKeyType() {
                    return keyType;
                }

                @Override
                public PrivateKey getPrivateKey() {
                    return key;
                }
            };
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return counting.chooseEngineServerAlias(keyType, issuers, engine);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return counting.chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return delegate.getServerAliases(keyType, issuers);
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return delegate.getClientAliases(keyType, issuers);
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return delegate.chooseClientAlias(keyType, issuers, socket);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return delegate.chooseEngineClientAlias(keyType, issuers, engine);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return delegate.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return delegate.getPrivateKey(alias);
        }
    }

    /** The server's key manager, counting how often a handshake asks it for a key (full handshakes only). */
    static final class CountingKeyManager extends X509ExtendedKeyManager {
        private final X509ExtendedKeyManager delegate;
        final AtomicLong chosen = new AtomicLong();

        CountingKeyManager(X509ExtendedKeyManager delegate) {
            this.delegate = delegate;
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            String alias = delegate.chooseEngineServerAlias(keyType, issuers, engine);
            if (alias != null) {
                chosen.incrementAndGet();
            }
            return alias;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            String alias = delegate.chooseServerAlias(keyType, issuers, socket);
            if (alias != null) {
                chosen.incrementAndGet();
            }
            return alias;
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return delegate.getServerAliases(keyType, issuers);
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return delegate.getClientAliases(keyType, issuers);
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return delegate.chooseClientAlias(keyType, issuers, socket);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return delegate.chooseEngineClientAlias(keyType, issuers, engine);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return delegate.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return delegate.getPrivateKey(alias);
        }
    }
}
