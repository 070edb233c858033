package org.tollgate.tls.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tollgate.tls.server.TestPeers.readResponse;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.nio.TlsChannel;
import org.tollgate.tls.server.TestPeers.Response;

/** TlsServer with HttpsHandler, against JSSE (an independent peer) and our own client engine. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HttpsHandlerTest {
    private TlsServer server;
    private final List<HandshakeSummary> handshakes = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        server = TlsServer.builder()
                .config(TestPeers.serverConfig().build())
                .handler(HttpsHandler::new)
                .eventLoops(2)
                .onHandshake((peer, summary) -> handshakes.add(summary))
                .build();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private int port() {
        return server.localAddress().getPort();
    }

    @Test
    void httpsUrlConnectionGetsThePageDescribingTheConnection() throws Exception {
        HttpsURLConnection c = (HttpsURLConnection) new URL("https://localhost:" + port() + "/").openConnection();
        c.setSSLSocketFactory(TestPeers.jsse().getSocketFactory());
        c.setConnectTimeout(10_000);
        c.setReadTimeout(10_000);
        assertEquals(200, c.getResponseCode());
        assertEquals("TLS_AES_128_GCM_SHA256", c.getCipherSuite());
        assertTrue(c.getContentType().startsWith("text/html"));
        String body = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(body.contains("<td>TLSv1.3</td>"), body);
        assertTrue(body.contains("<td>TLS_AES_128_GCM_SHA256</td>"), body);
        // (JSSE sends no SNI for a name without a dot, such as localhost: see the next tests.)
        assertTrue(body.contains("<tr><th>Key exchange group</th><td>"), body);
        c.disconnect();
        assertEquals(1, handshakes.size());
    }

    @Test
    void keepAliveServesSeveralRequestsThenConnectionCloseCloses() throws Exception {
        try (SSLSocket s = TestPeers.jsseSocket(port())) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            for (int i = 0; i < 3; i++) {
                out.write(("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                Response r = readResponse(in, false);
                assertEquals(200, r.status());
                assertNull(r.header("Connection"), "HTTP/1.1 persists by default");
            }
            out.write("HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            Response head = readResponse(in, true);
            assertEquals(200, head.status());
            assertTrue(Integer.parseInt(head.header("Content-Length")) > 100, "HEAD announces the GET body length");

            out.write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            Response last = readResponse(in, false);
            assertEquals("close", last.header("Connection"));
            assertEquals(-1, in.read(), "the server closes after Connection: close");
        }
        assertEquals(1, handshakes.size());
    }

    @Test
    void http10ClosesByDefaultAndKeepsAliveWhenAsked() throws Exception {
        try (SSLSocket s = TestPeers.jsseSocket(port())) {
            s.getOutputStream().write("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            Response r = readResponse(s.getInputStream(), false);
            assertEquals("keep-alive", r.header("Connection"));
            s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("close", readResponse(s.getInputStream(), false).header("Connection"));
            assertEquals(-1, s.getInputStream().read());
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (SSLSocket s = TestPeers.jsseSocket(port())) {
            StringBuilder requests = new StringBuilder();
            for (int i = 0; i < 50; i++) {
                requests.append("GET /?n=").append(i).append(" HTTP/1.1\r\nHost: localhost\r\n\r\n");
            }
            requests.append("GET /?n=last HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
            s.getOutputStream().write(requests.toString().getBytes(StandardCharsets.US_ASCII)); // one write, a few records
            InputStream in = s.getInputStream();
            for (int i = 0; i < 50; i++) {
                Response r = readResponse(in, false);
                assertEquals(200, r.status());
                assertTrue(r.body().contains("GET /?n=" + i + "</td>"), "response " + i + " in order");
            }
            assertTrue(readResponse(in, false).body().contains("GET /?n=last</td>"));
            assertEquals(-1, in.read());
        }
    }

    @Test
    void aRequestSplitIntoOneByteRecordsIsAnsweredOnceTheBlankLineArrives() throws Exception {
        byte[] request = "GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII);
        try (TlsChannel client = TlsChannel.client(SocketChannel.open(server.localAddress()), TestPeers.clientConfig(), "localhost")) {
            for (byte b : request) {
                assertEquals(1, client.write(ByteBuffer.wrap(new byte[] {b}))); // one record per byte
            }
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(1000);
            int n;
            while ((n = client.read(buf)) >= 0) {
                got.write(buf.array(), 0, n);
                buf.clear();
            }
            assertFalse(client.isTruncated(), "the server closed with close_notify");
            String response = got.toString(StandardCharsets.UTF_8);
            assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n"), response);
            assertEquals(1, response.split("HTTP/1.1 ", -1).length - 1, "exactly one response");
            assertTrue(response.contains("<tr><th>SNI</th><td>localhost</td>"), response);
            assertEquals("localhost", handshakes.get(0).serverName());
        }
    }

    private Response exchange(String raw) throws Exception {
        try (SSLSocket s = TestPeers.jsseSocket(port())) {
            s.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
            Response r = readResponse(s.getInputStream(), false);
            if ("close".equals(r.header("Connection"))) {
                assertEquals(-1, s.getInputStream().read(), "closed after " + r.status());
            }
            return r;
        }
    }

    @Test
    void malformedRequestsGet400AndClose() throws Exception {
        assertEquals(400, exchange("GET /\r\n\r\n").status());
        assertEquals(400, exchange("GET / HTTP/1.1\r\n\r\n").status(), "no Host in 1.1");
        assertEquals(400, exchange("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").status());
        assertEquals(400, exchange("GET / HTTP/1.1\r\nHost : a\r\n\r\n").status(), "space before colon");
        assertEquals(400, exchange("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n").status(), "obs-fold");
        assertEquals(400, exchange("GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n").status(), "bare CR");
        assertEquals(400, exchange("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").status());
        assertEquals(400, exchange("GET / XTTP/1.1\r\nHost: a\r\n\r\n").status());
        assertEquals("close", exchange("GET / XTTP/1.1\r\nHost: a\r\n\r\n").header("Connection"));
        assertEquals(505, exchange("GET / HTTP/2.0\r\nHost: a\r\n\r\n").status());
        assertEquals(405, exchange("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").status());
        assertEquals(501, exchange("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n").status());
        assertEquals(404, exchange("GET /nothing HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").status());
    }

    @Test
    void anOversizedHeaderSectionGets431() throws Exception {
        String big = "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "x".repeat(20_000) + "\r\n\r\n";
        Response r = exchange(big);
        assertEquals(431, r.status());
        assertEquals("close", r.header("Connection"));
    }

    @Test
    void markupFromTheRequestIsEscaped() throws Exception {
        Response r = exchange("GET /?<script> HTTP/1.1\r\nHost: <b>\r\nConnection: close\r\n\r\n");
        assertEquals(200, r.status());
        assertTrue(r.body().contains("GET /?&lt;script&gt;"), r.body());
        assertFalse(r.body().contains("<script>"));
        assertFalse(r.body().contains("<b>"));
    }

    @Test
    void keepAliveConnectionsFromManyClients() throws Exception {
        for (int i = 0; i < 5; i++) {
            HttpURLConnection c = (HttpURLConnection) new URL("https://localhost:" + port() + "/?client=" + i).openConnection();
            ((HttpsURLConnection) c).setSSLSocketFactory(TestPeers.jsse().getSocketFactory());
            assertEquals(200, c.getResponseCode());
            c.getInputStream().readAllBytes();
        }
        assertTrue(server.acceptedConnections() >= 1);
    }
}
