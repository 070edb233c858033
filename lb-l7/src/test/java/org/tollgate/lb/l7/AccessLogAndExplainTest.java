package org.tollgate.lb.l7;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.lb.balance.Backend;
import org.tollgate.testsupport.Closer;
import org.tollgate.testsupport.Curl;
import org.tollgate.testsupport.Ports;

/** The access log line, field by field, for served, refused and failed requests; and the --explain text. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AccessLogAndExplainTest {
    /** Combined log format up to the user agent. */
    private static final String CLF = "127\\.0\\.0\\.1 - - \\[\\d{2}/[A-Z][a-z]{2}/\\d{4}:\\d{2}:\\d{2}:\\d{2} [+-]\\d{4}\\] ";
    private static final String T = "(\\d+)/(-1|\\d+)/(-1|\\d+)/(\\d+)";

    @RegisterExtension
    final Closer closer = new Closer();
    private final List<String> log = new CopyOnWriteArrayList<>();
    @TempDir
    Path dir;

    private <T extends AutoCloseable> T track(T c) {
        return closer.add(c);
    }

    private String line(int i) throws InterruptedException {
        HealthCheckTest.waitFor(() -> log.size() > i, "access log line " + i);
        return log.get(i);
    }

    private static void assertLine(String regex, String line) {
        assertTrue(line.matches(regex), "\n" + line + "\ndoes not match\n" + regex);
    }

    @Test
    void servedRequestsWithCurlToAFile() throws Exception {
        TestBackend a = track(new TestBackend("a"));
        Path file = dir.resolve("access.log");
        L7Proxy p = track(L7Proxy.start(L7ProxyTest.config(BackendPool.of("web", Algorithm.ROUND_ROBIN, List.of(a.backend())))
                .accessLog(AccessLog.file(file)).build()));
        String url = "http://127.0.0.1:" + p.localAddress().getPort();
        Curl.Result r = Curl.run(dir, "-e", "http://ref.test/page", "-A", "agent \"quoted\" \\ x", url + "/a?x=1", url + "/b");
        assertEquals(0, r.exit(), r.err());
        HealthCheckTest.waitFor(() -> {
            try {
                return Files.readAllLines(file).size() == 2;
            } catch (IOException e) {
                return false;
            }
        }, "two lines in the file");
        List<String> lines = Files.readAllLines(file);
        int port = a.address().getPort();
        assertLine(CLF + "\"GET /a\\?x=1 HTTP/1\\.1\" 200 \\d+ \"http://ref\\.test/page\" \"agent \\\\\"quoted\\\\\" \\\\\\\\ x\" "
                + "web/a 127\\.0\\.0\\.1:" + port + " " + T + " --", lines.get(0));
        assertLine(CLF + "\"GET /b HTTP/1\\.1\" 200 \\d+ .* web/a 127\\.0\\.0\\.1:" + port + " \\d+/0/\\d+/\\d+ --", lines.get(1));
        // the body size is the backend's body
        int size = Integer.parseInt(lines.get(1).split("\" 200 ")[1].split(" ")[0]);
        assertEquals(r.out().length() - r.out().indexOf("backend=a method=GET path=/b"), size);
    }

    @Test
    void refusalsAndFailuresCarryTheirTerminationState() throws Exception {
        TestBackend a = track(new TestBackend("a"));
        L7ProxyTest.Misbehaving silent = track(new L7ProxyTest.Misbehaving(true));
        Backend dead = new Backend("dead", new InetSocketAddress("127.0.0.1", Ports.free()));
        ProxyConfig.Builder b = ProxyConfig.builder(new InetSocketAddress("127.0.0.1", 0)).eventLoops(1)
                .pool(BackendPool.of("web", Algorithm.ROUND_ROBIN, List.of(a.backend())))
                .pool(BackendPool.of("dead", Algorithm.ROUND_ROBIN, List.of(dead)))
                .pool(BackendPool.of("slow", Algorithm.ROUND_ROBIN, List.of(new Backend("silent", silent.address()))))
                .route(new Route(null, "/dead", null, null, null, "dead"))
                .route(new Route(null, "/slow", null, null, null, "slow"))
                .route(new Route("h", null, null, null, null, "web"))
                .traffic(TrafficPolicy.builder().denyPath("/admin/*").build())
                .backendTimeout(Duration.ofMillis(300)).headerTimeout(Duration.ofMillis(500))
                .accessLog(log::add);
        L7Proxy p = track(L7Proxy.start(b.build()));
        String[][] cases = {
                {"GET /admin/x HTTP/1.1\r\nHost: h\r\n\r\n", "\"GET /admin/x HTTP/1\\.1\" 403 \\d+ \"-\" \"-\" - - \\d+/-1/-1/\\d+ PR"},
                {"GET /nowhere HTTP/1.1\r\nHost: elsewhere\r\n\r\n", "\"GET /nowhere HTTP/1\\.1\" 404 \\d+ \"-\" \"-\" - - \\d+/-1/-1/\\d+ LR"},
                {"GET /dead HTTP/1.1\r\nHost: h\r\n\r\n", "\"GET /dead HTTP/1\\.1\" 502 \\d+ \"-\" \"-\" dead/dead 127\\.0\\.0\\.1:\\d+ \\d+/-1/-1/\\d+ SC"},
                {"GET /slow HTTP/1.1\r\nHost: h\r\n\r\n", "\"GET /slow HTTP/1\\.1\" 504 \\d+ \"-\" \"-\" slow/silent 127\\.0\\.0\\.1:\\d+ \\d+/\\d+/-1/\\d+ sH"},
                {"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", "\"-\" 400 \\d+ \"-\" \"-\" - - -1/-1/-1/\\d+ PR"},
                {"GET / HTTP/1.1\r\nHo", "\"-\" 408 \\d+ \"-\" \"-\" - - -1/-1/-1/\\d+ cR"},
        };
        for (int i = 0; i < cases.length; i++) {
            try (RawClient c = new RawClient(p.localAddress())) {
                c.send(cases[i][0]);
                c.read();
            }
            assertLine(CLF + cases[i][1], line(i));
        }
        try (RawClient c = new RawClient(p.localAddress())) {
            c.send("GET /gone HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc");
        }
        assertLine(CLF + "\"GET /gone HTTP/1\\.1\" - - \"-\" \"-\" web/a 127\\.0\\.0\\.1:\\d+ " + T + " CR", line(cases.length));
        assertEquals(cases.length + 1, log.size(), "one line per request: " + log);
    }

    @Test
    void explainShowsRoutesPoolCandidatesAndTheChoice() throws Exception {
        TestBackend a = track(new TestBackend("a"));
        TestBackend b = track(new TestBackend("b"));
        TestBackend c = track(new TestBackend("c"));
        Backend ba = a.backend();
        Backend bb = b.backend(3);
        List<String> explained = new CopyOnWriteArrayList<>();
        ProxyConfig.Builder cfg = ProxyConfig.builder(new InetSocketAddress("127.0.0.1", 0)).eventLoops(1)
                .pool(BackendPool.of("api", Algorithm.ROUND_ROBIN, List.of(c.backend())))
                .pool(BackendPool.builder("web", Algorithm.ROUND_ROBIN, List.of(ba, bb)).stickyCookie(StickyCookie.of("SRV")).build())
                .pool(BackendPool.of("hash", Algorithm.IP_HASH, List.of(c.backend())))
                .route(new Route("api.example.test", null, null, null, null, "api"))
                .route(new Route(null, "/hash/", null, null, null, "hash"))
                .route(new Route(null, "/", "GET", null, null, "web"))
                .traffic(TrafficPolicy.builder().denyPath("/private/*").build())
                .explain(explained::add);
        L7Proxy p = track(L7Proxy.start(cfg.build()));
        bb.setState(Backend.State.DRAINING);
        RawClient client = track(new RawClient(p.localAddress()));
        client.send("GET /x HTTP/1.1\r\nHost: www.example.test\r\n\r\n");
        RawClient.Response r = client.read();
        String cookie = r.header("Set-Cookie").substring(4, 20);
        String e = explained.get(0);
        assertTrue(e.startsWith("explain 127.0.0.1:" + client.socket.getLocalPort() + " \"GET /x HTTP/1.1\""), e);
        assertTrue(e.contains("\n  route 1 [host=api.example.test -> api]: no, Host is www.example.test, not api.example.test"), e);
        assertTrue(e.contains("\n  route 2 [path=/hash/* -> hash]: no, path /x does not start with /hash/"), e);
        assertTrue(e.contains("\n  route 3 [path=/* method=GET -> web]: matches"), e);
        assertTrue(e.contains("\n  pool web: round-robin, sticky cookie SRV"), e);
        assertTrue(e.contains("\n  sticky: no SRV cookie: the algorithm chooses, the response sets the cookie"), e);
        assertTrue(e.contains("\n  candidates: a UP w=1 active=0 total=0 cookie=" + cookie + "; b DRAINING w=3 active=0 total=0 cookie="), e);
        assertTrue(e.endsWith(" -> a"), e);

        bb.setState(Backend.State.UP);
        client.send("GET /y HTTP/1.1\r\nHost: www.example.test\r\nCookie: SRV=" + cookie + "\r\n\r\n");
        client.read();
        String sticky = explained.get(1);
        assertTrue(sticky.contains("\n  sticky: cookie SRV=" + cookie + " names a, which is UP"), sticky);
        assertTrue(sticky.endsWith("sticky cookie SRV keeps this client on a -> a"), sticky);

        client.send("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
        client.read("POST");
        assertTrue(explained.get(2).contains("route 3 [path=/* method=GET -> web]: no, method is POST, not GET\n  no route matches: 404"),
                explained.get(2));

        RawClient again = track(new RawClient(p.localAddress()));
        again.send("GET /hash/1 HTTP/1.1\r\nHost: h\r\n\r\n");
        again.read();
        String hash = explained.get(3);
        assertTrue(hash.contains("pool hash: ip-hash"), hash);
        assertTrue(hash.matches("(?s).*ip-hash \\(Maglev\\): hash\\(127\\.0\\.0\\.1\\) -> slot \\d+ of 65537, owned by c.* -> c"), hash);

        RawClient third = track(new RawClient(p.localAddress()));
        third.send("GET /private/x HTTP/1.1\r\nHost: h\r\n\r\n");
        assertEquals(403, third.read().status());
        assertTrue(explained.get(4).endsWith("\"GET /private/x HTTP/1.1\"\n  refused before routing: path_denied (403): the path /private/x is not served"),
                explained.get(4));
    }
}
