package org.tollgate.lb.l4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;
import org.tollgate.lb.balance.Backend;
import picocli.CommandLine;

class MainTest {

    @Test
    void backendSpecs() {
        Backend b = Main.parseBackend("127.0.0.1:9001,weight=3");
        assertEquals(3, b.weight());
        assertEquals(9001, b.address().getPort());
        assertEquals("127.0.0.1:9001", b.name());
        assertEquals(1, Main.parseBackend("[::1]:80").weight());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Main.parseBackend("127.0.0.1:1,max=2"))
                .getMessage().contains("weight=N"));
        assertThrows(IllegalArgumentException.class, () -> Main.parseBackend("127.0.0.1:1,weight=0"));
        assertThrows(IllegalArgumentException.class, () -> Main.parseBackend("127.0.0.1"));
        assertThrows(IllegalArgumentException.class, () -> Main.parseBackend("127.0.0.1:70000"));
    }

    @Test
    void missingOptionsAndUnknownAlgorithmAreUsageErrors() {
        CommandLine cli = new CommandLine(new Main());
        cli.setErr(new java.io.PrintWriter(new java.io.StringWriter()));
        assertEquals(2, cli.execute());
        assertEquals(2, cli.execute("--listen", "127.0.0.1:0", "--backend", "127.0.0.1:1", "--algorithm", "random"));
        assertEquals(2, cli.execute("--listen", "127.0.0.1:0", "--backend", "127.0.0.1:1", "--event-loops", "0"));
        assertEquals(2, cli.execute("--listen", "127.0.0.1:0", "--backend", "127.0.0.1:1", "--buffer-size", "100"));
    }

    @Test
    void sniRouteSpecs() {
        Main.SniRoute r = Main.parseSniRoute("*.example.com=127.0.0.1:9001,weight=2,127.0.0.1:9002");
        assertEquals("*.example.com", r.name);
        assertEquals(2, r.backends.size());
        assertEquals(2, r.backends.get(0).weight());
        assertEquals(1, r.backends.get(1).weight());
        assertThrows(IllegalArgumentException.class, () -> Main.parseSniRoute("127.0.0.1:9001"));
        assertThrows(IllegalArgumentException.class, () -> Main.parseSniRoute("a.*=127.0.0.1:9001"));
        assertThrows(IllegalArgumentException.class, () -> Main.parseSniRoute("a.example.com=weight=2"));
        assertEquals(java.time.Duration.ofMillis(250), Durations.parse("250ms"));
        assertEquals(java.time.Duration.ofMinutes(5), Durations.parse("5m"));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("5"));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("-1s"));
    }

    @Test
    void aConfigFileStartsForwarderHealthChecksAndAdmin(@TempDir Path dir) throws Exception {
        try (TestBackend a = new TestBackend("a", TestBackend.WHO_AM_I_ECHO)) {
            Path file = dir.resolve("lb-l4.conf");
            Files.writeString(file, String.join("\n",
                    "# a test configuration",
                    "listen          = 127.0.0.1:1   # overridden on the command line",
                    "backend         = 127.0.0.1:" + a.address().getPort() + ", weight=2",
                    "algorithm       = least-connections",
                    "event-loops     = 3",
                    "buffer-size     = 32768",
                    "health-interval = 50ms",
                    "eject-after     = 0",
                    "admin           = 127.0.0.1:0",
                    "",
                    "sni-route       = a.example.com = 127.0.0.1:" + a.address().getPort() + ",weight=2",
                    "sni-fallback    = default",
                    "udp             = false"));
            Main main = new Main();
            CommandLine cli = new CommandLine(main);
            cli.setOverwrittenOptionsAllowed(true);
            List<String> args = new java.util.ArrayList<>(ConfigFile.toArguments(file, cli.getCommandSpec()));
            args.addAll(List.of("--listen", "127.0.0.1:0"));
            cli.parseArgs(args.toArray(new String[0]));
            try (Main.Running running = main.start(System.out)) {
                assertEquals(org.tollgate.lb.balance.LeastConnections.class, running.tcp.balancer().getClass());
                assertEquals(3, running.tcp.config().eventLoops());
                assertEquals(32768, running.tcp.config().bufferSize());
                assertEquals(1, running.tcp.allBackends().size(), "the same HOST:PORT is one backend");
                Backend b = running.tcp.allBackends().get(0);
                assertEquals(2, b.weight());
                TcpForwarderTest.waitFor(() -> running.tcp.health().orElseThrow().checks(b) >= 2);
                try (java.net.Socket s = new java.net.Socket()) {
                    s.connect(running.tcp.localAddress(), 5000);
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    assertEquals("a", HealthTest.readLine(s.getInputStream()));
                }
                try (java.net.Socket s = new java.net.Socket()) {
                    s.connect(running.admin.localAddress(), 5000);
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write("GET /stats HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    String stats = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    assertTrue(stats.contains("\"weight\":2,\"active_connections\":"), stats);
                }
                assertTrue(running.describe().contains("health checks every 50 ms"), running.describe());
            }
        }
    }

    @Test
    void udpFromTheCommandLine() throws Exception {
        Main main = new Main();
        new CommandLine(main).parseArgs("--listen", "127.0.0.1:0", "--udp", "--backend", "127.0.0.1:9");
        try (Main.Running running = main.start(System.out)) {
            assertTrue(running.udp != null && running.tcp == null);
            assertTrue(running.describe().contains("UDP"), running.describe());
        }
        Main bad = new Main();
        new CommandLine(bad).parseArgs("--listen", "127.0.0.1:0", "--udp", "--backend", "127.0.0.1:9", "--proxy-protocol", "v2");
        assertThrows(IllegalArgumentException.class, () -> bad.start(System.out));
    }

    @Test
    void configErrorsNameTheLine(@TempDir Path dir) throws Exception {
        assertConfigError(dir, "listen = 127.0.0.1:0\nbackend = 127.0.0.1:9\nbogus = 1\n", ":3: unknown setting 'bogus'");
        assertConfigError(dir, "health-interval = 5\n", ":1: health-interval: ");
        assertConfigError(dir, "\n# comment\nbackend = 127.0.0.1:9,max=3\n", ":3: backend: unknown backend option");
        assertConfigError(dir, "udp = maybe\n", ":1: udp takes true or false");
        assertConfigError(dir, "listen =\n", ":1: listen needs a value");
        assertConfigError(dir, "--listen = 127.0.0.1:0\n", ":1: '--listen' is not a setting");
        assertConfigError(dir, "proxy-protocol = v3\n", ":1: proxy-protocol: ");
        assertConfigError(dir, "sni-route = a b=127.0.0.1:1\n", ":1: sni-route: ");
        assertConfigError(dir, "config = other.conf\n", ":1: 'config' is not a setting");
    }

    private static void assertConfigError(Path dir, String text, String expected) throws Exception {
        Path file = Files.createTempFile(dir, "bad", ".conf");
        Files.writeString(file, text);
        java.io.StringWriter err = new java.io.StringWriter();
        assertEquals(2, Main.execute(new String[] {"--config", file.toString()}, new java.io.PrintWriter(err, true)));
        assertTrue(err.toString().contains(file + expected), err.toString());
    }

    @Test
    void demoPrintsEachAlgorithmsDistribution() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        assertEquals(0, Main.Demo.run(new PrintStream(bytes, true, StandardCharsets.UTF_8), 14));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("round-robin           abcabcabcabcab"), out);
        assertTrue(out.contains("weighted-round-robin  aabacaaaabacaa"), out);
        assertTrue(out.contains("least-connections") && out.contains("ip-hash") && out.contains("two-choices"), out);
    }
}
