package org.tollgate.tls.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tollgate.testsupport.Processes;

/** {@code tls-server --explain} tells a real client's connection as steps 1 to 6, step 6 once and last. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ExplainStepSixTest {
    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private Main main;

    @AfterEach
    void stop() {
        if (main != null && main.server != null) {
            main.stop();
        }
    }

    private String text() {
        return printed.toString(StandardCharsets.UTF_8);
    }

    /**
     * curl keeps the connection alive and closes first (the server then answers its close_notify);
     * openssl s_client asks for {@code Connection: close}, so the server closes first.
     */
    @ParameterizedTest
    @CsvSource({"curl, 1.3", "curl, 1.2", "s_client, 1.3", "s_client, 1.2"})
    void explainTellsEachStepInOrderAndStepSixOnce(String peer, String version, @TempDir Path dir) throws Exception {
        Path ca = dir.resolve("demo-ca.pem");
        main = new Main();
        PrintStream o = new PrintStream(printed, true, StandardCharsets.UTF_8);
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> Main.commandLine(main, o, o).execute(
                "--host", "127.0.0.1", "--port", "0", "--demo-ca", ca.toString(), "--threads", "1", "--explain"));
        while ((main.server == null || !text().contains("listening on")) && !exit.isDone()) {
            Thread.sleep(20);
        }
        int port = main.server.localAddress().getPort();
        boolean curl = peer.equals("curl");
        Processes.Result result = Processes.run(dir, Duration.ofSeconds(40),
                curl ? null : "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", curl
                ? List.of("curl", "-sS", "--max-time", "30", "--cacert", ca.toString(),
                        "--tlsv" + version, "--tls-max", version, "https://localhost:" + port + "/")
                : List.of("openssl", "s_client", "-quiet", "-ign_eof", "-connect", "127.0.0.1:" + port,
                        "-servername", "localhost", "-CAfile", ca.toString(), "-verify_return_error",
                        version.equals("1.3") ? "-tls1_3" : "-tls1_2"));
        String page = result.output();
        assertEquals(0, result.exit(), page);
        assertTrue(page.contains("<tr><th>SNI</th><td>localhost</td></tr>"), page);
        // The client has its page; the server tells its own close_notify once it has closed the connection.
        while (!text().contains("we send close_notify") && !exit.isDone()) {
            Thread.sleep(20);
        }
        main.stop();
        assertEquals(0, exit.get(30, TimeUnit.SECONDS));

        String text = text();
        // Headings without their RFC references, e.g. "Step 6: Close".
        List<String> headings = text.lines().filter(l -> l.startsWith("=== "))
                .map(l -> l.substring(4, l.indexOf("   ["))).toList();
        String steps = headings.stream().filter(h -> h.startsWith("Step ")).map(h -> h.substring(5, 6)).distinct()
                .sorted().collect(Collectors.joining());
        assertEquals("123456", steps, "steps 1 to 6: " + headings);
        // Step 6 is the end of the story, told once: the data (continued only after a ticket), then the close.
        String fromSix = String.join("|", headings.subList(headings.indexOf("Step 6: Encrypted application data"),
                headings.size()));
        assertTrue(fromSix.matches("Step 6: Encrypted application data"
                + "(\\|Resumption: [^|]*\\|Step 6: Encrypted application data, continued)*\\|Step 6: Close"),
                "step 6 once, in order, close last: " + headings);
        Map<String, Long> counts = headings.stream().collect(Collectors.groupingBy(h -> h, Collectors.counting()));
        counts.forEach((heading, count) -> assertTrue(count == 1 || heading.contains("Finished"),
                heading + " told " + count + " times: " + headings));

        // The request, then the response, then the closes; nothing of the explainer after them.
        int received = text.indexOf("we received ");
        int sent = text.indexOf("we send ", received);
        int close = text.indexOf("=== Step 6: Close   ");
        assertTrue(received > text.indexOf("=== Step 6: Encrypted application data   ") && received < sent && sent < close,
                "request, response, then the close:\n" + text);
        assertTrue(text.substring(received).startsWith("we received " + requestLength(text, received)
                + " bytes of application data (\"GET / HTTP/1.1\")"), text);
        assertTrue(text.substring(sent).startsWith("we send ") && text.indexOf("(\"HTTP/1.1 200 OK\")", sent) > sent, text);
        assertEquals(-1, text.indexOf("we received ", received + 1), "the request is told once:\n" + text);
        String afterClose = text.substring(close);
        assertTrue(afterClose.contains("we send close_notify"), afterClose);
        if (curl) {
            assertTrue(afterClose.contains("The peer sent close_notify"), afterClose);
        }
        assertTrue(afterClose.lines().skip(1).allMatch(l -> l.isBlank() || l.startsWith("The peer sent close_notify: ")
                || l.startsWith("we send close_notify, ")), "nothing after the close:\n" + afterClose);
    }

    /** The byte count the server told for the request: a positive number. */
    private static long requestLength(String text, int at) {
        String rest = text.substring(at + "we received ".length());
        long n = Long.parseLong(rest.substring(0, rest.indexOf(' ')));
        assertTrue(n > "GET / HTTP/1.1\r\n\r\n".length(), rest);
        return n;
    }
}
