package org.tollgate.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tollgate.tls.ClientAuthTest.Variant;
import org.tollgate.tls.HandshakeSummary.Resumption;
import org.tollgate.tls.Tls12ResumptionTest.MovableClock;
import org.tollgate.tls.cert.CertificateVerifier;
import org.tollgate.tls.cert.CertifiedKey;
import org.tollgate.tls.cert.DemoCertificates;
import org.tollgate.tls.cert.DemoCertificates.KeyType;
import org.tollgate.tls.explain.HandshakeExplainer;

/**
 * Resuming a session whose client authenticated with a certificate (mutual TLS), from a TLS 1.3
 * ticket (PSK) or a TLS 1.2 RFC 5077 ticket: the client identity comes from the ticket, no
 * CertificateRequest is sent, and the server's client-certificate policy still decides.
 * Client engine against server engine in memory.
 */
@Timeout(60)
class ClientAuthResumptionTest {
    final MovableClock serverClock = new MovableClock();
    final MovableClock clientClock = new MovableClock();
    final TicketKeys keys = TicketKeys.generate(Duration.ofDays(3), serverClock, new SecureRandom());
    final SessionCache clientCache = SessionCache.create(10, Duration.ofHours(24));
    final List<String> serverNotes = new CopyOnWriteArrayList<>();

    static Stream<Variant> variants() {
        return Stream.of(Variant.values());
    }

    static Resumption expected(Variant v) {
        return v.tls13() ? Resumption.PSK : Resumption.TICKET;
    }

    TlsConfig.Builder server(Variant v, ClientAuth mode) {
        return v.server(mode).ticketKeys(keys).ticketLifetime(Duration.ofDays(1)).clock(serverClock)
                .trace(new HandshakeTrace() {
                    @Override
                    public void note(String text) {
                        serverNotes.add(text);
                    }
                });
    }

    TlsConfig.Builder client(Variant v, CertifiedKey... keys) {
        return v.client(keys).sessionCache(clientCache).clock(clientClock);
    }

    CertifiedKey clientKey(Duration validFor) {
        Instant now = serverClock.instant();
        return EnginePair.PKI.issue("resuming client", List.of(), KeyType.EC_P256, now.minus(Duration.ofDays(1)),
                now.plus(validFor), false);
    }

    /** A connection that ran its handshake to the end or to the first failure. */
    static final class Connection {
        final TlsEngine client;
        final TlsEngine server;
        final Tls12ResumptionTest.Messages clientMessages = new Tls12ResumptionTest.Messages();
        TlsException failure;

        Connection(TlsConfig.Builder client, TlsConfig server) {
            this.client = TlsEngine.client(client.trace(clientMessages).build(), "localhost", 443);
            this.server = TlsEngine.server(server);
            try {
                this.client.beginHandshake();
                EnginePair.settle(this.client, this.server);
            } catch (TlsException e) {
                failure = e;
            }
        }

        Connection complete() {
            assertEquals(null, failure, "handshake failed");
            assertTrue(client.isHandshakeComplete() && server.isHandshakeComplete());
            return this;
        }

        Resumption resumption() {
            assertEquals(client.summary().resumption(), server.summary().resumption(), "both sides agree");
            return server.summary().resumption();
        }
    }

    Connection connect(TlsConfig.Builder client, TlsConfig server) {
        serverNotes.clear();
        return new Connection(client, server);
    }

    void later(Duration d) {
        serverClock.now = serverClock.now.plus(d);
        clientClock.now = clientClock.now.plus(d);
    }

