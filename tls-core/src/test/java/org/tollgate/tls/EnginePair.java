package org.tollgate.tls;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.tollgate.tls.cert.CertificateVerifier;
import org.tollgate.tls.cert.CertifiedKey;
import org.tollgate.tls.cert.DemoCertificates;

/** Test helper: a demo PKI and two engines talking in memory. */
final class EnginePair {
    static final DemoCertificates.Pki PKI = DemoCertificates.create(Clock.systemUTC());
    private static final java.util.Map<DemoCertificates.KeyType, CertifiedKey> LOCALHOST = new java.util.EnumMap<>(DemoCertificates.KeyType.class);

    static synchronized CertifiedKey localhost(DemoCertificates.KeyType type) {
        return LOCALHOST.computeIfAbsent(type, t -> issue("localhost", List.of("localhost", "127.0.0.1"), t));
    }

    static CertifiedKey issue(String cn, List<String> names, DemoCertificates.KeyType type) {
        Instant now = Instant.now();
        return PKI.issue(cn, names, type, now.minus(1, ChronoUnit.DAYS), now.plus(30, ChronoUnit.DAYS), true);
    }

    static TlsConfig.Builder serverConfig(CertifiedKey key) {
        return TlsConfig.builder().certificate(key);
    }

    static TlsConfig.Builder clientConfig() {
        return TlsConfig.builder().verifier(CertificateVerifier.trusting(List.of(PKI.ca())));
    }

    final TlsEngine client;
    final TlsEngine server;

    EnginePair(TlsConfig clientConfig, TlsConfig serverConfig, String host) {
        this.client = TlsEngine.client(clientConfig, host);
        this.server = TlsEngine.server(serverConfig);
    }

    /** Moves bytes both ways until neither side has anything to send. Throws the first failure. */
    EnginePair handshake() throws TlsException {
        client.beginHandshake();
        settle(client, server);
        return this;
    }

    /** Moves bytes between two engines, both ways, until neither has anything to send. Throws the first failure. */
    static void settle(TlsEngine client, TlsEngine server) throws TlsException {
        for (int i = 0; i < 20; i++) {
            boolean moved = false;
            if (client.hasPendingOutput()) {
                deliver(client, server);
                moved = true;
            }
            if (server.hasPendingOutput()) {
                deliver(server, client);
                moved = true;
            }
            if (!moved) {
                return;
            }
        }
        throw new AssertionError("handshake did not settle");
    }

    /** Delivers everything pending on {@code from} to {@code to}. */
    static void deliver(TlsEngine from, TlsEngine to) throws TlsException {
        to.receive(ByteBuffer.wrap(from.drainOutput()));
    }

    static byte[] read(TlsEngine e) {
        ByteBuffer b = ByteBuffer.allocate(e.applicationDataAvailable());
        e.readApplicationData(b);
        return b.array();
    }
}
