package org.tollgate.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tollgate.tls.cert.CertifiedKey;
import org.tollgate.tls.cert.DemoCertificates.KeyType;
import org.tollgate.tls.crypto.TlsCrypto;
import org.tollgate.tls.handshake.Tls12KeySchedule;
import org.tollgate.tls.record.ContentType;
import org.tollgate.tls.record.Tls12RecordCipher;

/** TLS 1.2 session-id resumption (RFC 5246 §7.3), client engine against server engine in memory. */
class Tls12ResumptionTest {
    private static final List<ProtocolVersion> ONLY_12 = List.of(ProtocolVersion.TLS_1_2);
    private static final CertifiedKey TWO_NAMES = EnginePair.issue("localhost", List.of("localhost", "other.test"),
            KeyType.RSA_2048);

    /** A clock the test moves by hand. */
    static final class MovableClock extends Clock {
        Instant now = Instant.now();

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /** Handshake message names each side sent or received, in order. */
    static final class Messages implements HandshakeTrace {
        final List<String> names = new ArrayList<>();

        @Override
        public void message(boolean outbound, String name, byte[] encoded, String details) {
            names.add(name);
        }
    }

    final SessionCache clientCache = SessionCache.create(10, Duration.ofHours(1));
    final SessionCache serverCache = SessionCache.create(10, Duration.ofHours(1));
    final MovableClock serverClock = new MovableClock();

    TlsConfig.Builder client() {
        return EnginePair.clientConfig().versions(ONLY_12).sessionCache(clientCache);
    }

    TlsConfig.Builder server() {
        return EnginePair.serverConfig(TWO_NAMES).sessionCache(serverCache).clock(serverClock);
    }

    static final class Connection {
        final TlsEngine client;
        final TlsEngine server;
        final Messages clientMessages = new Messages();

        Connection(TlsConfig.Builder client, TlsConfig server, String host, int port) throws TlsException {
            this.client = TlsEngine.client(client.trace(clientMessages).build(), host, port);
            this.server = TlsEngine.server(server);
            this.client.beginHandshake();
            EnginePair.settle(this.client, this.server);
            assertTrue(this.client.isHandshakeComplete() && this.server.isHandshakeComplete());
        }

        boolean resumed() {
            assertEquals(client.summary().resumed(), server.summary().resumed(), "both sides agree on resumption");
            return client.summary().resumed();
        }

