package org.tollgate.lb.l4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.tollgate.lb.l4.HealthTest.readLine;
import static org.tollgate.lb.l4.TcpForwarderTest.waitFor;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.balance.RoundRobin;
import org.tollgate.testsupport.Closer;
import org.tollgate.testsupport.Curl;

/** curl reads the stats; raw sockets send what curl would not. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AdminServerTest {
    @TempDir
    Path dir;

    @RegisterExtension
    final Closer closer = new Closer();

    private <T extends AutoCloseable> T closing(T t) {
        return closer.add(t);
    }

    @Test
    void curlGetsJsonAndPrometheusWithConnectionsAndBytesPerBackend() throws Exception {
        Backend a = closing(new TestBackend("a", TestBackend.WHO_AM_I_ECHO)).backend(3);
        Backend down = new Backend("down \"quoted\"", TestBackend.refusingAddress());
        down.setState(Backend.State.DOWN);
        TcpForwarder f = closing(TcpForwarder.start(ForwarderConfig.builder(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .eventLoops(1).build(), new RoundRobin(List.of(a, down))));
        AdminServer admin = closing(AdminServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), f::allBackends));

        Socket held = closing(new Socket());
        held.connect(f.localAddress(), 5000);
        held.setSoTimeout(10_000);
        assertEquals("a", readLine(held.getInputStream()));
        held.getOutputStream().write("0123456789\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals("0123456789", readLine(held.getInputStream()));
        waitFor(() -> a.bytesToBackend() == 11 && a.bytesFromBackend() == 2 + 11);

        String url = "http://127.0.0.1:" + admin.localAddress().getPort();
        String json = curl(url + "/stats");
        assertTrue(json.contains("{\"name\":\"a\",\"address\":\"127.0.0.1:" + a.address().getPort()
                + "\",\"state\":\"UP\",\"weight\":3,\"active_connections\":1,\"total_connections\":1,"
                + "\"bytes_to_backend\":11,\"bytes_from_backend\":13}"), json);
        assertTrue(json.contains("\"name\":\"down \\\"quoted\\\"\"") && json.contains("\"state\":\"DOWN\""), json);

        String metrics = curl(url + "/metrics");
        String labels = "{backend=\"a\",address=\"127.0.0.1:" + a.address().getPort() + "\"}";
        for (String line : List.of(
                "# TYPE tollgate_lb_backend_connections_total counter",
                "tollgate_lb_backend_up" + labels + " 1",
                "tollgate_lb_backend_weight" + labels + " 3",
                "tollgate_lb_backend_active_connections" + labels + " 1",
                "tollgate_lb_backend_connections_total" + labels + " 1",
                "tollgate_lb_backend_sent_bytes_total" + labels + " 11",
                "tollgate_lb_backend_received_bytes_total" + labels + " 13",
                "tollgate_lb_backend_up{backend=\"down \\\"quoted\\\"\",address=\"127.0.0.1:" + down.address().getPort() + "\"} 0")) {
            assertTrue(metrics.contains(line + "\n"), line + " in\n" + metrics);
        }
        assertTrue(metrics.contains(",state=\"DOWN\"} 1"), metrics);

        held.close();
        waitFor(() -> a.activeConnections() == 0);
        assertTrue(curl(url + "/stats").contains("\"active_connections\":0,\"total_connections\":1"));
    }

    private String curl(String url) {
        Curl.Result r = Curl.run(dir, "--fail", url);
        assertEquals(0, r.exit(), r::err);
        return r.out();
    }

    @Test
    void strictAboutWhatItAnswers() throws Exception {
        AdminServer admin = closing(AdminServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), List::of));
        assertStatus(admin, "GET /stats HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK");
        assertStatus(admin, "GET /stats?pretty HTTP/1.0\r\n\r\n", "HTTP/1.1 200 OK");
        assertStatus(admin, "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 404 Not Found");
        assertStatus(admin, "POST /stats HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 405 Method Not Allowed");
        assertStatus(admin, "GET /stats HTTP/2.0\r\nHost: x\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported");
        assertStatus(admin, "GET /stats HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request");
        assertStatus(admin, "GET /stats HTTP/1.1\nHost: x\n\n", "HTTP/1.1 400 Bad Request");
        assertStatus(admin, "GET /stats HTTP/1.1\r\nHost : x\r\n\r\n", "HTTP/1.1 400 Bad Request");
        assertStatus(admin, "GET /stats HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", "HTTP/1.1 400 Bad Request");
        assertStatus(admin, "GET /stats HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", "HTTP/1.1 400 Bad Request");
        assertStatus(admin, "GET /stats HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", "HTTP/1.1 400 Bad Request");
        assertStatus(admin, "GET  /stats HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400 Bad Request");
        assertStatus(admin, "GET /stats HTTP/1.1\r\nHost: x\r\nX: " + "y".repeat(AdminServer.MAX_HEAD) + "\r\n\r\n",
                "HTTP/1.1 431 Request Header Fields Too Large");

        try (Socket s = new Socket()) {
            s.connect(admin.localAddress(), 5000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n") && response.endsWith("\r\n\r\n"), "HEAD: headers only: " + response);
        }
    }

    private static void assertStatus(AdminServer admin, String request, String statusLine) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(admin.localAddress(), 5000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            try {
                out.write(request.getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                // the server may answer and close before a long request is all written
            }
            assertEquals(statusLine + "\r", readLine(s.getInputStream()), request);
        }
    }
}
