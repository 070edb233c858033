package org.tollgate.bench;

import java.nio.ByteBuffer;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.TlsEngine;
import org.tollgate.tls.TlsException;

/**
 * A Tollgate client and server engine joined in memory through two reusable network
 * buffers, as an event loop would drive them: drain into a buffer, hand the buffer to the
 * peer's {@code receive}.
 */
final class TollgatePair {
    private static final int NET = 64 * 1024;

    final TlsEngine client;
    final TlsEngine server;
    final ByteBuffer net = ByteBuffer.allocate(NET);
    /** CPU nanoseconds spent inside each side's engine calls (creation included) during {@link #handshake}. */
    long clientNanos;
    long serverNanos;

    TollgatePair(TlsConfig clientConfig, TlsConfig serverConfig) {
        this(clientConfig, serverConfig, -1);
    }

    /**
     * With a {@code port}, the client offers and caches sessions under "localhost:port"
     * (session resumption); without (-1), it never resumes.
     */
    TollgatePair(TlsConfig clientConfig, TlsConfig serverConfig, int port) {
        long t0 = CpuClock.now();
        client = port > 0 ? TlsEngine.client(clientConfig, BenchPki.HOST, port) : TlsEngine.client(clientConfig, BenchPki.HOST);
        long t1 = CpuClock.now();
        server = TlsEngine.server(serverConfig);
        long t2 = CpuClock.now();
        clientNanos += t1 - t0;
        serverNanos += t2 - t1;
    }

    TollgatePair handshake() throws TlsException {
        long t0 = CpuClock.now();
        client.beginHandshake();
        clientNanos += CpuClock.now() - t0;
        for (int round = 0; round < 50; round++) {
            boolean moved = false;
            if (client.hasPendingOutput()) {
                moved = true;
                long c0 = CpuClock.now();
                client.drainOutput(net);
                long c1 = CpuClock.now();
                net.flip();
                server.receive(net);
                long c2 = CpuClock.now();
                net.clear();
                clientNanos += c1 - c0;
                serverNanos += c2 - c1;
            }
            if (server.hasPendingOutput()) {
                moved = true;
                long s0 = CpuClock.now();
                server.drainOutput(net);
                long s1 = CpuClock.now();
                net.flip();
                client.receive(net);
                long s2 = CpuClock.now();
                net.clear();
                serverNanos += s1 - s0;
                clientNanos += s2 - s1;
            }
            if (!moved) {
                if (!client.isHandshakeComplete() || !server.isHandshakeComplete()) {
                    throw new IllegalStateException("Tollgate handshake stalled");
                }
                return this;
            }
        }
        throw new IllegalStateException("Tollgate handshake did not settle");
    }
}