        void exchangeData() throws TlsException {
            client.writeApplicationData(ByteBuffer.wrap("ping".getBytes(StandardCharsets.US_ASCII)));
            EnginePair.deliver(client, server);
            assertEquals("ping", new String(EnginePair.read(server), StandardCharsets.US_ASCII));
            server.writeApplicationData(ByteBuffer.wrap("pong".getBytes(StandardCharsets.US_ASCII)));
            EnginePair.deliver(server, client);
            assertEquals("pong", new String(EnginePair.read(client), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void aSecondConnectionResumesWithTheAbbreviatedHandshake() throws Exception {
        TlsConfig serverConfig = server().build();
        Connection full = new Connection(client(), serverConfig, "localhost", 443);
        assertFalse(full.resumed());
        assertEquals(1, serverCache.size());
        assertEquals(1, clientCache.size());
        full.exchangeData();

        Connection again = new Connection(client(), serverConfig, "localhost", 443);
        assertTrue(again.resumed());
        assertEquals(full.client.summary().cipherSuite(), again.client.summary().cipherSuite());
        assertEquals("localhost", again.server.summary().serverName());
        assertEquals(full.client.summary().peerCertificates(), again.client.summary().peerCertificates());
        assertTrue(again.client.summary().oneLine().contains("resumed"), again.client.summary().oneLine());
        // RFC 5246 §7.3: ClientHello, ServerHello, Finished, Finished; no Certificate, no key exchange.
        assertEquals(List.of("ClientHello", "ServerHello", "Finished", "Finished"), again.clientMessages.names);
        assertTrue(full.clientMessages.names.contains("Certificate"));
        assertTrue(full.clientMessages.names.size() > again.clientMessages.names.size());
        again.exchangeData();

        // A third connection resumes the same session once more.
        assertTrue(new Connection(client(), serverConfig, "localhost", 443).resumed());
    }

    @Test
    void withoutACacheOrWithoutAPortNothingIsResumedAndTheSessionIdIsEmpty() throws Exception {
        TlsConfig plainServer = EnginePair.serverConfig(TWO_NAMES).build();
        new Connection(client(), plainServer, "localhost", 443);
        assertEquals(0, clientCache.size(), "a server without a cache issues no session id");

        TlsConfig serverConfig = server().build();
        EnginePair p = new EnginePair(client().build(), serverConfig, "localhost").handshake();
        assertEquals(1, serverCache.size());
        assertEquals(0, clientCache.size(), "the old client(config, host) has no cache key");
        assertFalse(new EnginePair(client().build(), serverConfig, "localhost").handshake().client.summary().resumed());
        assertFalse(p.client.summary().resumed());
    }

    @Test
    void aSessionIsNotResumedForAnotherServerName() throws Exception {
        TlsConfig serverConfig = server().build();
        new Connection(client(), serverConfig, "localhost", 443);
        SessionCache.Session s = clientCache.get("localhost:443", Instant.now());
        assertNotNull(s);
        // A client that offers the localhost session under another name (RFC 6066 §3: MUST NOT resume).
        clientCache.put("other.test:443", new SessionCache.Session(s.id(), s.masterSecret(), s.cipherSuite(), s.version(),
                true, "other.test", null, s.peerCertificates(), s.created()));
        Connection other = new Connection(client(), serverConfig, "other.test", 443);
        assertFalse(other.resumed());
        assertEquals("other.test", other.server.summary().serverName());
        other.exchangeData();
        // And the client never offers a session cached for one name to another.
        assertFalse(new Connection(client(), serverConfig, "localhost", 444).resumed());
    }

    @Test
    void anExpiredSessionGetsAFullHandshake() throws Exception {
        TlsConfig serverConfig = server().build();
        new Connection(client(), serverConfig, "localhost", 443);
        serverClock.now = serverClock.now.plus(Duration.ofMinutes(59));
        assertTrue(new Connection(client(), serverConfig, "localhost", 443).resumed());
        serverClock.now = serverClock.now.plus(Duration.ofMinutes(2)); // 61 minutes after the full handshake
        Connection late = new Connection(client(), serverConfig, "localhost", 443);
        assertFalse(late.resumed());
        late.exchangeData();
        // The new full handshake made a new session, which resumes again.
        assertTrue(new Connection(client(), serverConfig, "localhost", 443).resumed());
    }

    @Test
    void theLeastRecentlyUsedSessionIsEvicted() throws Exception {
        TlsConfig serverConfig = server().sessionCache(2, Duration.ofHours(1)).build();
        new Connection(client(), serverConfig, "localhost", 1);
        new Connection(client(), serverConfig, "localhost", 2);
        assertTrue(new Connection(client(), serverConfig, "localhost", 1).resumed()); // 1 is now the most recent
        new Connection(client(), serverConfig, "localhost", 3); // evicts 2
        assertEquals(2, serverConfig.sessionCache().size());
        assertFalse(new Connection(client(), serverConfig, "localhost", 2).resumed()); // its new session evicts 1
        assertTrue(new Connection(client(), serverConfig, "localhost", 3).resumed());
        assertFalse(new Connection(client(), serverConfig, "localhost", 1).resumed());
    }

    @Test
    void aSessionWithoutExtendedMasterSecretIsNeverResumed() throws Exception {
        TlsConfig serverConfig = server().build();
        Connection noEms = new Connection(client().extendedMasterSecret(false), serverConfig, "localhost", 443);
        assertFalse(noEms.client.summary().extendedMasterSecret());
        assertEquals(0, serverCache.size(), "RFC 7627 5.3: no session id for a session without EMS");
        assertEquals(0, clientCache.size());
        assertFalse(new Connection(client().extendedMasterSecret(false), serverConfig, "localhost", 443).resumed());

        // A session made with EMS is not resumed by a ClientHello without it.
        new Connection(client(), serverConfig, "localhost", 443);
        SessionCache.Session s = clientCache.get("localhost:443", Instant.now());
        SessionCache other = SessionCache.create(1, Duration.ofHours(1));
        other.put("localhost:443", s);
        Connection without = new Connection(client().extendedMasterSecret(false).sessionCache(other), serverConfig,
                "localhost", 443);
        assertFalse(without.resumed());
        assertTrue(without.clientMessages.names.contains("Certificate"));
        assertFalse(without.client.summary().extendedMasterSecret());
    }

    @Test
    void aSessionIsNotResumedWhenItsSuiteIsNoLongerOffered() throws Exception {
        TlsConfig serverConfig = server().build();
        new Connection(client().cipherSuites(List.of(CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)), serverConfig,
                "localhost", 443);
        Connection other = new Connection(client().cipherSuites(List.of(CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)),
                serverConfig, "localhost", 443);
        assertFalse(other.resumed());
        assertEquals(CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, other.server.summary().cipherSuite());
        // A server that no longer allows the suite does not resume it either.
        TlsConfig narrower = server().cipherSuites(List.of(CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256)).build();
        assertFalse(new Connection(client(), narrower, "localhost", 443).resumed());
    }

    @Test
    void aTamperedServerFinishedInAResumedHandshakeIsBadRecordMac() throws Exception {
        TlsConfig serverConfig = server().build();
        new Connection(client(), serverConfig, "localhost", 443);
        TlsEngine client = TlsEngine.client(client().build(), "localhost", 443);
        TlsEngine server = TlsEngine.server(serverConfig);
        client.beginHandshake();
        EnginePair.deliver(client, server);
        List<byte[]> flight = Tls12EngineTest.records(server.drainOutput()); // ServerHello, CCS, Finished
        assertEquals(3, flight.size());
        byte[] finished = flight.get(2);
        finished[finished.length - 1] ^= 1;
        TlsException e = assertThrows(TlsException.class, () -> client.receive(ByteBuffer.wrap(Tls12EngineTest.join(flight))));
        assertEquals(Alert.BAD_RECORD_MAC, e.alert());
        assertFalse(client.isHandshakeComplete());
    }

    @Test
    void aResumedClientFinishedWithTheWrongVerifyDataIsDecryptError() throws Exception {
        TlsConfig serverConfig = server().build();
        new Connection(client(), serverConfig, "localhost", 443);
        byte[] master = clientCache.get("localhost:443", Instant.now()).masterSecret();
        byte[][] clientRandom = new byte[1][];
        TlsEngine client = TlsEngine.client(client().keyLog((label, random, secret) -> clientRandom[0] = random).build(),
                "localhost", 443);
        TlsEngine server = TlsEngine.server(serverConfig);
        client.beginHandshake();
        EnginePair.deliver(client, server);
        byte[] serverFlight = server.drainOutput();
        byte[] serverRandom = Arrays.copyOfRange(serverFlight, 5 + 4 + 2, 5 + 4 + 2 + 32);
        client.receive(ByteBuffer.wrap(serverFlight));
        assertTrue(client.isHandshakeComplete());
        List<byte[]> clientFlight = Tls12EngineTest.records(client.drainOutput()); // CCS, Finished
        assertEquals(2, clientFlight.size());

        CipherSuite suite = client.summary().cipherSuite();
        Tls12KeySchedule.KeyBlock kb = new Tls12KeySchedule(suite).keyBlock(master, clientRandom[0], serverRandom);
        Tls12RecordCipher writer = Tls12RecordCipher.of(TlsCrypto.defaultCrypto(), suite, kb.clientWriteKey(), kb.clientWriteIv());
        byte[] wrong = HexFormat.of().parseHex("1400000c" + "00".repeat(12));
        TlsException e = assertThrows(TlsException.class, () -> server.receive(ByteBuffer.wrap(
                Tls12EngineTest.join(List.of(clientFlight.get(0), writer.seal(ContentType.HANDSHAKE, wrong))))));
        assertEquals(Alert.DECRYPT_ERROR, e.alert());
        assertTrue(e.getMessage().contains("client Finished does not match"), e.getMessage());
        assertFalse(server.isHandshakeComplete());
        // The genuine Finished, sealed with the same keys, would have been accepted: the keys above are the real ones.
        assertArrayEquals(kb.clientWriteKey(), new Tls12KeySchedule(suite).keyBlock(master, clientRandom[0], serverRandom)
                .clientWriteKey());
    }

    @Test
    void cacheSettingsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> SessionCache.create(0, Duration.ofHours(1)));
        assertThrows(IllegalArgumentException.class, () -> SessionCache.create(10, Duration.ofHours(25)));
        assertThrows(IllegalArgumentException.class, () -> SessionCache.create(10, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> TlsEngine.client(client().build(), "localhost", 0));
    }
}
