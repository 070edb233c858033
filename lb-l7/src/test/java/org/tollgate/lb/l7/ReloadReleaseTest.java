package org.tollgate.lb.l7;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.lb.balance.Backend;
import org.tollgate.testsupport.Closer;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.tollgate.testsupport.Ports;

/**
 * A reload releases what the old configuration held once its exchanges have finished: the
 * old balancers' change listeners on the reused {@code Backend}s, and the old health
 * checkers; with several listeners, one checker per pool.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReloadReleaseTest {
    @RegisterExtension
    final Closer closer = new Closer();
    @TempDir
    Path dir;


    private <T extends AutoCloseable> T track(T c) {
        return closer.add(c);
    }

    /** The change listeners registered on {@code b} (balancers register one each); read by reflection, lb-l4 has no getter. */
    static int listeners(Backend b) throws ReflectiveOperationException {
        Field f = Backend.class.getDeclaredField("listeners");
        f.setAccessible(true);
        return ((List<?>) f.get(b)).size();
    }

    private static String yml(String listeners, TestBackend a, TestBackend b) {
        return "listeners:\n" + listeners
                + "pools:\n  web:\n    algorithm: weighted-round-robin\n    health-check:\n      path: /health\n"
                + "      interval: 100ms\n      timeout: 2s\n    backends:\n"
                + "      - address: 127.0.0.1:" + a.address().getPort() + "\n        name: a\n"
                + "      - address: 127.0.0.1:" + b.address().getPort() + "\n        name: b\n"
                + "routes:\n  - pool: web\n";
    }

    /** Health probes {@code backend} gets in {@code window}: at most one per interval and checker. */
    private static int probesIn(TestBackend backend, Duration window) throws InterruptedException {
        int before = backend.healthChecks.get();
        Thread.sleep(window.toMillis()); // counting what happens in a window, not waiting for something
        return backend.healthChecks.get() - before;
    }

    @Test
    void fiftyReloadsLeaveTheBackendsWithTheCurrentListenersAndCheckersOnly() throws Exception {
        TestBackend a = track(new TestBackend("a"));
        TestBackend b = track(new TestBackend("b"));
        Path file = dir.resolve("lb-l7.yml");
        Files.writeString(file, yml("  - listen: 127.0.0.1:" + Ports.free() + "\n", a, b));
        int checkersBefore = HealthLoop.users();
        Instance instance = track(Instance.start(ConfigFile.load(file, null), file, m -> { }, Duration.ofSeconds(1)));
        L7Proxy proxy = instance.proxies().get(0);
        List<Backend> backends = proxy.config().pools().get("web").backends();
        HealthCheckTest.waitFor(() -> a.healthChecks.get() >= 2, "checks run");
        List<BackendPool> old = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            old.add(proxy.config().pools().get("web"));
            try (RawClient c = new RawClient(proxy.localAddress())) {
                c.send("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
                assertEquals(200, c.read().status());
            }
            assertTrue(instance.reload(), "reload " + i);
        }
        assertEquals(50, proxy.stats().reloads());
        BackendPool now = proxy.config().pools().get("web");
        for (int i = 0; i < 2; i++) {
            assertTrue(backends.get(i) == now.backends().get(i), "the reload reused the Backend object");
            assertEquals(1, listeners(now.backends().get(i)), "only the current balancer listens to " + now.backends().get(i));
        }
        for (BackendPool p : old) {
            assertNull(p.health(), "an old pool's checker is stopped");
            assertTrue(p.balancer().backends().isEmpty(), "an old balancer holds no backend");
        }
        assertNotNull(now.health());
        // (at most: a proxy of an earlier test class may still be retiring in the background)
        assertTrue(HealthLoop.users() <= checkersBefore + 1, "one checker runs, not " + (HealthLoop.users() - checkersBefore));
        int probes = probesIn(a, Duration.ofSeconds(1));
        assertTrue(probes >= 1 && probes <= 12, "one checker every 100 ms probes at most ~10 times a second, not 51x that: " + probes);

        // a weight change still reaches the current balancer (its listener is the one kept)
        now.backends().get(1).setWeight(3);
        int[] counts = new int[2];
        for (int i = 0; i < 8; i++) {
            try (RawClient c = new RawClient(proxy.localAddress())) {
                c.send("GET /who HTTP/1.1\r\nHost: h\r\n\r\n");
                counts[c.read().body().startsWith("backend=a") ? 0 : 1]++;
            }
        }
        assertEquals(2, counts[0], "weights 1:3 over 8 requests");

        instance.close();
        assertTrue(HealthLoop.users() <= checkersBefore, "the last checker stopped with the proxy");
        assertEquals(0, listeners(backends.get(0)));
    }

    @Test
    void twoListenersSharingABackendProbeItOncePerInterval() throws Exception {
        TestBackend a = track(new TestBackend("a"));
        TestBackend b = track(new TestBackend("b"));
        Path file = dir.resolve("lb-l7.yml");
        Files.writeString(file, yml("  - listen: 127.0.0.1:0\n  - listen: 127.0.0.1:0\n", a, b));
        int checkersBefore = HealthLoop.users();
        Instance instance = track(Instance.start(ConfigFile.load(file, null), file, m -> { }, Duration.ofSeconds(1)));
        assertEquals(2, instance.proxies().size());
        assertTrue(instance.proxies().get(0).config().pools().get("web") == instance.proxies().get(1).config().pools().get("web"));
        HealthCheckTest.waitFor(() -> a.healthChecks.get() >= 2, "checks run");
        assertTrue(HealthLoop.users() <= checkersBefore + 1, "one checker for the pool both listeners route to");
        int probes = probesIn(a, Duration.ofSeconds(1));
        assertTrue(probes >= 1 && probes <= 12, "one probe per 100 ms interval, not one per listener: " + probes);
        assertEquals(1, listeners(instance.proxies().get(0).config().pools().get("web").backends().get(0)));
        // both listeners show the same checker's count
        long c0 = instance.proxies().get(0).snapshot().pools().get(0).backends().get(0).healthChecks();
        long c1 = instance.proxies().get(1).snapshot().pools().get(0).backends().get(0).healthChecks();
        assertTrue(Math.abs(c0 - c1) <= 1, c0 + " vs " + c1);
    }

    @Test
    void anExchangeInFlightKeepsItsConfigurationUntilItEnds() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        CountDownLatch asked = new CountDownLatch(1);
        ServerSocket server = track(new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress()));
        Thread t = new Thread(() -> {
            try (Socket s = server.accept()) {
                InputStream in = s.getInputStream();
                byte[] head = new byte[4];
                int n = 0;
                while (n < 4 || !new String(head, StandardCharsets.ISO_8859_1).equals("\r\n\r\n")) {
                    int c = in.read();
                    if (c < 0) {
                        return;
                    }
                    System.arraycopy(head, 1, head, 0, 3);
                    head[3] = (byte) c;
                    n++;
                }
                asked.countDown();
                answer.await();
                OutputStream out = s.getOutputStream();
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            } catch (Exception e) {
                // the test fails on its own assertions
            }
        }, "slow-backend");
        t.setDaemon(true);
        t.start();
        Path file = dir.resolve("lb-l7.yml");
        Files.writeString(file, "listeners:\n  - listen: 127.0.0.1:" + Ports.free() + "\npools:\n  web:\n    backends:\n"
                + "      - address: 127.0.0.1:" + server.getLocalPort() + "\n        name: slow\nroutes:\n  - pool: web\n");
        Instance instance = track(Instance.start(ConfigFile.load(file, null), file, m -> { }, Duration.ofSeconds(1)));
        L7Proxy proxy = instance.proxies().get(0);
        BackendPool first = proxy.config().pools().get("web");
        Backend slow = first.backends().get(0);
        RawClient c = track(new RawClient(proxy.localAddress()));
        c.send("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
        assertTrue(asked.await(10, TimeUnit.SECONDS));
        assertTrue(instance.reload());
        BackendPool second = proxy.config().pools().get("web");
        assertTrue(first != second && second.backends().get(0) == slow);
        assertEquals(2, listeners(slow), "the old balancer stays in use while its exchange runs");
        assertTrue(!first.balancer().backends().isEmpty());
        answer.countDown();
        assertEquals(200, c.read().status());
        HealthCheckTest.waitFor(() -> first.balancer().backends().isEmpty(), "the old pool released after its last exchange");
        assertEquals(1, listeners(slow));
        assertEquals(second, proxy.inForce().config.pools().get("web"));
        assertEquals(new InetSocketAddress("127.0.0.1", server.getLocalPort()), slow.address());
    }
}
