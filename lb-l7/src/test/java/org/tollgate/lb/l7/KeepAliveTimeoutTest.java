package org.tollgate.lb.l7;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.testsupport.Closer;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The idle keep-alive timeout is not the header timeout: an idle kept-alive connection is
 * closed silently after the first, a started head gets 408 after the second.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KeepAliveTimeoutTest {
    @RegisterExtension
    final Closer closer = new Closer();


    private <T extends AutoCloseable> T track(T c) {
        return closer.add(c);
    }

    private L7Proxy start(Duration header, Duration keepAlive) throws Exception {
        TestBackend a = track(new TestBackend("a"));
        return track(L7Proxy.start(L7ProxyTest.config(BackendPool.of("web", Algorithm.ROUND_ROBIN, List.of(a.backend())))
                .headerTimeout(header).keepAliveTimeout(keepAlive).build()));
    }

    @Test
    void anIdleKeptAliveConnectionIsClosedAfterTheKeepAliveTimeoutWithoutAResponse() throws Exception {
        L7Proxy p = start(Duration.ofSeconds(30), Duration.ofMillis(300));
        RawClient c = track(new RawClient(p.localAddress()));
        c.send("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
        assertEquals(200, c.read().status());
        // RawClient waits 5 s at most: far less than the 30 s header timeout, so only the keep-alive timeout can close it
        assertTrue(c.closedByPeer(), "closed, and not a byte sent (no 408)");
        assertEquals(0, p.stats().refusals(408));
        assertEquals(0, p.stats().responses(408));
    }

    @Test
    void aKeptAliveConnectionOutlivesTheHeaderTimeoutButAStartedHeadStillGets408() throws Exception {
        L7Proxy p = start(Duration.ofMillis(300), Duration.ofSeconds(30));
        RawClient c = track(new RawClient(p.localAddress()));
        c.send("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
        assertEquals(200, c.read().status());
        Thread.sleep(1000); // idle for three header timeouts: the keep-alive timeout (30 s) is what counts
        c.send("GET /y HTTP/1.1\r\nHost: h\r\n\r\n");
        assertEquals(200, c.read().status());
        c.send("GET /z HTTP/1.1\r\nHo"); // the next head starts, and stalls
        RawClient.Response r = c.read();
        assertEquals(408, r.status());
        assertEquals("close", r.header("Connection"));
        assertEquals(1, p.stats().refusals(408));
        assertFalse(r.body().isEmpty());
    }

    @Test
    void theConfigFileAndTheCommandLineSetIt() throws Exception {
        String yml = "listeners:\n  - listen: 127.0.0.1:0\npools:\n  web:\n    backends: [127.0.0.1:9]\nroutes:\n  - pool: web\n"
                + "timeouts:\n  keep-alive: 750ms\n";
        ProxyConfig fromFile = ConfigFile.parse("lb-l7.yml", null, yml, null).listeners().get(0);
        assertEquals(Duration.ofMillis(750), fromFile.keepAliveTimeout());
        assertEquals(Duration.ofSeconds(10), fromFile.headerTimeout());
        Main main = new Main();
        new picocli.CommandLine(main).parseArgs("--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9", "--keep-alive-timeout", "2s");
        ProxyConfig fromCli = main.config();
        assertEquals(Duration.ofSeconds(2), fromCli.keepAliveTimeout());
        assertEquals(Duration.ofSeconds(10), ProxyConfig.builder(fromFile.listen()).pool(fromFile.pools().get("web"))
                .route(Route.all("web")).build().keepAliveTimeout());
    }

    @Test
    void aBadSecondRequestOnAKeptAliveConnectionGetsItsStatusNotABareClose() throws Exception {
        L7Proxy p = start(Duration.ofSeconds(10), Duration.ofSeconds(10));
        RawClient c = track(new RawClient(p.localAddress()));
        c.send("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
        assertEquals(200, c.read().status());
        c.send("POST /y HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
        assertEquals(400, c.read().status());
    }
}
