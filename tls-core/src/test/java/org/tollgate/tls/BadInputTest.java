package org.tollgate.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.tollgate.tls.cert.DemoCertificates.KeyType;

/**
 * Hostile and broken input: every case gets the RFC's alert on the wire, a message a person
 * can act on, and a closed connection.
 */
class BadInputTest {

    private static TlsEngine server() {
        return TlsEngine.server(EnginePair.serverConfig(EnginePair.localhost(KeyType.EC_P256)).build());
    }

    /** Feeds {@code bytes} to a fresh server and returns the failure, checking the alert it sends. */
    private static TlsException serverRejects(byte[] bytes, Alert expected) {
        TlsEngine s = server();
        TlsException e = assertThrows(TlsException.class, () -> s.receive(ByteBuffer.wrap(bytes)));
        assertEquals(expected, e.alert(), e.getMessage());
        byte[] alert = s.drainOutput();
        assertArrayEquals(new byte[] {21, 3, 3, 0, 2, 2, (byte) expected.code()}, alert, "plaintext fatal alert on the wire");
        assertTrue(s.isInboundClosed() && s.isOutboundClosed());
        assertThrows(TlsException.class, () -> s.receive(ByteBuffer.wrap(new byte[] {22})), "stays failed");
        return e;
    }

    private static byte[] clientHello() throws TlsException {
        TlsEngine c = TlsEngine.client(EnginePair.clientConfig().build(), "localhost");
        c.beginHandshake();
        return c.drainOutput();
    }

