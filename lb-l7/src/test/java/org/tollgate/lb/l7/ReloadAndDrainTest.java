package org.tollgate.lb.l7;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.testsupport.Closer;
import org.tollgate.testsupport.Ports;

/**
 * Operations: the config file changes under a steady load of requests (kept-alive and new
 * connections) and not one request fails; a file with a mistake is refused with its line
 * and the old configuration keeps serving; SIGHUP reloads the real program; a graceful
 * shutdown lets the request in flight finish while idle connections close.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReloadAndDrainTest {
    @TempDir
    Path dir;
    @RegisterExtension
    final Closer closer = new Closer();

    static String config(int port, String backends, String algorithm) {
        return "listeners:\n  - listen: 127.0.0.1:" + port + "\n"
                + "pools:\n  web:\n    algorithm: " + algorithm + "\n    backends: [" + backends + "]\n"
                + "routes:\n  - pool: web\n";
    }

    /** Replaces the file in one step, as an editor saving through a rename does. */
    static void write(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static void waitUntil(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void reloadsUnderLoadDropNothingAndABadFileKeepsTheOldConfig() throws Exception {
        TestBackend a = new TestBackend("a");
        TestBackend b = new TestBackend("b");
        closer.add(a);
        closer.add(b);
        int port = Ports.free();
        Path file = dir.resolve("lb-l7.yml");
        String addrA = "127.0.0.1:" + a.address().getPort();
        String addrB = "127.0.0.1:" + b.address().getPort();
        write(file, config(port, addrA, "round-robin"));
        List<String> reports = new CopyOnWriteArrayList<>();
        Instance instance = Instance.start(ConfigFile.load(file, null), file, reports::add, Duration.ofSeconds(5));
        closer.add(instance);
        instance.watch(Duration.ofMillis(30));
        L7Proxy proxy = instance.proxies().get(0);

        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger ok = new AtomicInteger();
        List<String> failures = new CopyOnWriteArrayList<>();
        List<String> lastBackend = new CopyOnWriteArrayList<>(List.of("", "", "", ""));
        List<Thread> clients = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                int n = 0;
                while (!stop.get()) {
                    // a kept-alive connection of up to 25 requests, then a fresh one
                    try (RawClient c = new RawClient(new InetSocketAddress("127.0.0.1", port))) {
                        for (int i = 0; i < 25 && !stop.get(); i++, n++) {
                            c.send("GET /load/" + id + "/" + n + " HTTP/1.1\r\nHost: h\r\n\r\n");
                            RawClient.Response r = c.read();
                            if (r.status() != 200 || !r.body().startsWith("backend=")) {
                                failures.add(r.status() + " " + r.body());
                            } else {
                                ok.incrementAndGet();
                                lastBackend.set(id, r.body().substring(8, 9));
                            }
                        }
                    } catch (IOException e) {
                        failures.add("request " + n + " of client " + id + ": " + e);
                    }
                }
            });
            th.start();
            clients.add(th);
        }
        try {
            waitUntil("load on a", () -> ok.get() > 100);
            assertEquals(0, b.requests.get());

            // 1. move the pool to b
            write(file, config(port, addrB, "round-robin"));
            waitUntil("reload 1", () -> proxy.stats().reloads() == 1);
            int afterFirst = ok.get();
            waitUntil("b serving every client", () -> ok.get() > afterFirst + 100 && lastBackend.stream().allMatch("b"::equals));

            // 2. a file with a mistake: refused with its line, b keeps serving
            write(file, config(port, addrA, "fastest"));
            waitUntil("the mistake reported", () -> reports.stream().anyMatch(m -> m.startsWith("lb-l7.yml:5: unknown algorithm 'fastest'")));
            int afterBad = ok.get();
            waitUntil("more load", () -> ok.get() > afterBad + 100);
            assertEquals(1, proxy.stats().reloads());
            assertTrue(lastBackend.stream().allMatch("b"::equals), lastBackend.toString());
            assertTrue(reports.stream().anyMatch(m -> m.endsWith("keeping the configuration in force")), reports.toString());

            // 3. both, weighted
            write(file, config(port, addrA + ", " + addrB, "weighted-round-robin"));
            waitUntil("reload 2", () -> proxy.stats().reloads() == 2);
            int aBefore = a.requests.get();
            waitUntil("a serving again", () -> a.requests.get() > aBefore + 50);
        } finally {
            stop.set(true);
            for (Thread th : clients) {
                th.join(20_000);
            }
        }
        assertEquals(List.of(), failures, "requests failed while the configuration changed");
        assertTrue(ok.get() > 400, "load was light: " + ok.get());
        assertEquals(1, instance.proxies().size());
        assertTrue(instance.proxies().get(0) == proxy, "the listener was kept, not restarted");
    }

    @Test
    void gracefulShutdownFinishesTheRequestInFlightAndClosesIdleConnections() throws Exception {
        CountDownLatch slowStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        HttpServer slow = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 10);
        slow.createContext("/", ex -> {
            if (ex.getRequestURI().getPath().equals("/slow")) {
                slowStarted.countDown();
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] body = ("done " + ex.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        slow.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
        slow.start();
        closer.add(() -> slow.stop(0));
        L7Proxy proxy = L7Proxy.start(ProxyConfig.builder(new InetSocketAddress("127.0.0.1", 0)).eventLoops(2)
                .pool(BackendPool.of("web", Algorithm.ROUND_ROBIN, List.of(new org.tollgate.lb.balance.Backend("s", slow.getAddress()))))
                .route(Route.all("web")).build());
        closer.add(proxy);

        RawClient idle = new RawClient(proxy.localAddress());
        closer.add(idle);
        idle.send("GET /quick HTTP/1.1\r\nHost: h\r\n\r\n");
        assertEquals("done /quick", idle.read().body());
        RawClient busy = new RawClient(proxy.localAddress());
        closer.add(busy);
        busy.send("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");
        assertTrue(slowStarted.await(10, TimeUnit.SECONDS));

        CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> proxy.shutdown(Duration.ofSeconds(20)));
        assertTrue(idle.closedByPeer(), "an idle keep-alive connection is closed at once");
        assertThrows(IOException.class, () -> {
            try (Socket s = new Socket()) {
                s.connect(proxy.localAddress(), 2000);
            }
        }, "the listener is closed");
        assertFalse(drained.isDone(), "the request in flight holds the shutdown");
        release.countDown();
        RawClient.Response r = busy.read();
        assertEquals(200, r.status());
        assertEquals("done /slow", r.body());
        assertEquals("close", r.header("connection"), "the last response says the connection ends");
        assertTrue(busy.closedByPeer());
        assertTrue(drained.get(20, TimeUnit.SECONDS), "every connection ended by itself");
    }

    @Test
    void aDrainThatRunsOutOfTimeCutsWhatIsLeft() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        closer.add(never::countDown);
        HttpServer stuck = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 10);
        stuck.createContext("/", ex -> {
            try {
                never.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        stuck.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(2));
        stuck.start();
        closer.add(() -> stuck.stop(0));
        L7Proxy proxy = L7Proxy.start(ProxyConfig.builder(new InetSocketAddress("127.0.0.1", 0)).eventLoops(1)
                .pool(BackendPool.of("web", Algorithm.ROUND_ROBIN, List.of(new org.tollgate.lb.balance.Backend("s", stuck.getAddress()))))
                .route(Route.all("web")).build());
        closer.add(proxy);
        RawClient c = new RawClient(proxy.localAddress());
        closer.add(c);
        c.send("GET /forever HTTP/1.1\r\nHost: h\r\n\r\n");
        waitUntil("the request at the backend", () -> proxy.stats().requests() == 1);
        assertFalse(proxy.shutdown(Duration.ofMillis(300)));
        assertTrue(c.closedByPeer());
        assertEquals(0, proxy.openConnections());
    }
}
