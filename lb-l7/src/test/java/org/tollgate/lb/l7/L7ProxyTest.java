package org.tollgate.lb.l7;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.lb.balance.Backend;
import org.tollgate.testsupport.Closer;
import org.tollgate.testsupport.Ports;

/** The proxy on loopback between real clients (raw sockets, the JDK HttpClient) and real backends. */
class L7ProxyTest {
    @RegisterExtension
    final Closer closer = new Closer();

    private <T extends AutoCloseable> T track(T c) {
        return closer.add(c);
    }

    private TestBackend backend(String name) throws IOException {
        return track(new TestBackend(name));
    }

    static ProxyConfig.Builder config(BackendPool pool) {
        return ProxyConfig.builder(new InetSocketAddress("127.0.0.1", 0)).eventLoops(2).pool(pool).route(Route.all(pool.name()));
    }

    private L7Proxy start(ProxyConfig.Builder b) throws IOException {
        return track(L7Proxy.start(b.build()));
    }

    private RawClient client(L7Proxy p) throws IOException {
        return track(new RawClient(p.localAddress()));
    }

    @Test
    void roundRobinWithKeepAliveBothSidesAndForwardedHeaders() throws IOException {
        TestBackend a = backend("a");
        TestBackend b = backend("b");
        L7Proxy p = start(config(BackendPool.of("web", Algorithm.ROUND_ROBIN, List.of(a.backend(), b.backend()))));
        RawClient c = client(p);
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            c.send("GET /n" + i + " HTTP/1.1\r\nHost: example.test:8080\r\nX-Forwarded-For: 6.6.6.6\r\n"
                    + "Connection: keep-alive, X-Secret\r\nX-Secret: s\r\n\r\n");
            RawClient.Response r = c.read();
            assertEquals(200, r.status());
            assertNull(r.header("Keep-Alive"), "hop-by-hop Keep-Alive from the backend must not reach the client");
            seen.add(r.body().substring(0, 9));
            assertTrue(r.body().contains(" path=/n" + i + " "), r.body());
            // an untrusted client's X-Forwarded-For is replaced, not appended to
            assertTrue(r.body().contains(" xff=127.0.0.1 proto=http forwarded=for=127.0.0.1;proto=http;host=\"example.test:8080\" "), r.body());
            // hop-by-hop: Connection and the field it names are removed
            assertTrue(r.body().contains(" connection=null secret=null "), r.body());
        }
        assertEquals(List.of("backend=a", "backend=b", "backend=a", "backend=b", "backend=a", "backend=b"), seen);
        // backend connections are kept alive and reused: one per backend (both client
        // requests run on the client's one loop)
        assertEquals(1, a.connections.size(), "connections to a: " + a.connections);
        assertEquals(1, b.connections.size(), "connections to b: " + b.connections);
    }

    @Test
    void trustedProxyValuesAreKeptAndAppendedTo() throws IOException {
        TestBackend a = backend("a");
        L7Proxy p = start(config(BackendPool.of("web", Algorithm.ROUND_ROBIN, List.of(a.backend())))
                .trustedProxy(InetAddress.getByName("127.0.0.1")));
        RawClient c = client(p);
        c.send("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 203.0.113.9\r\nForwarded: for=203.0.113.9\r\n\r\n");
        String body = c.read().body();
        assertTrue(body.contains(" xff=203.0.113.9, 127.0.0.1 "), body);
        assertTrue(body.contains(" forwarded=for=203.0.113.9, for=127.0.0.1;proto=http;host=\"h\" "), body);
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws IOException {
        TestBackend a = backend("a");
        TestBackend b = backend("b");
        L7Proxy p = start(config(BackendPool.of("web", Algorithm.ROUND_ROBIN, List.of(a.backend(), b.backend()))));
        RawClient c = client(p);
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            all.append("GET /p").append(i).append(" HTTP/1.1\r\nHost: h\r\n\r\n");
        }
        all.append("POST /p5 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nConnection: close\r\n\r\nxyz");
        c.send(all.toString());
        for (int i = 0; i < 5; i++) {
            RawClient.Response r = c.read();
            assertTrue(r.body().contains(" path=/p" + i + " "), "response " + i + ": " + r.body());
        }
        RawClient.Response last = c.read("POST");
        assertTrue(last.body().contains(" path=/p5 ") && last.body().endsWith("body=xyz"), last.body());
        assertEquals("close", last.header("Connection"));
        assertTrue(c.closedByPeer());
    }

    @Test
    void chunkedBodiesAreReframedBothWaysAndHttp10GetsCloseDelimited() throws IOException {
        TestBackend a = backend("a");
        L7Proxy p = start(config(BackendPool.of("web", Algorithm.ROUND_ROBIN, List.of(a.backend()))));
        RawClient c = client(p);
        c.send("POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
        RawClient.Response r = c.read("POST");
        assertEquals("backend=a length=11 sha256=" + TestBackend.sha256("hello world".getBytes()), r.body());
        c.send("GET /big?n=100000 HTTP/1.1\r\nHost: h\r\n\r\n");
        RawClient.Response big = c.read();
        assertEquals("chunked", big.header("Transfer-Encoding"));
        assertEquals(100000, big.body().length());

        RawClient old = client(p);
        old.send("GET /big?n=70000 HTTP/1.0\r\n\r\n");
        RawClient.Response r10 = old.read();
        assertNull(r10.header("Transfer-Encoding"), "HTTP/1.0 clients cannot read chunked");
        assertEquals(70000, r10.body().length());
        assertTrue(old.closedByPeer());
    }

    @Test
    void routesFirstMatchWinsByCookieHeaderHostMethodAndPath() throws IOException {
        TestBackend api = backend("api");
        TestBackend stat = backend("static");
        TestBackend beta = backend("beta");
        TestBackend admin = backend("admin");
        TestBackend def = backend("default");
        ProxyConfig.Builder b = ProxyConfig.builder(new InetSocketAddress("127.0.0.1", 0)).eventLoops(1);
        for (TestBackend t : List.of(api, stat, beta, admin, def)) {
            b.pool(BackendPool.of(t.name, Algorithm.ROUND_ROBIN, List.of(t.backend())));
        }
        b.route(new Route(null, null, null, null, "channel=beta", "beta"))
                .route(new Route(null, null, null, "X-Api-Version=2", null, "api"))
                .route(new Route("api.example.test", null, null, null, null, "api"))
                .route(new Route(null, "/admin/", "DELETE", null, null, "admin"))
                .route(new Route("*.cdn.test", "/static/", null, null, null, "static"))
                .route(Route.all("default"));
        L7Proxy p = start(b);
        String[][] matrix = {
                {"GET /static/x.css HTTP/1.1\r\nHost: img.cdn.test\r\nCookie: a=1; channel=beta\r\n", "beta"},
                {"GET /static/x.css HTTP/1.1\r\nHost: img.cdn.test\r\nX-Api-Version: 2\r\n", "api"},
                {"GET /anything HTTP/1.1\r\nHost: API.example.test:443\r\n", "api"},
                {"DELETE /admin/users/1 HTTP/1.1\r\nHost: x\r\n", "admin"},
                {"GET /admin/users/1 HTTP/1.1\r\nHost: x\r\n", "default"},
                {"GET /static/x.css HTTP/1.1\r\nHost: img.cdn.test\r\n", "static"},
                {"GET /static/x.css HTTP/1.1\r\nHost: cdn.test\r\n", "default"},
                {"GET / HTTP/1.1\r\nHost: x\r\nCookie: channel=alpha\r\n", "default"},
        };
        RawClient c = client(p);
        for (String[] row : matrix) {
            c.send(row[0] + "\r\n");
            String body = c.read(row[0].substring(0, row[0].indexOf(' '))).body();
            assertTrue(body.startsWith("backend=" + row[1] + " "), row[0] + " -> " + body);
        }
    }

    @Test
    void noRouteIs404() throws IOException {
        TestBackend a = backend("a");
        L7Proxy p = start(ProxyConfig.builder(new InetSocketAddress("127.0.0.1", 0)).eventLoops(1)
                .pool(BackendPool.of("a", Algorithm.ROUND_ROBIN, List.of(a.backend())))
                .route(new Route("only.test", null, null, null, null, "a")));
        RawClient c = client(p);
        c.send("GET / HTTP/1.1\r\nHost: other.test\r\n\r\n");
        assertEquals(404, c.read().status());
        assertEquals(0, a.requests.get());
    }

    @Test
    void allBackendsDownGives503WithRetryAfter() throws IOException {
        TestBackend a = backend("a");
        Backend ba = a.backend();
        L7Proxy p = start(config(BackendPool.of("web", Algorithm.LEAST_CONNECTIONS, List.of(ba))).retryAfterSeconds(7));
        ba.setState(Backend.State.DOWN);
        RawClient c = client(p);
        c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        RawClient.Response r = c.read();
        assertEquals(503, r.status());
        assertEquals("7", r.header("Retry-After"));
        assertTrue(r.body().contains("no backend of pool 'web' is available"), r.body());
        assertEquals(0, a.requests.get());
    }

    @Test
    void deadBackendIsSkippedForEveryMethodWhenTheConnectFails() throws IOException {
        TestBackend a = backend("a");
        Backend dead = new Backend("dead", new InetSocketAddress("127.0.0.1", Ports.free()));
        L7Proxy p = start(config(BackendPool.of("web", Algorithm.ROUND_ROBIN, List.of(dead, a.backend()))));
        for (int i = 0; i < 4; i++) {
            RawClient c = client(p);
            c.send("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi");
            RawClient.Response r = c.read("POST");
            assertEquals(200, r.status(), r.body());
            assertTrue(r.body().startsWith("backend=a "), r.body());
        }
    }

    @Test
    void onlyBackendDeadGives502() throws IOException {
        Backend dead = new Backend("dead", new InetSocketAddress("127.0.0.1", Ports.free()));
        L7Proxy p = start(config(BackendPool.of("web", Algorithm.ROUND_ROBIN, List.of(dead))));
        RawClient c = client(p);
        c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        RawClient.Response r = c.read();
        assertEquals(502, r.status());
        assertTrue(r.body().startsWith("502 Bad Gateway: "), r.body());
    }

    @Test
    void idempotentRequestIsRetriedOnAnotherBackendAfterAResetButPostIsNot() throws Exception {
        TestBackend a = backend("a");
        Misbehaving rude = track(new Misbehaving(false));
        Backend rb = new Backend("rude", rude.address());
        L7Proxy p = start(config(BackendPool.of("web", Algorithm.ROUND_ROBIN, List.of(rb, a.backend()))));
        // every GET lands on a: those sent to "rude" are read, dropped, and retried on a
        for (int i = 0; i < 4; i++) {
            RawClient c = client(p);
            c.send("GET /r HTTP/1.1\r\nHost: h\r\n\r\n");
            RawClient.Response r = c.read();
            assertEquals(200, r.status(), r.body());
            assertTrue(r.body().startsWith("backend=a "), r.body());
        }
        int dropped = rude.accepted.size();
        assertTrue(dropped >= 1, "round robin must have sent some GETs to rude");
        assertEquals(4, a.requests.get());
        assertEquals(dropped, p.stats().backendFailures());

        // a POST that rude drops is not replayed: 502, and exactly one attempt
        L7Proxy onlyRude = start(config(BackendPool.of("web", Algorithm.ROUND_ROBIN, List.of(new Backend("rude", rude.address())))));
        RawClient c3 = client(onlyRude);
        c3.send("POST /r HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx");
        RawClient.Response r3 = c3.read("POST");
        assertEquals(502, r3.status());
        assertTrue(r3.body().contains("failed before responding"), r3.body());
        assertEquals(dropped + 1, rude.accepted.size());
    }

    @Test
    void silentBackendGives504() throws Exception {
        Misbehaving silent = track(new Misbehaving(true));
        L7Proxy p = start(config(BackendPool.of("web", Algorithm.ROUND_ROBIN, List.of(new Backend("silent", silent.address()))))
                .backendTimeout(Duration.ofMillis(300)));
        RawClient c = client(p);
        c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        RawClient.Response r = c.read();
        assertEquals(504, r.status());
        assertTrue(r.body().contains("did not answer within 300 ms"), r.body());
    }

    @Test
    void slowHeaderClientGets408WhileOthersAreServed() throws Exception {
        TestBackend a = backend("a");
        L7Proxy p = start(config(BackendPool.of("web", Algorithm.ROUND_ROBIN, List.of(a.backend())))
                .headerTimeout(Duration.ofMillis(500)));
        RawClient slow = client(p);
        slow.send("GET / HTTP/1.1\r\nHo");
        RawClient idle = client(p); // sends nothing: closed silently at the deadline
        for (int i = 0; i < 3; i++) {
            RawClient fast = client(p);
            fast.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals(200, fast.read().status());
            Thread.sleep(100);
            slow.send("s");
        }
        RawClient.Response r = slow.read();
        assertEquals(408, r.status());
        assertEquals("close", r.header("Connection"));
        assertTrue(idle.closedByPeer());
        assertEquals(1, p.stats().refusals(408));
    }

    @Test
    void smugglingAttemptsAreRefusedAndNeverReachTheBackend() throws IOException {
        TestBackend a = backend("a");
        L7Proxy p = start(config(BackendPool.of("web", Algorithm.ROUND_ROBIN, List.of(a.backend()))));
        String[][] cases = {
                {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG", "400"},
                {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", "501"},
                {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", "400"},
                {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "400"},
                {"GET /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: h\r\n\r\n", "414"},
                {"GET / HTTP/1.1\r\nHost: h\r\n" + "X: 1\r\n".repeat(101) + "\r\n", "431"},
        };
        for (String[] row : cases) {
            RawClient c = client(p);
            c.send(row[0]);
            RawClient.Response r = c.read();
            assertEquals(Integer.parseInt(row[1]), r.status(), row[0]);
            assertEquals("close", r.header("Connection"));
            assertTrue(c.closedByPeer(), "connection must close after " + row[1]);
        }
        assertEquals(0, a.requests.get());
    }

    @Test
    void jdkHttpClientThroughTheProxy() throws Exception {
        TestBackend a = backend("a");
        TestBackend b = backend("b");
        L7Proxy p = start(config(BackendPool.of("web", Algorithm.WEIGHTED_ROUND_ROBIN, List.of(a.backend(3), b.backend(1)))));
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(3)).build();
        List<String> names = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 8; i++) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p.localAddress().getPort() + "/j" + i))
                    .POST(HttpRequest.BodyPublishers.ofString("n" + i)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertTrue(r.body().endsWith("body=n" + i), r.body());
            names.add(r.body().substring(8, 9));
        }
        assertEquals(6, names.stream().filter("a"::equals).count(), names.toString());
        assertEquals(2, names.stream().filter("b"::equals).count(), names.toString());
    }

    /** A backend that reads a request head and then drops the connection, or never answers. */
    static final class Misbehaving implements AutoCloseable {
        final ServerSocket server;
        final List<Socket> accepted = new CopyOnWriteArrayList<>();
        private final Thread thread;

        Misbehaving(boolean silent) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            thread = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        accepted.add(s);
                        InputStream in = s.getInputStream();
                        int state = 0;
                        while (state < 4) { // read up to the empty line
                            int c = in.read();
                            if (c < 0) {
                                break;
                            }
                            state = (c == '\r' && state % 2 == 0) || (c == '\n' && state % 2 == 1) ? state + 1 : 0;
                        }
                        if (!silent) {
                            s.setSoLinger(true, 0);
                            s.close();
                        }
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "misbehaving-backend");
            thread.setDaemon(true);
            thread.start();
        }

        InetSocketAddress address() {
            return (InetSocketAddress) server.getLocalSocketAddress();
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    @SuppressWarnings("unused")
    private static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes());
    }
}
