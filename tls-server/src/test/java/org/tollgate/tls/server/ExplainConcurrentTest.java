package org.tollgate.tls.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tls-server --explain} with two connections open at once (openssl s_client, one TLS 1.3
 * and one TLS 1.2): each connection is told as one block, steps 1 to 6, not interrupted by the
 * other's lines.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ExplainConcurrentTest {
    private static final String HEADING = "######## TLS handshake explained, ";

    private final ByteArrayOutputStream printedOut = new ByteArrayOutputStream();
    private final ByteArrayOutputStream printedErr = new ByteArrayOutputStream();
    private final List<Process> clients = new ArrayList<>();
    /** Our own threads: the server's command line blocks one until it stops. */
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private Main main;

    @AfterEach
    void stop() {
        clients.forEach(Process::destroyForcibly);
        if (main != null && main.server != null) {
            main.stop();
        }
        threads.shutdownNow();
    }

    private String out() {
        return printedOut.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return printedErr.toString(StandardCharsets.UTF_8);
    }

    @Test
    void twoConcurrentConnectionsAreToldAsTwoWholeBlocks(@TempDir Path dir) throws Exception {
        Path ca = dir.resolve("demo-ca.pem");
        main = new Main();
        PrintStream o = new PrintStream(printedOut, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(printedErr, true, StandardCharsets.UTF_8);
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> Main.commandLine(main, o, e).execute(
                "--host", "127.0.0.1", "--port", "0", "--demo-ca", ca.toString(), "--threads", "1", "--explain"),
                threads);
        while ((main.server == null || !out().contains("listening on")) && !exit.isDone()) {
            Thread.sleep(20);
        }
        int port = main.server.localAddress().getPort();

        // Both handshakes complete before either connection sends its request or closes.
        Process tls13 = sClient(port, ca, "-tls1_3");
        awaitHandshakes(1, exit);
        Process tls12 = sClient(port, ca, "-tls1_2");
        awaitHandshakes(2, exit);
        List<CompletableFuture<String>> pages = new ArrayList<>();
        for (Process p : List.of(tls12, tls13)) {
            pages.add(CompletableFuture.supplyAsync(() -> readAll(p), threads));
            p.getOutputStream().write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            p.getOutputStream().close();
        }
        for (int i = 0; i < 2; i++) {
            Process p = i == 0 ? tls12 : tls13;
            String page = pages.get(i).get(60, TimeUnit.SECONDS);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertTrue(page.contains("HTTP/1.1 200 OK"), page);
        }
        // A block is printed when its connection ends.
        while (count(err(), "we send close_notify") < 2 && !exit.isDone()) {
            Thread.sleep(20);
        }
        main.stop();
        assertEquals(0, exit.get(30, TimeUnit.SECONDS));

        String text = err();
        List<String> blocks = blocks(text);
        assertEquals(2, blocks.size(), text);
        List<String> headings = blocks.stream().map(b -> b.lines().findFirst().orElseThrow()).sorted().toList();
        assertEquals(List.of(HEADING + "server side: connection 1 ########",
                HEADING + "server side: connection 2 ########"), headings);
        for (String block : blocks) {
            boolean isTls12 = block.contains("=== Step 1: ClientHello: what the client can do   [RFC 5246 ");
            String rfc = isTls12 ? "RFC 5246" : "RFC 8446";
            // Every step of this connection, in order, and the other's steps not among them.
            List<String> steps = block.lines().filter(l -> l.startsWith("=== Step ")).toList();
            assertEquals("123456", steps.stream().map(l -> l.substring(9, 10)).distinct().sorted()
                    .collect(Collectors.joining()), "steps 1 to 6 in one block:\n" + block);
            assertTrue(steps.get(0).startsWith("=== Step 1: ClientHello") && steps.get(steps.size() - 1)
                    .startsWith("=== Step 6: Close"), "from ClientHello to the close:\n" + block);
            assertTrue(steps.stream().filter(l -> l.startsWith("=== Step 1:") || l.startsWith("=== Step 6:"))
                    .allMatch(l -> l.contains("[" + rfc)), "one protocol version in the block:\n" + block);
            assertEquals(1, count(block, ">>> sent ServerHello, "), block);
            assertEquals(1, count(block, "<<< received ClientHello, "), block);
            assertEquals(1, count(block, "we received "), block);
            assertEquals(1, count(block, "we send close_notify"), block);
            assertTrue(block.indexOf("we received ") < block.indexOf("(\"HTTP/1.1 200 OK\")"), block);
        }
        assertTrue(blocks.stream().anyMatch(b -> b.contains("[RFC 5246 §7.4.1.2]"))
                && blocks.stream().anyMatch(b -> b.contains("[RFC 8446 §4.1.2]")), "a TLS 1.2 and a TLS 1.3 block");
    }

    private Process sClient(int port, Path ca, String version) throws IOException {
        Process p = new ProcessBuilder("openssl", "s_client", "-quiet", "-ign_eof", "-connect", "127.0.0.1:" + port,
                "-servername", "localhost", "-CAfile", ca.toString(), "-verify_return_error", version)
                .redirectErrorStream(true).start();
        clients.add(p);
        return p;
    }

    /** Waits until the server has printed {@code n} handshake summaries (one line per connection). */
    private void awaitHandshakes(int n, CompletableFuture<Integer> exit) throws InterruptedException {
        while (count(out(), " full-handshake") < n && !exit.isDone()) {
            Thread.sleep(20);
        }
        assertEquals(n, count(out(), " full-handshake"), out());
    }

    private static String readAll(Process p) {
        try {
            return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The text from each heading to the next; nothing of the explainer may come before the first. */
    private static List<String> blocks(String text) {
        List<String> blocks = new ArrayList<>();
        int at = text.indexOf(HEADING);
        assertTrue(at >= 0, text);
        assertTrue(text.substring(0, at).lines().noneMatch(l -> l.startsWith("===")), text);
        while (at >= 0) {
            int next = text.indexOf(HEADING, at + 1);
            blocks.add(next < 0 ? text.substring(at) : text.substring(at, next));
            at = next;
        }
        return blocks;
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }
}
