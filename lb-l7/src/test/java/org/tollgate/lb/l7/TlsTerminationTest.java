package org.tollgate.lb.l7;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.lb.balance.Backend;
import org.tollgate.testsupport.Closer;
import org.tollgate.testsupport.Curl;
import org.tollgate.testsupport.OpenSslServer;
import org.tollgate.testsupport.Processes;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.cert.CertificateVerifier;
import org.tollgate.tls.cert.CertifiedKey;
import org.tollgate.tls.cert.DemoCertificates;
import org.tollgate.tls.cert.PemFiles;
import org.tollgate.tls.server.HttpsHandler;
import org.tollgate.tls.server.TlsServer;

/**
 * TLS on both sides of lb-l7 against real peers: certificates chosen by SNI as
 * {@code openssl s_client -servername} and curl see them, TLS 1.3 and 1.2, ALPN http/1.1;
 * re-encryption to HTTPS backends ({@code openssl s_server -www} and Tollgate's own
 * tls-server), verifying the backend's certificate (a wrong name is a 502). openssl and
 * curl must be installed: a missing program fails the test.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsTerminationTest {
    @TempDir
    static Path dir;
    static DemoCertificates.Pki pki;
    static CertifiedKey api;
    static CertifiedKey backendKey;
    @RegisterExtension
    final Closer closer = new Closer();

    @BeforeAll
    static void certificates() throws IOException {
        pki = DemoCertificates.create(Clock.systemUTC());
        Instant now = Instant.now();
        api = pki.issue("api.example.com", List.of("api.example.com"), DemoCertificates.KeyType.EC_P256,
                now.minusSeconds(3600), now.plusSeconds(86400), true);
        backendKey = pki.issue("backend.internal", List.of("backend.internal"), DemoCertificates.KeyType.RSA_2048,
                now.minusSeconds(3600), now.plusSeconds(86400), true);
        pki.writeCa(dir.resolve("ca.pem"));
        PemFiles.writeCertificates(dir.resolve("backend.pem"), backendKey.chain());
        PemFiles.writePrivateKey(dir.resolve("backend.key"), backendKey.privateKey());
    }

    private Processes.Result run(String stdin, String... cmd) {
        return Processes.run(dir, Duration.ofSeconds(30), stdin, List.of(cmd));
    }

    private L7Proxy terminating(TestBackend backend) throws IOException {
        TlsConfig tls = TlsConfig.builder().certificate(pki.localhostServer()).certificate(api)
                .alpnProtocols(List.of("http/1.1")).build();
        L7Proxy p = L7Proxy.start(ProxyConfig.builder(new InetSocketAddress("127.0.0.1", 0)).eventLoops(2).tls(tls)
                .pool(BackendPool.of("web", Algorithm.ROUND_ROBIN, List.of(backend.backend()))).route(Route.all("web")).build());
        closer.add(p);
        return p;
    }

    @Test
    void opensslSeesTheCertificateOfTheNameItAsksForInTls13AndTls12() throws Exception {
        TestBackend a = new TestBackend("a");
        closer.add(a);
        L7Proxy p = terminating(a);
        String connect = "127.0.0.1:" + p.localAddress().getPort();
        for (String version : List.of("-tls1_3", "-tls1_2")) {
            for (String name : List.of("api.example.com", "localhost", "unknown.example")) {
                Processes.Result r = run("GET /sni HTTP/1.1\r\nHost: " + name + "\r\nConnection: close\r\n\r\n",
                        "openssl", "s_client", "-connect", connect, "-servername", name, version, "-alpn", "http/1.1",
                        "-CAfile", dir.resolve("ca.pem").toString(), "-ign_eof");
                String all = r.out() + r.err();
                String expectedCn = name.equals("api.example.com") ? "api.example.com" : "localhost"; // unknown: the default, the first
                assertTrue(all.contains("subject=CN = " + expectedCn), version + " " + name + ":\n" + all);
                assertTrue(all.contains("Verify return code: 0 (ok)"), all);
                assertTrue(all.contains("ALPN protocol: http/1.1"), all);
                assertTrue(all.contains(version.equals("-tls1_3") ? "New, TLSv1.3, Cipher is " : "New, TLSv1.2, Cipher is "), all);
                assertTrue(r.out().contains("HTTP/1.1 200 OK") && r.out().contains("backend=a method=GET path=/sni "), r.out());
            }
        }
    }

    @Test
    void curlVerifiesTheSniCertificateForEachName() throws Exception {
        TestBackend a = new TestBackend("a");
        closer.add(a);
        L7Proxy p = terminating(a);
        int port = p.localAddress().getPort();
        for (String name : List.of("api.example.com", "localhost")) {
            for (String version : List.of("--tlsv1.3", "--tls-max")) {
                List<String> args = new ArrayList<>(List.of("--cacert", dir.resolve("ca.pem").toString(),
                        "--resolve", name + ":" + port + ":127.0.0.1"));
                if (version.equals("--tls-max")) {
                    args.addAll(List.of("--tlsv1.2", "--tls-max", "1.2"));
                } else {
                    args.add(version);
                }
                args.add("https://" + name + ":" + port + "/curl");
                Curl.Result r = Curl.run(dir, args.toArray(new String[0]));
                assertEquals(0, r.exit(), r.err());
                assertTrue(r.err().contains("subject: CN=" + name), r.err());
                assertTrue(r.err().contains(version.equals("--tls-max") ? "SSL connection using TLSv1.2" : "SSL connection using TLSv1.3"), r.err());
                assertTrue(r.out().startsWith("backend=a method=GET path=/curl "), r.out());
            }
        }
    }

    @Test
    void reEncryptsToOpensslSServerVerifyingItsCertificateFromTheConfigFile() throws Exception {
        OpenSslServer server = OpenSslServer.builder(dir.resolve("backend.pem"), dir.resolve("backend.key"))
                .anyVersion().www().start(dir);
        closer.add(server);
        int backendPort = server.port();
        for (String name : List.of("backend.internal", "wrong.internal")) {
            String yml = "listeners:\n  - listen: 127.0.0.1:0\n"
                    + "pools:\n  secure:\n    backends: [127.0.0.1:" + backendPort + "]\n"
                    + "    tls:\n      ca: ca.pem\n      server-name: " + name + "\n"
                    + "routes:\n  - pool: secure\n";
            ConfigFile.Settings s = ConfigFile.parse("lb-l7.yml", dir, yml, null);
            L7Proxy p = L7Proxy.start(s.listeners().get(0));
            closer.add(p);
            try (RawClient c = new RawClient(p.localAddress())) {
                c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
                RawClient.Response r = c.read();
                if (name.equals("backend.internal")) {
                    assertEquals(200, r.status(), r.body());
                    // s_server -www describes the TLS session it served: it was TLS, and the SNI was sent
                    assertTrue(r.body().contains("Ciphers supported in s_server binary"), r.body());
                    assertTrue(r.body().contains("TLSv1.3"), r.body());
                } else {
                    assertEquals(502, r.status(), "a backend whose certificate does not carry the name is refused: " + r.body());
                    assertEquals(1, p.snapshot().pools().get(0).backends().get(0).failures());
                }
            }
        }
    }

    @Test
    void reEncryptsToTollgatesTlsServerOverOneKeptAliveConnection() throws Exception {
        TlsServer server = TlsServer.builder().bind("127.0.0.1", 0).eventLoops(1)
                .config(TlsConfig.builder().certificate(backendKey).alpnProtocols(List.of("http/1.1")).build())
                .handler(HttpsHandler::new).build();
        closer.add(server);
        TlsConfig toBackends = TlsConfig.builder().verifier(CertificateVerifier.trusting(List.of(pki.ca())))
                .alpnProtocols(List.of("http/1.1")).build();
        BackendPool pool = BackendPool.of("secure", Algorithm.ROUND_ROBIN, List.of(new Backend("tls-server", server.localAddress())))
                .withTls(toBackends, "backend.internal");
        L7Proxy p = L7Proxy.start(ProxyConfig.builder(new InetSocketAddress("127.0.0.1", 0)).eventLoops(1)
                .pool(pool).route(Route.all("secure")).build());
        closer.add(p);
        for (int i = 0; i < 3; i++) {
            try (RawClient c = new RawClient(p.localAddress())) {
                c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
                RawClient.Response r = c.read();
                assertEquals(200, r.status(), r.body());
                assertTrue(r.body().contains("backend.internal"), "the SNI the proxy sent, as the backend saw it: " + r.body());
            }
        }
        assertEquals(1, server.acceptedConnections(), "one TLS connection to the backend, kept alive and reused");
        assertEquals(3, p.stats().responses(200));
    }
}
