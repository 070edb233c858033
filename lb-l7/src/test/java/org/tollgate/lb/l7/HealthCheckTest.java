package org.tollgate.lb.l7;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.l4.HealthConfig;
import org.tollgate.testsupport.Closer;
import org.tollgate.testsupport.Ports;

/** Active HTTP health checks, passive ejection, and a backend killed under load, against real backends. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class HealthCheckTest {
    @RegisterExtension
    final Closer closer = new Closer();

    private <T extends AutoCloseable> T track(T c) {
        return closer.add(c);
    }

    static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(20);
        }
    }

    private static String who(L7Proxy p) throws IOException {
        try (RawClient c = new RawClient(p.localAddress())) {
            c.send("GET /who HTTP/1.1\r\nHost: h\r\n\r\n");
            RawClient.Response r = c.read();
            return r.status() + " " + (r.status() == 200 ? r.body().substring(8, 9) : r.body());
        }
    }

    @Test
    void activeChecksTakeABackendAnswering500DownAndBringItBackOn200() throws Exception {
        TestBackend a = track(new TestBackend("a"));
        TestBackend b = track(new TestBackend("b"));
        Backend ba = a.backend();
        Backend bb = b.backend();
        HealthConfig timing = HealthConfig.builder().interval(Duration.ofMillis(50)).timeout(Duration.ofSeconds(3)).rise(2).fall(2).ejectAfter(0).build();
        BackendPool pool = BackendPool.builder("web", Algorithm.ROUND_ROBIN, List.of(ba, bb))
                .healthCheck(new HealthCheck("/health", 200, timing)).build();
        L7Proxy p = track(L7Proxy.start(L7ProxyTest.config(pool).retryAfterSeconds(3).build()));
        waitFor(() -> a.healthChecks.get() >= 2 && b.healthChecks.get() >= 2, "the checks run");

        a.healthStatus = 500;
        waitFor(() -> ba.state() == Backend.State.DOWN, "a DOWN after two 500s");
        for (int i = 0; i < 4; i++) {
            assertEquals("200 b", who(p));
        }
        assertEquals(0, a.requests.get(), "a DOWN backend gets no requests");

        b.healthStatus = 503;
        waitFor(() -> bb.state() == Backend.State.DOWN, "b DOWN too");
        try (RawClient c = new RawClient(p.localAddress())) {
            c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            RawClient.Response r = c.read();
            assertEquals(503, r.status());
            assertEquals("3", r.header("Retry-After"));
        }

        a.healthStatus = 200;
        b.healthStatus = 200;
        waitFor(() -> ba.state() == Backend.State.UP && bb.state() == Backend.State.UP, "both UP after two good checks");
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            seen.add(who(p));
        }
        assertTrue(seen.contains("200 a") && seen.contains("200 b"), seen.toString());
        StatsSnapshot.BackendStats sa = p.snapshot().pools().get(0).backends().get(0);
        assertEquals("a", sa.name());
        assertTrue(sa.healthChecks() >= 6, "checks are counted: " + sa);
    }

    @Test
    void aBackendThatStopsListeningFailsItsChecks() throws Exception {
        TestBackend a = track(new TestBackend("a"));
        Backend dead = new Backend("dead", new java.net.InetSocketAddress("127.0.0.1", Ports.free()));
        HealthConfig timing = HealthConfig.builder().interval(Duration.ofMillis(50)).timeout(Duration.ofSeconds(3)).rise(1).fall(1).ejectAfter(0).build();
        BackendPool pool = BackendPool.builder("web", Algorithm.ROUND_ROBIN, List.of(dead, a.backend()))
                .healthCheck(new HealthCheck("/health", 200, timing)).build();
        track(L7Proxy.start(L7ProxyTest.config(pool).build()));
        waitFor(() -> dead.state() == Backend.State.DOWN, "a refused connection fails the check");
    }

    @Test
    void passiveEjectionAfterRepeated5xxAndReturnAfterTheCooldown() throws Exception {
        TestBackend a = track(new TestBackend("a"));
        TestBackend b = track(new TestBackend("b"));
        Backend ba = a.backend();
        HealthConfig timing = HealthConfig.builder().ejectAfter(3).cooldown(Duration.ofMillis(500)).build();
        BackendPool pool = BackendPool.builder("web", Algorithm.ROUND_ROBIN, List.of(ba, b.backend()))
                .healthCheck(HealthCheck.passive(timing)).build();
        L7Proxy p = track(L7Proxy.start(L7ProxyTest.config(pool).build()));
        a.forcedStatus = 500;
        int fiveHundreds = 0;
        for (int i = 0; i < 6; i++) {
            if (who(p).startsWith("500")) {
                fiveHundreds++;
            }
        }
        assertEquals(3, fiveHundreds, "a's 500s pass through until the third ejects it");
        waitFor(() -> ba.state() == Backend.State.DOWN, "a ejected");
        a.forcedStatus = 0;
        for (int i = 0; i < 3; i++) {
            assertEquals("200 b", who(p));
        }
        waitFor(() -> ba.state() == Backend.State.UP, "a back after its cool-down");
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            seen.add(who(p));
        }
        assertTrue(seen.contains("200 a"), seen.toString());
        assertEquals(3, p.snapshot().pools().get(0).backends().get(0).failures());
    }

    @Test
    void passiveEjectionOfABackendThatRefusesConnections() throws Exception {
        TestBackend a = track(new TestBackend("a"));
        Backend dead = new Backend("dead", new java.net.InetSocketAddress("127.0.0.1", Ports.free()));
        HealthConfig timing = HealthConfig.builder().ejectAfter(2).cooldown(Duration.ofMinutes(5)).build();
        BackendPool pool = BackendPool.builder("web", Algorithm.ROUND_ROBIN, List.of(dead, a.backend()))
                .healthCheck(HealthCheck.passive(timing)).build();
        L7Proxy p = track(L7Proxy.start(L7ProxyTest.config(pool).build()));
        for (int i = 0; i < 6; i++) {
            assertEquals("200 a", who(p), "connect failures move on to a");
        }
        waitFor(() -> dead.state() == Backend.State.DOWN, "dead ejected");
        assertEquals(2, p.stats().backendFailures(), "once ejected, dead is not tried any more");
    }

    @Test
    void aBackendKilledUnderLoadCostsNoIdempotentRequest() throws Exception {
        List<TestBackend> servers = new ArrayList<>();
        List<Backend> backends = new ArrayList<>();
        for (String n : List.of("a", "b", "c")) {
            TestBackend t = new TestBackend(n);
            servers.add(t);
            backends.add(t.backend());
        }
        servers.forEach(closer::add);
        HealthConfig timing = HealthConfig.builder().interval(Duration.ofMillis(100)).timeout(Duration.ofSeconds(3)).rise(2).fall(2).ejectAfter(2).build();
        BackendPool pool = BackendPool.builder("web", Algorithm.ROUND_ROBIN, backends)
                .healthCheck(new HealthCheck("/health", 200, timing)).build();
        L7Proxy p = track(L7Proxy.start(L7ProxyTest.config(pool).build()));
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        URI uri = URI.create("http://127.0.0.1:" + p.localAddress().getPort() + "/load");
        int threads = 6;
        int perThread = 60;
        AtomicInteger done = new AtomicInteger();
        CountDownLatch killed = new CountDownLatch(1);
        List<String> failures = new CopyOnWriteArrayList<>();
        Map<String, AtomicInteger> perBackend = new ConcurrentHashMap<>();
        ExecutorService pool6 = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                fs.add(pool6.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        try {
                            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20)).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() != 200) {
                                failures.add(r.statusCode() + " " + r.body());
                            } else {
                                perBackend.computeIfAbsent(r.body().substring(8, 9), k -> new AtomicInteger()).incrementAndGet();
                            }
                        } catch (Exception e) {
                            failures.add(e.toString());
                        }
                        if (done.incrementAndGet() == threads * perThread / 3) {
                            servers.get(1).close(); // b dies in the middle of the load
                            killed.countDown();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get(80, TimeUnit.SECONDS);
            }
        } finally {
            pool6.shutdownNow();
        }
        assertTrue(killed.getCount() == 0);
        assertEquals(List.of(), failures, "every GET succeeded");
        assertEquals(threads * perThread, perBackend.values().stream().mapToInt(AtomicInteger::get).sum());
        waitFor(() -> backends.get(1).state() == Backend.State.DOWN, "b is DOWN");
        assertTrue(perBackend.get("a").get() > 0 && perBackend.get("c").get() > 0, perBackend.toString());
    }
}
