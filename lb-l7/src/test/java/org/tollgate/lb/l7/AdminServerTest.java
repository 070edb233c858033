package org.tollgate.lb.l7;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.tollgate.lb.balance.Backend;
import org.tollgate.testsupport.Closer;
import org.tollgate.testsupport.Ports;

/** The admin port: the HTML page and /metrics follow real traffic; it refuses what a read-only port should. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminServerTest {
    @RegisterExtension
    final Closer closer = new Closer();

    static RawClient.Response get(InetSocketAddress admin, String request) throws Exception {
        try (RawClient c = new RawClient(admin)) {
            c.send(request);
            return c.read(request.startsWith("HEAD") ? "HEAD" : "GET");
        }
    }

    @Test
    void statsPageAndMetricsCountTrafficPerBackendAndRefusals() throws Exception {
        TestBackend a = new TestBackend("a");
        TestBackend b = new TestBackend("b");
        closer.add(a);
        closer.add(b);
        String yml = "listeners:\n  - listen: 127.0.0.1:0\n"
                + "pools:\n  web:\n    algorithm: weighted-round-robin\n    backends:\n"
                + "      - address: 127.0.0.1:" + a.address().getPort() + "\n        name: a\n        weight: 3\n"
                + "      - address: 127.0.0.1:" + b.address().getPort() + "\n        name: b\n"
                + "      - address: 127.0.0.1:" + Ports.free() + "\n        name: dead\n"
                + "routes:\n  - pool: web\n"
                + "admin: 127.0.0.1:0\n";
        Instance instance = Instance.start(ConfigFile.parse("lb-l7.yml", null, yml, null), null, m -> { }, Duration.ofSeconds(1));
        closer.add(instance);
        L7Proxy proxy = instance.proxies().get(0);
        Backend dead = proxy.config().pools().get("web").backends().get(2);
        for (int i = 0; i < 10; i++) {
            try (RawClient c = new RawClient(proxy.localAddress())) {
                c.send("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
                assertEquals(200, c.read().status());
            }
        }
        dead.setState(Backend.State.DOWN);
        try (RawClient c = new RawClient(proxy.localAddress())) {
            c.send("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
            assertEquals(400, c.read().status());
        }
        InetSocketAddress admin = instance.admin().localAddress();
        String listener = "127.0.0.1:" + proxy.localAddress().getPort();
        int toA = a.requests.get();
        int toB = b.requests.get();
        assertEquals(10, toA + toB);

        RawClient.Response page = get(admin, "GET / HTTP/1.1\r\nHost: admin\r\n\r\n");
        assertEquals(200, page.status());
        assertEquals("text/html; charset=utf-8", page.header("content-type"));
        String html = page.body();
        assertTrue(html.contains("<h2>Pool web</h2>"), html);
        assertTrue(html.contains("<tr data-backend=\"a\"><td>a</td><td>127.0.0.1:" + a.address().getPort()
                + "</td><td class=\"state UP\">UP</td><td>3</td><td>0</td><td class=\"requests\">" + toA + "</td>"), html);
        assertTrue(html.contains("<tr data-backend=\"dead\">"), html);
        assertTrue(html.contains("<td class=\"state DOWN\">DOWN</td>"), html);
        assertTrue(html.matches("(?s).*data-backend=\"dead\">.*?<td class=\"errors\">[1-9].*"), "the dead backend's connect failures count");
        assertTrue(html.contains("class=\"bar\" style=\"width:"), html);
        assertTrue(html.contains("<td class=\"refused\" data-reason=\"invalid_request\">1</td>"), html);
        assertTrue(html.contains("<td class=\"refused\" data-reason=\"rate_limited\">0</td>"), "every reason is listed: " + html);
        assertTrue(html.contains("<tr data-listener=\"" + listener + "\">"), html);

        RawClient.Response metrics = get(admin, "GET /metrics HTTP/1.1\r\nHost: admin\r\n\r\n");
        assertEquals(200, metrics.status());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", metrics.header("content-type"));
        String m = metrics.body();
        assertTrue(m.contains("lb_l7_backend_requests_total{pool=\"web\",backend=\"a\"} " + toA + "\n"), m);
        assertTrue(m.contains("lb_l7_backend_weight{pool=\"web\",backend=\"a\"} 3\n"), m);
        assertTrue(m.contains("lb_l7_backend_up{pool=\"web\",backend=\"dead\"} 0\n"), m);
        assertTrue(m.contains("lb_l7_backend_up{pool=\"web\",backend=\"b\"} 1\n"), m);
        assertTrue(m.contains("lb_l7_refusals_total{listener=\"" + listener + "\",reason=\"invalid_request\",code=\"400\"} 1\n"), m);
        assertTrue(m.contains("lb_l7_requests_total{listener=\"" + listener + "\"} 10\n"), m);
        assertTrue(m.contains("lb_l7_responses_total{listener=\"" + listener + "\",code=\"200\"} 10\n"), m);
        // The exposition format: each metric's HELP and TYPE once, before its samples; samples name{labels} value.
        Set<String> typed = new HashSet<>();
        for (String line : m.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                assertTrue(typed.add(line.split(" ")[2]), "TYPE twice: " + line);
            } else if (!line.startsWith("# HELP ")) {
                assertTrue(line.matches("[a-z_][a-z0-9_]*\\{([a-z_]+=\"[^\"]*\",?)+\\} \\d+"), "not a sample line: " + line);
                assertTrue(typed.contains(line.substring(0, line.indexOf('{'))), "sample before its TYPE: " + line);
            }
        }

        assertEquals(405, get(admin, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").status());
        assertEquals(404, get(admin, "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n").status());
        assertEquals(400, get(admin, "GET / HTTP/1.1\r\n\r\n").status());
        RawClient.Response head = get(admin, "HEAD /metrics HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(200, head.status());
        assertEquals("", head.body());
    }

    @Test
    void labelValuesAndHtmlAreEscaped() {
        assertEquals("a\\\"b\\\\c\\n", AdminPages.labelValue("a\"b\\c\n"));
        assertEquals("&lt;script&gt;&amp;&quot;&#39;", AdminPages.esc("<script>&\"'"));
    }
}
