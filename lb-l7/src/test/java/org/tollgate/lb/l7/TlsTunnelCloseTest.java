package org.tollgate.lb.l7;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.lb.balance.Backend;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.TlsEngine;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.cert.CertificateVerifier;
import org.tollgate.tls.cert.CertifiedKey;
import org.tollgate.tls.cert.DemoCertificates;
import org.tollgate.testsupport.Closer;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An Upgrade tunnel to an HTTPS backend ends with close_notify to the backend before the
 * TCP close (RFC 8446 §6.1), whether the client ends it or the tunnel's idle timeout does.
 * The backend is tls-core's server engine on a plain blocking socket, so it sees exactly
 * which came first: the close_notify alert or the end of the TCP stream.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsTunnelCloseTest {
    private static DemoCertificates.Pki pki;
    private static CertifiedKey backendKey;
    @RegisterExtension
    final Closer closer = new Closer();

    @BeforeAll
    static void certificates() {
        pki = DemoCertificates.create(Clock.systemUTC());
        Instant now = Instant.now();
        backendKey = pki.issue("backend.internal", List.of("backend.internal"), DemoCertificates.KeyType.EC_P256,
                now.minusSeconds(3600), now.plusSeconds(86400), true);
    }


    private <T extends AutoCloseable> T track(T c) {
        return closer.add(c);
    }

    /**
     * One TLS connection: the handshake, a request head answered with 101, then an echo;
     * completes with how the proxy ended it.
     */
    private static CompletableFuture<String> upgradeEchoBackend(ServerSocket server) {
        CompletableFuture<String> ending = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try (Socket s = server.accept()) {
                TlsEngine engine = TlsEngine.server(TlsConfig.builder().certificate(backendKey).build());
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                StringBuilder head = new StringBuilder();
                boolean upgraded = false;
                byte[] buf = new byte[16384];
                while (true) {
                    int n = in.read(buf);
                    if (n < 0) {
                        ending.complete(engine.isInboundClosed() ? "close_notify, then TCP close" : "TCP close without close_notify");
                        return;
                    }
                    engine.receive(ByteBuffer.wrap(buf, 0, n));
                    ByteBuffer data = ByteBuffer.allocate(Math.max(1, engine.applicationDataAvailable()));
                    engine.readApplicationData(data);
                    data.flip();
                    String text = StandardCharsets.ISO_8859_1.decode(data).toString();
                    if (!upgraded) {
                        head.append(text);
                        if (head.indexOf("\r\n\r\n") >= 0) {
                            upgraded = true;
                            engine.writeApplicationData(ByteBuffer.wrap(
                                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: raw\r\nConnection: Upgrade\r\n\r\n"
                                            .getBytes(StandardCharsets.ISO_8859_1)));
                        }
                    } else if (!text.isEmpty()) {
                        engine.writeApplicationData(ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1)));
                    }
                    if (engine.isInboundClosed() && !engine.isOutboundClosed()) {
                        engine.closeOutbound(); // answer with ours, and wait for the TCP close
                    }
                    if (engine.hasPendingOutput()) {
                        out.write(engine.drainOutput());
                        out.flush();
                    }
                }
            } catch (IOException | TlsException | RuntimeException e) {
                ending.complete("failed: " + e);
            }
        }, "tls-upgrade-backend");
        t.setDaemon(true);
        t.start();
        return ending;
    }

    private L7Proxy proxy(ServerSocket backend, Duration tunnelIdle) throws IOException {
        TlsConfig toBackends = TlsConfig.builder().verifier(CertificateVerifier.trusting(List.of(pki.ca()))).build();
        BackendPool pool = BackendPool.of("secure", Algorithm.ROUND_ROBIN,
                List.of(new Backend("b", (InetSocketAddress) backend.getLocalSocketAddress()))).withTls(toBackends, "backend.internal");
        return track(L7Proxy.start(L7ProxyTest.config(pool).tunnelIdleTimeout(tunnelIdle).build()));
    }

    private static void upgradeAndEcho(RawClient c) throws IOException {
        c.send("GET /raw HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: raw\r\n\r\n");
        InputStream in = c.socket.getInputStream();
        assertTrue(RawClient.readUntil(in, "\r\n\r\n").startsWith("HTTP/1.1 101 "));
        c.send("ping");
        assertEquals("ping", RawClient.readUntil(in, "ping"));
    }

    @Test
    void theClientsEndReachesTheHttpsBackendAsCloseNotify() throws Exception {
        ServerSocket backend = track(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
        CompletableFuture<String> ending = upgradeEchoBackend(backend);
        L7Proxy p = proxy(backend, Duration.ofHours(1));
        RawClient c = track(new RawClient(p.localAddress()));
        upgradeAndEcho(c);
        c.socket.shutdownOutput();
        assertEquals("close_notify, then TCP close", ending.get(20, TimeUnit.SECONDS));
        assertEquals(-1, c.socket.getInputStream().read(), "the backend's end comes back to the client");
        HealthCheckTest.waitFor(() -> p.openConnections() == 0, "the tunnel closed");
    }

    @Test
    void anIdleTunnelClosedByTheProxySendsCloseNotifyToTheHttpsBackend() throws Exception {
        ServerSocket backend = track(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
        CompletableFuture<String> ending = upgradeEchoBackend(backend);
        L7Proxy p = proxy(backend, Duration.ofMillis(300));
        RawClient c = track(new RawClient(p.localAddress()));
        upgradeAndEcho(c);
        assertEquals("close_notify, then TCP close", ending.get(20, TimeUnit.SECONDS));
        assertEquals(-1, c.socket.getInputStream().read());
    }
}
