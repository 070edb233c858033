package org.tollgate.lb.l7;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.testsupport.Closer;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.cert.DemoCertificates;
import org.tollgate.tls.cert.PemFiles;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.lb.balance.Backend;

/** WebSocket through the proxy: the JDK's java.net.http.WebSocket client, a hand-written echo backend. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebSocketTest {
    @RegisterExtension
    final Closer closer = new Closer();

    private <T extends AutoCloseable> T track(T c) {
        return closer.add(c);
    }

    /** Collects whole messages (text as String, binary as byte[]) and the close. */
    static final class Collector implements WebSocket.Listener {
        final LinkedBlockingQueue<Object> messages = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        private final StringBuilder text = new StringBuilder();
        private final java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                messages.add(text.toString());
                text.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            binary.write(b, 0, b.length);
            if (last) {
                messages.add(binary.toByteArray());
                binary.reset();
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
            closed.complete(status);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.completeExceptionally(error);
        }
    }

    @Test
    void echoThroughTheProxyWithTheJdkClient() throws Exception {
        WebSocketEchoBackend echo = track(new WebSocketEchoBackend());
        List<String> log = new CopyOnWriteArrayList<>();
        L7Proxy p = track(L7Proxy.start(L7ProxyTest.config(BackendPool.of("ws", Algorithm.ROUND_ROBIN,
                List.of(new Backend("echo", echo.address())))).accessLog(log::add).build()));
        Collector c = new Collector();
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + p.localAddress().getPort() + "/chat"), c).get(10, TimeUnit.SECONDS);
        ws.sendText("hello through lb-l7", true).get(10, TimeUnit.SECONDS);
        assertEquals("hello through lb-l7", c.messages.poll(10, TimeUnit.SECONDS));
        byte[] big = new byte[300_000]; // larger than the proxy's 64 KiB high-water mark: backpressure in the tunnel
        new Random(5).nextBytes(big);
        ws.sendBinary(ByteBuffer.wrap(big), true).get(10, TimeUnit.SECONDS);
        assertArrayEquals(big, (byte[]) c.messages.poll(10, TimeUnit.SECONDS));
        for (int i = 0; i < 20; i++) {
            ws.sendText("m" + i, true).get(10, TimeUnit.SECONDS);
        }
        for (int i = 0; i < 20; i++) {
            assertEquals("m" + i, c.messages.poll(10, TimeUnit.SECONDS));
        }
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
        assertEquals(WebSocket.NORMAL_CLOSURE, c.closed.get(10, TimeUnit.SECONDS));
        assertTrue(echo.closeFrameSeen);

        String head = echo.requestHeads.get(0);
        assertTrue(head.startsWith("GET /chat HTTP/1.1\r\n"), head);
        assertTrue(head.contains("\r\nConnection: Upgrade\r\n") && head.toLowerCase().contains("\r\nupgrade: websocket\r\n"), head);
        HealthCheckTest.waitFor(() -> p.openConnections() == 0, "the tunnel closes when both sides have");
        HealthCheckTest.waitFor(() -> !log.isEmpty(), "the tunnel's access log line");
        assertTrue(log.get(0).matches(".*\"GET /chat HTTP/1\\.1\" 101 \\d+ .* ws/echo 127\\.0\\.0\\.1:\\d+ \\d+/\\d+/\\d+/\\d+ --"), log.get(0));
        assertEquals(0, p.snapshot().pools().get(0).backends().get(0).active(), "the backend's count is released");
    }

    @Test
    void secureWebSocketThroughTlsTermination(@TempDir Path dir) throws Exception {
        DemoCertificates.Pki pki = DemoCertificates.create(Clock.systemUTC());
        WebSocketEchoBackend echo = track(new WebSocketEchoBackend());
        L7Proxy p = track(L7Proxy.start(L7ProxyTest.config(BackendPool.of("ws", Algorithm.ROUND_ROBIN,
                List.of(new Backend("echo", echo.address()))))
                .tls(TlsConfig.builder().certificate(pki.localhostServer()).alpnProtocols(List.of("http/1.1")).build()).build()));
        Path ca = dir.resolve("ca.pem");
        pki.writeCa(ca);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("demo-ca", PemFiles.readCertificates(ca).get(0));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        Collector c = new Collector();
        WebSocket ws = HttpClient.newBuilder().sslContext(ssl).build().newWebSocketBuilder()
                .buildAsync(URI.create("wss://127.0.0.1:" + p.localAddress().getPort() + "/secure"), c).get(10, TimeUnit.SECONDS);
        byte[] big = new byte[200_000];
        new Random(9).nextBytes(big);
        ws.sendBinary(ByteBuffer.wrap(big), true).get(10, TimeUnit.SECONDS);
        assertArrayEquals(big, (byte[]) c.messages.poll(10, TimeUnit.SECONDS));
        ws.sendText("over TLS", true).get(10, TimeUnit.SECONDS);
        assertEquals("over TLS", c.messages.poll(10, TimeUnit.SECONDS));
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
        assertEquals(WebSocket.NORMAL_CLOSURE, c.closed.get(10, TimeUnit.SECONDS));
        HealthCheckTest.waitFor(() -> p.openConnections() == 0, "the tunnel closes");
    }

    /** A backend that answers any request with 101 and then echoes raw bytes until the client's end, then ends too. */
    private static java.net.ServerSocket rawUpgradeEcho() throws java.io.IOException {
        java.net.ServerSocket server = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try (java.net.Socket s = server.accept()) {
                    java.io.InputStream in = s.getInputStream();
                    int state = 0;
                    while (state < 4) {
                        int ch = in.read();
                        if (ch < 0) {
                            break;
                        }
                        state = (ch == '\r' && state % 2 == 0) || (ch == '\n' && state % 2 == 1) ? state + 1 : 0;
                    }
                    s.getOutputStream().write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: raw\r\nConnection: Upgrade\r\n\r\n".getBytes());
                    in.transferTo(s.getOutputStream());
                    s.shutdownOutput();
                } catch (java.io.IOException e) {
                    // next
                }
            }
        }, "raw-upgrade-echo");
        t.setDaemon(true);
        t.start();
        return server;
    }

    @Test
    void halfClosesPassThroughTheTunnelAndAnIdleTunnelIsClosed() throws Exception {
        java.net.ServerSocket backend = track(rawUpgradeEcho());
        List<String> log = new CopyOnWriteArrayList<>();
        L7Proxy p = track(L7Proxy.start(L7ProxyTest.config(BackendPool.of("raw", Algorithm.ROUND_ROBIN,
                List.of(new Backend("raw", (java.net.InetSocketAddress) backend.getLocalSocketAddress()))))
                .tunnelIdleTimeout(java.time.Duration.ofMillis(500)).accessLog(log::add).build()));
        RawClient c = track(new RawClient(p.localAddress()));
        c.send("GET /raw HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: raw\r\n\r\nearly ");
        java.io.InputStream in = c.socket.getInputStream();
        String head = RawClient.readUntil(in, "\r\n\r\n");
        assertTrue(head.startsWith("HTTP/1.1 101 ") && head.contains("\r\nUpgrade: raw\r\n") && head.contains("\r\nConnection: Upgrade\r\n"), head);
        c.send("bytes");
        assertEquals("early bytes", RawClient.readUntil(in, "bytes"), "bytes sent right after the head go first");
        c.socket.shutdownOutput(); // our end reaches the backend, whose end comes back
        assertEquals(-1, in.read());
        HealthCheckTest.waitFor(() -> p.openConnections() == 0, "closed after both ends");

        RawClient idle = track(new RawClient(p.localAddress()));
        idle.send("GET /raw HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: raw\r\n\r\n");
        RawClient.readUntil(idle.socket.getInputStream(), "\r\n\r\n");
        assertEquals(-1, idle.socket.getInputStream().read(), "an idle tunnel is closed after tunnelIdleTimeout");
        HealthCheckTest.waitFor(() -> log.size() == 2, "two log lines");
        assertTrue(log.get(0).endsWith(" --") && log.get(0).contains("\" 101 "), log.get(0));
        assertTrue(log.get(1).endsWith(" cD"), log.get(1));
    }

    @Test
    void anUpgradeAnsweredWithoutA101IsAnOrdinaryResponse() throws Exception {
        TestBackend a = track(new TestBackend("a"));
        L7Proxy p = track(L7Proxy.start(L7ProxyTest.config(BackendPool.of("web", Algorithm.ROUND_ROBIN, List.of(a.backend()))).build()));
        RawClient c = track(new RawClient(p.localAddress()));
        c.send("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
        RawClient.Response r = c.read();
        assertEquals(200, r.status());
        assertTrue(r.body().contains("connection=Upgrade"), "the backend was asked to upgrade: " + r.body());
        c.send("GET /after HTTP/1.1\r\nHost: h\r\n\r\n");
        assertTrue(c.read().body().contains("path=/after "), "the connection goes on as HTTP");
    }

    @Test
    void http10UpgradeIsIgnored() throws Exception {
        TestBackend a = track(new TestBackend("a"));
        L7Proxy p = track(L7Proxy.start(L7ProxyTest.config(BackendPool.of("web", Algorithm.ROUND_ROBIN, List.of(a.backend()))).build()));
        RawClient c = track(new RawClient(p.localAddress()));
        c.send("GET /ws HTTP/1.0\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
        RawClient.Response r = c.read();
        assertTrue(r.body().contains("connection=null"), "RFC 9110 §7.8: no upgrade over HTTP/1.0: " + r.body());
    }
}
