package org.tollgate.lb.l7;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.lb.balance.Backend;

/** The snapshot the admin page and /metrics read: pools in order, backends with their counters, refusals by reason. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StatsSnapshotTest {

    @Test
    void poolsBackendsStatusesAndRefusals() throws Exception {
        try (TestBackend a = new TestBackend("a"); TestBackend b = new TestBackend("b")) {
            Backend ba = a.backend();
            Backend bb = b.backend(2);
            ProxyConfig config = ProxyConfig.builder(new InetSocketAddress("127.0.0.1", 0)).eventLoops(1)
                    .pool(BackendPool.builder("web", Algorithm.WEIGHTED_ROUND_ROBIN, List.of(ba, bb)).stickyCookie(StickyCookie.of("S")).build())
                    .pool(BackendPool.of("api", Algorithm.IP_HASH, List.of(a.backend())))
                    .route(new Route(null, "/api/", null, null, null, "api"))
                    .route(new Route("h", null, null, null, null, "web"))
                    .traffic(TrafficPolicy.builder().denyPath("/secret").build())
                    .build();
            try (L7Proxy p = L7Proxy.start(config)) {
                for (String path : List.of("/1", "/2", "/3", "/api/x", "/secret")) {
                    try (RawClient c = new RawClient(p.localAddress())) {
                        c.send("GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n");
                        c.read();
                    }
                }
                try (RawClient c = new RawClient(p.localAddress())) {
                    c.send("GET / HTTP/1.1\r\nHost: other\r\n\r\n");
                    c.read();
                }
                bb.setState(Backend.State.DRAINING);
                StatsSnapshot s = p.snapshot();
                assertEquals(6, s.requests());
                assertEquals(4L, s.responses().get(200));
                assertEquals(1L, s.responses().get(403));
                assertEquals(1L, s.responses().get(404));
                assertEquals(1L, s.refusals().get(Refusal.PATH_DENIED));
                assertEquals(1L, s.refusals().get(Refusal.NO_ROUTE));
                assertEquals(0L, s.refusals().get(Refusal.RATE_LIMITED), "every reason is present");
                assertEquals(Refusal.values().length, s.refusals().size());
                assertEquals(List.of("web", "api"), s.pools().stream().map(StatsSnapshot.PoolStats::name).toList());
                StatsSnapshot.PoolStats web = s.pools().get(0);
                assertEquals("weighted-round-robin", web.algorithm());
                assertEquals("S", web.stickyCookie());
                assertEquals(new StatsSnapshot.BackendStats("a", a.address(), Backend.State.UP, 1, 0, 1, 0, 0), web.backends().get(0));
                assertEquals(new StatsSnapshot.BackendStats("b", b.address(), Backend.State.DRAINING, 2, 0, 2, 0, 0), web.backends().get(1));
                StatsSnapshot.PoolStats api = s.pools().get(1);
                assertEquals("ip-hash", api.algorithm());
                assertNull(api.stickyCookie());
                assertEquals(1, api.backends().get(0).requests(), "a backend of another pool counts apart, though it has the same name");
            }
        }
    }
}
