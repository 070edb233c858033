package org.tollgate.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tollgate.tls.cert.DemoCertificates.KeyType;

/**
 * The receive path decrypts a whole protected record straight from the caller's heap
 * buffer into the engine's application-data buffer, and falls back to its own record
 * buffer for partial records, direct buffers and read-only buffers. Every way of handing
 * over the same bytes must give the same plaintext, leave the caller's buffer untouched,
 * and keep post-handshake messages (KeyUpdate) between data records working.
 */
class ReceivePathTest {

    private static EnginePair pair(String version) throws TlsException {
        TlsConfig.Builder server = EnginePair.serverConfig(EnginePair.localhost(KeyType.EC_P256));
        TlsConfig.Builder client = EnginePair.clientConfig();
        if (version.equals("1.2")) {
            server.versions(List.of(ProtocolVersion.TLS_1_2));
            client.versions(List.of(ProtocolVersion.TLS_1_2));
        }
        return new EnginePair(client.build(), server.build(), "localhost").handshake();
    }

    /** Three writes of different sizes (a full record, a small one, one of two records) as one flight. */
    private static byte[][] writes() {
        Random r = new Random(7);
        byte[][] w = {new byte[16384], new byte[100], new byte[20000]};
        for (byte[] b : w) {
            r.nextBytes(b);
        }
        return w;
    }

    private static byte[] flight(EnginePair p, byte[][] writes) throws TlsException {
        for (byte[] w : writes) {
            p.server.writeApplicationData(ByteBuffer.wrap(w));
        }
        return p.server.drainOutput();
    }

    private static byte[] concat(byte[][] parts) {
        int n = Arrays.stream(parts).mapToInt(b -> b.length).sum();
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] part : parts) {
            b.put(part);
        }
        return b.array();
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.3", "1.2"})
    void wholeFlightInOneHeapBufferIsDecryptedAndTheBufferIsLeftAlone(String version) throws Exception {
        EnginePair p = pair(version);
        byte[][] writes = writes();
        byte[] flight = flight(p, writes);
        byte[] copy = flight.clone();
        // An offset view into a larger array, as a network buffer slice would be.
        byte[] backing = new byte[flight.length + 20];
        System.arraycopy(flight, 0, backing, 10, flight.length);
        ByteBuffer src = ByteBuffer.wrap(backing, 10, flight.length).slice();
        p.client.receive(src);
        assertEquals(0, src.remaining());
        assertArrayEquals(concat(writes), EnginePair.read(p.client));
        assertArrayEquals(copy, Arrays.copyOfRange(backing, 10, 10 + flight.length), "the caller's bytes changed");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.3", "1.2"})
    void everyWayOfDeliveringTheSameBytesGivesTheSamePlaintext(String version) throws Exception {
        byte[][] writes = writes();
        byte[] expected = concat(writes);
        for (String how : List.of("direct", "readOnly", "oneByte", "split7000")) {
            EnginePair p = pair(version);
            byte[] flight = flight(p, writes);
            ByteBuffer out = ByteBuffer.allocate(expected.length);
            switch (how) {
                case "direct": {
                    ByteBuffer d = ByteBuffer.allocateDirect(flight.length);
                    d.put(flight).flip();
                    p.client.receive(d);
                    break;
                }
                case "readOnly":
                    p.client.receive(ByteBuffer.wrap(flight).asReadOnlyBuffer());
                    break;
                case "oneByte":
                    for (byte b : flight) {
                        p.client.receive(ByteBuffer.wrap(new byte[] {b}));
                        p.client.readApplicationData(out); // reading between records too
                    }
                    break;
                default:
                    for (int at = 0; at < flight.length; at += 7000) {
                        p.client.receive(ByteBuffer.wrap(flight, at, Math.min(7000, flight.length - at)));
                    }
                    break;
            }
            p.client.readApplicationData(out);
            assertArrayEquals(expected, out.array(), how);
        }
    }

    @org.junit.jupiter.api.Test
    void keyUpdateBetweenDataRecordsInOneBuffer() throws Exception {
        EnginePair p = pair("1.3");
        p.server.writeApplicationData(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        p.server.updateKeys(true);
        p.server.writeApplicationData(ByteBuffer.wrap(new byte[] {4, 5}));
        p.client.receive(ByteBuffer.wrap(p.server.drainOutput()));
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, EnginePair.read(p.client));
        assertEquals(1, p.client.keyUpdatesReceived());
        // The client answered update_requested with its own KeyUpdate, under its new keys.
        EnginePair.deliver(p.client, p.server);
        assertEquals(1, p.server.keyUpdatesReceived());
        p.client.writeApplicationData(ByteBuffer.wrap(new byte[] {9}));
        EnginePair.deliver(p.client, p.server);
        assertArrayEquals(new byte[] {9}, EnginePair.read(p.server));
    }

    @org.junit.jupiter.api.Test
    void aTamperedRecordInTheCallersBufferIsBadRecordMacAndNoPlaintextAppears() throws Exception {
        EnginePair p = pair("1.3");
        p.server.writeApplicationData(ByteBuffer.wrap(new byte[1000]));
        byte[] record = p.server.drainOutput();
        record[record.length - 1] ^= 1;
        TlsException e = assertThrows(TlsException.class, () -> p.client.receive(ByteBuffer.wrap(record)));
        assertEquals(Alert.BAD_RECORD_MAC, e.alert());
        assertEquals(0, p.client.applicationDataAvailable());
        assertTrue(p.client.hasPendingOutput(), "the alert is queued");
    }
}
