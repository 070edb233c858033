package org.tollgate.lb.l7;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.testsupport.Closer;
import org.tollgate.testsupport.Curl;

/**
 * The abnormal-traffic filters: the pieces on their own (CIDR, path normalization and
 * globs, the token bucket with an injected clock), then end to end with curl and raw
 * sockets from several loopback source addresses (all of 127/8 is loopback on Linux).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TrafficFilterTest {
    @RegisterExtension
    final Closer closer = new Closer();
    @TempDir
    Path dir;

    private <T extends AutoCloseable> T track(T c) {
        return closer.add(c);
    }

    private L7Proxy proxy(TestBackend a, TrafficPolicy policy) throws IOException {
        return track(L7Proxy.start(L7ProxyTest.config(BackendPool.of("web", Algorithm.ROUND_ROBIN, List.of(a.backend())))
                .traffic(policy).build()));
    }

    private static InetAddress ip(String s) throws IOException {
        return InetAddress.getByName(s);
    }

    @Test
    void cidrBlocksIpv4AndIpv6() throws IOException {
        assertTrue(Cidr.parse("10.0.0.0/8").contains(ip("10.200.3.4")));
        assertFalse(Cidr.parse("10.0.0.0/8").contains(ip("11.0.0.1")));
        assertTrue(Cidr.parse("192.168.1.128/25").contains(ip("192.168.1.255")));
        assertFalse(Cidr.parse("192.168.1.128/25").contains(ip("192.168.1.127")));
        assertTrue(Cidr.parse("127.0.0.2").contains(ip("127.0.0.2")));
        assertFalse(Cidr.parse("127.0.0.2").contains(ip("127.0.0.3")));
        assertTrue(Cidr.parse("0.0.0.0/0").contains(ip("203.0.113.7")));
        assertFalse(Cidr.parse("0.0.0.0/0").contains(ip("::1")), "an IPv4 block holds no IPv6 address");
        assertTrue(Cidr.parse("2001:db8::/32").contains(ip("2001:db8:ffff::1")));
        assertFalse(Cidr.parse("2001:db8::/32").contains(ip("2001:db9::1")));
        assertTrue(Cidr.parse("[::1]").contains(ip("::1")));
        assertTrue(Cidr.parse("fe80::/10").contains(ip("febf::1")));
        assertFalse(Cidr.parse("fe80::/10").contains(ip("fec0::1")));
        // IPv4-mapped IPv6 is the IPv4 address it carries, both as block and as client
        assertTrue(Cidr.parse("::ffff:10.0.0.0/104").contains(ip("10.1.2.3")));
        assertTrue(Cidr.parse("10.0.0.0/8").contains(java.net.Inet6Address.getByAddress(null,
                new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 10, 9, 8, 7}, null)));
        for (String bad : new String[] {"10.0.0.1/8", "10.0.0.0/33", "::/129", "example.com", "10.0.0", "1.2.3.256", "10.0.0.0/", "10.0.0.0/-1"}) {
            assertThrows(IllegalArgumentException.class, () -> Cidr.parse(bad), bad);
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.1.2.3/8")).getMessage().contains("did you mean 10.0.0.0/8"));
    }

    @Test
    void pathsAreNormalizedBeforeTheGlobsMatch() {
        assertEquals("/admin/x", PathPatterns.normalize("/%61dmin/./x"));
        assertEquals("/admin/x", PathPatterns.normalize("//admin//x"));
        assertEquals("/admin/", PathPatterns.normalize("/public/../admin/"));
        assertEquals("/", PathPatterns.normalize("/../../"));
        assertEquals("/a/b", PathPatterns.normalize("/a%2fb"));
        assertEquals("/%zz", PathPatterns.normalize("/%zz"), "invalid escapes stay as they are");
        assertTrue(PathPatterns.matches("/admin/*", "/admin/users/1"));
        assertTrue(PathPatterns.matches("*.php", "/x/y.php"));
        assertTrue(PathPatterns.matches("/.git*", "/.git/config"));
        assertTrue(PathPatterns.matches("/v?/x", "/v2/x"));
        assertFalse(PathPatterns.matches("/admin/*", "/administrator"));
        assertFalse(PathPatterns.matches("*.php", "/x.php5"));
        assertFalse(PathPatterns.matches("/v?/x", "/v22/x"));
    }

    @Test
    void tokenBucketGivesTheBurstThenTheRate() throws IOException {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        RateLimiter rl = new RateLimiter(new TrafficPolicy.RateLimit(2, 3), now::get);
        InetAddress a = ip("192.0.2.1");
        InetAddress b = ip("192.0.2.2");
        for (int i = 0; i < 3; i++) {
            assertEquals(0, rl.acquire(a), "burst request " + i);
        }
        assertEquals(1, rl.acquire(a), "empty: a token is back within 1 s at 2/s");
        assertEquals(0, rl.acquire(b), "each address has its own bucket");
        now.addAndGet(500_000_000L); // half a second: one token at 2/s
        assertEquals(0, rl.acquire(a));
        assertEquals(1, rl.acquire(a));
        now.addAndGet(60_000_000_000L); // a minute: full again, but never more than the burst
        for (int i = 0; i < 3; i++) {
            assertEquals(0, rl.acquire(a));
        }
        assertEquals(1, rl.acquire(a));
        RateLimiter slow = new RateLimiter(new TrafficPolicy.RateLimit(0.1, 1), now::get);
        assertEquals(0, slow.acquire(a));
        assertEquals(10, slow.acquire(a), "Retry-After: 10 s until a token at 0.1/s");
    }

    @Test
    void denyListGives403AndAllowListKeepsOthersOut() throws Exception {
        TestBackend a = track(new TestBackend("a"));
        L7Proxy p = proxy(a, TrafficPolicy.builder().deny(Cidr.parse("127.0.0.2/32")).deny(Cidr.parse("2001:db8::/32")).build());
        String url = "http://127.0.0.1:" + p.localAddress().getPort() + "/x";
        Curl.Result denied = Curl.run(dir, "--interface", "127.0.0.2", url);
        assertEquals(0, denied.exit(), denied.err());
        assertTrue(denied.err().contains("< HTTP/1.1 403 Forbidden"), denied.err());
        assertTrue(denied.out().contains("requests from 127.0.0.2 are not accepted"), denied.out());
        Curl.Result other = Curl.run(dir, "--interface", "127.0.0.3", url);
        assertTrue(other.out().startsWith("backend=a "), other.out());
        assertEquals(1, a.requests.get(), "the denied request never reached the backend");
        assertEquals(1, p.stats().refusals(Refusal.ADDRESS_DENIED));
        assertEquals(1L, p.snapshot().refusals().get(Refusal.ADDRESS_DENIED));

        L7Proxy allow = proxy(a, TrafficPolicy.builder().allow(Cidr.parse("127.0.0.4/31")).deny(Cidr.parse("127.0.0.5")).build());
        String allowUrl = "http://127.0.0.1:" + allow.localAddress().getPort() + "/y";
        assertTrue(Curl.run(dir, "--interface", "127.0.0.4", allowUrl).out().startsWith("backend=a "));
        assertTrue(Curl.run(dir, "--interface", "127.0.0.5", allowUrl).err().contains("< HTTP/1.1 403 "), "deny wins over allow");
        assertTrue(Curl.run(dir, "--interface", "127.0.0.6", allowUrl).err().contains("< HTTP/1.1 403 "), "outside the allow list");
        assertEquals(1, allow.stats().refusals(Refusal.ADDRESS_DENIED));
        assertEquals(1, allow.stats().refusals(Refusal.ADDRESS_NOT_ALLOWED));
    }

    @Test
    void ipv6ClientsMeetIpv6Blocks() throws Exception {
        TestBackend a = track(new TestBackend("a"));
        BackendPool pool = BackendPool.of("web", Algorithm.ROUND_ROBIN, List.of(a.backend()));
        L7Proxy denied = track(L7Proxy.start(ProxyConfig.builder(new InetSocketAddress("::1", 0)).eventLoops(1).pool(pool)
                .route(Route.all("web")).traffic(TrafficPolicy.builder().deny(Cidr.parse("::1/128")).build()).build()));
        Curl.Result r = Curl.run(dir, "-g", "http://[::1]:" + denied.localAddress().getPort() + "/v6");
        assertTrue(r.err().contains("< HTTP/1.1 403 Forbidden"), r.err());
        assertTrue(r.out().contains("requests from 0:0:0:0:0:0:0:1 are not accepted"), r.out());
        L7Proxy allowed = track(L7Proxy.start(ProxyConfig.builder(new InetSocketAddress("::1", 0)).eventLoops(1).pool(pool)
                .route(Route.all("web")).traffic(TrafficPolicy.builder().allow(Cidr.parse("::/64")).deny(Cidr.parse("127.0.0.0/8")).build()).build()));
        Curl.Result ok = Curl.run(dir, "-g", "http://[::1]:" + allowed.localAddress().getPort() + "/v6");
        assertTrue(ok.out().startsWith("backend=a ") && ok.out().contains(" xff=0:0:0:0:0:0:0:1 "), ok.out());
    }

    @Test
    void rateLimitGives429WithRetryAfterAfterTheBurst() throws Exception {
        TestBackend a = track(new TestBackend("a"));
        L7Proxy p = proxy(a, TrafficPolicy.builder().rateLimit(new TrafficPolicy.RateLimit(0.05, 3)).build());
        String url = "http://127.0.0.1:" + p.localAddress().getPort() + "/r";
        // one curl, five requests on one connection: three pass, the fourth is refused and the connection closes
        Curl.Result r = Curl.run(dir, "--interface", "127.0.0.7", url + "1", url + "2", url + "3", url + "4", url + "5");
        assertTrue(r.out().contains("path=/r3 "), r.out());
        assertTrue(r.err().contains("< HTTP/1.1 429 Too Many Requests"), r.err());
        assertTrue(r.err().matches("(?s).*< Retry-After: (1[0-9]|20)\r?\n.*"), "Retry-After about 20 s at 0.05/s: " + r.err());
        assertEquals(3, a.requests.get(), "three requests passed");
        // another address has its own bucket
        assertTrue(Curl.run(dir, "--interface", "127.0.0.8", url + "6").out().contains("path=/r6 "));
        assertTrue(p.stats().refusals(Refusal.RATE_LIMITED) >= 1);
        assertEquals(p.stats().refusals(Refusal.RATE_LIMITED), p.stats().refusals(429));
    }

    @Test
    void methodAllowListGives405WithAllowAnd501ForUnknownMethods() throws Exception {
        TestBackend a = track(new TestBackend("a"));
        L7Proxy p = proxy(a, TrafficPolicy.builder().allowMethod("GET").allowMethod("HEAD").allowMethod("POST").build());
        String url = "http://127.0.0.1:" + p.localAddress().getPort() + "/m";
        Curl.Result del = Curl.run(dir, "-X", "DELETE", url);
        assertTrue(del.err().contains("< HTTP/1.1 405 Method Not Allowed"), del.err());
        assertTrue(del.err().contains("< Allow: GET, HEAD, POST"), del.err());
        Curl.Result brew = Curl.run(dir, "-X", "BREW", url);
        assertTrue(brew.err().contains("< HTTP/1.1 501 Not Implemented"), brew.err());
        assertTrue(Curl.run(dir, "-d", "x=1", url).out().contains("method=POST"));
        assertEquals(1, a.requests.get());
        assertEquals(1, p.stats().refusals(Refusal.METHOD_NOT_ALLOWED));
        assertEquals(1, p.stats().refusals(Refusal.METHOD_UNKNOWN));
    }

    @Test
    void pathDenyPatternsGive403EvenWhenDisguised() throws Exception {
        TestBackend a = track(new TestBackend("a"));
        L7Proxy p = proxy(a, TrafficPolicy.builder().denyPath("/admin/*").denyPath("*.php").denyPath("/.git*").build());
        String[] refused = {"/admin/users", "/%61dmin/users", "/public/../admin/x", "//admin//x", "/x/index.php", "/.git/config",
                "/a%2f..%2fadmin/x"};
        for (String path : refused) {
            RawClient c = track(new RawClient(p.localAddress()));
            c.send("GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n");
            RawClient.Response r = c.read();
            assertEquals(403, r.status(), path);
            assertTrue(c.closedByPeer(), path);
        }
        Curl.Result fine = Curl.run(dir, "http://127.0.0.1:" + p.localAddress().getPort() + "/administrator?file=x.php");
        assertTrue(fine.out().startsWith("backend=a "), "the query is not the path: " + fine.out());
        assertEquals(1, a.requests.get());
        assertEquals(refused.length, p.stats().refusals(Refusal.PATH_DENIED));
    }

    @Test
    void connectionsPerClientAreLimitedAndFreedOnClose() throws Exception {
        TestBackend a = track(new TestBackend("a"));
        L7Proxy p = proxy(a, TrafficPolicy.builder().maxConnectionsPerClient(2).build());
        InetAddress from = ip("127.0.0.9");
        RawClient c1 = track(new RawClient(p.localAddress(), from));
        RawClient c2 = track(new RawClient(p.localAddress(), from));
        for (RawClient c : List.of(c1, c2)) {
            c.send("GET /c HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals(200, c.read().status());
        }
        RawClient c3 = track(new RawClient(p.localAddress(), from));
        c3.send("GET /c HTTP/1.1\r\nHost: h\r\n\r\n");
        RawClient.Response r = c3.read();
        assertEquals(503, r.status());
        assertEquals("5", r.header("Retry-After"));
        assertTrue(r.body().contains("127.0.0.9 has 2 connections open"), r.body());
        assertTrue(c3.closedByPeer());
        RawClient other = track(new RawClient(p.localAddress(), ip("127.0.0.10")));
        other.send("GET /c HTTP/1.1\r\nHost: h\r\n\r\n");
        assertEquals(200, other.read().status(), "another address is not affected");
        c1.close();
        // once the proxy has seen c1 close, a new connection from the address is welcome again
        RawClient.Response again = null;
        for (int i = 0; i < 100; i++) {
            RawClient c4 = track(new RawClient(p.localAddress(), from));
            c4.send("GET /c HTTP/1.1\r\nHost: h\r\n\r\n");
            again = c4.read();
            if (again.status() == 200) {
                break;
            }
            Thread.sleep(50);
        }
        assertEquals(200, again.status());
        assertTrue(p.stats().refusals(Refusal.TOO_MANY_CONNECTIONS) >= 1);
    }
}
