package org.tollgate.bench;

import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSession;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.cert.DemoCertificates.KeyType;

/**
 * Full TLS 1.3 handshakes per second, client and server in one thread and in memory:
 * Tollgate's TlsEngine against Tollgate's, SunJSSE's SSLEngine against SunJSSE's. Each
 * operation creates both engines and runs the handshake until neither side has anything
 * left to send (for JSSE that includes the server's NewSessionTicket, which Tollgate does
 * not send yet). The primary score is wall-clock handshakes per second; the secondary
 * counters measure the benchmark thread's CPU time inside each side's calls (see
 * {@link SideTime}), which is what to compare on a shared machine.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
@Warmup(iterations = 6, time = 3)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Djdk.tls.namedGroups=x25519", "-Xms512m", "-Xmx512m"})
public class HandshakeBenchmark {

    @Param({"tollgate", "jsse"})
    public String impl;

    @Param({"EC_P256", "RSA_2048"})
    public String key;

    private KeyType keyType;
    private TlsConfig clientConfig;
    private TlsConfig serverConfig;

    /**
     * CPU time of the benchmark thread inside each side's engine calls. JMH reports every
     * counter as a rate per second; the ratio of two rates is what counts: serverCpuNanos /
     * handshakes is the server's CPU nanoseconds per handshake, unaffected by other
     * processes that share the machine.
     */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class SideTime {
        public long serverCpuNanos;
        public long clientCpuNanos;
        public long handshakes;

        @Setup(Level.Iteration)
        public void reset() {
            serverCpuNanos = 0;
            clientCpuNanos = 0;
            handshakes = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        keyType = KeyType.valueOf(key);
        clientConfig = BenchPki.tollgateClient();
        serverConfig = BenchPki.tollgateServer(keyType);
        // Check once that both stacks negotiate what the benchmark claims.
        if (impl.equals("tollgate")) {
            HandshakeSummary s = new TollgatePair(clientConfig, serverConfig).handshake().client.summary();
            if (s.group() != NamedGroup.X25519 || !s.cipherSuite().name().equals(BenchPki.SUITE) || s.resumed()) {
                throw new IllegalStateException("unexpected Tollgate handshake: " + s.oneLine());
            }
        } else {
            if (!"x25519".equalsIgnoreCase(System.getProperty("jdk.tls.namedGroups"))) {
                throw new IllegalStateException("run with -Djdk.tls.namedGroups=x25519");
            }
            SSLSession s = new JssePair(keyType).handshake().client.getSession();
            if (!s.getProtocol().equals("TLSv1.3") || !s.getCipherSuite().equals(BenchPki.SUITE)) {
                throw new IllegalStateException("unexpected JSSE handshake: " + s.getProtocol() + " " + s.getCipherSuite());
            }
        }
    }

    @Benchmark
    public Object fullHandshake(SideTime time) throws Exception {
        if (impl.equals("tollgate")) {
            TollgatePair p = new TollgatePair(clientConfig, serverConfig).handshake();
            time.serverCpuNanos += p.serverNanos;
            time.clientCpuNanos += p.clientNanos;
            time.handshakes++;
            return p;
        }
        JssePair p = new JssePair(keyType).handshake();
        time.serverCpuNanos += p.serverNanos;
        time.clientCpuNanos += p.clientNanos;
        time.handshakes++;
        return p;
    }
}
