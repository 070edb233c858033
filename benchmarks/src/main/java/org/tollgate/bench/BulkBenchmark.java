package org.tollgate.bench;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngineResult;
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
import org.tollgate.tls.cert.DemoCertificates.KeyType;

/**
 * Bulk transfer over an established TLS 1.3 connection (TLS_AES_128_GCM_SHA256), server to
 * client, one 16 KiB application write per operation (one full record): MB/s = ops/s x
 * 16384 / 10^6. {@code transfer} encrypts on the server engine and decrypts on the client
 * engine; {@code encrypt} only encrypts (the records are thrown away). Heap buffers on both
 * sides, reused across operations. Tollgate sends a 16 KiB write as one record; SunJSSE as
 * two (it caps TLS 1.3 record plaintext slightly below 2^14), which is part of its cost.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Djdk.tls.namedGroups=x25519", "-Xms512m", "-Xmx512m"})
public class BulkBenchmark {
    public static final int WRITE_SIZE = 16 * 1024;

    @Param({"tollgate", "jsse"})
    public String impl;

    private TollgatePair tollgate;
    private JssePair jsse;
    private final ByteBuffer plaintext = ByteBuffer.allocate(WRITE_SIZE);
    private final ByteBuffer net = ByteBuffer.allocate(64 * 1024);
    private final ByteBuffer received = ByteBuffer.allocate(64 * 1024);

    /**
     * The benchmark thread's CPU time, read every {@value #SAMPLE} operations (reading it
     * costs a system call): cpuNanos / cpuOps is CPU nanoseconds per 16 KiB write, however
     * busy the rest of the machine is.
     */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Cpu {
        static final int SAMPLE = 64;
        public long cpuNanos;
        public long cpuOps;
        private long last;
        private int pending;

        @Setup(Level.Iteration)
        public void reset() {
            cpuNanos = 0;
            cpuOps = 0;
            pending = 0;
            last = CpuClock.now();
        }

        void tick() {
            if (++pending == SAMPLE) {
                long now = CpuClock.now();
                cpuNanos += now - last;
                cpuOps += pending;
                last = now;
                pending = 0;
            }
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        new java.util.Random(1).nextBytes(plaintext.array());
        if (impl.equals("tollgate")) {
            tollgate = new TollgatePair(BenchPki.tollgateClient(), BenchPki.tollgateServer(KeyType.EC_P256)).handshake();
        } else {
            jsse = new JssePair(KeyType.EC_P256).handshake();
        }
        // One round trip checked byte for byte before measuring.
        int n = transfer();
        if (n != WRITE_SIZE || !received.flip().equals(plaintext.clear())) {
            throw new IllegalStateException("bulk transfer corrupted data (" + n + " bytes)");
        }
    }

    @Benchmark
    public int transfer(Cpu cpu) throws Exception {
        cpu.tick();
        return transfer();
    }

    private int transfer() throws Exception {
        plaintext.clear();
        net.clear();
        received.clear();
        if (tollgate != null) {
            tollgate.server.writeApplicationData(plaintext);
            tollgate.server.drainOutput(net);
            net.flip();
            tollgate.client.receive(net);
            return tollgate.client.readApplicationData(received);
        }
        // SunJSSE caps a TLS 1.3 record's plaintext a little below 2^14 (16 367 bytes here),
        // so one 16 KiB write becomes two records: wrap and unwrap until all is through.
        while (plaintext.hasRemaining()) {
            jsseWrap();
        }
        net.flip();
        int n = 0;
        while (net.hasRemaining()) {
            SSLEngineResult u = jsse.client.unwrap(net, received);
            if (u.getStatus() != SSLEngineResult.Status.OK) {
                throw new IllegalStateException("JSSE unwrap: " + u);
            }
            n += u.bytesProduced();
        }
        return n;
    }

    private int jsseWrap() throws Exception {
        SSLEngineResult w = jsse.server.wrap(plaintext, net);
        if (w.getStatus() != SSLEngineResult.Status.OK) {
            throw new IllegalStateException("JSSE wrap: " + w);
        }
        return w.bytesProduced();
    }

    @Benchmark
    public int encrypt(Cpu cpu) throws Exception {
        cpu.tick();
        plaintext.clear();
        net.clear();
        if (tollgate != null) {
            tollgate.server.writeApplicationData(plaintext);
            return tollgate.server.drainOutput(net);
        }
        int n = 0;
        while (plaintext.hasRemaining()) {
            n += jsseWrap();
        }
        return n;
    }

}
