package org.tollgate.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.tls.HandshakeSummary.Resumption;
import org.tollgate.tls.Tls12ResumptionTest.Connection;
import org.tollgate.tls.Tls12ResumptionTest.MovableClock;
import org.tollgate.tls.cert.DemoCertificates.KeyType;

/** TLS 1.3 PSK resumption with tickets (RFC 8446 §2.2, §4.2.11, §4.6.1), client engine against server engine in memory. */
class Tls13ResumptionTest {
    private static final List<ProtocolVersion> ONLY_13 = List.of(ProtocolVersion.TLS_1_3);

    final SessionCache clientCache = SessionCache.create(10, Duration.ofHours(24));
    final MovableClock serverClock = new MovableClock();
    final MovableClock clientClock = new MovableClock();
    final java.util.List<String> serverNotes = new java.util.concurrent.CopyOnWriteArrayList<>();
    final TicketKeys keys = TicketKeys.generate(Duration.ofHours(12), serverClock, new SecureRandom());

    TlsConfig.Builder client() {
        return EnginePair.clientConfig().versions(ONLY_13).sessionCache(clientCache).clock(clientClock);
    }

    TlsConfig.Builder server() {
        return EnginePair.serverConfig(EnginePair.localhost(KeyType.EC_P256)).ticketKeys(keys).clock(serverClock)
                .trace(new HandshakeTrace() {
                    @Override
                    public void note(String text) {
                        serverNotes.add(text);
                    }
                });
    }

    static Resumption resumption(Connection c) {
        assertEquals(c.client.summary().resumption(), c.server.summary().resumption(), "both sides agree");
        return c.client.summary().resumption();
    }

    @Test
    void aSecondConnectionResumesWithAPskAndNoCertificate() throws Exception {
        TlsConfig serverConfig = server().build();
        Connection full = new Connection(client(), serverConfig, "localhost", 443);
        assertEquals(Resumption.NONE, resumption(full));
        assertEquals(2, full.client.ticketsReceived(), "two tickets by default, like OpenSSL");
        assertEquals(2, clientCache.ticketCount("localhost:443"));
        full.exchangeData();

        Connection again = new Connection(client(), serverConfig, "localhost", 443);
        assertEquals(Resumption.PSK, resumption(again));
        assertTrue(again.client.summary().resumed());
        assertTrue(again.client.summary().oneLine().endsWith(" resumed=psk"), again.client.summary().oneLine());
        // RFC 8446 §2.2: no Certificate, no CertificateVerify; a fresh ECDHE exchange still happens.
        assertEquals(List.of("ClientHello", "ServerHello", "EncryptedExtensions", "Finished", "Finished",
                "NewSessionTicket", "NewSessionTicket"), again.clientMessages.names);
        assertEquals(NamedGroup.X25519, again.client.summary().group());
        assertEquals(null, again.server.summary().signatureScheme());
        assertEquals(full.client.summary().peerCertificates(), again.client.summary().peerCertificates());
        again.exchangeData();
        // Each ticket is used once on the client (RFC 8446 C.4): one used, one left, two new.
        assertEquals(3, clientCache.ticketCount("localhost:443"));
        assertEquals(Resumption.PSK, resumption(new Connection(client(), serverConfig, "localhost", 443)));
    }

    @Test
    void helloRetryRequestWithAPskRecomputesTheBinder() throws Exception {
        TlsConfig serverConfig = server().groups(List.of(NamedGroup.SECP256R1, NamedGroup.X25519)).build();
        new Connection(client().keyShareGroups(List.of(NamedGroup.SECP256R1)), serverConfig, "localhost", 443);
        // The client now sends only an x25519 share; the server wants secp256r1: HelloRetryRequest, then the PSK again.
        Connection again = new Connection(client().keyShareGroups(List.of(NamedGroup.X25519)), serverConfig, "localhost", 443);
        assertTrue(again.client.summary().helloRetryRequest());
        assertEquals(Resumption.PSK, resumption(again));
        assertEquals(NamedGroup.SECP256R1, again.client.summary().group());
        again.exchangeData();
    }

