package org.tollgate.lb.l4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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
