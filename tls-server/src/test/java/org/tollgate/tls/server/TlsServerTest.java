package org.tollgate.tls.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.testsupport.Processes;
import org.tollgate.tls.Alert;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.cert.CertificateVerifier;
import org.tollgate.tls.nio.TlsChannel;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsServerTest {
    private TlsServer server;
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        pool.shutdownNow();
        if (server != null) {
            server.close();
        }
    }

    private TlsServer.Builder builder() {
        return TlsServer.builder().config(TestPeers.serverConfig().build()).handler(HttpsHandler::new).eventLoops(2);
    }

    private TlsChannel connect() throws IOException {
        return TlsChannel.client(SocketChannel.open(server.localAddress()), TestPeers.clientConfig(), "localhost");
    }

    private static byte[] readFully(TlsChannel ch, int n) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(n);
        ByteBuffer buf = ByteBuffer.allocate(32768);
        while (out.size() < n) {
            buf.clear();
            int r = ch.read(buf);
            if (r < 0) {
                throw new IOException("EOF after " + out.size() + " of " + n);
            }
            out.write(buf.array(), 0, r);
        }
        return out.toByteArray();
    }

    private static byte[] getWithConnectionClose(TlsChannel client) throws IOException {
        ByteBuffer req = ByteBuffer.wrap("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        while (req.hasRemaining()) {
            client.write(req);
        }
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(4096);
        int n;
        while ((n = client.read(buf)) >= 0) {
            got.write(buf.array(), 0, n);
            buf.clear();
        }
        return got.toByteArray();
    }

    @Test
    void echoModeSendsEveryByteBack() throws Exception {
        server = builder().handler(EchoHandler::new).build();
        byte[] data = new byte[1 << 20];
        new Random(7).nextBytes(data);
        try (TlsChannel client = connect()) {
            Future<?> writer = pool.submit(() -> {
                ByteBuffer src = ByteBuffer.wrap(data);
                while (src.hasRemaining()) {
                    client.write(src);
                }
                return null;
            });
            assertArrayEquals(data, readFully(client, data.length));
            writer.get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Sends a request and close_notify in one flight, as gnutls-cli and openssl s_client do when
     * their stdin ends, then reads until the server closes; returns what arrived.
     */
    private String requestThenCloseNotify(ProtocolVersion version) throws Exception {
        TlsConfig config = TlsConfig.builder().verifier(CertificateVerifier.trusting(List.of(TestPeers.PKI.ca())))
                .versions(List.of(version)).build();
        try (TlsChannel client = TlsChannel.client(SocketChannel.open(server.localAddress()), config, "localhost")) {
            assertTrue(client.handshake());
            synchronized (client.engine()) {
                client.engine().writeApplicationData(ByteBuffer.wrap(
                        "GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
                client.engine().closeOutbound();
            }
            assertTrue(client.flush());
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(4096);
            int n;
            while ((n = client.read(buf)) >= 0) {
                got.write(buf.array(), 0, n);
                buf.clear();
            }
            assertFalse(client.isTruncated(), "the server ends with close_notify");
            return got.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void tls13RequestFollowedByCloseNotifyIsAnswered() throws Exception {
        server = builder().build();
        String response = requestThenCloseNotify(ProtocolVersion.TLS_1_3);
        assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n"), response);
        assertTrue(response.contains("<td>TLSv1.3</td>"), response);
    }

    @Test
    void tls12CloseNotifyIsAnsweredAtOnceAndTheServerGoesOn() throws Exception {
        server = builder().build();
        // RFC 5246 §7.2.1: our close_notify answers the client's at once; the response is dropped.
        assertEquals("", requestThenCloseNotify(ProtocolVersion.TLS_1_2));
        try (TlsChannel client = connect()) {
            assertTrue(new String(getWithConnectionClose(client), StandardCharsets.UTF_8).startsWith("HTTP/1.1 200 OK"));
        }
    }

    @Test
    void aClientThatDoesNotReadStopsTheServerReadingFromIt() throws Exception {
        AtomicLong received = new AtomicLong();
        server = builder().handler(() -> (connection, data) -> {
            received.addAndGet(data.remaining());
            connection.write(data);
        }).build();
        try (TlsChannel client = connect()) {
            assertTrue(client.handshake());
            client.socket().configureBlocking(false);
            byte[] data = new byte[32 << 20];
            new Random(8).nextBytes(data);
            ByteBuffer src = ByteBuffer.wrap(data);
            // Write without reading the echo until our writes stop being taken for a while.
            int stalled = 0;
            while (src.hasRemaining() && stalled < 200) {
                if (client.write(src) == 0) {
                    stalled++;
                    Thread.sleep(5);
                } else {
                    stalled = 0;
                }
            }
            long sent = src.position();
            assertTrue(sent < data.length, "the server stopped taking bytes: " + sent);
            // The server holds what the kernel buffers and one batch per direction hold, not all we sent.
            long echoedButUnread = received.get();
            assertTrue(echoedButUnread < 16L << 20, "server read only what it could send on: " + echoedButUnread);

            // Now read: everything comes back intact and the rest goes through.
            client.socket().configureBlocking(true);
            Future<byte[]> reader = pool.submit(() -> readFully(client, data.length));
            while (src.hasRemaining()) {
                client.write(src);
            }
            assertArrayEquals(data, reader.get(60, TimeUnit.SECONDS));
        }
    }

    @Test
    void connectionsOverTheLimitAreClosedAtOnce() throws Exception {
        server = builder().maxConnections(1).build();
        try (TlsChannel first = connect()) {
            assertTrue(first.handshake());
            try (TlsChannel second = connect()) {
                IOException e = assertThrows(IOException.class, second::handshake);
                assertTrue(e.getMessage().contains("during the TLS handshake") || e.getMessage().contains("reset"), e.toString());
            }
            assertEquals(1, server.rejectedConnections());
            // The first connection is unaffected.
            assertTrue(new String(getWithConnectionClose(first), StandardCharsets.UTF_8).startsWith("HTTP/1.1 200 OK"));
        }
        // With the first gone, a new client gets in.
        for (int i = 0; i < 500 && server.activeConnections() > 0; i++) {
            Thread.sleep(10);
        }
        try (TlsChannel third = connect()) {
            assertTrue(third.handshake());
        }
    }

    @Test
    void aSilentClientIsClosedWhenTheHandshakeTimesOut() throws Exception {
        server = builder().config(TestPeers.serverConfig().handshakeTimeout(Duration.ofMillis(300)).build()).build();
        try (SocketChannel silent = SocketChannel.open(server.localAddress())) {
            // Says nothing; the server must close (read returns -1, no timing asserted).
            assertEquals(-1, silent.read(ByteBuffer.allocate(100)));
        }
        assertEquals(1, server.handshakeTimeouts());
        try (TlsChannel client = connect()) {
            assertTrue(client.handshake(), "others are still served");
        }
    }

    @Test
    void plainHttpGetsAnAlertAndTheServerGoesOnServing() throws Exception {
        CompletableFuture<TlsException> failure = new CompletableFuture<>();
        CompletableFuture<SocketAddress> failedPeer = new CompletableFuture<>();
        server = builder().onFailure((peer, e) -> {
            failedPeer.complete(peer);
            failure.complete(e);
        }).build();
        try (SocketChannel raw = SocketChannel.open(server.localAddress())) {
            raw.write(ByteBuffer.wrap("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer got = ByteBuffer.allocate(64);
            while (raw.read(got) >= 0) {
                // until the server closes
            }
            got.flip();
            byte[] bytes = new byte[got.remaining()];
            got.get(bytes);
            assertArrayEquals(new byte[] {21, 3, 3, 0, 2, 2, 10}, bytes, "a fatal unexpected_message alert");
            TlsException e = failure.get(10, TimeUnit.SECONDS);
            assertEquals(Alert.UNEXPECTED_MESSAGE, e.alert());
            assertEquals(raw.getLocalAddress(), failedPeer.get());
        }
        try (SSLSocket s = TestPeers.jsseSocket(server.localAddress().getPort())) {
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(200, TestPeers.readResponse(s.getInputStream(), false).status());
        }
        assertEquals(1, server.failedConnections());
    }

    @Test
    void aClientRejectingTheCertificateIsReportedWithItsAlert() throws Exception {
        CompletableFuture<TlsException> failure = new CompletableFuture<>();
        server = builder().onFailure((peer, e) -> failure.complete(e)).build();
        org.tollgate.tls.cert.DemoCertificates.Pki other = org.tollgate.tls.cert.DemoCertificates.create(java.time.Clock.systemUTC());
        org.tollgate.tls.TlsConfig distrustful = org.tollgate.tls.TlsConfig.builder()
                .verifier(org.tollgate.tls.cert.CertificateVerifier.trusting(List.of(other.ca()))).build();
        try (TlsChannel client = TlsChannel.client(SocketChannel.open(server.localAddress()), distrustful, "localhost")) {
            assertThrows(IOException.class, client::handshake);
        }
        TlsException e = failure.get(10, TimeUnit.SECONDS);
        assertEquals(Alert.UNKNOWN_CA, e.alert());
        assertTrue(e.receivedFromPeer());
    }

    @Test
    void openSslClientVerifiesTheServerAndGetsThePage(@TempDir Path dir) throws Exception {
        server = builder().build();
        Path ca = dir.resolve("ca.pem");
        TestPeers.PKI.writeCa(ca);
        Processes.Result client = Processes.run(dir, Duration.ofSeconds(30),
                "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                List.of("openssl", "s_client", "-connect", "127.0.0.1:" + server.localAddress().getPort(), "-tls1_3",
                        "-CAfile", ca.toString(), "-servername", "localhost", "-verify_return_error", "-ign_eof"));
        String output = client.output();
        assertTrue(output.contains("Verification: OK"), output);
        assertTrue(output.contains("New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256"), output);
        assertTrue(output.contains("HTTP/1.1 200 OK"), output);
        assertTrue(output.contains("<tr><th>SNI</th><td>localhost</td></tr>"), output);
        assertEquals(0, client.exit(), output);
    }

    @Test
    void closeStopsTheServer() throws Exception {
        server = builder().build();
        TlsChannel client = connect();
        assertTrue(client.handshake());
        server.close();
        assertEquals(-1, client.read(ByteBuffer.allocate(100)), "the open connection got close_notify");
        client.close();
        assertThrows(IOException.class, () -> SocketChannel.open(server.localAddress()).close());
    }
}