    @ParameterizedTest
    @MethodSource("variants")
    void needServerResumesAndTheClientIdentityComesFromTheTicket(Variant v) throws Exception {
        CertifiedKey key = clientKey(Duration.ofDays(30));
        TlsConfig server = server(v, ClientAuth.NEED).build();
        Connection full = connect(client(v, key), server).complete();
        assertEquals(Resumption.NONE, full.resumption());
        assertEquals(key.chain(), full.server.summary().peerCertificates());
        assertTrue(full.clientMessages.names.contains("CertificateRequest"), full.clientMessages.names.toString());
        assertTrue(serverNotes.stream().anyMatch(n -> n.contains("with the client's certificate chain")), serverNotes::toString);

        Connection again = connect(client(v, key), server).complete();
        assertEquals(expected(v), again.resumption());
        assertEquals(key.chain(), again.server.summary().peerCertificates(), "the same client chain, from the ticket");
        assertEquals(full.client.summary().peerCertificates(), again.client.summary().peerCertificates());
        // RFC 8446 §4.3.2: no CertificateRequest with a PSK; RFC 5246 §7.3: the abbreviated handshake has none.
        assertFalse(again.clientMessages.names.contains("CertificateRequest"), again.clientMessages.names.toString());
        assertEquals(v.tls13()
                ? List.of("ClientHello", "ServerHello", "EncryptedExtensions", "Finished", "Finished",
                        "NewSessionTicket", "NewSessionTicket")
                : List.of("ClientHello", "ServerHello", "Finished", "Finished"), again.clientMessages.names);
        assertTrue(serverNotes.stream().anyMatch(n -> n.startsWith("client identity from the ticket: ")
                && n.contains("CN=resuming client")), serverNotes::toString);
        exchangeData(again);

        if (v.tls13()) { // tickets issued on a resumed connection carry the identity on
            Connection third = connect(client(v, key), server).complete();
            assertEquals(Resumption.PSK, third.resumption());
            assertEquals(key.chain(), third.server.summary().peerCertificates());
        }
    }

    @ParameterizedTest
    @MethodSource("variants")
    void anExpiredClientCertificateIsNotResumedButAskedForAgain(Variant v) throws Exception {
        CertifiedKey key = clientKey(Duration.ofHours(1));
        TlsConfig server = server(v, ClientAuth.NEED).build();
        connect(client(v, key), server).complete();

        later(Duration.ofHours(2)); // the ticket lives a day, the client certificate expired an hour ago
        Connection again = connect(client(v, key), server);
        assertTrue(serverNotes.stream().anyMatch(n -> n.contains("not resumed") && n.contains("expired at")),
                serverNotes::toString);
        // A full handshake: the server asks for a certificate again and refuses the expired one.
        assertTrue(again.clientMessages.names.contains("CertificateRequest"), again.clientMessages.names.toString());
        assertEquals(Alert.CERTIFICATE_EXPIRED, again.failure.alert(), again.failure.toString());
        assertFalse(again.server.isHandshakeComplete());
    }

    @ParameterizedTest
    @MethodSource("variants")
    void wantServerWithoutAClientCertificateResumesWithoutAnIdentity(Variant v) throws Exception {
        TlsConfig server = server(v, ClientAuth.WANT).build();
        Connection full = connect(client(v), server).complete();
        assertEquals(List.of(), full.server.summary().peerCertificates());
        Connection again = connect(client(v), server).complete();
        assertEquals(expected(v), again.resumption());
        assertEquals(List.of(), again.server.summary().peerCertificates());
        assertTrue(serverNotes.stream().anyMatch(n -> n.startsWith("no client identity")), serverNotes::toString);
    }

    @ParameterizedTest
    @MethodSource("variants")
    void wantServerWithAClientCertificateResumesWithIt(Variant v) throws Exception {
        CertifiedKey key = clientKey(Duration.ofDays(30));
        TlsConfig server = server(v, ClientAuth.WANT).build();
        connect(client(v, key), server).complete();
        Connection again = connect(client(v, key), server).complete();
        assertEquals(expected(v), again.resumption());
        assertEquals(key.chain(), again.server.summary().peerCertificates());
    }