    @Test
    void plainHttpIsNotTls() {
        TlsException e = serverRejects("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII), Alert.UNEXPECTED_MESSAGE);
        assertTrue(e.getMessage().contains("HTTP request"), e.getMessage());
    }

    @Test
    void oversizedPlaintextRecordIsRecordOverflowBeforeItsBodyArrives() {
        // Header only: the length 2^14 + 1 is refused before any body byte is read or buffered.
        serverRejects(new byte[] {22, 3, 1, 0x40, 0x01}, Alert.RECORD_OVERFLOW);
    }

    @Test
    void zeroLengthHandshakeRecordIsDecodeError() {
        serverRejects(new byte[] {22, 3, 1, 0, 0}, Alert.DECODE_ERROR);
    }

    @Test
    void applicationDataBeforeTheHandshakeIsUnexpected() {
        serverRejects(new byte[] {23, 3, 3, 0, 3, 1, 2, 3}, Alert.UNEXPECTED_MESSAGE);
    }

    @Test
    void wrongRecordVersionIsDecodeError() {
        serverRejects(new byte[] {22, 2, 0, 0, 4, 1, 0, 0, 0}, Alert.DECODE_ERROR);
    }

    @Test
    void handshakeMessageDeclaringAHugeLengthIsRefusedBeforeBuffering() {
        // ClientHello header declaring 16 MiB - 1: refused on the 4-byte header alone.
        serverRejects(new byte[] {22, 3, 1, 0, 4, 1, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF}, Alert.ILLEGAL_PARAMETER);
    }

    @Test
    void truncatedClientHelloIsDecodeError() throws TlsException {
        byte[] ch = clientHello();
        // Shrink the handshake length and the record length together, cutting the message short.
        byte[] cut = Arrays.copyOf(ch, ch.length - 10);
        int recordLength = cut.length - 5;
        cut[3] = (byte) (recordLength >>> 8);
        cut[4] = (byte) recordLength;
        int hsLength = recordLength - 4;
        cut[6] = (byte) (hsLength >>> 16);
        cut[7] = (byte) (hsLength >>> 8);
        cut[8] = (byte) hsLength;
        serverRejects(cut, Alert.DECODE_ERROR);
    }

    @Test
    void partialRecordWaitsForTheRest() throws TlsException {
        byte[] ch = clientHello();
        TlsEngine s = server();
        s.receive(ByteBuffer.wrap(ch, 0, 3));
        assertFalse(s.hasPendingOutput());
        s.receive(ByteBuffer.wrap(ch, 3, ch.length - 3));
        assertTrue(s.hasPendingOutput(), "server answered once the record was whole");
    }

    @Test
    void tls12OnlyClientHelloToATls13OnlyServerIsProtocolVersion() throws TlsException {
        // A ClientHello without supported_versions: TLS 1.2 or older. (TLS 1.2 servers: Tls12EngineTest.)
        String hex = "16030100" + "2d" + "01" + "000029" + "0303" + "00".repeat(32) + "00" + "0002c02f" + "0100";
        TlsEngine s = TlsEngine.server(EnginePair.serverConfig(EnginePair.localhost(KeyType.EC_P256))
                .versions(java.util.List.of(ProtocolVersion.TLS_1_3)).build());
        TlsException e = assertThrows(TlsException.class, () -> s.receive(ByteBuffer.wrap(HexFormat.of().parseHex(hex))));
        assertEquals(Alert.PROTOCOL_VERSION, e.alert());
        assertArrayEquals(new byte[] {21, 3, 3, 0, 2, 2, (byte) Alert.PROTOCOL_VERSION.code()}, s.drainOutput());
        assertTrue(e.getMessage().endsWith("this server speaks TLS 1.3"), e.getMessage());
    }

    @Test
    void changeCipherSpecBeforeClientHelloIsUnexpected() {
        serverRejects(new byte[] {20, 3, 3, 0, 1, 1}, Alert.UNEXPECTED_MESSAGE);
    }

    @Test
    void unexpectedHandshakeMessageIsUnexpectedMessage() {
        // A Finished (type 20) of 32 bytes as the first message.
        byte[] rec = new byte[5 + 4 + 32];
        rec[0] = 22;
        rec[1] = 3;
        rec[2] = 3;
        rec[4] = 36;
        rec[5] = 20;
        rec[8] = 32;
        TlsException e = serverRejects(rec, Alert.UNEXPECTED_MESSAGE);
        assertTrue(e.getMessage().contains("Finished while in state ExpectClientHello"), e.getMessage());
    }

    @Test
    void duplicateExtensionIsIllegalParameter() throws TlsException {
        byte[] ch = clientHello();
        // Find the supported_versions extension (00 2b 00 03 02 03 04) and turn the psk_key_exchange_modes
        // extension that follows (00 2d 00 02 01 01) into a second supported_versions-typed one.
        String hex = HexFormat.of().formatHex(ch);
        int at = hex.indexOf("002d0002" + "0101");
        assertTrue(at > 0);
        byte[] dup = HexFormat.of().parseHex(hex.substring(0, at) + "002b0002" + "0101" + hex.substring(at + 12));
        serverRejects(dup, Alert.ILLEGAL_PARAMETER);
    }

    @Test
    void invalidKeySharePointIsIllegalParameter() throws TlsException {
        TlsEngine c = TlsEngine.client(EnginePair.clientConfig().groups(java.util.List.of(NamedGroup.SECP256R1)).build(), "localhost");
        c.beginHandshake();
        byte[] ch = c.drainOutput();
        String hex = HexFormat.of().formatHex(ch);
        int at = hex.indexOf("00170041" + "04"); // key_share entry: secp256r1, 65 bytes, uncompressed point
        assertTrue(at > 0);
        // Replace the point's coordinates with (1, 1), which is not on the curve.
        String bad = "00".repeat(31) + "01" + "00".repeat(31) + "01";
        byte[] broken = HexFormat.of().parseHex(hex.substring(0, at + 10) + bad + hex.substring(at + 10 + 128));
        serverRejects(broken, Alert.ILLEGAL_PARAMETER);
    }

    @Test
    void tamperedRecordAfterTheHandshakeIsBadRecordMacAndOthersGoOn() throws Exception {
        EnginePair p = TlsEngineTest.defaultPair().handshake();
        EnginePair other = TlsEngineTest.defaultPair().handshake();
        p.client.writeApplicationData(ByteBuffer.wrap("secret".getBytes(StandardCharsets.US_ASCII)));
        byte[] record = p.client.drainOutput();
        record[record.length - 1] ^= 1;
        TlsException e = assertThrows(TlsException.class, () -> p.server.receive(ByteBuffer.wrap(record)));
        assertEquals(Alert.BAD_RECORD_MAC, e.alert());
        // The alert goes out encrypted; the client decrypts it and reports it.
        TlsException atClient = assertThrows(TlsException.class, () -> EnginePair.deliver(p.server, p.client));
        assertEquals(Alert.BAD_RECORD_MAC, atClient.alert());
        assertTrue(atClient.receivedFromPeer());
        // An unrelated connection is untouched.
        TlsEngineTest.exchange(other, 1000);
    }

    @Test
    void changeCipherSpecAfterTheHandshakeIsUnexpected() throws Exception {
        EnginePair p = TlsEngineTest.defaultPair().handshake();
        TlsException e = assertThrows(TlsException.class, () -> p.server.receive(ByteBuffer.wrap(new byte[] {20, 3, 3, 0, 1, 1})));
        assertEquals(Alert.UNEXPECTED_MESSAGE, e.alert());
    }

    @Test
    void tamperedServerFinishedIsDecryptError() throws Exception {
        // Let the client verify a server flight whose Finished was computed over another transcript:
        // two servers answer the same ClientHello; the client gets the ServerHello of one and the
        // encrypted flight of the other. The handshake keys differ, so decryption fails first.
        TlsEngine client = TlsEngine.client(EnginePair.clientConfig().build(), "localhost");
        client.beginHandshake();
        byte[] ch = client.drainOutput();
        TlsEngine s1 = server();
        s1.receive(ByteBuffer.wrap(ch));
        byte[] flight = s1.drainOutput();
        flight[flight.length - 20] ^= 0x40; // inside the last encrypted record (the Finished)
        TlsException e = assertThrows(TlsException.class, () -> client.receive(ByteBuffer.wrap(flight)));
        assertEquals(Alert.BAD_RECORD_MAC, e.alert());
    }

    /** A client whose application write key is known to the test, from its key log. */
    private static final class ForgingClient {
        final EnginePair pair;
        final org.tollgate.tls.record.RecordCipher writer;

        ForgingClient() throws Exception {
            java.util.Map<String, byte[]> secrets = new java.util.HashMap<>();
            KeyLog log = (label, random, secret) -> secrets.put(label, secret);
            pair = new EnginePair(EnginePair.clientConfig().cipherSuites(java.util.List.of(CipherSuite.TLS_AES_128_GCM_SHA256))
                    .keyLog(log).build(), EnginePair.serverConfig(EnginePair.localhost(KeyType.EC_P256)).build(), "localhost").handshake();
            org.tollgate.tls.handshake.KeySchedule ks = new org.tollgate.tls.handshake.KeySchedule(CipherSuite.TLS_AES_128_GCM_SHA256);
            byte[] secret = secrets.get("CLIENT_TRAFFIC_SECRET_0");
            writer = org.tollgate.tls.record.RecordCipher.tls13(org.tollgate.tls.crypto.TlsCrypto.defaultCrypto(),
                    CipherSuite.TLS_AES_128_GCM_SHA256, ks.trafficKey(secret), ks.trafficIv(secret));
        }

        /** The server's failure on receiving {@code content} as an encrypted record of {@code type}. */
        TlsException send(int type, byte[] content) throws TlsException {
            byte[] record = writer.seal(type, content, 0);
            return assertThrows(TlsException.class, () -> pair.server.receive(ByteBuffer.wrap(record)));
        }
    }

    @Test
    void forgedRecordsProveTheTestKeyIsRight() throws Exception {
        ForgingClient f = new ForgingClient();
        byte[] record = f.writer.seal(23, "hello".getBytes(StandardCharsets.US_ASCII), 0);
        f.pair.server.receive(ByteBuffer.wrap(record));
        assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), EnginePair.read(f.pair.server));
    }

    @Test
    void clientHelloOnAnEstablishedConnectionIsUnexpected() throws Exception {
        ForgingClient f = new ForgingClient();
        byte[] hello = clientHello();
        TlsException e = f.send(22, Arrays.copyOfRange(hello, 5, hello.length));
        assertEquals(Alert.UNEXPECTED_MESSAGE, e.alert());
        assertTrue(e.getMessage().contains("ClientHello while in state Connected"), e.getMessage());
    }

    @Test
    void keyUpdateWithAnIllegalValueIsIllegalParameter() throws Exception {
        ForgingClient f = new ForgingClient();
        assertEquals(Alert.ILLEGAL_PARAMETER, f.send(22, new byte[] {24, 0, 0, 1, 7}).alert());
    }

    @Test
    void keyUpdateFollowedByMoreHandshakeDataInTheSameRecordIsUnexpected() throws Exception {
        ForgingClient f = new ForgingClient();
        // RFC 8446 §5.1: a KeyUpdate must end its record, since the keys change after it.
        TlsException e = f.send(22, new byte[] {24, 0, 0, 1, 0, 24, 0, 0});
        assertEquals(Alert.UNEXPECTED_MESSAGE, e.alert());
    }

    @Test
    void encryptedRecordWithOnlyPaddingIsUnexpected() throws Exception {
        ForgingClient f = new ForgingClient();
        // Inner type 0 (padding) everywhere: seal with content type 0 and no content.
        assertEquals(Alert.UNEXPECTED_MESSAGE, f.send(0, new byte[0]).alert());
    }

    @Test
    void encryptedChangeCipherSpecIsUnexpected() throws Exception {
        ForgingClient f = new ForgingClient();
        assertEquals(Alert.UNEXPECTED_MESSAGE, f.send(20, new byte[] {1}).alert());
    }

    @Test
    void newSessionTicketFromAClientIsUnexpected() throws Exception {
        ForgingClient f = new ForgingClient();
        byte[] nst = {4, 0, 0, 13, 0, 0, 0, 60, 0, 0, 0, 1, 0, 0, 1, 9, 0, 0};
        assertEquals(Alert.UNEXPECTED_MESSAGE, f.send(22, nst).alert());
    }

    @Test
    void alertOfWrongLengthIsDecodeError() throws Exception {
        ForgingClient f = new ForgingClient();
        assertEquals(Alert.DECODE_ERROR, f.send(21, new byte[] {2, 40, 0}).alert());
    }

    @Test
    void fatalAlertFromThePeerIsReportedNotAnswered() throws Exception {
        ForgingClient f = new ForgingClient();
        TlsException e = f.send(21, new byte[] {2, 80});
        assertTrue(e.receivedFromPeer());
        assertEquals(Alert.INTERNAL_ERROR, e.alert());
        assertFalse(f.pair.server.hasPendingOutput(), "no alert is sent in reply to a fatal alert");
    }

    @Test
    void unknownExtensionsInClientHelloAreIgnored() throws Exception {
        // RFC 8446 §4.1.2: servers ignore extensions they do not recognise. Rename the client's
        // psk_key_exchange_modes (00 2d) to the GREASE value 0x7a7a (RFC 8701).
        TlsEngine c = TlsEngine.client(EnginePair.clientConfig().build(), "localhost");
        c.beginHandshake();
        String hex = HexFormat.of().formatHex(c.drainOutput());
        int at = hex.indexOf("002d0002" + "0101");
        byte[] greased = HexFormat.of().parseHex(hex.substring(0, at) + "7a7a" + hex.substring(at + 4));
        TlsEngine s = server();
        s.receive(ByteBuffer.wrap(greased));
        assertTrue(s.hasPendingOutput());
        assertEquals(22, s.drainOutput()[0], "the server answered with a ServerHello, not an alert");
    }

    @Test
    void reorderedServerFlightIsUnexpectedMessage() throws Exception {
        // Decrypt the server's flight with the handshake secret from its key log, swap Certificate
        // and CertificateVerify, encrypt again: the client must refuse the order.
        java.util.Map<String, byte[]> secrets = new java.util.HashMap<>();
        KeyLog log = (label, random, secret) -> secrets.put(label, secret);
        TlsEngine client = TlsEngine.client(EnginePair.clientConfig()
                .cipherSuites(java.util.List.of(CipherSuite.TLS_AES_128_GCM_SHA256)).build(), "localhost");
        TlsEngine srv = TlsEngine.server(EnginePair.serverConfig(EnginePair.localhost(KeyType.EC_P256)).keyLog(log).build());
        client.beginHandshake();
        srv.receive(ByteBuffer.wrap(client.drainOutput()));
        ByteBuffer flight = ByteBuffer.wrap(srv.drainOutput());
        org.tollgate.tls.handshake.KeySchedule ks = new org.tollgate.tls.handshake.KeySchedule(CipherSuite.TLS_AES_128_GCM_SHA256);
        byte[] secret = secrets.get("SERVER_HANDSHAKE_TRAFFIC_SECRET");
        org.tollgate.tls.record.RecordCipher reader = org.tollgate.tls.record.RecordCipher.tls13(
                org.tollgate.tls.crypto.TlsCrypto.defaultCrypto(), CipherSuite.TLS_AES_128_GCM_SHA256, ks.trafficKey(secret), ks.trafficIv(secret));
        org.tollgate.tls.record.RecordCipher writer = org.tollgate.tls.record.RecordCipher.tls13(
                org.tollgate.tls.crypto.TlsCrypto.defaultCrypto(), CipherSuite.TLS_AES_128_GCM_SHA256, ks.trafficKey(secret), ks.trafficIv(secret));
        java.io.ByteArrayOutputStream plain = new java.io.ByteArrayOutputStream();
        java.util.List<byte[]> messages = new java.util.ArrayList<>();
        while (flight.hasRemaining()) {
            int type = flight.get(flight.position()) & 0xFF;
            int len = flight.getShort(flight.position() + 3) & 0xFFFF;
            byte[] record = new byte[5 + len];
            flight.get(record);
            if (type == 23) {
                messages.add(reader.open(record));
            } else {
                plain.write(record); // ServerHello and ChangeCipherSpec stay as they are
            }
        }
        assertEquals(4, messages.size(), "EncryptedExtensions, Certificate, CertificateVerify, Finished");
        assertEquals(11, messages.get(1)[0]);
        assertEquals(15, messages.get(2)[0]);
        java.util.Collections.swap(messages, 1, 2);
        for (byte[] m : messages) {
            plain.write(writer.seal(22, m, 0));
        }
        TlsException e = assertThrows(TlsException.class, () -> client.receive(ByteBuffer.wrap(plain.toByteArray())));
        assertEquals(Alert.UNEXPECTED_MESSAGE, e.alert());
        assertTrue(e.getMessage().contains("CertificateVerify while in state ExpectCertificateOrCertificateRequest"), e.getMessage());
    }
}
