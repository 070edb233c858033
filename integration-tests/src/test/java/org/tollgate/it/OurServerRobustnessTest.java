package org.tollgate.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.tls.Alert;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.TlsEngine;
import org.tollgate.tls.TlsException;

/**
 * Bad bytes sent to a running Tollgate server over a raw socket: each gets the right
 * plaintext alert record back, and the server goes on serving a real client afterwards.
 */
class OurServerRobustnessTest {
    @TempDir
    static Path dir;
    static Pki pki;
    static OurServer server;

    @BeforeAll
    static void startServer() throws Exception {
        pki = Pki.create(dir);
        server = OurServer.start(TlsConfig.builder().certificate(pki.server().key()).build(), OurServer.Mode.HTTPS);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @AfterEach
    void serverStillServesOpenssl() throws Exception {
        // Whatever the previous connection sent, the next real client is served normally.
        OpenSslClient.to(server.port()).caFile(pki.caFile()).servername("localhost")
                .run(dir, OpenSslClient.httpGet("localhost"), Duration.ofSeconds(10))
                .assertTls13("Tollgate");
        server.clearReports();
    }

    /** Sends {@code bytes}, half-closes, and returns everything the server sent before closing. */
    private static byte[] exchange(byte[] bytes) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            byte[] buffer = new byte[4096];
            try {
                int n;
                while ((n = in.read(buffer)) != -1) {
                    received.write(buffer, 0, n);
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the server neither answered nor closed within 5 s; got "
                        + HexFormat.of().formatHex(received.toByteArray()));
            } catch (IOException e) {
                // A reset after the alert is acceptable: the server closed while we still had data in flight.
            }
            return received.toByteArray();
        }
    }

    private static void assertAlert(Alert expected, byte[] received) throws InterruptedException {
        // RFC 8446 §6: alert record (21), legacy version 3,3, length 2, fatal (2), description.
        assertArrayEquals(new byte[] {21, 3, 3, 0, 2, 2, (byte) expected.code()}, received,
                () -> "expected a fatal " + expected.rfcName() + " alert, got " + HexFormat.of().formatHex(received));
        Throwable failure = server.nextFailure(Duration.ofSeconds(5));
        assertTrue(failure.toString().contains(expected.rfcName()), failure::toString);
    }

    @Test
    void plainHttpGetsUnexpectedMessage() throws Exception {
        byte[] reply = exchange("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertAlert(Alert.UNEXPECTED_MESSAGE, reply);
    }

    @Test
    void oversizedRecordGetsRecordOverflow() throws Exception {
        // A handshake record header declaring 2^14 + 1 bytes: one more than RFC 8446 §5.1 allows.
        byte[] header = {22, 3, 1, 0x40, 0x01};
        byte[] record = Arrays.copyOf(header, header.length + 0x4001);
        assertAlert(Alert.RECORD_OVERFLOW, exchange(record));
    }

    @Test
    void truncatedClientHelloGetsDecodeError() throws Exception {
        byte[] hello = clientHello();
        // Cut 10 bytes off the end, and shrink the record and handshake lengths to match.
        byte[] cut = Arrays.copyOf(hello, hello.length - 10);
        int recordLength = cut.length - 5;
        cut[3] = (byte) (recordLength >>> 8);
        cut[4] = (byte) recordLength;
        int messageLength = recordLength - 4;
        cut[6] = (byte) (messageLength >>> 16);
        cut[7] = (byte) (messageLength >>> 8);
        cut[8] = (byte) messageLength;
        assertAlert(Alert.DECODE_ERROR, exchange(cut));
    }

    @Test
    void randomGarbageGetsAnAlertAndIsNotEchoed() throws Exception {
        byte[] garbage = new byte[300];
        new java.util.Random(42).nextBytes(garbage);
        garbage[0] = (byte) 0xC5; // no valid content type
        byte[] reply = exchange(garbage);
        assertEquals(7, reply.length, () -> "one alert record: " + HexFormat.of().formatHex(reply));
        assertEquals(21, reply[0]);
        assertEquals(2, reply[5], "fatal");
        server.nextFailure(Duration.ofSeconds(5));
    }

    @Test
    void clientThatVanishesMidHandshakeDoesNotBlockOthers() throws Exception {
        byte[] hello = clientHello();
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            socket.getOutputStream().write(hello, 0, hello.length / 2); // half a ClientHello, then silence
            socket.getOutputStream().flush();
            // The @AfterEach openssl client runs while this socket is still open.
            OpenSslClient.to(server.port()).caFile(pki.caFile()).servername("localhost")
                    .run(dir, OpenSslClient.httpGet("localhost"), Duration.ofSeconds(10))
                    .assertTls13("Tollgate");
        }
    }

    private static byte[] clientHello() throws TlsException {
        TlsEngine client = TlsEngine.client(TlsConfig.builder().verifier(pki.verifier()).build(), "localhost");
        client.beginHandshake();
        return client.drainOutput();
    }
}