    static Stream<Arguments> variantsAndAnonymousModes() {
        List<Arguments> out = new ArrayList<>();
        for (Variant v : Variant.values()) {
            for (ClientAuth mode : List.of(ClientAuth.NONE, ClientAuth.WANT)) {
                out.add(Arguments.of(v, mode));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} ticket from a {1} server")
    @MethodSource("variantsAndAnonymousModes")
    void needServerDoesNotResumeATicketWithoutAClientIdentity(Variant v, ClientAuth issuer) throws Exception {
        // The same ticket keys: a server whose configuration changed, or two servers sharing a key file.
        CertifiedKey key = clientKey(Duration.ofDays(30));
        connect(client(v), server(v, issuer).build()).complete();
        Connection again = connect(client(v, key), server(v, ClientAuth.NEED).build()).complete();
        assertEquals(Resumption.NONE, again.resumption());
        assertTrue(serverNotes.stream().anyMatch(n -> n.contains("had no client certificate")), serverNotes::toString);
        assertTrue(again.clientMessages.names.contains("CertificateRequest"));
        assertEquals(key.chain(), again.server.summary().peerCertificates(), "checked in the full handshake");
    }

    @ParameterizedTest
    @MethodSource("variants")
    void aServerThatNoLongerTrustsTheClientCaDoesNotResume(Variant v) throws Exception {
        CertifiedKey key = clientKey(Duration.ofDays(30));
        connect(client(v, key), server(v, ClientAuth.NEED).build()).complete();
        DemoCertificates.Pki other = DemoCertificates.create(Clock.systemUTC());
        TlsConfig distrusting = server(v, ClientAuth.NEED)
                .clientVerifier(CertificateVerifier.trusting(List.of(other.ca()))).build();
        Connection again = connect(client(v, key), distrusting);
        assertTrue(serverNotes.stream().anyMatch(n -> n.contains("no longer verifies: issuer not trusted")), serverNotes::toString);
        assertEquals(Alert.UNKNOWN_CA, again.failure.alert(), again.failure.toString());
    }

    @ParameterizedTest
    @MethodSource("variants")
    void aServerThatStoppedAskingResumesWithoutTheIdentity(Variant v) throws Exception {
        CertifiedKey key = clientKey(Duration.ofDays(30));
        connect(client(v, key), server(v, ClientAuth.NEED).build()).complete();
        Connection again = connect(client(v, key), server(v, ClientAuth.NONE).build()).complete();
        assertEquals(expected(v), again.resumption());
        assertEquals(List.of(), again.server.summary().peerCertificates());
    }

    @ParameterizedTest
    @MethodSource("variants")
    void aClientChainTooLongForATicketGetsNoTicketButItsConnection(Variant v) throws Exception {
        // 600 subjectAltNames make a client certificate of about 10 KiB, above the 8 KiB ticket cap.
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            names.add("client-" + i + ".example");
        }
        Instant now = serverClock.instant();
        CertifiedKey big = EnginePair.PKI.issue("big client", names, KeyType.EC_P256, now.minus(Duration.ofDays(1)),
                now.plus(Duration.ofDays(30)), false);
        assertTrue(big.leaf().getEncoded().length > 8 * 1024);
        TlsConfig server = server(v, ClientAuth.NEED).build();
        Connection full = connect(client(v, big), server).complete();
        assertEquals(big.chain(), full.server.summary().peerCertificates());
        assertTrue(serverNotes.stream().anyMatch(n -> n.contains("the ticket would exceed 8192 bytes")), serverNotes::toString);
        assertEquals(0, full.client.ticketsReceived());
        exchangeData(full);
        Connection again = connect(client(v, big), server).complete();
        assertEquals(Resumption.NONE, again.resumption());
        assertEquals(big.chain(), again.server.summary().peerCertificates());
    }

    @ParameterizedTest
    @MethodSource("variants")
    void aTicketFromAnotherKeyFallsBackToAFullHandshakeThatAsksAgain(Variant v) throws Exception {
        // A ticket sealed with keys this server does not have: not resumed, the certificate is asked for.
        CertifiedKey key = clientKey(Duration.ofDays(30));
        connect(client(v, key), server(v, ClientAuth.NEED).build()).complete();
        TlsConfig otherKeys = server(v, ClientAuth.NEED).ticketKeys(TicketKeys.generate()).build();
        Connection again = connect(client(v, key), otherKeys).complete();
        assertEquals(Resumption.NONE, again.resumption());
        assertTrue(again.clientMessages.names.contains("CertificateRequest"), again.clientMessages.names.toString());
        assertEquals(key.chain(), again.server.summary().peerCertificates());
    }

    @ParameterizedTest
    @MethodSource("variants")
    void theExplainerSaysTheClientIdentityCameFromTheTicket(Variant v) throws Exception {
        CertifiedKey key = clientKey(Duration.ofDays(30));
        TlsConfig plain = server(v, ClientAuth.NEED).build();
        connect(client(v, key), plain).complete();
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        HandshakeExplainer explainer = new HandshakeExplainer(new PrintStream(text, true, StandardCharsets.UTF_8));
        Connection again = connect(client(v, key), HandshakeExplainer.wire(plain, explainer)).complete();
        assertEquals(expected(v), again.resumption());
        String explained = text.toString(StandardCharsets.UTF_8);
        assertTrue(explained.contains("engine: client identity from the ticket: CN=resuming client"), explained);
        assertFalse(explained.contains("sent CertificateRequest"), explained);
    }

    private static void exchangeData(Connection c) throws TlsException {
        c.client.writeApplicationData(ByteBuffer.wrap(new byte[] {'h', 'i'}));
        EnginePair.deliver(c.client, c.server);
        assertEquals("hi", new String(EnginePair.read(c.server), StandardCharsets.US_ASCII));
    }
}
