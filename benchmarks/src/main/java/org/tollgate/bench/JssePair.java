package org.tollgate.bench;

import java.nio.ByteBuffer;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import org.tollgate.tls.cert.DemoCertificates.KeyType;

/**
 * A client and server SSLEngine (SunJSSE, or BouncyCastle's BCJSSE) joined in memory. The two network buffers stay in
 * write mode between calls: one engine wraps into a buffer, the other flips, unwraps and
 * compacts it. Delegated tasks run inline and count for the engine that asked for them.
 */
final class JssePair {
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    private static final int NET = 64 * 1024;

    final SSLEngine client;
    final SSLEngine server;
    final ByteBuffer clientToServer = ByteBuffer.allocate(NET);
    final ByteBuffer serverToClient = ByteBuffer.allocate(NET);
    final ByteBuffer clientApp;
    final ByteBuffer serverApp;
    /** CPU nanoseconds spent inside each side's engine calls (creation included) during {@link #handshake}. */
    long clientNanos;
    long serverNanos;

    JssePair(KeyType type) throws Exception {
        this(BenchPki::jsseClient, () -> BenchPki.jsseServer(type));
    }

    /** A pair of any provider's engines; their creation counts for each side's CPU time. */
    JssePair(Callable<SSLEngine> clientFactory, Callable<SSLEngine> serverFactory) throws Exception {
        long t0 = CpuClock.now();
        client = clientFactory.call();
        long t1 = CpuClock.now();
        server = serverFactory.call();
        long t2 = CpuClock.now();
        clientNanos += t1 - t0;
        serverNanos += t2 - t1;
        clientApp = ByteBuffer.allocate(client.getSession().getApplicationBufferSize() + 1024);
        serverApp = ByteBuffer.allocate(server.getSession().getApplicationBufferSize() + 1024);
    }

    /** Runs a full handshake and delivers everything the engines send after it (the server's NewSessionTicket). */
    JssePair handshake() throws SSLException {
        client.beginHandshake();
        server.beginHandshake();
        for (int round = 0; round < 50; round++) {
            long t0 = CpuClock.now();
            boolean moved = pump(client, serverToClient, clientToServer, clientApp);
            long t1 = CpuClock.now();
            moved |= pump(server, clientToServer, serverToClient, serverApp);
            long t2 = CpuClock.now();
            clientNanos += t1 - t0;
            serverNanos += t2 - t1;
            if (!moved && clientToServer.position() == 0 && serverToClient.position() == 0) {
                if (client.getHandshakeStatus() != SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING
                        || server.getHandshakeStatus() != SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING) {
                    throw new IllegalStateException("JSSE handshake stalled: client " + client.getHandshakeStatus()
                            + ", server " + server.getHandshakeStatus());
                }
                return this;
            }
        }
        throw new IllegalStateException("JSSE handshake did not settle");
    }

    /** Drives one engine as far as it can go; returns true if it consumed or produced anything. */
    private static boolean pump(SSLEngine e, ByteBuffer in, ByteBuffer out, ByteBuffer app) throws SSLException {
        boolean moved = false;
        while (true) {
            SSLEngineResult r;
            switch (e.getHandshakeStatus()) {
                case NEED_TASK:
                    Runnable task;
                    while ((task = e.getDelegatedTask()) != null) {
                        task.run();
                    }
                    moved = true;
                    continue;
                case NEED_WRAP:
                    r = e.wrap(EMPTY, out);
                    if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                        return moved; // the peer must read first
                    }
                    moved |= r.bytesProduced() > 0;
                    if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                        throw new IllegalStateException("engine closed during the handshake");
                    }
                    continue;
                case NEED_UNWRAP:
                    if (in.position() == 0) {
                        return moved;
                    }
                    r = unwrap(e, in, app);
                    if (r.bytesConsumed() == 0) {
                        return moved;
                    }
                    moved = true;
                    continue;
                default: // NOT_HANDSHAKING: post-handshake messages (NewSessionTicket) may still wait
                    if (in.position() == 0) {
                        return moved;
                    }
                    r = unwrap(e, in, app);
                    if (r.bytesConsumed() == 0) {
                        return moved;
                    }
                    moved = true;
                    continue;
            }
        }
    }

    private static SSLEngineResult unwrap(SSLEngine e, ByteBuffer in, ByteBuffer app) throws SSLException {
        in.flip();
        try {
            SSLEngineResult r = e.unwrap(in, app);
            if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                throw new IllegalStateException("engine closed during the handshake");
            }
            return r;
        } finally {
            in.compact();
        }
    }
}
