package org.tollgate.tls.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.tollgate.tls.Alert;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.cert.CertificateVerifier;
import org.tollgate.tls.cert.DemoCertificates;

/** TlsChannel client against TlsChannel server over real loopback sockets. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TlsChannelTest {
    static final DemoCertificates.Pki PKI = DemoCertificates.create(Clock.systemUTC());
    static final TlsConfig SERVER = TlsConfig.builder().certificate(PKI.localhostServer()).build();
    static final TlsConfig CLIENT = TlsConfig.builder().verifier(CertificateVerifier.trusting(List.of(PKI.ca()))).build();

    private ServerSocketChannel listener;
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeEach
    void listen() throws IOException {
        listener = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @AfterEach
    void stop() throws IOException {
        pool.shutdownNow();
        listener.close();
    }

    private SocketChannel connect() throws IOException {
        return SocketChannel.open(listener.getLocalAddress());
    }

    /** Accepts, and runs the server's handshake in the background, so the client's blocking calls can finish theirs. */
    private Future<TlsChannel> acceptAndHandshake() {
        return pool.submit(() -> {
            TlsChannel server = TlsChannel.server(listener.accept(), SERVER);
            server.handshake();
            return server;
        });
    }

    private Future<TlsChannel> acceptServer(TlsConfig config) {
        return pool.submit(() -> TlsChannel.server(listener.accept(), config));
    }

    private static TlsChannel handshaken(TlsChannel client, Future<TlsChannel> server) throws Exception {
        assertTrue(client.handshake());
        return server.get(10, TimeUnit.SECONDS);
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Reads exactly {@code n} bytes through {@code chunk}-sized reads (blocking channel). */
    static byte[] readFully(TlsChannel ch, int n, int chunk) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(n);
        ByteBuffer buf = ByteBuffer.allocate(chunk);
        while (out.size() < n) {
            buf.clear();
            int r = ch.read(buf);
            if (r < 0) {
                throw new IOException("EOF after " + out.size() + " of " + n + " bytes");
            }
            out.write(buf.array(), 0, r);
        }
        return out.toByteArray();
    }

    static void writeFully(TlsChannel ch, byte[] data) throws IOException {
        ByteBuffer src = ByteBuffer.wrap(data);
        while (src.hasRemaining()) {
            ch.write(src);
        }
    }

    @Test
    void handshakeAndOneMebibyteBothWaysBlocking() throws Exception {
        Future<TlsChannel> accepted = acceptServer(SERVER);
        try (TlsChannel client = TlsChannel.client(connect(), CLIENT, "localhost");
             TlsChannel server = accepted.get(10, TimeUnit.SECONDS)) {
            byte[] up = random(1 << 20, 1);
            byte[] down = random(1 << 20, 2);
            // Each side writes and reads at once, from two threads, as with plain sockets.
            Future<?> clientWrites = pool.submit(() -> {
                writeFully(client, up);
                return null;
            });
            Future<?> serverWrites = pool.submit(() -> {
                writeFully(server, down);
                return null;
            });
            Future<byte[]> serverReads = pool.submit(() -> readFully(server, up.length, 16384));
            byte[] got = readFully(client, down.length, 10_000);
            clientWrites.get(30, TimeUnit.SECONDS);
            serverWrites.get(30, TimeUnit.SECONDS);
            assertArrayEquals(down, got);
            assertArrayEquals(up, serverReads.get(30, TimeUnit.SECONDS));

            assertEquals(ProtocolVersion.TLS_1_3, client.summary().version());
            assertEquals(client.summary().cipherSuite(), server.summary().cipherSuite());
            assertEquals(CipherSuite.TLS_AES_128_GCM_SHA256, server.summary().cipherSuite());
            assertEquals("localhost", server.summary().serverName());
        }
    }

    @Test
    void aWriterIsNotBlockedByAReaderWaitingForData() throws Exception {
        Future<TlsChannel> accepted = acceptAndHandshake();
        try (TlsChannel client = TlsChannel.client(connect(), CLIENT, "localhost")) {
            // The reader starts first: it runs the handshake, then waits for data that only
            // comes after the writer (another thread) has sent its request.
            Future<byte[]> reader = pool.submit(() -> readFully(client, 5, 100));
            Thread.sleep(100);
            writeFully(client, "ping?".getBytes());
            try (TlsChannel server = accepted.get(10, TimeUnit.SECONDS)) {
                assertArrayEquals("ping?".getBytes(), readFully(server, 5, 100));
                writeFully(server, "pong!".getBytes());
                assertArrayEquals("pong!".getBytes(), reader.get(10, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void explicitHandshakeThenTinyReadsAndWrites() throws Exception {
        Future<TlsChannel> accepted = acceptServer(SERVER);
        try (TlsChannel client = TlsChannel.client(connect(), CLIENT, "localhost");
             TlsChannel server = accepted.get(10, TimeUnit.SECONDS)) {
            Future<Boolean> serverHandshake = pool.submit(server::handshake);
            assertTrue(client.handshake());
            assertTrue(serverHandshake.get(10, TimeUnit.SECONDS));
            assertTrue(client.isHandshakeComplete());

            byte[] message = random(50_000, 3);
            // One byte per write: 50 000 one-byte records.
            Future<?> writer = pool.submit(() -> {
                for (byte b : message) {
                    assertEquals(1, client.write(ByteBuffer.wrap(new byte[] {b})));
                }
                return null;
            });
            // Three-byte reads on the other side.
            assertArrayEquals(message, readFully(server, message.length, 3));
            writer.get(10, TimeUnit.SECONDS);
            // A full destination buffer reads nothing and loses nothing.
            assertEquals(0, server.read(ByteBuffer.allocate(0)));
        }
    }

    @Test
    void nonBlockingClientUnderASelector() throws Exception {
        Future<TlsChannel> accepted = acceptServer(SERVER);
        SocketChannel socket = SocketChannel.open();
        socket.configureBlocking(false);
        socket.connect(listener.getLocalAddress());
        byte[] request = random(300_000, 4);
        byte[] response = random(700_000, 5);
        Future<?> serverSide = pool.submit(() -> {
            try (TlsChannel server = accepted.get(10, TimeUnit.SECONDS)) {
                assertArrayEquals(request, readFully(server, request.length, 8192));
                writeFully(server, response);
                server.shutdownOutput();
                ByteBuffer rest = ByteBuffer.allocate(16);
                assertEquals(-1, server.read(rest)); // the client's close_notify
            }
            return null;
        });

        try (Selector selector = Selector.open(); TlsChannel client = TlsChannel.client(socket, CLIENT, "localhost")) {
            SelectionKey key = socket.register(selector, SelectionKey.OP_CONNECT);
            ByteBuffer out = ByteBuffer.wrap(request);
            ByteBuffer in = ByteBuffer.allocate(777);
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            boolean eof = false;
            while (!eof) {
                selector.select(5000);
                if (key.isConnectable() && socket.finishConnect()) {
                    key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                }
                if (!socket.isConnected()) {
                    continue;
                }
                if (out.hasRemaining()) {
                    client.write(out); // 0 while the handshake runs or the socket is full
                } else {
                    client.flush();
                }
                int n;
                while ((n = client.read(in)) > 0) {
                    received.write(in.array(), 0, n);
                    in.clear();
                }
                eof = n < 0;
                key.interestOps(SelectionKey.OP_READ | (out.hasRemaining() || client.wantsWrite() ? SelectionKey.OP_WRITE : 0));
            }
            assertArrayEquals(response, received.toByteArray());
            assertFalse(client.isTruncated());
            client.close();
            serverSide.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void backpressureWhenThePeerStopsReading() throws Exception {
        Future<TlsChannel> accepted = acceptServer(SERVER);
        try (TlsChannel client = TlsChannel.client(connect(), CLIENT, "localhost");
             TlsChannel server = accepted.get(10, TimeUnit.SECONDS)) {
            Future<Boolean> hs = pool.submit(server::handshake);
            client.handshake();
            hs.get(10, TimeUnit.SECONDS);
            server.socket().configureBlocking(false);

            // The client reads nothing: sooner or later the server's writes take nothing.
            byte[] data = random(64 * 1024 * 1024, 6);
            ByteBuffer src = ByteBuffer.wrap(data);
            int zeroInARow = 0;
            while (zeroInARow < 50 && src.hasRemaining()) {
                int n = server.write(src);
                zeroInARow = n == 0 ? zeroInARow + 1 : 0;
            }
            assertEquals(50, zeroInARow, "writes stop taking bytes when the socket is full");
            assertTrue(server.wantsWrite());
            assertFalse(server.flush());
            int taken = src.position();
            assertTrue(taken < data.length / 2, "only what the kernel buffers hold was taken: " + taken);
            // Nothing more is taken while the batch waits: memory stays bounded.
            assertEquals(0, server.write(src));
            assertEquals(taken, src.position());

            // The client starts reading: everything taken arrives intact, and writing resumes.
            Future<byte[]> reader = pool.submit(() -> readFully(client, data.length, 65536));
            while (src.hasRemaining()) {
                if (server.write(src) == 0) {
                    Thread.sleep(1);
                }
            }
            while (!server.flush()) {
                Thread.sleep(1);
            }
            assertArrayEquals(data, reader.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void closeNotifyBothWays() throws Exception {
        Future<TlsChannel> accepted = acceptAndHandshake();
        try (TlsChannel client = TlsChannel.client(connect(), CLIENT, "localhost");
             TlsChannel server = handshaken(client, accepted)) {
            writeFully(client, "hello".getBytes());
            assertArrayEquals("hello".getBytes(), readFully(server, 5, 100));

            assertTrue(client.shutdownOutput());
            assertEquals(-1, server.read(ByteBuffer.allocate(100)), "server sees the client's close_notify");
            assertFalse(server.isTruncated());
            assertThrows(ClosedChannelException.class, () -> client.write(ByteBuffer.wrap(new byte[1])));
            // RFC 8446 §6.1 half-close: the server may still send, then closes its side itself.
            assertFalse(server.engine().isOutboundClosed());
            writeFully(server, "bye".getBytes());
            assertArrayEquals("bye".getBytes(), readFully(client, 3, 100));
            assertTrue(server.shutdownOutput());
            assertEquals(-1, client.read(ByteBuffer.allocate(100)), "client sees the server's close_notify");
            assertFalse(client.isTruncated());
            assertTrue(client.engine().isInboundClosed());
            assertTrue(server.engine().isOutboundClosed());
            client.close();
            assertFalse(client.isOpen());
            assertThrows(ClosedChannelException.class, () -> client.read(ByteBuffer.allocate(1)));
        }
    }

    @Test
    void closeSendsCloseNotifyAndEofWithoutItIsTruncation() throws Exception {
        Future<TlsChannel> accepted = acceptAndHandshake();
        try (TlsChannel client = TlsChannel.client(connect(), CLIENT, "localhost");
             TlsChannel server = handshaken(client, accepted)) {
            writeFully(client, "x".getBytes());
            readFully(server, 1, 1);
            server.close();
            assertEquals(-1, client.read(ByteBuffer.allocate(10)));
            assertFalse(client.isTruncated());
        }
        Future<TlsChannel> accepted2 = acceptAndHandshake();
        try (TlsChannel client = TlsChannel.client(connect(), CLIENT, "localhost");
             TlsChannel server = handshaken(client, accepted2)) {
            writeFully(client, "x".getBytes());
            readFully(server, 1, 1);
            server.socket().close(); // TCP close, no close_notify
            assertEquals(-1, client.read(ByteBuffer.allocate(10)));
            assertTrue(client.isTruncated());
        }
    }

    @Test
    void untrustedCertificateSurfacesAsAlertOnBothSides() throws Exception {
        DemoCertificates.Pki other = DemoCertificates.create(Clock.systemUTC());
        TlsConfig distrustful = TlsConfig.builder().verifier(CertificateVerifier.trusting(List.of(other.ca()))).build();
        Future<TlsChannel> accepted = acceptServer(SERVER);
        try (TlsChannel client = TlsChannel.client(connect(), distrustful, "localhost");
             TlsChannel server = accepted.get(10, TimeUnit.SECONDS)) {
            CompletableFuture<Throwable> serverFailure = new CompletableFuture<>();
            pool.submit(() -> {
                try {
                    server.read(ByteBuffer.allocate(100));
                    serverFailure.complete(null);
                } catch (Throwable t) {
                    serverFailure.complete(t);
                }
            });
            TlsIOException e = assertThrows(TlsIOException.class, () -> client.write(ByteBuffer.wrap(new byte[10])));
            assertEquals(Alert.UNKNOWN_CA, e.alert());
            assertFalse(e.tlsException().receivedFromPeer());
            assertFalse(client.isOpen());
            // Every later call reports the same failure.
            assertEquals(Alert.UNKNOWN_CA, assertThrows(TlsIOException.class, () -> client.read(ByteBuffer.allocate(1))).alert());

            Throwable t = serverFailure.get(10, TimeUnit.SECONDS);
            TlsIOException s = assertInstanceOf(t);
            assertEquals(Alert.UNKNOWN_CA, s.alert());
            assertTrue(s.tlsException().receivedFromPeer(), "the server received the client's alert");
        }
    }

    private static TlsIOException assertInstanceOf(Throwable t) {
        assertNotNull(t, "expected a failure");
        if (!(t instanceof TlsIOException)) {
            throw new AssertionError("expected TlsIOException, got " + t, t);
        }
        return (TlsIOException) t;
    }

    @Test
    void plainTextToATlsServerGetsAnAlertOnTheWire() throws Exception {
        Future<TlsChannel> accepted = acceptServer(SERVER);
        try (SocketChannel raw = connect(); TlsChannel server = accepted.get(10, TimeUnit.SECONDS)) {
            raw.write(ByteBuffer.wrap("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes()));
            TlsIOException e = assertThrows(TlsIOException.class, server::handshake);
            assertEquals(Alert.UNEXPECTED_MESSAGE, e.alert());
            assertTrue(e.getMessage().contains("plain text"), e.getMessage());
            assertFalse(server.isOpen());

            // The alert went out before the close: 21 (alert), 0x0303, length 2, fatal, unexpected_message.
            ByteBuffer got = ByteBuffer.allocate(64);
            while (raw.read(got) >= 0) {
                // until the server's FIN
            }
            got.flip();
            byte[] bytes = new byte[got.remaining()];
            got.get(bytes);
            assertArrayEquals(new byte[] {21, 3, 3, 0, 2, 2, 10}, bytes);
        }
    }

    @Test
    void eofDuringHandshakeIsAnError() throws Exception {
        Future<TlsChannel> accepted = acceptServer(SERVER);
        SocketChannel raw = connect();
        try (TlsChannel server = accepted.get(10, TimeUnit.SECONDS)) {
            raw.close();
            IOException e = assertThrows(IOException.class, server::handshake);
            assertTrue(e.getMessage().contains("during the TLS handshake"), e.getMessage());
        }
    }
}
