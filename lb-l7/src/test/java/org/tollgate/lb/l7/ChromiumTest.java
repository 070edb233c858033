package org.tollgate.lb.l7;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.l4.HealthConfig;
import org.tollgate.testsupport.Chromium;
import org.tollgate.testsupport.Closer;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.cert.DemoCertificates;
import org.tollgate.testsupport.Ports;

/**
 * A real browser: headless Chromium loads a page through lb-l7's TLS termination (trusting
 * the demo certificate by its public key pin) and runs its script, then loads the admin
 * stats page; the test reads the rendered DOM. Needs {@code chromium} (Debian package
 * {@code chromium}; {@code .ci/run} installs it): a missing browser fails the test.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ChromiumTest {
    @TempDir
    Path dir;
    @RegisterExtension
    final Closer closer = new Closer();

    @Test
    void chromiumLoadsAPageThroughTlsTerminationAndTheStatsPage() throws Exception {
        HttpServer backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 20);
        backend.createContext("/", ex -> {
            String html = ex.getRequestURI().getPath().equals("/page")
                    ? "<!DOCTYPE html><html><head><title>through lb-l7</title></head><body>"
                    + "<p id=\"proto\">forwarded proto " + ex.getRequestHeaders().getFirst("X-Forwarded-Proto") + "</p>"
                    + "<p id=\"out\">script did not run</p>"
                    + "<script>document.getElementById('out').textContent = 'rendered over ' + location.protocol;</script>"
                    + "</body></html>"
                    : "";
            byte[] body = html.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            ex.sendResponseHeaders(html.isEmpty() ? 404 : 200, body.length == 0 ? -1 : body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        backend.setExecutor(Executors.newFixedThreadPool(4));
        backend.start();
        closer.add(() -> backend.stop(0));

        DemoCertificates.Pki pki = DemoCertificates.create(Clock.systemUTC());
        TlsConfig tls = TlsConfig.builder().certificate(pki.localhostServer()).alpnProtocols(List.of("http/1.1")).build();
        Backend spare = new Backend("spare-1", new InetSocketAddress("127.0.0.1", Ports.free()));
        ProxyConfig config = ProxyConfig.builder(new InetSocketAddress("127.0.0.1", 0)).eventLoops(2).tls(tls)
                .pool(BackendPool.of("web", Algorithm.ROUND_ROBIN, List.of(new Backend("web-1", backend.getAddress()))))
                .pool(BackendPool.builder("spare", Algorithm.ROUND_ROBIN, List.of(spare))   // nothing listens there
                        .healthCheck(new HealthCheck("/health", 200, HealthConfig.builder().interval(Duration.ofMillis(100))
                                .timeout(Duration.ofSeconds(5)).rise(1).fall(1).build())).build())
                .route(new Route(null, "/spare/", null, null, null, "spare"))
                .route(Route.all("web")).build();
        Instance instance = Instance.start(new ConfigFile.Settings(List.of(config), new InetSocketAddress("127.0.0.1", 0)),
                null, m -> { }, Duration.ofSeconds(1));
        closer.add(instance);
        int port = instance.proxies().get(0).localAddress().getPort();

        // Trust the demo certificate by pinning its public key (SHA-256 of the SubjectPublicKeyInfo).
        String spki = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256")
                .digest(pki.localhostServer().leaf().getPublicKey().getEncoded()));
        String page = chromium("--ignore-certificate-errors-spki-list=" + spki, "--dump-dom", "https://127.0.0.1:" + port + "/page");
        assertTrue(page.contains("<title>through lb-l7</title>"), page);
        assertTrue(page.contains("<p id=\"out\">rendered over https:</p>"), "the page's script ran: " + page);
        assertTrue(page.contains("forwarded proto https"), page);
        assertTrue(instance.proxies().get(0).stats().responses(200) >= 1);

        HealthCheckTest.waitFor(() -> spare.state() == Backend.State.DOWN, "the spare backend fails its checks");
        InetSocketAddress admin = instance.admin().localAddress();
        String stats = chromium("--dump-dom", "http://127.0.0.1:" + admin.getPort() + "/");
        assertTrue(stats.contains("<h1>lb-l7 stats</h1>"), stats);
        assertTrue(stats.contains("<h2>Pool web</h2>"), stats);
        assertTrue(stats.matches("(?s).*<tr data-backend=\"web-1\"><td>web-1</td>.*?<td class=\"state UP\">UP</td>.*?"
                + "<td class=\"requests\">[1-9]\\d*</td>.*"), stats);
        assertTrue(stats.contains("<span class=\"share\">100.0%</span>"), stats);
        assertTrue(stats.contains("<td class=\"failure\">-</td>"), "web-1 has never failed: " + stats);
        assertTrue(stats.matches("(?s).*<tr data-backend=\"spare-1\">.*?<td class=\"state DOWN\">DOWN</td>.*?"
                + "<td class=\"failure\"><time datetime=\"[^\"]+\">[^<]+ UTC</time> check: "
                + "<span class=\"reason\">[^<]*[Cc]onnection refused[^<]*</span></td>.*"), "why spare-1 is DOWN: " + stats);
        assertTrue(stats.contains("<tr data-listener=\"127.0.0.1:" + port + "\"><td>127.0.0.1:" + port + "</td><td>yes</td>"), stats);
    }

    private String chromium(String... args) {
        return Chromium.run(dir, Duration.ofSeconds(90), args);
    }
}
