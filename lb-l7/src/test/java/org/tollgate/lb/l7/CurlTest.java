package org.tollgate.lb.l7;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.testsupport.Closer;
import org.tollgate.testsupport.Curl;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.cert.DemoCertificates;

/**
 * curl as the real client: plain HTTP and HTTPS through our TLS termination (trusting the
 * demo CA with {@code --cacert}), keep-alive across URLs, chunked upload, 100-continue,
 * a large streamed download. curl must be installed: a missing curl fails the test.
 */
class CurlTest {
    private static final DemoCertificates.Pki PKI = DemoCertificates.create(Clock.systemUTC());

    @TempDir
    Path dir;
    private TestBackend a;
    private TestBackend b;
    @RegisterExtension
    final Closer closer = new Closer();

    @BeforeEach
    void backends() throws IOException {
        a = new TestBackend("a");
        b = new TestBackend("b");
        closer.add(a);
        closer.add(b);
    }

    private L7Proxy proxy(TlsConfig tls) throws IOException {
        L7Proxy p = L7Proxy.start(ProxyConfig.builder(new InetSocketAddress("127.0.0.1", 0)).eventLoops(2).tls(tls)
                .pool(BackendPool.of("web", Algorithm.ROUND_ROBIN, List.of(a.backend(), b.backend())))
                .route(Route.all("web")).build());
        closer.add(p);
        return p;
    }

    private Curl.Result curl(String... args) throws Exception {
        return Curl.run(dir, args);
    }

    @Test
    void plainHttpKeepAliveAcrossUrls() throws Exception {
        L7Proxy p = proxy(null);
        String base = "http://127.0.0.1:" + p.localAddress().getPort();
        Curl.Result r = curl(base + "/one", base + "/two", base + "/three");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("backend=a method=GET path=/one "), r.out());
        assertTrue(r.out().contains("backend=b method=GET path=/two "), r.out());
        assertTrue(r.out().contains("backend=a method=GET path=/three "), r.out());
        assertTrue(r.err().contains("Re-using existing connection"), "curl must keep the connection: " + r.err());
        assertEquals(1, p.stats().accepted());
    }

    @Test
    void httpsThroughTlsTerminationWithAlpn() throws Exception {
        TlsConfig tls = TlsConfig.builder().certificate(PKI.localhostServer()).alpnProtocols(List.of("http/1.1")).build();
        L7Proxy p = proxy(tls);
        Path ca = dir.resolve("ca.pem");
        PKI.writeCa(ca);
        int port = p.localAddress().getPort();
        String url = "https://localhost:" + port;
        Curl.Result r = curl("--cacert", ca.toString(), "--resolve", "localhost:" + port + ":127.0.0.1", url + "/s1", url + "/s2");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("ALPN: server accepted http/1.1"), r.err());
        assertTrue(r.out().contains("path=/s1 ") && r.out().contains("path=/s2 "), r.out());
        assertTrue(r.out().contains(" proto=https forwarded=for=127.0.0.1;proto=https;host=\"localhost:" + port + "\" "), r.out());
        assertTrue(r.err().contains("Re-using existing connection"), r.err());
    }

    @Test
    void chunkedUploadWithExpect100ContinueAndLargeDownloadOverHttps() throws Exception {
        TlsConfig tls = TlsConfig.builder().certificate(PKI.localhostServer()).alpnProtocols(List.of("http/1.1")).build();
        L7Proxy p = proxy(tls);
        Path ca = dir.resolve("ca.pem");
        PKI.writeCa(ca);
        int port = p.localAddress().getPort();
        String url = "https://localhost:" + port;
        byte[] data = new byte[3 * 1024 * 1024 + 17];
        new Random(7).nextBytes(data);
        Path file = dir.resolve("upload.bin");
        Files.write(file, data);
        String[] common = {"--cacert", ca.toString(), "--resolve", "localhost:" + port + ":127.0.0.1"};

        Curl.Result chunked = curl(cat(common, "-H", "Transfer-Encoding: chunked", "--data-binary", "@" + file, url + "/upload"));
        assertEquals(0, chunked.exit(), chunked.err());
        assertEquals("backend=a length=" + data.length + " sha256=" + TestBackend.sha256(data), chunked.out());
        assertTrue(chunked.err().contains("Transfer-Encoding: chunked"), chunked.err());

        Curl.Result expect = curl(cat(common, "-H", "Expect: 100-continue", "--data-binary", "@" + file, url + "/upload"));
        assertEquals(0, expect.exit(), expect.err());
        assertTrue(expect.err().contains("HTTP/1.1 100 Continue"), expect.err());
        assertEquals("backend=b length=" + data.length + " sha256=" + TestBackend.sha256(data), expect.out());

        int n = 8 * 1024 * 1024 + 5;
        Curl.Result big = curl(cat(common, url + "/big?n=" + n));
        assertEquals(0, big.exit(), big.err());
        assertEquals(n, big.out().length());
        for (int i = 0; i < n; i += 4099) {
            assertEquals((char) ('a' + (i % 8192) % 26), big.out().charAt(i), "byte " + i);
        }
    }

    @Test
    void plainHttpChunkedUploadAndHead() throws Exception {
        L7Proxy p = proxy(null);
        String base = "http://127.0.0.1:" + p.localAddress().getPort();
        Curl.Result up = curl("-H", "Transfer-Encoding: chunked", "--data-binary", "hello world", base + "/upload");
        assertEquals(0, up.exit(), up.err());
        assertEquals("backend=a length=11 sha256=" + TestBackend.sha256("hello world".getBytes()), up.out());
        Curl.Result head = curl("-I", base + "/h");
        assertEquals(0, head.exit(), head.err());
        assertTrue(head.out().startsWith("HTTP/1.1 200 "), head.out());
    }

    private static String[] cat(String[] first, String... more) {
        String[] all = new String[first.length + more.length];
        System.arraycopy(first, 0, all, 0, first.length);
        System.arraycopy(more, 0, all, first.length, more.length);
        return all;
    }
}
