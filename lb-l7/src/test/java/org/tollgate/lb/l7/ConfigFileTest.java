package org.tollgate.lb.l7;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.balance.LeastConnections;
import org.tollgate.lb.balance.SmoothWeightedRoundRobin;
import org.tollgate.lb.l7.http.HttpParser;
import org.tollgate.lb.l7.http.RequestHead;
import org.tollgate.tls.cert.DemoCertificates;
import org.tollgate.tls.cert.PemFiles;

/** The config file: the README's example read as written, and a table of mistakes, each with its line. */
class ConfigFileTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void certificates() throws Exception {
        DemoCertificates.Pki pki = DemoCertificates.create(Clock.systemUTC());
        Files.createDirectories(dir.resolve("certs"));
        PemFiles.writeCertificates(dir.resolve("certs/www.pem"), pki.localhostServer().chain());
        PemFiles.writePrivateKey(dir.resolve("certs/www.key"), pki.localhostServer().privateKey());
        var api = pki.issue("api.example.com", List.of("api.example.com"), DemoCertificates.KeyType.EC_P256,
                java.time.Instant.now().minusSeconds(60), java.time.Instant.now().plusSeconds(3600), true);
        PemFiles.writeCertificates(dir.resolve("certs/api.pem"), api.chain());
        PemFiles.writePrivateKey(dir.resolve("certs/api.key"), api.privateKey());
        pki.writeCa(dir.resolve("certs/internal-ca.pem"));
        org.tollgate.tls.TicketKeys.writeNewKeyFile(dir.resolve("tickets.key"), new java.security.SecureRandom());
    }

    /** The {@code yaml} block of lb-l7's README: documentation and test are one text. */
    static String readmeExample() throws Exception {
        String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("```yaml\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertTrue(m.find(), "lb-l7/README.md has no ```yaml example");
        return m.group(1);
    }

    private static ConfigFile.Settings parse(String text) {
        return ConfigFile.parse("lb-l7.yml", dir, text, null);
    }

    private static RequestHead request(String head) throws Exception {
        HttpParser p = HttpParser.forRequests(org.tollgate.lb.l7.http.HttpLimits.REQUEST_DEFAULTS);
        assertEquals(HttpParser.Event.HEAD, p.next(java.nio.ByteBuffer.wrap(head.getBytes(StandardCharsets.ISO_8859_1))));
        return p.request();
    }

    @Test
    void theReadmeExampleIsValidAndMeansWhatItSays() throws Exception {
        ConfigFile.Settings s = parse(readmeExample());
        assertEquals(2, s.listeners().size());
        ProxyConfig plain = s.listeners().get(0);
        ProxyConfig tls = s.listeners().get(1);
        assertNull(plain.tls());
        assertNotNull(tls.tls());
        assertEquals(2, tls.tls().certificates().size());
        assertEquals(org.tollgate.tls.TicketKeys.load(dir.resolve("tickets.key")).currentKeyName(),
                tls.tls().ticketKeys().currentKeyName(), "tickets sealed with the key file's key");
        assertEquals(8080, plain.listen().getPort());
        assertEquals("127.0.0.1", s.admin().getHostString());
        assertEquals(9900, s.admin().getPort());

        BackendPool web = plain.pools().get("web");
        assertTrue(web.balancer() instanceof SmoothWeightedRoundRobin);
        assertEquals(List.of(1, 3), web.backends().stream().map(Backend::weight).toList());
        assertEquals("127.0.0.1:9001", web.backends().get(0).name());
        BackendPool api = plain.pools().get("api");
        assertTrue(api.balancer() instanceof LeastConnections);
        assertNotNull(api.tls());
        assertEquals("api.internal", api.tlsServerName());
        assertEquals(java.util.Optional.of(Duration.ofSeconds(5)), api.healthCheck().timing().interval(),
                "a pool with tls has active checks (over HTTPS)");
        assertSame(web, tls.pools().get("web"), "listeners share their pools");

        assertEquals("SRV", web.stickyCookie().name());
        assertEquals("/health", web.healthCheck().path());
        assertEquals(java.util.Optional.of(Duration.ofSeconds(2)), web.healthCheck().timing().interval());
        assertEquals(5, web.healthCheck().timing().ejectAfter());
        assertEquals(new TrafficPolicy.RateLimit(20, 40), plain.traffic().rateLimit());
        assertEquals(50, plain.traffic().maxConnectionsPerClient());
        assertEquals(3, plain.traffic().allow().size());
        assertEquals(List.of("/admin/*", "*.php", "/.git*"), plain.traffic().deniedPaths());
        assertTrue(plain.traffic().allowedMethods().contains("POST") && !plain.traffic().allowedMethods().contains("DELETE"));
        assertNotNull(plain.accessLog());
        assertEquals(Duration.ofSeconds(10), plain.headerTimeout());
        assertEquals(Duration.ofMillis(2500), plain.connectTimeout());
        assertEquals(1024L * 1024, plain.requestLimits().maxBodyBytes());

        // routes in file order, first match wins
        assertEquals("api", plain.route(request("GET /x HTTP/1.1\r\nHost: api.example.com\r\n\r\n")).name());
        assertEquals("static", plain.route(request("GET /static/a.css HTTP/1.1\r\nHost: h\r\n\r\n")).name());
        assertEquals("web", plain.route(request("POST /static/a.css HTTP/1.1\r\nHost: h\r\n\r\n")).name());
        assertEquals("api", plain.route(request("GET / HTTP/1.1\r\nHost: h\r\nCookie: channel=beta\r\n\r\n")).name());
        assertEquals("api", plain.route(request("GET / HTTP/1.1\r\nHost: h\r\nX-Canary: 1\r\n\r\n")).name());
        assertEquals("web", plain.route(request("GET / HTTP/1.1\r\nHost: h\r\n\r\n")).name());
    }

    @Test
    void aReloadKeepsUnchangedBackendsAndTheirCounters() throws Exception {
        String v1 = "listeners:\n  - listen: 127.0.0.1:0\n"
                + "pools:\n  web:\n    backends:\n      - 127.0.0.1:9001\n      - address: 127.0.0.1:9002\n        weight: 2\n"
                + "routes:\n  - pool: web\n";
        ConfigFile.Settings first = parse(v1);
        ConfigFile.Settings second = ConfigFile.parse("lb-l7.yml", dir, v1.replace("weight: 2", "weight: 3"), first);
        List<Backend> a = first.listeners().get(0).pools().get("web").backends();
        List<Backend> b = second.listeners().get(0).pools().get("web").backends();
        assertSame(a.get(0), b.get(0), "same name, address and weight: the same Backend");
        assertNotSame(a.get(1), b.get(1), "a new weight: a new Backend");
        assertEquals(3, b.get(1).weight());
    }

    static final String OK_HEAD = "listeners:\n  - listen: 127.0.0.1:0\n";
    static final String OK_POOLS = "pools:\n  web:\n    backends: [127.0.0.1:9001]\n";
    static final String OK_ROUTES = "routes:\n  - pool: web\n";

    static Stream<Arguments> mistakes() {
        return Stream.of(
                // YAML subset
                Arguments.of("\tlisteners: []\n", 1, "tab in indentation"),
                Arguments.of(OK_HEAD + OK_POOLS + OK_ROUTES + "  extra: 1\n", 8, "unexpected indentation"),
                Arguments.of(OK_HEAD + OK_POOLS + OK_ROUTES + "admin: {a: 1}\n", 8, "'{' starts a YAML feature"),
                Arguments.of(OK_HEAD + OK_POOLS + OK_ROUTES + "admin: \"127.0.0.1:9\n", 8, "unclosed double quote"),
                Arguments.of(OK_HEAD + "listeners: []\n" + OK_POOLS + OK_ROUTES, 3, "'listeners' given twice (first on line 1)"),
                Arguments.of(OK_HEAD + OK_POOLS + OK_ROUTES + "just some words\n", 8, "expected 'key: value'"),
                Arguments.of(OK_HEAD + OK_POOLS + OK_ROUTES + "---\nadmin: 1\n", 8, "several YAML documents"),
                Arguments.of(OK_HEAD + OK_POOLS + OK_ROUTES + "admin: &a 127.0.0.1:9\n", 8, "'&' starts a YAML feature"),
                // schema
                Arguments.of(OK_HEAD + OK_POOLS + OK_ROUTES + "bogus: 1\n", 8, "unknown top-level setting 'bogus'"),
                Arguments.of(OK_HEAD + "pools:\n  web:\n    algorithm: foo\n    backends: [127.0.0.1:9001]\n" + OK_ROUTES,
                        5, "unknown algorithm 'foo'; known: round-robin, weighted-round-robin"),
                Arguments.of(OK_HEAD + "pools:\n  web:\n    backends:\n      - address: 127.0.0.1:9001\n        weight: 0\n" + OK_ROUTES,
                        7, "weight must be between 1 and 1000, not 0"),
                Arguments.of(OK_HEAD + "pools:\n  web:\n    backends:\n      - 127.0.0.1\n" + OK_ROUTES, 6, "expected HOST:PORT"),
                Arguments.of(OK_HEAD + "pools:\n  web:\n    backends:\n      - 127.0.0.1:99999\n" + OK_ROUTES, 6, "port out of range"),
                Arguments.of(OK_HEAD + "pools:\n  web:\n    backends: [127.0.0.1:1, 127.0.0.1:1]\n" + OK_ROUTES, 5, "two backends named 127.0.0.1:1"),
                Arguments.of(OK_HEAD + "pools:\n  web:\n    backends: []\n" + OK_ROUTES, 5, "pool 'web' has no backends"),
                Arguments.of(OK_HEAD + OK_POOLS + "routes:\n  - path: /api/\n    pool: api\n", 8, "route names pool 'api', which is not defined (pools: web)"),
                Arguments.of(OK_HEAD + OK_POOLS + "routes:\n  - path: api\n    pool: web\n", 7, "path prefix must start with '/'"),
                Arguments.of(OK_HEAD + OK_POOLS + "routes:\n  - pool: web\n    cookie: novalue\n", 7, "cookie condition must be name=value"),
                Arguments.of(OK_HEAD + OK_POOLS + "routes:\n  - pool: web\n    verb: GET\n", 8, "unknown route condition 'verb'"),
                Arguments.of(OK_HEAD + OK_POOLS + "routes:\n  - pool: web\n    method: \"GE T\"\n", 8, "not a method token"),
                Arguments.of(OK_HEAD + OK_POOLS, 1, "missing 'routes'"),
                Arguments.of("listeners:\n  - listen: 127.0.0.1:8080\n  - listen: 127.0.0.1:8080\n" + OK_POOLS + OK_ROUTES,
                        3, "listen 127.0.0.1:8080 is already used on line 2"),
                Arguments.of("listeners:\n  - listen: 127.0.0.1:0\n    tls:\n      certificates:\n        - cert: certs/none.pem\n"
                        + "          key: certs/none.key\n" + OK_POOLS + OK_ROUTES, 5, "cannot load certificate certs/none.pem"),
                Arguments.of("listeners:\n  - listen: 127.0.0.1:0\n    tls:\n      certificates:\n        - cert: certs/www.pem\n"
                        + "          key: certs/www.key\n      versions: [1.3, 1.1]\n" + OK_POOLS + OK_ROUTES, 7, "TLS version '1.1'"),
                Arguments.of("listeners:\n  - listen: 127.0.0.1:0\n    tls:\n      certificates: []\n" + OK_POOLS + OK_ROUTES, 4, "certificates is empty"),
                Arguments.of(OK_HEAD + OK_POOLS + OK_ROUTES + "timeouts:\n  header: 10\n", 9, "'10' is not a positive duration"),
                Arguments.of(OK_HEAD + OK_POOLS + OK_ROUTES + "limits:\n  max-body: 10MB\n", 9, "'10MB' is not a size"),
                Arguments.of(OK_HEAD + OK_POOLS + OK_ROUTES + "trusted-proxies: [proxy.example]\n", 8, "not an IP address literal"),
                Arguments.of(OK_HEAD + OK_POOLS + OK_ROUTES + "admin: localhost\n", 8, "admin: expected HOST:PORT"),
                // traffic features
                Arguments.of(OK_HEAD + OK_POOLS + OK_ROUTES + "access-log: nodir/access.log\n", 8, "cannot open access log nodir/access.log"),
                Arguments.of(OK_HEAD + "pools:\n  web:\n    backends: [127.0.0.1:9001]\n    sticky-cookie: \"a b\"\n" + OK_ROUTES,
                        6, "sticky-cookie: not a cookie name"),
                Arguments.of(OK_HEAD + "pools:\n  web:\n    backends: [127.0.0.1:9001]\n    health-check:\n      path: health\n" + OK_ROUTES,
                        7, "health check path must start with /"),
                Arguments.of(OK_HEAD + "pools:\n  web:\n    backends: [127.0.0.1:9001]\n    health-check:\n      every: 2s\n" + OK_ROUTES,
                        7, "unknown health-check setting 'every'"),
                Arguments.of(OK_HEAD + OK_POOLS + OK_ROUTES + "limits:\n  rate-limit: 10/s\n", 9, "rate-limit must be a whole number, not '10/s'"),
                Arguments.of(OK_HEAD + OK_POOLS + OK_ROUTES + "limits:\n  rate-burst: 10\n", 9, "rate-burst goes with rate-limit"),
                Arguments.of(OK_HEAD + OK_POOLS + OK_ROUTES + "filters:\n  deny: [10.0.0.0/33]\n", 9, "deny: "),
                Arguments.of(OK_HEAD + OK_POOLS + OK_ROUTES + "filters:\n  block: [10.0.0.0/8]\n", 9, "unknown filter 'block'"),
                Arguments.of("listeners:\n  - listen: 127.0.0.1:0\n    tls:\n      certificates:\n        - cert: certs/www.pem\n"
                        + "          key: certs/www.key\n      ticket-key-file: none.key\n" + OK_POOLS + OK_ROUTES, 7, "cannot read ticket key file none.key"),
                Arguments.of(OK_HEAD + OK_POOLS + OK_ROUTES + "filters:\n  methods: [\"G T\"]\n", 9, "methods: "));
    }

    @ParameterizedTest
    @MethodSource("mistakes")
    void eachMistakeNamesItsLine(String text, int line, String message) {
        ConfigFile.ConfigException e = assertThrows(ConfigFile.ConfigException.class, () -> parse(text));
        assertEquals(line, e.line(), e.getMessage());
        assertTrue(e.getMessage().startsWith("lb-l7.yml:" + line + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void quotedValuesAndCommentsAndAListAtItsKeysIndentation() {
        ConfigFile.Settings s = parse("# comment\nlisteners:\n- listen: '127.0.0.1:0'   # trailing comment\n"
                + "pools:\n  web:\n    backends:\n    - \"127.0.0.1:9001\"\n"
                + "routes:\n  - header: \"X-Tag=a#b\"\n    pool: web\n");
        assertEquals("X-Tag=a#b", s.listeners().get(0).routes().get(0).header());
    }

    @Test
    void readsAFileAndResolvesCertificatesBesideIt() throws Exception {
        Path f = dir.resolve("lb-l7.yml");
        Files.writeString(f, readmeExample());
        ConfigFile.Settings s = ConfigFile.load(f, null);
        assertEquals(2, s.listeners().size());
        Files.writeString(f, readmeExample().replace("algorithm: least-connections", "algorithm: fastest"));
        ConfigFile.ConfigException e = assertThrows(ConfigFile.ConfigException.class, () -> ConfigFile.load(f, null));
        assertTrue(e.getMessage().matches("lb-l7\\.yml:\\d+: unknown algorithm 'fastest'.*"), e.getMessage());
    }
}
