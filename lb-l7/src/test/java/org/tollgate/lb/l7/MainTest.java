package org.tollgate.lb.l7;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line: option checking in process, and the real jar-less program serving a request. */
class MainTest {

    @Test
    void refusesBadOptionsWithAClearMessage() {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new Main()).setErr(new PrintWriter(err));
        assertEquals(2, cl.execute("--listen", "127.0.0.1:0", "--backend", "127.0.0.1:1,weight=x"));
        assertTrue(err.toString().contains("weight must be a number"), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(2, cl.execute("--listen", "127.0.0.1:0", "--backend", "127.0.0.1:1", "--algorithm", "fastest"));
        assertTrue(err.toString().contains("unknown algorithm 'fastest'"), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(2, cl.execute("--listen", "127.0.0.1:0", "--backend", "127.0.0.1:1", "--tls-cert", "c.pem"));
        assertTrue(err.toString().contains("--tls-cert and --tls-key go together"), err.toString());
    }

    @Test
    void theProgramProxiesToItsBackends(@TempDir Path dir) throws Exception {
        try (TestBackend a = new TestBackend("a")) {
            int port = L7ProxyTest.freePort();
            String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                    "--listen", "127.0.0.1:" + port, "--backend", "127.0.0.1:" + a.address().getPort() + ",weight=2",
                    "--algorithm", "least-connections", "--access-log", dir.resolve("access.log").toString(), "--explain")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
            try {
                RawClient.Response r = null;
                for (int i = 0; i < 100 && r == null; i++) {
                    try (RawClient c = new RawClient(new java.net.InetSocketAddress("127.0.0.1", port))) {
                        c.send("GET /cli HTTP/1.1\r\nHost: h\r\n\r\n");
                        r = c.read();
                    } catch (java.io.IOException e) {
                        Thread.sleep(100);
                    }
                }
                assertTrue(r != null, "the program never answered");
                assertTrue(r.body().startsWith("backend=a method=GET path=/cli "), r.body());
            } finally {
                p.destroy();
                assertTrue(p.waitFor(10, TimeUnit.SECONDS));
            }
            List<String> log = java.nio.file.Files.readAllLines(dir.resolve("log"));
            assertTrue(log.stream().anyMatch(l -> l.contains("lb-l7 listening on /127.0.0.1:" + port)), log.toString());
            assertTrue(log.stream().anyMatch(l -> l.matches("  least-connections: .* -> 127\\.0\\.0\\.1:\\d+")), "--explain: " + log);
            List<String> access = java.nio.file.Files.readAllLines(dir.resolve("access.log"));
            assertTrue(access.stream().anyMatch(l -> l.contains("\"GET /cli HTTP/1.1\" 200 ") && l.endsWith(" --")), "--access-log: " + access);
        }
    }
}
