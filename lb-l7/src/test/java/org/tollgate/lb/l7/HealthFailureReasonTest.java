package org.tollgate.lb.l7;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.l4.HealthConfig;
import org.tollgate.testsupport.Closer;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.tollgate.testsupport.Curl;

/**
 * The reason a backend last failed, and when, on the admin port (HTML, JSON, Prometheus),
 * read with curl while real backends are down; and the reason of a passive ejection.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class HealthFailureReasonTest {
    @RegisterExtension
    final Closer closer = new Closer();
    @TempDir
    Path dir;


    @Test
    void adminPagesShowWhyEachBackendWentDownAndWhen() throws Exception {
        TestBackend sick = new TestBackend("sick");
        TestBackend stopped = new TestBackend("stopped");
        TestBackend fine = new TestBackend("fine");
        closer.add(sick);
        closer.add(stopped);
        closer.add(fine);
        String yml = "listeners:\n  - listen: 127.0.0.1:0\n"
                + "pools:\n  web:\n    health-check:\n      path: /health\n      interval: 100ms\n      timeout: 2s\n"
                + "      rise: 2\n      fall: 2\n    backends:\n"
                + "      - address: 127.0.0.1:" + sick.address().getPort() + "\n        name: sick\n"
                + "      - address: 127.0.0.1:" + stopped.address().getPort() + "\n        name: stopped\n"
                + "      - address: 127.0.0.1:" + fine.address().getPort() + "\n        name: fine\n"
                + "routes:\n  - pool: web\n"
                + "admin: 127.0.0.1:0\n";
        Instance instance = Instance.start(ConfigFile.parse("lb-l7.yml", null, yml, null), null, m -> { }, Duration.ofSeconds(1));
        closer.add(instance);
        List<Backend> backends = instance.proxies().get(0).config().pools().get("web").backends();
        Instant before = Instant.now().minusSeconds(1);
        sick.healthStatus = 503;
        stopped.close(); // a real server gone: its port refuses connections
        HealthCheckTest.waitFor(() -> backends.get(0).state() == Backend.State.DOWN
                && backends.get(1).state() == Backend.State.DOWN, "both sick backends DOWN");

        String admin = "http://127.0.0.1:" + instance.admin().localAddress().getPort();
        Curl.Result html = Curl.run(dir, admin + "/");
        assertEquals(0, html.exit(), html.err());
        String sickRow = row(html.out(), "sick");
        assertTrue(sickRow.contains("check: <span class=\"reason\">GET /health answered 503, expected 200</span>"), sickRow);
        assertTrue(sickRow.contains("<time datetime=\"" + Instant.now().toString().substring(0, 10)), sickRow);
        String stoppedRow = row(html.out(), "stopped");
        assertTrue(stoppedRow.toLowerCase().contains("check: <span class=\"reason\">connection refused"), stoppedRow);
        assertTrue(row(html.out(), "fine").contains("<td class=\"failure\">-</td>"), row(html.out(), "fine"));

        Curl.Result json = Curl.run(dir, admin + "/stats.json");
        assertEquals(0, json.exit(), json.err());
        assertTrue(json.out().contains("{\"name\":\"sick\",") && json.out().contains(
                "\"lastFailure\":{\"kind\":\"check\",\"reason\":\"GET /health answered 503, expected 200\",\"at\":\""), json.out());
        assertTrue(json.out().contains("\"state\":\"DOWN\""), json.out());
        assertTrue(json.out().contains("\"lastFailure\":null"), json.out()); // fine

        Curl.Result metrics = Curl.run(dir, admin + "/metrics");
        assertEquals(0, metrics.exit(), metrics.err());
        assertTrue(metrics.out().contains("lb_l7_backend_last_failure_info{pool=\"web\",backend=\"sick\",kind=\"check\","
                + "reason=\"GET /health answered 503, expected 200\"} 1\n"), metrics.out());
        assertTrue(metrics.out().contains("# TYPE lb_l7_backend_last_failure_timestamp_seconds gauge"), metrics.out());
        long at = timestamp(metrics.out(), "sick");
        assertTrue(at >= before.getEpochSecond() && at <= Instant.now().getEpochSecond(), "timestamp " + at);
        assertTrue(metrics.out().contains("backend=\"stopped\",kind=\"check\",reason=\""), metrics.out());
        assertTrue(!metrics.out().contains("backend=\"fine\",kind="), metrics.out());
    }

    @Test
    void aPassiveEjectionKeepsTheFailureThatEjected() throws Exception {
        TestBackend a = new TestBackend("a");
        closer.add(a);
        Backend ba = a.backend();
        HealthConfig timing = HealthConfig.builder().ejectAfter(2).cooldown(Duration.ofMinutes(5)).build();
        BackendPool pool = BackendPool.builder("web", Algorithm.ROUND_ROBIN, List.of(ba))
                .healthCheck(new HealthCheck("/health", 200, timing)).build();
        L7Proxy p = L7Proxy.start(L7ProxyTest.config(pool).build());
        closer.add(p);
        assertNull(p.snapshot().pools().get(0).backends().get(0).lastFailure());
        a.forcedStatus = 500;
        for (int i = 0; i < 2; i++) {
            try (RawClient c = new RawClient(p.localAddress())) {
                c.send("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
                assertEquals(500, c.read().status());
            }
        }
        HealthCheckTest.waitFor(() -> ba.state() == Backend.State.DOWN, "ejected after two 500s");
        StatsSnapshot.Failure f = p.snapshot().pools().get(0).backends().get(0).lastFailure();
        assertNotNull(f);
        assertEquals("traffic", f.kind());
        assertEquals("answered 500", f.reason());
    }

    private static String row(String html, String backend) {
        int i = html.indexOf("<tr data-backend=\"" + backend + "\">");
        assertTrue(i >= 0, html);
        return html.substring(i, html.indexOf("</tr>", i));
    }

    private static long timestamp(String metrics, String backend) {
        String prefix = "lb_l7_backend_last_failure_timestamp_seconds{pool=\"web\",backend=\"" + backend + "\"} ";
        int i = metrics.indexOf(prefix);
        assertTrue(i >= 0, metrics);
        return Long.parseLong(metrics.substring(i + prefix.length(), metrics.indexOf('\n', i)));
    }

}
