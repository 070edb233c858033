package org.tollgate.lb.l7;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.testsupport.Closer;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The listener's connection limit: beyond it clients wait in the listen backlog, and are served when a connection closes. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MaxConnectionsTest {
    @RegisterExtension
    final Closer closer = new Closer();


    private <T extends AutoCloseable> T track(T c) {
        return closer.add(c);
    }

    @Test
    void theClientBeyondTheLimitWaitsInTheBacklogUntilAConnectionCloses() throws Exception {
        TestBackend a = track(new TestBackend("a"));
        L7Proxy p = track(L7Proxy.start(L7ProxyTest.config(BackendPool.of("web", Algorithm.ROUND_ROBIN, List.of(a.backend())))
                .maxConnections(2).build()));
        RawClient first = track(new RawClient(p.localAddress()));
        RawClient second = track(new RawClient(p.localAddress()));
        for (RawClient c : List.of(first, second)) {
            c.send("GET /held HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals(200, c.read().status());
        }
        // the third connects (the kernel completes the handshake into the backlog) and asks, but is not accepted
        Socket third = track(new Socket());
        third.connect(p.localAddress(), 3000);
        third.getOutputStream().write("GET /third HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        third.setSoTimeout(1500);
        InputStream in = third.getInputStream();
        assertThrows(SocketTimeoutException.class, in::read, "no answer while two connections are held");
        assertEquals(2, p.stats().accepted());
        assertEquals(2, p.openConnections());
        assertEquals(2, a.requests.get());

        first.close();
        third.setSoTimeout(10_000);
        String answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        assertEquals("HTTP/1.1 200", answer.substring(0, 12), answer);
        assertEquals(3, p.stats().accepted());
        second.send("GET /still HTTP/1.1\r\nHost: h\r\n\r\n");
        assertEquals(200, second.read().status());
    }

    @Test
    void theConfigFileAndTheCommandLineSetIt() throws Exception {
        String yml = "listeners:\n  - listen: 127.0.0.1:0\npools:\n  web:\n    backends: [127.0.0.1:9]\nroutes:\n  - pool: web\n"
                + "limits:\n  max-connections: 300\n";
        assertEquals(300, ConfigFile.parse("lb-l7.yml", null, yml, null).listeners().get(0).maxConnections());
        Main main = new Main();
        new picocli.CommandLine(main).parseArgs("--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9", "--max-connections", "7");
        assertEquals(7, main.config().maxConnections());
        Main defaults = new Main();
        new picocli.CommandLine(defaults).parseArgs("--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9");
        assertEquals(10_000, defaults.config().maxConnections());
    }
}
