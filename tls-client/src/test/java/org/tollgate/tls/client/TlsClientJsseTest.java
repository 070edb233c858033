package org.tollgate.tls.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.tollgate.tls.ProtocolVersion;

/** The blocking client against the JDK's own TLS 1.3 server (JSSE), in process. */
@Timeout(60)
class TlsClientJsseTest {
    private JsseServer server;

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void exchangesDataBothWaysAcrossKeyUpdates() throws Exception {
        // The server echoes every byte until our close_notify.
        AtomicInteger echoed = new AtomicInteger();
        server = new JsseServer(TestPki.PKI.localhostServer(), (tls, tcp) -> {
            InputStream in = tls.getInputStream();
            OutputStream out = tls.getOutputStream();
            byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) >= 0) { // -1: our close_notify
                out.write(buffer, 0, n);
                out.flush();
                echoed.addAndGet(n);
            }
            tls.close();
        });
        byte[] data = new byte[3_000_000]; // far more than the socket buffers: reading and writing must not block each other
        new Random(7).nextBytes(data);
        try (TlsConnection c = TlsClient.connect("localhost", server.port(), TestPki.clientConfig().build())) {
            c.setReadTimeout(Duration.ofSeconds(20));
            assertEquals(ProtocolVersion.TLS_1_3, c.summary().version());
            assertEquals("localhost", c.summary().serverName());

            // A writer thread and this reader share the connection, as a real program would.
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = c.outputStream();
                    out.write(data, 0, 100_000);
                    out.flush();
                    c.updateKeys(true); // RFC 8446 §4.6.3, in the middle of the stream
                    out.write(data, 100_000, data.length - 100_000);
                    out.flush();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            byte[] back = new byte[data.length];
            new DataInputStream(c.inputStream()).readFully(back);
            writer.get(20, TimeUnit.SECONDS);
            assertArrayEquals(data, back);
            assertEquals(1, c.keyUpdatesReceived(), "JSSE answered update_requested with its own KeyUpdate");
        }
        server.awaitHandlers(); // the server saw end of stream (our close_notify), not an error
        assertEquals(data.length, echoed.get());
    }

    @Test
    void readReturnsEndOfStreamAfterTheServersCloseNotify() throws Exception {
        server = new JsseServer(TestPki.PKI.localhostServer(), (tls, tcp) -> {
            tls.getOutputStream().write("bye".getBytes(StandardCharsets.US_ASCII));
            tls.getOutputStream().flush();
            tls.close(); // close_notify, then TCP close
        });
        try (TlsConnection c = TlsClient.connect("localhost", server.port(), TestPki.clientConfig().build())) {
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            c.inputStream().transferTo(got);
            assertEquals("bye", got.toString(StandardCharsets.US_ASCII));
            assertEquals(-1, c.inputStream().read());
        }
        server.awaitHandlers();
    }

    @Test
    void tcpCloseWithoutCloseNotifyIsATruncation() throws Exception {
        server = new JsseServer(TestPki.PKI.localhostServer(), (tls, tcp) -> {
            tls.getOutputStream().write("partial".getBytes(StandardCharsets.US_ASCII));
            tls.getOutputStream().flush();
            tcp.close(); // under TLS's feet: no close_notify
        });
        try (TlsConnection c = TlsClient.connect("localhost", server.port(), TestPki.clientConfig().build())) {
            byte[] partial = new byte[7];
            new DataInputStream(c.inputStream()).readFully(partial);
            assertEquals("partial", new String(partial, StandardCharsets.US_ASCII));
            IOException e = assertThrows(IOException.class, () -> c.inputStream().read());
            assertTrue(e.getMessage().startsWith("connection closed without close_notify (truncation)"), e.getMessage());
        }
    }

    @Test
    void writesAfterCloseAreRefused() throws Exception {
        server = new JsseServer(TestPki.PKI.localhostServer(), (tls, tcp) -> {
            assertEquals(-1, tls.getInputStream().read());
            tls.close();
        });
        TlsConnection c = TlsClient.connect("localhost", server.port(), TestPki.clientConfig().build());
        c.close();
        c.close(); // twice is fine
        IOException e = assertThrows(IOException.class, () -> c.outputStream().write(1));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        server.awaitHandlers();
    }

    @Test
    void aHandshakeThatNeverEndsTimesOut() throws Exception {
        // A TCP server that accepts and says nothing.
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            var config = TestPki.clientConfig().handshakeTimeout(Duration.ofMillis(500)).build();
            long start = System.nanoTime();
            java.net.SocketTimeoutException e = assertThrows(java.net.SocketTimeoutException.class,
                    () -> TlsClient.connect("127.0.0.1", silent.getLocalPort(), config));
            assertTrue(e.getMessage().contains("did not finish within 500 ms"), e.getMessage());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(8), "gave up close to the timeout");
        }
    }

    @Test
    void refusedConnectionIsAConnectException() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        java.net.ConnectException e = assertThrows(java.net.ConnectException.class,
                () -> TlsClient.connect("127.0.0.1", port, TestPki.clientConfig().build()));
        assertTrue(e.getMessage().startsWith("cannot connect to 127.0.0.1:" + port), e.getMessage());
    }
}