    @Test
    void aTamperedBinderIsDecryptError() throws Exception {
        TlsConfig serverConfig = server().build();
        new Connection(client(), serverConfig, "localhost", 443);
        TlsEngine c = TlsEngine.client(client().build(), "localhost", 443);
        TlsEngine s = TlsEngine.server(serverConfig);
        c.beginHandshake();
        byte[] hello = c.drainOutput();
        hello[hello.length - 1] ^= 1; // the binder is the last byte of the ClientHello
        TlsException e = assertThrows(TlsException.class, () -> s.receive(ByteBuffer.wrap(hello)));
        assertEquals(Alert.DECRYPT_ERROR, e.alert());
        assertTrue(e.getMessage().contains("binder"), e.getMessage());
        byte[] alert = s.drainOutput();
        assertEquals(Alert.DECRYPT_ERROR.code(), alert[alert.length - 1] & 0xFF); // unencrypted: no keys yet
    }

    @Test
    void anExpiredTicketGetsAFullHandshake() throws Exception {
        TlsConfig serverConfig = server().ticketLifetime(Duration.ofMinutes(30)).build();
        new Connection(client(), serverConfig, "localhost", 443);
        clientClock.now = clientClock.now.plus(Duration.ofMinutes(29)); // the client still thinks it alive
        serverClock.now = serverClock.now.plus(Duration.ofMinutes(31));
        Connection late = new Connection(client(), serverConfig, "localhost", 443);
        assertEquals(Resumption.NONE, resumption(late));
        assertTrue(serverNotes.stream().anyMatch(n -> n.contains("not resumed: it expired")), serverNotes.toString());
        late.exchangeData();
        assertEquals(Resumption.PSK, resumption(new Connection(client(), serverConfig, "localhost", 443)));
    }

    @Test
    void aTicketFromAnUnknownKeyGetsAFullHandshake() throws Exception {
        new Connection(client(), server().build(), "localhost", 443);
        TlsConfig otherServer = server().ticketKeys(TicketKeys.generate()).build();
        Connection other = new Connection(client(), otherServer, "localhost", 443);
        assertEquals(Resumption.NONE, resumption(other));
        assertTrue(serverNotes.stream().anyMatch(n -> n.contains("not resumed: it does not open")), serverNotes.toString());
        other.exchangeData();
    }

    @Test
    void aTicketIsNotResumedForAnotherServerNameOrWithoutTicketKeys() throws Exception {
        TlsConfig serverConfig = server().build();
        new Connection(client(), serverConfig, "localhost", 443);
        // The client files tickets by host:port, so it offers this one only to localhost:443; a server without keys ignores it.
        assertEquals(Resumption.NONE, resumption(new Connection(client(), server().ticketKeys(null).build(), "localhost", 443)));
        assertEquals(Resumption.NONE, resumption(new Connection(client(), serverConfig, "localhost", 444)));
    }

    @Test
    void ticketKeysRotateAndThePreviousKeyStillOpens() throws Exception {
        TlsConfig serverConfig = server().build();
        new Connection(client(), serverConfig, "localhost", 443);
        String first = keys.currentKeyName();
        serverClock.now = serverClock.now.plus(Duration.ofHours(12)); // rotation: a new key seals, the old one opens
        clientClock.now = serverClock.now;
        assertNotEquals(first, keys.currentKeyName());
        serverConfig = server().ticketLifetime(Duration.ofDays(1)).build();
        // The tickets from before were issued with a 2 h lifetime, so they expired; new ones follow.
        assertEquals(Resumption.NONE, resumption(new Connection(client(), serverConfig, "localhost", 443)));
        serverClock.now = serverClock.now.plus(Duration.ofHours(12)); // the key that sealed them is now the previous one
        clientClock.now = serverClock.now;
        assertEquals(Resumption.PSK, resumption(new Connection(client(), serverConfig, "localhost", 443)));
    }

    @Test
    void twoServersSharingAKeyFileResumeEachOthersTickets(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ticket.keys");
        TicketKeys.writeNewKeyFile(file, new SecureRandom());
        TlsConfig a = server().ticketKeys(TicketKeys.load(file)).build();
        TlsConfig b = server().ticketKeys(TicketKeys.load(file)).build();
        assertEquals(Resumption.NONE, resumption(new Connection(client(), a, "localhost", 443)));
        assertEquals(Resumption.PSK, resumption(new Connection(client(), b, "localhost", 443)));
        assertEquals(Resumption.PSK, resumption(new Connection(client(), a, "localhost", 443)));
        assertTrue(Files.readString(file).startsWith("#"));
    }

