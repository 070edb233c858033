package org.tollgate.lb.l4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tollgate.lb.l4.HealthTest.readLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.lb.balance.Backend;
import picocli.CommandLine;

/** --explain: one line per choice, naming the algorithm, the candidates and their state, and the reason. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ExplainTest {

    private static List<String> explainOneConnection(Algorithm algorithm) throws Exception {
        try (TestBackend a = new TestBackend("a", TestBackend.WHO_AM_I_ECHO);
             TestBackend b = new TestBackend("b", TestBackend.WHO_AM_I_ECHO)) {
            Backend ba = a.backend(5);
            Backend bb = b.backend(1);
            bb.setState(Backend.State.DRAINING);
            Backend down = new Backend("c", TestBackend.refusingAddress(), 2);
            down.setState(Backend.State.DOWN);
            List<String> lines = new CopyOnWriteArrayList<>();
            try (TcpForwarder f = TcpForwarder.start(ForwarderConfig.builder(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                    .eventLoops(1).explain(lines::add).build(), algorithm.create(List.of(ba, bb, down), new Random(1)))) {
                try (Socket s = new Socket()) {
                    s.connect(f.localAddress(), 5000);
                    s.setSoTimeout(10_000);
                    assertEquals("a", readLine(s.getInputStream()));
                    assertEquals(1, lines.size(), lines.toString());
                    String line = lines.get(0);
                    assertTrue(line.startsWith("127.0.0.1:" + s.getLocalPort() + " candidates: a UP w=5 active=0 total=0, "
                            + "b DRAINING w=1 active=0 total=0, c DOWN w=2 active=0 total=0; " + algorithm.cliName()), line);
                    assertTrue(line.endsWith(" -> a"), line);
                }
            }
            return lines;
        }
    }

    @Test
    void eachAlgorithmSaysWhy() throws Exception {
        assertTrue(explainOneConnection(Algorithm.ROUND_ROBIN).get(0).contains("next of 1 available"));
        assertTrue(explainOneConnection(Algorithm.WEIGHTED_ROUND_ROBIN).get(0).contains("one period of 1 picks is [a]"));
        assertTrue(explainOneConnection(Algorithm.LEAST_CONNECTIONS).get(0).contains("lowest active/weight among a 0/5"));
        String maglev = explainOneConnection(Algorithm.IP_HASH).get(0);
        assertTrue(maglev.matches(".*hash\\(127\\.0\\.0\\.1\\) -> slot \\d+ of 65537, owned by a; a owns 65537 slots.*"), maglev);
        assertTrue(explainOneConnection(Algorithm.TWO_CHOICES).get(0).contains("drew a (0/5) and a (0/5) of 1 at random"));
    }

    @Test
    void aRefusedBackendShowsInTheRetrysLineAndSniShowsTheName() throws Exception {
        try (TestBackend a = new TestBackend("a", TestBackend.WHO_AM_I_ECHO)) {
            Backend refusing = new Backend("x", TestBackend.refusingAddress());
            List<String> lines = new CopyOnWriteArrayList<>();
            try (TcpForwarder f = TcpForwarder.start(ForwarderConfig.builder(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                    .eventLoops(1).explain(lines::add).sniRoutes(SniRoutes.builder().build()).build(),
                    Algorithm.ROUND_ROBIN.create(List.of(refusing, a.backend(1))));
                 Socket s = new Socket()) {
                s.connect(f.localAddress(), 5000);
                s.setSoTimeout(10_000);
                s.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals("a", readLine(s.getInputStream()));
                assertEquals(2, lines.size(), lines.toString());
                assertTrue(lines.get(0).contains("[NOT_TLS: first byte 0x68 is not a TLS handshake record: default pool]"), lines.get(0));
                assertTrue(lines.get(0).endsWith("-> x"), lines.get(0));
                assertTrue(lines.get(1).contains("x UP w=1 active=0 total=1 (connect failed)") && lines.get(1).endsWith("-> a"), lines.get(1));
            }
        }
    }

    @Test
    void theCommandLinePrintsTheLines() throws Exception {
        try (TestBackend a = new TestBackend("a", TestBackend.WHO_AM_I_ECHO)) {
            Main main = new Main();
            new CommandLine(main).parseArgs("--listen", "127.0.0.1:0", "--backend", "127.0.0.1:" + a.address().getPort(),
                    "--algorithm", "least-connections", "--explain");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (Main.Running running = main.start(new PrintStream(out, true, StandardCharsets.UTF_8));
                 Socket s = new Socket()) {
                s.connect(running.tcp.localAddress(), 5000);
                s.setSoTimeout(10_000);
                assertEquals("a", readLine(s.getInputStream()));
            }
            String printed = out.toString(StandardCharsets.UTF_8);
            assertTrue(printed.contains("least-connections: lowest active/weight among 127.0.0.1:" + a.address().getPort() + " 0/1"), printed);
        }
    }
}
