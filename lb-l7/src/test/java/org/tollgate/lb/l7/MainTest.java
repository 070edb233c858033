package org.tollgate.lb.l7;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.testsupport.Ports;
import org.tollgate.testsupport.Processes;
import picocli.CommandLine;

/** The command line: option checking in process, and the real jar-less program serving a request. */
class MainTest {
    /** How long the program may take to start, reload or stop on a busy machine. */
    private static final Duration PROGRAM_WAIT = Duration.ofSeconds(60);

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
            int port = Ports.free();
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
                ReloadAndDrainTest.waitUntil("the start message", () -> read(dir.resolve("log")).contains("lb-l7 listening on"));
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

    @Test
    void aConfigFileWithAMistakeStopsTheStartNamingTheLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("lb-l7.yml");
        java.nio.file.Files.writeString(file, "listeners:\n  - listen: 127.0.0.1:0\npools:\n  web:\n    algorithm: foo\n"
                + "    backends: [127.0.0.1:1]\nroutes:\n  - pool: web\n");
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new Main()).setErr(new PrintWriter(err));
        assertEquals(2, cl.execute("--config", file.toString()));
        assertTrue(err.toString().startsWith("lb-l7: lb-l7.yml:5: unknown algorithm 'foo'"), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(2, cl.execute("--config", file.toString(), "--listen", "127.0.0.1:0"));
        assertTrue(err.toString().contains("--config takes everything from the file"), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(2, new CommandLine(new Main()).setErr(new PrintWriter(err)).execute());
        assertTrue(err.toString().contains("give --config FILE, or --listen HOST:PORT"), err.toString());
    }

    /** The real program: SIGHUP reloads the file (a bad one is refused), SIGTERM drains and stops. */
    @Test
    void theProgramReloadsOnSighupAndStopsGracefullyOnSigterm(@TempDir Path dir) throws Exception {
        try (TestBackend a = new TestBackend("a"); TestBackend b = new TestBackend("b")) {
            int port = Ports.free();
            Path file = dir.resolve("lb-l7.yml");
            ReloadAndDrainTest.write(file, ReloadAndDrainTest.config(port, "127.0.0.1:" + a.address().getPort(), "round-robin"));
            String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            // The watcher looks only once an hour: only SIGHUP can cause a reload here.
            List<String> command = List.of(javaBin, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                    "--config", file.toString(), "--watch-interval", "3600000");
            // On a failed wait the program's output is in the message.
            try (Processes.Running p = Processes.start(dir, "lb-l7", command)) {
                p.awaitLine(literally("on SIGHUP and when it changes"), PROGRAM_WAIT);
                assertTrue(askFor(port).startsWith("backend=a "));

                ReloadAndDrainTest.write(file, ReloadAndDrainTest.config(port, "127.0.0.1:" + b.address().getPort(), "round-robin"));
                hangUp(p.process());
                p.awaitLine(literally("lb-l7: reloaded lb-l7.yml"), PROGRAM_WAIT);
                assertTrue(askFor(port).startsWith("backend=b "));

                ReloadAndDrainTest.write(file, ReloadAndDrainTest.config(port, "127.0.0.1:1", "round-robin").replace("127.0.0.1:" + port, "nowhere"));
                hangUp(p.process());
                p.awaitLine(literally("lb-l7: lb-l7.yml:2: listen: expected HOST:PORT"), PROGRAM_WAIT);
                assertTrue(p.output().contains("keeping the configuration in force"), p::describe);
                assertTrue(askFor(port).startsWith("backend=b "));

                p.stop(Duration.ofSeconds(20)); // SIGTERM
                assertTrue(p.output().contains("lb-l7 stopped: every request finished"), p::describe);
            }
        }
    }

    /**
     * Started with SIGHUP ignored (as under {@code nohup}), the JVM cannot catch it: the
     * program must not claim that SIGHUP reloads, only that a changed file does.
     */
    @Test
    void underNohupTheProgramDoesNotPromiseSighupReloads(@TempDir Path dir) throws Exception {
        Processes.require("nohup");
        try (TestBackend a = new TestBackend("a")) {
            int port = Ports.free();
            Path file = dir.resolve("lb-l7.yml");
            ReloadAndDrainTest.write(file, ReloadAndDrainTest.config(port, "127.0.0.1:" + a.address().getPort(), "round-robin"));
            String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> command = List.of("nohup", javaBin, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                    "--config", file.toString(), "--watch-interval", "3600000");
            try (Processes.Running p = Processes.start(dir, "lb-l7", command)) {
                String line = p.awaitLine(Pattern.compile("lb-l7 reloads .* when it changes"), PROGRAM_WAIT);
                assertFalse(line.contains("SIGHUP"), line);
                assertTrue(askFor(port).startsWith("backend=a "));
            }
        }
    }

    private static Pattern literally(String text) {
        return Pattern.compile(Pattern.quote(text));
    }

    private static void hangUp(Process p) throws Exception {
        Process kill = new ProcessBuilder("kill", "-HUP", String.valueOf(p.pid())).inheritIO().start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, kill.exitValue());
    }

    private static String askFor(int port) throws Exception {
        try (RawClient c = new RawClient(new java.net.InetSocketAddress("127.0.0.1", port))) {
            c.send("GET /main HTTP/1.1\r\nHost: h\r\n\r\n");
            return c.read().body();
        }
    }

    private static String read(Path p) {
        try {
            return java.nio.file.Files.readString(p);
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
