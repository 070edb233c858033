package org.tollgate.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tollgate.tls.cert.CertificateVerifier;
import org.tollgate.tls.cert.CertifiedKey;
import org.tollgate.tls.cert.DemoCertificates.KeyType;

/** Client engine against server engine, in memory. */
class TlsEngineTest {

    static Stream<Arguments> everySuiteGroupAndKey() {
        List<Arguments> out = new ArrayList<>();
        for (CipherSuite s : CipherSuite.values()) {
            if (!s.isTls13()) {
                continue; // TLS 1.2 suites: Tls12EngineTest
            }
            for (NamedGroup g : NamedGroup.values()) {
                for (KeyType k : KeyType.values()) {
                    out.add(Arguments.of(s, g, k));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("everySuiteGroupAndKey")
    void handshakeAndDataForEverySuiteGroupAndSignature(CipherSuite suite, NamedGroup group, KeyType keyType) throws Exception {
        TlsConfig client = EnginePair.clientConfig().cipherSuites(List.of(suite)).groups(List.of(group)).build();
        TlsConfig server = EnginePair.serverConfig(EnginePair.localhost(keyType)).build();
        EnginePair p = new EnginePair(client, server, "localhost").handshake();
        assertTrue(p.client.isHandshakeComplete());
        assertTrue(p.server.isHandshakeComplete());
        HandshakeSummary cs = p.client.summary();
        assertEquals(suite, cs.cipherSuite());
        assertEquals(group, cs.group());
        assertEquals(expectedScheme(keyType), cs.signatureScheme());
        assertEquals(cs.cipherSuite(), p.server.summary().cipherSuite());
        assertFalse(cs.helloRetryRequest());
        assertEquals("CN=localhost", cs.peerCertificates().get(0).getSubjectX500Principal().getName());

        exchange(p, 100);
        exchange(p, 70_000);
    }

    private static SignatureScheme expectedScheme(KeyType k) {
        switch (k) {
            case EC_P256: return SignatureScheme.ECDSA_SECP256R1_SHA256;
            case EC_P384: return SignatureScheme.ECDSA_SECP384R1_SHA384;
            case ED25519: return SignatureScheme.ED25519;
            default: return SignatureScheme.RSA_PSS_RSAE_SHA256;
        }
    }

    static void exchange(EnginePair p, int size) throws TlsException {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        p.client.writeApplicationData(ByteBuffer.wrap(data));
        EnginePair.deliver(p.client, p.server);
        assertArrayEquals(data, EnginePair.read(p.server));
        p.server.writeApplicationData(ByteBuffer.wrap(data));
        EnginePair.deliver(p.server, p.client);
        assertArrayEquals(data, EnginePair.read(p.client));
    }

    @Test
    void helloRetryRequestWhenTheKeyShareIsNotTheServersPreferredGroup() throws Exception {
        TlsConfig client = EnginePair.clientConfig().keyShareGroups(List.of(NamedGroup.X25519)).build();
        TlsConfig server = EnginePair.serverConfig(EnginePair.localhost(KeyType.EC_P256))
                .groups(List.of(NamedGroup.SECP384R1, NamedGroup.X25519)).build();
        EnginePair p = new EnginePair(client, server, "localhost").handshake();
        assertTrue(p.client.summary().helloRetryRequest());
        assertTrue(p.server.summary().helloRetryRequest());
        assertEquals(NamedGroup.SECP384R1, p.client.summary().group());
        exchange(p, 1000);
    }

    @Test
    void noHelloRetryWhenTheClientAlreadySentThePreferredShare() throws Exception {
        TlsConfig client = EnginePair.clientConfig().keyShareGroups(List.of(NamedGroup.X25519, NamedGroup.SECP384R1)).build();
        TlsConfig server = EnginePair.serverConfig(EnginePair.localhost(KeyType.EC_P256))
                .groups(List.of(NamedGroup.SECP384R1)).build();
        EnginePair p = new EnginePair(client, server, "localhost").handshake();
        assertFalse(p.client.summary().helloRetryRequest());
        assertEquals(NamedGroup.SECP384R1, p.client.summary().group());
    }

    @Test
    void keyUpdateBothDirectionsWithUpdateRequested() throws Exception {
        EnginePair p = defaultPair().handshake();
        p.client.updateKeys(true);
        EnginePair.deliver(p.client, p.server);
        assertEquals(1, p.server.keyUpdatesReceived());
        assertTrue(p.server.hasPendingOutput(), "server answers update_requested with its own KeyUpdate");
        EnginePair.deliver(p.server, p.client);
        assertEquals(1, p.client.keyUpdatesReceived());
        exchange(p, 5000);
        p.server.updateKeys(false);
        EnginePair.deliver(p.server, p.client);
        assertEquals(2, p.client.keyUpdatesReceived());
        assertFalse(p.client.hasPendingOutput(), "update_not_requested needs no answer");
        exchange(p, 5000);
    }

    @Test
    void keysAreUpdatedAutomaticallyBeforeTheRecordLimit() throws Exception {
        EnginePair p = defaultPair().handshake();
        p.client.keyUpdateLimit = 4;
        for (int i = 0; i < 10; i++) {
            p.client.writeApplicationData(ByteBuffer.wrap(new byte[] {(byte) i}));
        }
        EnginePair.deliver(p.client, p.server);
        assertEquals(2, p.server.keyUpdatesReceived());
        assertEquals(10, EnginePair.read(p.server).length);
    }

    @Test
    void tls13CloseNotifyHalfClosesSoTheServerCanStillAnswer() throws Exception {
        EnginePair p = defaultPair().handshake();
        // One flight: a request and the client's close_notify, as gnutls-cli sends when its stdin ends.
        p.client.writeApplicationData(ByteBuffer.wrap("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
        p.client.closeOutbound();
        EnginePair.deliver(p.client, p.server);
        assertTrue(p.server.isInboundClosed());
        assertEquals("GET / HTTP/1.0\r\n\r\n", new String(EnginePair.read(p.server), StandardCharsets.US_ASCII),
                "data before close_notify is still readable");
        // RFC 8446 §6.1: only the client's direction is closed; nothing was sent back yet.
        assertFalse(p.server.isOutboundClosed());
        assertFalse(p.server.hasPendingOutput());
        p.server.writeApplicationData(ByteBuffer.wrap("HTTP/1.0 200 OK\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
        p.server.closeOutbound();
        EnginePair.deliver(p.server, p.client);
        assertEquals("HTTP/1.0 200 OK\r\n\r\n", new String(EnginePair.read(p.client), StandardCharsets.US_ASCII));
        assertTrue(p.client.isInboundClosed());
        assertNull(p.client.failure());
        assertNull(p.server.failure());
        assertThrows(IllegalStateException.class, () -> p.client.writeApplicationData(ByteBuffer.wrap(new byte[1])));
        assertThrows(IllegalStateException.class, () -> p.server.writeApplicationData(ByteBuffer.wrap(new byte[1])));
    }

    @Test
    void alpnIsNegotiatedByServerPreference() throws Exception {
        TlsConfig client = EnginePair.clientConfig().alpnProtocols(List.of("http/1.1", "h2")).build();
        TlsConfig server = EnginePair.serverConfig(EnginePair.localhost(KeyType.EC_P256)).alpnProtocols(List.of("h2", "http/1.1")).build();
        EnginePair p = new EnginePair(client, server, "localhost").handshake();
        assertEquals("h2", p.client.summary().alpn());
        assertEquals("h2", p.server.summary().alpn());
    }

    @Test
    void noCommonAlpnIsNoApplicationProtocol() {
        TlsConfig client = EnginePair.clientConfig().alpnProtocols(List.of("spdy/3")).build();
        TlsConfig server = EnginePair.serverConfig(EnginePair.localhost(KeyType.EC_P256)).alpnProtocols(List.of("http/1.1")).build();
        EnginePair p = new EnginePair(client, server, "localhost");
        TlsException e = assertThrows(TlsException.class, p::handshake);
        assertEquals(Alert.NO_APPLICATION_PROTOCOL, e.alert());
        assertTrue(e.getMessage().contains("no application protocol in common"), e.getMessage());
        TlsException seen = assertThrows(TlsException.class, () -> EnginePair.deliver(p.server, p.client));
        assertEquals(Alert.NO_APPLICATION_PROTOCOL, seen.alert());
        assertTrue(seen.receivedFromPeer());
    }

    @Test
    void serverNamePicksTheCertificateAndUnknownNamesGetTheDefault() throws Exception {
        CertifiedKey other = EnginePair.issue("example.com", List.of("example.com"), KeyType.EC_P256);
        TlsConfig server = EnginePair.serverConfig(EnginePair.localhost(KeyType.EC_P256)).certificate(other).build();
        EnginePair p = new EnginePair(EnginePair.clientConfig().build(), server, "example.com").handshake();
        assertEquals("CN=example.com", p.client.summary().peerCertificates().get(0).getSubjectX500Principal().getName());
        assertEquals("example.com", p.server.summary().serverName());

        TlsConfig insecure = TlsConfig.builder().verifier(CertificateVerifier.insecure()).build();
        EnginePair q = new EnginePair(insecure, server, "unknown.test").handshake();
        assertEquals("CN=localhost", q.client.summary().peerCertificates().get(0).getSubjectX500Principal().getName());
        assertEquals("unknown.test", q.server.summary().serverName());
    }

    @Test
    void ipLiteralIsNotSentAsServerName() throws Exception {
        EnginePair p = new EnginePair(EnginePair.clientConfig().build(),
                EnginePair.serverConfig(EnginePair.localhost(KeyType.EC_P256)).build(), "127.0.0.1").handshake();
        assertNull(p.server.summary().serverName());
        assertTrue(p.client.isHandshakeComplete());
    }

    @Test
    void wrongHostNameIsBadCertificateWithAClearMessage() {
        EnginePair p = new EnginePair(EnginePair.clientConfig().build(),
                EnginePair.serverConfig(EnginePair.localhost(KeyType.EC_P256)).build(), "example.com");
        TlsException e = assertThrows(TlsException.class, p::handshake);
        assertEquals(Alert.BAD_CERTIFICATE, e.alert());
        assertTrue(e.getMessage().contains("is not valid for example.com"), e.getMessage());
        TlsException atServer = assertThrows(TlsException.class, () -> EnginePair.deliver(p.client, p.server));
        assertEquals(Alert.BAD_CERTIFICATE, atServer.alert());
        assertTrue(atServer.receivedFromPeer());
    }

    @Test
    void untrustedIssuerIsUnknownCa() {
        TlsConfig client = TlsConfig.builder().verifier(CertificateVerifier.trusting(
                List.of(org.tollgate.tls.cert.DemoCertificates.create(java.time.Clock.systemUTC()).ca()))).build();
        EnginePair p = new EnginePair(client, EnginePair.serverConfig(EnginePair.localhost(KeyType.EC_P256)).build(), "localhost");
        TlsException e = assertThrows(TlsException.class, p::handshake);
        assertEquals(Alert.UNKNOWN_CA, e.alert());
        assertTrue(e.getMessage().startsWith("issuer not trusted"), e.getMessage());
    }

    @Test
    void noCommonSuiteOrGroupIsHandshakeFailure() {
        TlsConfig client = EnginePair.clientConfig().cipherSuites(List.of(CipherSuite.TLS_CHACHA20_POLY1305_SHA256)).build();
        TlsConfig server = EnginePair.serverConfig(EnginePair.localhost(KeyType.EC_P256))
                .cipherSuites(List.of(CipherSuite.TLS_AES_128_GCM_SHA256)).build();
        TlsException e = assertThrows(TlsException.class, new EnginePair(client, server, "localhost")::handshake);
        assertEquals(Alert.HANDSHAKE_FAILURE, e.alert());
        assertTrue(e.getMessage().contains("no cipher suite in common"), e.getMessage());

        TlsConfig client2 = EnginePair.clientConfig().groups(List.of(NamedGroup.X25519)).build();
        TlsConfig server2 = EnginePair.serverConfig(EnginePair.localhost(KeyType.EC_P256)).groups(List.of(NamedGroup.SECP256R1)).build();
        TlsException e2 = assertThrows(TlsException.class, new EnginePair(client2, server2, "localhost")::handshake);
        assertEquals(Alert.HANDSHAKE_FAILURE, e2.alert());
        assertTrue(e2.getMessage().contains("no key exchange group in common"), e2.getMessage());
    }

    @Test
    void keyLogHasEverySecretInNssFormat() throws Exception {
        List<String> lines = new ArrayList<>();
        KeyLog log = (label, random, secret) -> lines.add(label + " " + java.util.HexFormat.of().formatHex(random)
                + " " + java.util.HexFormat.of().formatHex(secret));
        EnginePair p = new EnginePair(EnginePair.clientConfig().keyLog(log).build(),
                EnginePair.serverConfig(EnginePair.localhost(KeyType.EC_P256)).build(), "localhost").handshake();
        assertTrue(p.client.isHandshakeComplete());
        List<String> labels = lines.stream().map(l -> l.split(" ")[0]).toList();
        assertEquals(List.of("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET"), labels);
        for (String l : lines) {
            assertTrue(l.matches("[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64}"), l);
        }
    }

    @Test
    void ticketsFromTheServerAreAcceptedButNotRequired() throws Exception {
        EnginePair p = defaultPair().handshake();
        assertEquals(0, p.client.ticketsReceived());
        assertNotNull(p.client.summary());
    }

    @Test
    void bytesArrivingOneAtATimeStillMakeAHandshake() throws Exception {
        EnginePair p = defaultPair();
        p.client.beginHandshake();
        for (int round = 0; round < 10 && !(p.client.isHandshakeComplete() && p.server.isHandshakeComplete()); round++) {
            for (byte b : p.client.drainOutput()) {
                p.server.receive(ByteBuffer.wrap(new byte[] {b}));
            }
            for (byte b : p.server.drainOutput()) {
                p.client.receive(ByteBuffer.wrap(new byte[] {b}));
            }
        }
        assertTrue(p.client.isHandshakeComplete());
        assertTrue(p.server.isHandshakeComplete());
        byte[] msg = "hello".getBytes(StandardCharsets.US_ASCII);
        p.client.writeApplicationData(ByteBuffer.wrap(msg));
        EnginePair.deliver(p.client, p.server);
        assertArrayEquals(msg, EnginePair.read(p.server));
    }

    @Test
    void traceShowsEveryHandshakeMessageInOrder() throws Exception {
        List<String> seen = new ArrayList<>();
        HandshakeTrace trace = new HandshakeTrace() {
            @Override
            public void message(boolean outbound, String name, byte[] encoded, String details) {
                seen.add((outbound ? ">" : "<") + name);
                assertTrue(details != null && !details.startsWith("undecodable"), name + ": " + details);
            }
        };
        EnginePair p = new EnginePair(EnginePair.clientConfig().trace(trace).build(),
                EnginePair.serverConfig(EnginePair.localhost(KeyType.EC_P256)).build(), "localhost").handshake();
        assertTrue(p.client.isHandshakeComplete());
        assertEquals(List.of(">ClientHello", "<ServerHello", "<EncryptedExtensions", "<Certificate",
                "<CertificateVerify", "<Finished", ">Finished"), seen);
    }

    @Test
    void theConfiguredClockDecidesCertificateValidity() {
        // Thirty-one days from now the demo certificate (valid 30 days) has expired.
        java.time.Clock later = java.time.Clock.offset(java.time.Clock.systemUTC(), java.time.Duration.ofDays(31));
        TlsConfig client = EnginePair.clientConfig().clock(later).build();
        EnginePair p = new EnginePair(client, EnginePair.serverConfig(EnginePair.localhost(KeyType.EC_P256)).build(), "localhost");
        TlsException e = assertThrows(TlsException.class, p::handshake);
        assertEquals(Alert.CERTIFICATE_EXPIRED, e.alert());
    }

    static EnginePair defaultPair() {
        return new EnginePair(EnginePair.clientConfig().build(),
                EnginePair.serverConfig(EnginePair.localhost(KeyType.EC_P256)).build(), "localhost");
    }
}
