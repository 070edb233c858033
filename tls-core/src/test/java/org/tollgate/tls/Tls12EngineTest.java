package org.tollgate.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tollgate.tls.cert.DemoCertificates.KeyType;
import org.tollgate.tls.crypto.TlsCrypto;
import org.tollgate.tls.handshake.Tls12KeySchedule;
import org.tollgate.tls.record.ContentType;
import org.tollgate.tls.record.Tls12RecordCipher;

/** TLS 1.2 (RFC 5246), client engine against server engine in memory. */
class Tls12EngineTest {
    private static final List<ProtocolVersion> ONLY_12 = List.of(ProtocolVersion.TLS_1_2);
    private static final HexFormat HEX = HexFormat.of();

    static TlsConfig.Builder client12() {
        return EnginePair.clientConfig().versions(ONLY_12).rsaKeyExchange(true);
    }

    static TlsConfig.Builder server(KeyType type) {
        return EnginePair.serverConfig(EnginePair.localhost(type)).rsaKeyExchange(true);
    }

    static Stream<Arguments> everySuiteAndGroup() {
        List<Arguments> out = new ArrayList<>();
        for (CipherSuite s : CipherSuite.values()) {
            if (s.isTls13()) {
                continue;
            }
            boolean ecdsa = s.authentication() == CipherSuite.Authentication.ECDSA;
            if (s.keyExchange() == CipherSuite.KeyExchange.RSA) {
                out.add(Arguments.of(s, null, KeyType.RSA_2048));
            } else {
                for (NamedGroup g : NamedGroup.values()) {
                    // RFC 8422: the ECDSA certificate's curve must be among the client's groups.
                    out.add(Arguments.of(s, g, !ecdsa ? KeyType.RSA_2048 : g == NamedGroup.SECP384R1 ? KeyType.EC_P384 : KeyType.EC_P256));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("everySuiteAndGroup")
    void everySuiteKeyExchangeAndCertificate(CipherSuite suite, NamedGroup group, KeyType key) throws Exception {
        TlsConfig.Builder c = client12().cipherSuites(List.of(suite));
        if (group == NamedGroup.X25519 && key == KeyType.EC_P256) {
            c.groups(List.of(group, NamedGroup.SECP256R1)); // the certificate's curve too; x25519 is preferred
        } else if (group != null) {
            c.groups(List.of(group));
        }
        EnginePair p = new EnginePair(c.build(), server(key).build(), "localhost").handshake();
        for (TlsEngine e : List.of(p.client, p.server)) {
            HandshakeSummary s = e.summary();
            assertEquals(ProtocolVersion.TLS_1_2, s.version());
            assertEquals(suite, s.cipherSuite());
            assertEquals(group, s.group());
            assertTrue(s.extendedMasterSecret());
            assertEquals(group == null ? null : key == KeyType.EC_P256 ? SignatureScheme.ECDSA_SECP256R1_SHA256
                    : key == KeyType.EC_P384 ? SignatureScheme.ECDSA_SECP384R1_SHA384 : SignatureScheme.RSA_PSS_RSAE_SHA256,
                    s.signatureScheme());
            assertTrue(s.oneLine().startsWith("TLSv1.2 " + suite.ianaName()), s.oneLine());
        }
        assertEquals("CN=localhost", p.client.summary().peerCertificates().get(0).getSubjectX500Principal().getName());
        TlsEngineTest.exchange(p, 100);
        TlsEngineTest.exchange(p, 70_000);
        p.client.closeOutbound();
        EnginePair.deliver(p.client, p.server);
        assertTrue(p.server.isInboundClosed());
    }

    @Test
    void tls12CloseNotifyIsAnsweredAtOnceAndTheDataBeforeItIsKept() throws Exception {
        EnginePair p = new EnginePair(client12().build(), server(KeyType.EC_P256).build(), "localhost").handshake();
        p.client.writeApplicationData(ByteBuffer.wrap("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
        p.client.closeOutbound();
        EnginePair.deliver(p.client, p.server);
        assertTrue(p.server.isInboundClosed());
        assertEquals("GET / HTTP/1.0\r\n\r\n", new String(EnginePair.read(p.server), StandardCharsets.US_ASCII));
        // RFC 5246 §7.2.1: the answer is our close_notify, at once; nothing more can be written.
        assertTrue(p.server.isOutboundClosed());
        assertThrows(IllegalStateException.class, () -> p.server.writeApplicationData(ByteBuffer.wrap(new byte[1])));
        EnginePair.deliver(p.server, p.client);
        assertTrue(p.client.isInboundClosed());
        assertNull(p.client.failure());
        assertNull(p.server.failure());
    }

    @Test
    void versionNegotiationPicksTheHighestCommonVersion() throws Exception {
        TlsConfig both = server(KeyType.EC_P256).build();
        assertEquals(List.of(ProtocolVersion.TLS_1_3, ProtocolVersion.TLS_1_2), both.versions());
        assertEquals(ProtocolVersion.TLS_1_3, new EnginePair(EnginePair.clientConfig().build(), both, "localhost")
                .handshake().server.summary().version());
        assertEquals(ProtocolVersion.TLS_1_2, new EnginePair(client12().build(), both, "localhost")
                .handshake().server.summary().version());
        // A default (1.3 and 1.2) client against a TLS 1.2-only server: 1.2, and no sentinel in the random.
        TlsConfig only12 = server(KeyType.EC_P256).versions(ONLY_12).build();
        EnginePair p = new EnginePair(EnginePair.clientConfig().build(), only12, "localhost").handshake();
        assertEquals(ProtocolVersion.TLS_1_2, p.client.summary().version());
        TlsEngineTest.exchange(p, 1000);
    }

    @Test
    void theServerPicksByItsOwnPreferenceUnlessToldToHonourTheClients() throws Exception {
        List<CipherSuite> clientOrder = List.of(CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
                CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384);
        List<CipherSuite> serverOrder = List.of(CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256);
        TlsConfig c = client12().cipherSuites(clientOrder).build();
        assertEquals(serverOrder.get(0), new EnginePair(c, server(KeyType.RSA_2048).cipherSuites(serverOrder).build(),
                "localhost").handshake().server.summary().cipherSuite());
        assertEquals(clientOrder.get(0), new EnginePair(c, server(KeyType.RSA_2048).cipherSuites(serverOrder)
                .preferClientCipherOrder(true).build(), "localhost").handshake().server.summary().cipherSuite());
    }

    @Test
    void rsaKeyExchangeIsOffByDefaultAndCanBeTurnedOn() throws Exception {
        TlsConfig plain = TlsConfig.builder().build();
        assertFalse(plain.rsaKeyExchange());
        assertTrue(plain.cipherSuites().stream().noneMatch(s -> s.keyExchange() == CipherSuite.KeyExchange.RSA));
        assertTrue(TlsConfig.builder().rsaKeyExchange(true).build().rsaKeyExchange());
        assertFalse(TlsConfig.builder().cipherSuites(List.of(CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256,
                CipherSuite.TLS_AES_128_GCM_SHA256)).rsaKeyExchange(false).build().rsaKeyExchange());
        // A client that offers only RSA key exchange, against a server that has it off.
        TlsConfig rsaOnly = client12().cipherSuites(List.of(CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256)).build();
        TlsException e = assertThrows(TlsException.class, new EnginePair(rsaOnly,
                EnginePair.serverConfig(EnginePair.localhost(KeyType.RSA_2048)).build(), "localhost")::handshake);
        assertEquals(Alert.HANDSHAKE_FAILURE, e.alert());
        assertThrows(IllegalArgumentException.class, () -> TlsConfig.builder().versions(List.of(ProtocolVersion.TLS_1_1)));
    }

    @Test
    void withoutExtendedMasterSecretAFullHandshakeStillWorksAndSaysSo() throws Exception {
        for (boolean clientOffers : new boolean[] {false, true}) {
            EnginePair p = new EnginePair(client12().extendedMasterSecret(clientOffers).build(),
                    server(KeyType.RSA_2048).extendedMasterSecret(!clientOffers).build(), "localhost").handshake();
            for (TlsEngine e : List.of(p.client, p.server)) {
                assertFalse(e.summary().extendedMasterSecret());
                assertTrue(e.summary().oneLine().contains(" no-ems "), e.summary().oneLine());
            }
            TlsEngineTest.exchange(p, 500);
        }
    }

    @Test
    void anEcdsaCertificateOnACurveTheClientDoesNotSupportIsNotUsed() {
        TlsConfig c = client12().groups(List.of(NamedGroup.X25519))
                .cipherSuites(List.of(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)).build();
        TlsException e = assertThrows(TlsException.class, new EnginePair(c, server(KeyType.EC_P256).build(), "localhost")::handshake);
        assertEquals(Alert.HANDSHAKE_FAILURE, e.alert());
        assertTrue(e.getMessage().contains("on a curve it supports"), e.getMessage());
    }

    @Test
    void keyLogHasTheMasterSecretUnderClientRandom() throws Exception {
        List<String> lines = new ArrayList<>();
        KeyLog log = (label, random, secret) -> lines.add(label + " " + HEX.formatHex(random) + " " + HEX.formatHex(secret));
        new EnginePair(client12().keyLog(log).build(), server(KeyType.RSA_2048).keyLog(log).build(), "localhost").handshake();
        assertEquals(2, lines.size());
        assertEquals(lines.get(0), lines.get(1), "both sides derive the same master secret");
        assertTrue(lines.get(0).matches("CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}"), lines.get(0));
    }

    @Test
    void alpnAndServerNameWorkInTls12() throws Exception {
        EnginePair p = new EnginePair(client12().alpnProtocols(List.of("h2", "http/1.1")).build(),
                server(KeyType.EC_P256).alpnProtocols(List.of("http/1.1")).build(), "localhost").handshake();
        assertEquals("http/1.1", p.client.summary().alpn());
        assertEquals("localhost", p.server.summary().serverName());
    }

    @Test
    void theTls13ClientSeesTheDowngradeSentinel() throws Exception {
        // An attacker strips TLS 1.3 from the ClientHello: the server answers TLS 1.2 with the
        // RFC 8446 4.1.3 sentinel in its random, and the real client refuses.
        TlsEngine victim = TlsEngine.client(EnginePair.clientConfig().build(), "localhost");
        victim.beginHandshake();
        victim.drainOutput();
        TlsEngine stripped = TlsEngine.client(client12().build(), "localhost");
        stripped.beginHandshake();
        TlsEngine server = TlsEngine.server(server(KeyType.EC_P256).build());
        server.receive(ByteBuffer.wrap(stripped.drainOutput()));
        byte[] flight = server.drainOutput();
        assertEquals("444f574e47524401", HEX.formatHex(flight, 5 + 4 + 2 + 24, 5 + 4 + 2 + 32), "DOWNGRD\\x01");
        TlsException e = assertThrows(TlsException.class, () -> victim.receive(ByteBuffer.wrap(flight)));
        assertEquals(Alert.ILLEGAL_PARAMETER, e.alert());
        assertTrue(e.getMessage().contains("downgrade"), e.getMessage());
        // The 1.2-only client is not fooled either way: it never offered 1.3, so it proceeds.
        stripped.receive(ByteBuffer.wrap(flight));
    }

    // ------------------------------------------------------------------ ClientHellos built by hand

    /** A TLS 1.2-style ClientHello record: legacy_version, suites, and raw extension bytes (null: none at all). */
    static byte[] clientHello(int version, int[] suites, String extensionsHex) {
        StringBuilder body = new StringBuilder(String.format("%04x", version)).append("11".repeat(32)).append("00");
        body.append(String.format("%04x", suites.length * 2));
        for (int s : suites) {
            body.append(String.format("%04x", s));
        }
        body.append("0100");
        if (extensionsHex != null) {
            body.append(String.format("%04x", extensionsHex.length() / 2)).append(extensionsHex);
        }
        String hs = "01" + String.format("%06x", body.length() / 2) + body;
        return HEX.parseHex("160301" + String.format("%04x", hs.length() / 2) + hs);
    }

    static TlsException rejects(TlsConfig config, byte[] clientHello, Alert alert) {
        TlsEngine s = TlsEngine.server(config);
        TlsException e = assertThrows(TlsException.class, () -> s.receive(ByteBuffer.wrap(clientHello)));
        assertEquals(alert, e.alert(), e.getMessage());
        assertArrayEquals(new byte[] {21, 3, 3, 0, 2, 2, (byte) alert.code()}, s.drainOutput());
        return e;
    }

    @Test
    void olderVersionsGetProtocolVersion() {
        for (int v : new int[] {0x0300, 0x0301, 0x0302}) {
            TlsException e = rejects(server(KeyType.RSA_2048).build(), clientHello(v, new int[] {0xC02F, 0x009C}, null),
                    Alert.PROTOCOL_VERSION);
            assertTrue(e.getMessage().contains("this server speaks TLS 1.3 and TLS 1.2"), e.getMessage());
        }
        // supported_versions with only 1.1 and 1.0
        rejects(server(KeyType.RSA_2048).build(), clientHello(0x0303, new int[] {0xC02F}, "002b0005" + "0403020301"),
                Alert.PROTOCOL_VERSION);
    }

    @Test
    void aCbcOnlyClientGetsHandshakeFailureSayingWhy() {
        // TLS_RSA_WITH_AES_128_CBC_SHA, TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
        TlsException e = rejects(server(KeyType.RSA_2048).build(), clientHello(0x0303, new int[] {0x002F, 0xC013}, null),
                Alert.HANDSHAKE_FAILURE);
        assertTrue(e.getMessage().contains("CBC"), e.getMessage());
    }

    @Test
    void fallbackScsvBelowTheServersHighestVersionIsInappropriateFallback() throws Exception {
        byte[] fallback = clientHello(0x0303, new int[] {0x009C, 0x5600}, null);
        TlsException e = rejects(server(KeyType.RSA_2048).build(), fallback, Alert.INAPPROPRIATE_FALLBACK);
        assertTrue(e.getMessage().contains("TLS_FALLBACK_SCSV"), e.getMessage());
        // A server whose highest version is 1.2 accepts the same ClientHello (RFC 7507 §3).
        TlsEngine s = TlsEngine.server(server(KeyType.RSA_2048).versions(ONLY_12).build());
        s.receive(ByteBuffer.wrap(fallback));
        assertTrue(s.hasPendingOutput());
    }

    @Test
    void aClientHelloWithoutAnyExtensionsIsServedWithRsaKeyExchange() throws Exception {
        TlsEngine s = TlsEngine.server(server(KeyType.RSA_2048).build());
        s.receive(ByteBuffer.wrap(clientHello(0x0303, new int[] {0xC02F, 0x009C}, null)));
        byte[] flight = s.drainOutput();
        // ServerHello: record header, handshake header, version, random(32), session id, suite
        assertEquals("009c", HEX.formatHex(flight, 5 + 4 + 2 + 32 + 1, 5 + 4 + 2 + 32 + 3));
        // ... and without RSA key exchange it cannot be served (no signature_algorithms: SHA-1 only).
        TlsException e = rejects(EnginePair.serverConfig(EnginePair.localhost(KeyType.RSA_2048)).build(),
                clientHello(0x0303, new int[] {0xC02F, 0x009C}, null), Alert.HANDSHAKE_FAILURE);
        assertTrue(e.getMessage().contains("signature_algorithms"), e.getMessage());
    }

    @Test
    void changeCipherSpecOutOfPlaceIsUnexpectedMessage() throws Exception {
        TlsEngine c = TlsEngine.client(client12().build(), "localhost");
        c.beginHandshake();
        TlsEngine s = TlsEngine.server(server(KeyType.RSA_2048).build());
        s.receive(ByteBuffer.wrap(c.drainOutput()));
        TlsException e = assertThrows(TlsException.class, () -> s.receive(ByteBuffer.wrap(new byte[] {20, 3, 3, 0, 1, 1})));
        assertEquals(Alert.UNEXPECTED_MESSAGE, e.alert());
        assertTrue(e.getMessage().contains("ChangeCipherSpec while in state ExpectClientKeyExchange"), e.getMessage());
        // And a ChangeCipherSpec inside the server's flight, before ServerHelloDone.
        TlsEngine c2 = TlsEngine.client(client12().build(), "localhost");
        c2.beginHandshake();
        TlsEngine s2 = TlsEngine.server(server(KeyType.RSA_2048).build());
        s2.receive(ByteBuffer.wrap(c2.drainOutput()));
        List<byte[]> flight = new ArrayList<>(records(s2.drainOutput()));
        flight.add(flight.size() - 1, new byte[] {20, 3, 3, 0, 1, 1});
        TlsException e2 = assertThrows(TlsException.class, () -> c2.receive(ByteBuffer.wrap(join(flight))));
        assertEquals(Alert.UNEXPECTED_MESSAGE, e2.alert());
        assertTrue(e2.getMessage().contains("ChangeCipherSpec while in state ExpectServerHelloDone"), e2.getMessage());
    }

    // ------------------------------------------------------------------ Finished and the RSA premaster

    /** Splits a flight into its records. */
    static List<byte[]> records(byte[] flight) {
        List<byte[]> out = new ArrayList<>();
        for (int at = 0; at < flight.length; ) {
            int len = ((flight[at + 3] & 0xFF) << 8) | (flight[at + 4] & 0xFF);
            out.add(Arrays.copyOfRange(flight, at, at + 5 + len));
            at += 5 + len;
        }
        return out;
    }

    static byte[] join(List<byte[]> records) {
        ByteBuffer b = ByteBuffer.allocate(records.stream().mapToInt(r -> r.length).sum());
        records.forEach(b::put);
        return b.array();
    }

    /** A 1.2 handshake up to the client's second flight (ClientKeyExchange, ChangeCipherSpec, Finished). */
    static final class Halfway {
        final TlsEngine client = TlsEngine.client(client12().cipherSuites(List.of(CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256))
                .keyLog((label, random, secret) -> master = secret).build(), "localhost");
        final TlsEngine server = TlsEngine.server(server(KeyType.RSA_2048).build());
        final List<byte[]> clientFlight;
        byte[] master;
        byte[] clientRandom;
        byte[] serverRandom;

        byte[] serverRandom() {
            return serverRandom;
        }

        Halfway() throws TlsException {
            client.beginHandshake();
            byte[] hello = client.drainOutput();
            clientRandom = Arrays.copyOfRange(hello, 5 + 4 + 2, 5 + 4 + 2 + 32);
            server.receive(ByteBuffer.wrap(hello));
            byte[] flight = server.drainOutput();
            serverRandom = Arrays.copyOfRange(flight, 5 + 4 + 2, 5 + 4 + 2 + 32);
            client.receive(ByteBuffer.wrap(flight));
            clientFlight = records(client.drainOutput());
            assertEquals(3, clientFlight.size());
            assertEquals(ContentType.CHANGE_CIPHER_SPEC, clientFlight.get(1)[0]);
        }

        /** The server's failure on the client's flight with record {@code i} replaced; and the bytes it sent. */
        Failure deliver(int i, byte[] replacement) {
            List<byte[]> flight = new ArrayList<>(clientFlight);
            flight.set(i, replacement);
            TlsException e = assertThrows(TlsException.class, () -> server.receive(ByteBuffer.wrap(join(flight))));
            return new Failure(e, server.drainOutput());
        }

        /** A ClientKeyExchange record carrying {@code encrypted}. */
        static byte[] clientKeyExchange(byte[] encrypted) {
            int body = 2 + encrypted.length;
            ByteBuffer b = ByteBuffer.allocate(5 + 4 + body);
            b.put(new byte[] {22, 3, 3}).putShort((short) (4 + body)).put((byte) 16).put((byte) 0).putShort((short) body);
            b.putShort((short) encrypted.length).put(encrypted);
            return b.array();
        }

        RSAPublicKey serverKey() {
            return (RSAPublicKey) EnginePair.localhost(KeyType.RSA_2048).leaf().getPublicKey();
        }
    }

    record Failure(TlsException e, byte[] wire) {
    }

    /** Raw RSA of an encoded block {@code em} (k bytes) with the server's public key. */
    static byte[] rawRsa(RSAPublicKey key, byte[] em) throws Exception {
        Cipher c = Cipher.getInstance("RSA/ECB/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, key);
        return c.doFinal(em);
    }

    /** EM = 00 02 PS 00 M with a non-zero PS, for a message {@code m}. */
    static byte[] pkcs1Block(int k, byte[] m) {
        byte[] em = new byte[k];
        em[1] = 2;
        Arrays.fill(em, 2, k - m.length - 1, (byte) 0x5A);
        System.arraycopy(m, 0, em, k - m.length, m.length);
        return em;
    }

    @Test
    void aTamperedFinishedRecordIsBadRecordMacAndAWrongVerifyDataIsDecryptError() throws Exception {
        Halfway h = new Halfway();
        byte[] finished = h.clientFlight.get(2).clone();
        finished[finished.length - 1] ^= 1;
        Failure f = h.deliver(2, finished);
        assertEquals(Alert.BAD_RECORD_MAC, f.e().alert());

        // Forge a Finished with the right keys (from the key log) but the wrong verify_data.
        Halfway h2 = new Halfway();
        Tls12KeySchedule ks = new Tls12KeySchedule(CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256);
        byte[] serverHelloRandom = h2.serverRandom();
        Tls12KeySchedule.KeyBlock kb = ks.keyBlock(h2.master, h2.clientRandom, serverHelloRandom);
        Tls12RecordCipher writer = Tls12RecordCipher.of(TlsCrypto.defaultCrypto(), CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256,
                kb.clientWriteKey(), kb.clientWriteIv());
        byte[] wrong = HEX.parseHex("1400000c" + "00".repeat(12));
        Failure f2 = h2.deliver(2, writer.seal(ContentType.HANDSHAKE, wrong));
        assertEquals(Alert.DECRYPT_ERROR, f2.e().alert());
        assertTrue(f2.e().getMessage().contains("client Finished does not match"), f2.e().getMessage());
    }

    /**
     * RFC 5246 §7.4.7.1: a ClientKeyExchange with bad padding, a wrong version, a wrong length
     * or a ciphertext of the wrong size is answered exactly like a corrupted Finished: the
     * same alert bytes, the same message, nothing about padding.
     */
    @Test
    void aBadRsaPremasterLooksExactlyLikeACorruptedFinished() throws Exception {
        Halfway reference = new Halfway();
        byte[] finished = reference.clientFlight.get(2).clone();
        finished[finished.length - 1] ^= 1;
        Failure expected = reference.deliver(2, finished);
        assertEquals(Alert.BAD_RECORD_MAC, expected.e().alert());

        RSAPublicKey key = new Halfway().serverKey();
        int k = (key.getModulus().bitLength() + 7) / 8;
        byte[] goodM = new byte[48];
        goodM[0] = 3;
        goodM[1] = 3;
        Map<String, byte[]> bad = new HashMap<>();
        byte[] wrongType = pkcs1Block(k, goodM);
        wrongType[1] = 1;
        bad.put("block type 1", rawRsa(key, wrongType));
        byte[] noSeparator = pkcs1Block(k, goodM);
        noSeparator[k - 49] = 7;
        bad.put("no zero separator", rawRsa(key, noSeparator));
        byte[] zeroInPadding = pkcs1Block(k, goodM);
        zeroInPadding[5] = 0;
        bad.put("short padding", rawRsa(key, zeroInPadding));
        bad.put("47-byte premaster", rawRsa(key, pkcs1Block(k, Arrays.copyOf(goodM, 47))));
        bad.put("49-byte premaster", rawRsa(key, pkcs1Block(k, Arrays.copyOf(goodM, 49))));
        byte[] oldVersion = goodM.clone();
        oldVersion[1] = 1;
        bad.put("version 3.1", rawRsa(key, pkcs1Block(k, oldVersion)));
        bad.put("ciphertext one byte short", Arrays.copyOf(rawRsa(key, pkcs1Block(k, goodM)), k - 1));
        byte[] big = new byte[k];
        Arrays.fill(big, (byte) 0xFF);
        bad.put("ciphertext above the modulus", big);
        // And a well-formed premaster the client did not make: also only visible at the Finished.
        bad.put("valid but foreign premaster", rawRsa(key, pkcs1Block(k, goodM)));

        for (Map.Entry<String, byte[]> c : bad.entrySet()) {
            Halfway h = new Halfway();
            Failure f = h.deliver(0, Halfway.clientKeyExchange(c.getValue()));
            assertEquals(expected.e().alert(), f.e().alert(), c.getKey());
            assertArrayEquals(expected.wire(), f.wire(), c.getKey() + ": same alert bytes on the wire");
            assertEquals(expected.e().getMessage(), f.e().getMessage(), c.getKey() + ": same message");
            String text = String.valueOf(f.e()) + f.e().getCause();
            for (String leak : List.of("padding", "pkcs", "version", "premaster", "decrypt")) {
                assertFalse(text.toLowerCase(Locale.ROOT).contains(leak), c.getKey() + " leaks '" + leak + "': " + text);
            }
        }
    }

    // ------------------------------------------------------------------ renegotiation is refused

    /** A finished 1.2 connection whose record keys the test knows, from the key log. */
    static final class Established {
        final EnginePair pair;
        final Tls12RecordCipher clientWriter;
        final Tls12RecordCipher serverWriter;
        final Tls12RecordCipher clientReader;

        Established() throws Exception {
            byte[][] master = new byte[1][];
            byte[][] random = new byte[1][];
            CipherSuite suite = CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
            pair = new EnginePair(client12().cipherSuites(List.of(suite)).keyLog((l, r, s) -> {
                master[0] = s;
                random[0] = r;
            }).build(), server(KeyType.RSA_2048).build(), "localhost");
            pair.client.beginHandshake();
            byte[] hello = pair.client.drainOutput();
            pair.server.receive(ByteBuffer.wrap(hello));
            byte[] flight = pair.server.drainOutput();
            byte[] serverRandom = Arrays.copyOfRange(flight, 5 + 4 + 2, 5 + 4 + 2 + 32);
            pair.client.receive(ByteBuffer.wrap(flight));
            pair.handshake();
            Tls12KeySchedule.KeyBlock kb = new Tls12KeySchedule(suite).keyBlock(master[0], random[0], serverRandom);
            clientWriter = cipher(suite, kb.clientWriteKey(), kb.clientWriteIv(), 1);
            serverWriter = cipher(suite, kb.serverWriteKey(), kb.serverWriteIv(), 1);
            clientReader = cipher(suite, kb.serverWriteKey(), kb.serverWriteIv(), 1);
        }

        private static Tls12RecordCipher cipher(CipherSuite suite, byte[] key, byte[] iv, long skip) throws TlsException {
            Tls12RecordCipher c = Tls12RecordCipher.of(TlsCrypto.defaultCrypto(), suite, key, iv);
            for (long i = 0; i < skip; i++) { // the Finished went first
                c.seal(ContentType.HANDSHAKE, new byte[1]);
            }
            return c;
        }
    }

    @Test
    void aServerRefusesRenegotiationWithAWarningAndGoesOn() throws Exception {
        Established c = new Established();
        byte[] hello = clientHello(0x0303, new int[] {0xC02F}, null);
        c.pair.server.receive(ByteBuffer.wrap(c.clientWriter.seal(ContentType.HANDSHAKE, Arrays.copyOfRange(hello, 5, hello.length))));
        byte[] alert = c.clientReader.open(c.pair.server.drainOutput());
        assertArrayEquals(new byte[] {1, (byte) Alert.NO_RENEGOTIATION.code()}, alert, "warning no_renegotiation");
        assertEquals(ContentType.ALERT, c.clientReader.contentType());
        byte[] data = "still here".getBytes(StandardCharsets.US_ASCII);
        c.pair.server.receive(ByteBuffer.wrap(c.clientWriter.seal(ContentType.APPLICATION_DATA, data)));
        assertArrayEquals(data, EnginePair.read(c.pair.server));
    }

    @Test
    void aClientIgnoresHelloRequest() throws Exception {
        Established c = new Established();
        c.pair.client.receive(ByteBuffer.wrap(c.serverWriter.seal(ContentType.HANDSHAKE, new byte[] {0, 0, 0, 0})));
        assertFalse(c.pair.client.hasPendingOutput(), "no renegotiation attempt");
        byte[] data = "hello".getBytes(StandardCharsets.US_ASCII);
        c.pair.client.receive(ByteBuffer.wrap(c.serverWriter.seal(ContentType.APPLICATION_DATA, data)));
        assertArrayEquals(data, EnginePair.read(c.pair.client));
        assertThrows(IllegalStateException.class, () -> c.pair.client.updateKeys(false), "no KeyUpdate in TLS 1.2");
    }
}
