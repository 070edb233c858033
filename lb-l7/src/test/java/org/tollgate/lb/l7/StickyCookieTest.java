package org.tollgate.lb.l7;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.lb.balance.Backend;
import org.tollgate.testsupport.Closer;
import org.tollgate.testsupport.Curl;

/** Sticky sessions by an inserted cookie, with curl's cookie jar and the JDK HttpClient's CookieManager. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StickyCookieTest {
    private static final Pattern SET_COOKIE = Pattern.compile("< Set-Cookie: SRV=([A-Za-z0-9_-]{16}); Path=/; HttpOnly; SameSite=Lax\r?\n");
    @RegisterExtension
    final Closer closer = new Closer();
    @TempDir
    Path dir;

    private <T extends AutoCloseable> T track(T c) {
        return closer.add(c);
    }

    @Test
    void curlStaysOnOneBackendAndMovesWhenItGoesDown() throws Exception {
        List<TestBackend> servers = new ArrayList<>();
        List<Backend> backends = new ArrayList<>();
        for (String n : List.of("a", "b", "c")) {
            TestBackend t = track(new TestBackend(n));
            servers.add(t);
            backends.add(t.backend());
        }
        BackendPool pool = BackendPool.builder("web", Algorithm.ROUND_ROBIN, backends).stickyCookie(StickyCookie.of("SRV")).build();
        L7Proxy p = track(L7Proxy.start(ProxyConfig.builder(new java.net.InetSocketAddress("127.0.0.1", 0)).eventLoops(2)
                .pool(pool).route(Route.all("web")).build()));
        String url = "http://127.0.0.1:" + p.localAddress().getPort() + "/s";
        String jar = dir.resolve("jar").toString();

        Curl.Result first = Curl.run(dir, "-c", jar, "-b", jar, url);
        Matcher m = SET_COOKIE.matcher(first.err());
        assertTrue(m.find(), "the first response sets the cookie: " + first.err());
        String cookie = m.group(1);
        String home = first.out().substring(8, 9);
        for (Backend b : backends) {
            // (names of one letter are too short to look for in a random string; the port is not)
            assertFalse(cookie.contains(Integer.toString(b.address().getPort())), "the cookie hides the backend's address");
        }
        assertEquals(pool.stickyValue(backends.get("abc".indexOf(home))), cookie);

        for (int i = 0; i < 5; i++) { // a new connection each time: round robin alone would move
            Curl.Result r = Curl.run(dir, "-c", jar, "-b", jar, url);
            assertTrue(r.out().startsWith("backend=" + home + " "), "request " + i + " stays on " + home + ": " + r.out());
            assertFalse(SET_COOKIE.matcher(r.err()).find(), "no new cookie while it is right");
            assertTrue(r.out().contains(" cookie=null "), "the proxy's cookie is not passed to the backend: " + r.out());
        }

        Backend down = backends.get("abc".indexOf(home));
        down.setState(Backend.State.DOWN);
        Curl.Result moved = Curl.run(dir, "-c", jar, "-b", jar, "-H", "Cookie: app=1", url);
        String newHome = moved.out().substring(8, 9);
        assertNotEquals(home, newHome, "the client moves when its backend is down");
        assertTrue(moved.out().contains(" cookie=app=1 "), "other cookies go through untouched: " + moved.out());
        Matcher m2 = SET_COOKIE.matcher(moved.err());
        assertTrue(m2.find(), "the response moves the cookie: " + moved.err());
        assertNotEquals(cookie, m2.group(1));
        down.setState(Backend.State.UP);
        for (int i = 0; i < 3; i++) {
            assertTrue(Curl.run(dir, "-c", jar, "-b", jar, url).out().startsWith("backend=" + newHome + " "),
                    "stays on the new backend after the old one is back");
        }
        // a forged value is ignored: the algorithm chooses and the cookie is replaced
        Curl.Result forged = Curl.run(dir, "-b", "SRV=AAAAAAAAAAAAAAAA", url);
        assertTrue(SET_COOKIE.matcher(forged.err()).find(), forged.err());
    }

    @Test
    void jdkHttpClientWithACookieManagerSticks() throws Exception {
        List<Backend> backends = new ArrayList<>();
        for (String n : List.of("a", "b", "c", "d")) {
            backends.add(track(new TestBackend(n)).backend());
        }
        BackendPool pool = BackendPool.builder("web", Algorithm.LEAST_CONNECTIONS, backends)
                .stickyCookie(new StickyCookie("lb", "0123456789abcdef0123456789abcdef".getBytes())).build();
        L7Proxy p = track(L7Proxy.start(L7ProxyTest.config(pool).build()));
        Set<String> homes = new HashSet<>();
        for (int client = 0; client < 3; client++) {
            HttpClient http = HttpClient.newBuilder().cookieHandler(new CookieManager()).version(HttpClient.Version.HTTP_1_1).build();
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < 6; i++) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p.localAddress().getPort() + "/j"))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode());
                seen.add(r.body().substring(8, 9));
                Map<String, List<String>> h = r.headers().map();
                assertEquals(i == 0, h.containsKey("set-cookie"), "only the first response sets the cookie: " + h);
            }
            assertEquals(1, seen.size(), "client " + client + " saw " + seen);
            homes.addAll(seen);
        }
        assertTrue(homes.size() > 1, "different clients are spread over backends: " + homes);
    }

    @Test
    void sameKeyGivesTheSameValueOnEveryInstance() throws IOException {
        Backend b = new Backend("a", new java.net.InetSocketAddress("127.0.0.1", 9001));
        byte[] key = "0123456789abcdef0123456789abcdef".getBytes();
        assertEquals(new StickyCookie("S", key).valueFor("web", b), new StickyCookie("S", key.clone()).valueFor("web", b));
        assertNotEquals(new StickyCookie("S", key).valueFor("web", b), new StickyCookie("S", key).valueFor("api", b));
        assertNotEquals(new StickyCookie("S", key).valueFor("web", b), StickyCookie.of("S").valueFor("web", b));
    }
}