    @Test
    void withoutAClientCacheNothingIsOffered() throws Exception {
        TlsConfig serverConfig = server().build();
        EnginePair p = new EnginePair(EnginePair.clientConfig().versions(ONLY_13).build(), serverConfig, "localhost").handshake();
        assertEquals(2, p.client.ticketsReceived());
        EnginePair q = new EnginePair(EnginePair.clientConfig().versions(ONLY_13).build(), serverConfig, "localhost").handshake();
        assertFalse(q.client.summary().resumed());
    }
    /** The client's first flight with a ticket, as a ClientHello record that the test may rewrite. */
    private org.tollgate.tls.handshake.ClientHello helloWithTicket(TlsConfig serverConfig) throws Exception {
        new Connection(client(), serverConfig, "localhost", 443);
        TlsEngine c = TlsEngine.client(client().build(), "localhost", 443);
        c.beginHandshake();
        byte[] record = c.drainOutput();
        return org.tollgate.tls.handshake.ClientHello.decode(org.tollgate.tls.wire.WireReader.of(record, 9, record.length - 9, "test"));
    }

    private static TlsException rejected(TlsConfig serverConfig, org.tollgate.tls.handshake.ClientHello hello, Alert alert) {
        byte[] message = hello.encode();
        ByteBuffer record = ByteBuffer.allocate(5 + message.length);
        record.put(new byte[] {22, 3, 1, (byte) (message.length >> 8), (byte) message.length}).put(message).flip();
        TlsEngine s = TlsEngine.server(serverConfig);
        TlsException e = assertThrows(TlsException.class, () -> s.receive(record));
        assertEquals(alert, e.alert(), e.getMessage());
        return e;
    }

    @Test
    void preSharedKeyThatIsNotLastIsIllegalParameter() throws Exception {
        TlsConfig serverConfig = server().build();
        org.tollgate.tls.handshake.ClientHello ch = helloWithTicket(serverConfig);
        List<org.tollgate.tls.handshake.Extension> ext = new java.util.ArrayList<>(ch.extensions());
        ext.add(0, ext.remove(ext.size() - 1)); // pre_shared_key first
        TlsException e = rejected(serverConfig, new org.tollgate.tls.handshake.ClientHello(ch.legacyVersion(), ch.random(),
                ch.legacySessionId(), ch.cipherSuites(), ch.legacyCompressionMethods(), ext), Alert.ILLEGAL_PARAMETER);
        assertTrue(e.getMessage().contains("last"), e.getMessage());
    }

    @Test
    void preSharedKeyWithoutKeyExchangeModesIsMissingExtension() throws Exception {
        TlsConfig serverConfig = server().build();
        org.tollgate.tls.handshake.ClientHello ch = helloWithTicket(serverConfig);
        List<org.tollgate.tls.handshake.Extension> ext = new java.util.ArrayList<>(ch.extensions());
        ext.removeIf(x -> x.type() == org.tollgate.tls.handshake.ExtensionType.PSK_KEY_EXCHANGE_MODES);
        rejected(serverConfig, new org.tollgate.tls.handshake.ClientHello(ch.legacyVersion(), ch.random(),
                ch.legacySessionId(), ch.cipherSuites(), ch.legacyCompressionMethods(), ext), Alert.MISSING_EXTENSION);
    }

    @Test
    void aTruncatedPreSharedKeyIsDecodeError() throws Exception {
        TlsConfig serverConfig = server().build();
        org.tollgate.tls.handshake.ClientHello ch = helloWithTicket(serverConfig);
        List<org.tollgate.tls.handshake.Extension> ext = new java.util.ArrayList<>(ch.extensions());
        org.tollgate.tls.handshake.Extension psk = ext.remove(ext.size() - 1);
        ext.add(new org.tollgate.tls.handshake.Extension(psk.type(), java.util.Arrays.copyOf(psk.data(), psk.data().length - 5)));
        rejected(serverConfig, new org.tollgate.tls.handshake.ClientHello(ch.legacyVersion(), ch.random(),
                ch.legacySessionId(), ch.cipherSuites(), ch.legacyCompressionMethods(), ext), Alert.DECODE_ERROR);
    }
}
