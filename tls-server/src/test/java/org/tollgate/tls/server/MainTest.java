package org.tollgate.tls.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.testsupport.Processes;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MainTest {
    /** How long a peer program may take; it is killed after that. */
    private static final Duration PEER_TIMEOUT = Duration.ofSeconds(30);

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void helpListsTheOptionsAndExitsZero() {
        assertEquals(0, run("--help"));
        String help = out.toString(StandardCharsets.UTF_8);
        for (String option : new String[] {"--host", "--port", "--cert", "--key", "--versions", "--ciphers", "--groups",
                "--alpn", "--keylog", "--mode", "--explain", "--threads", "--max-connections", "--handshake-timeout", "--demo-ca"}) {
            assertTrue(help.contains(option), option);
        }
    }

    @Test
    void versionPrintsTheProjectVersion() {
        assertEquals(0, run("--version"));
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("tls-server "), out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void badOptionsExitTwoWithAClearMessage() {
        assertEquals(2, run("--no-such-option"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("Unknown option: '--no-such-option'"), err.toString());
        err.reset();
        assertEquals(2, run("--ciphers", "TLS_RSA_WITH_RC4_128_MD5"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--ciphers"), err.toString());
        err.reset();
        assertEquals(2, run("--groups", "x25519,nope"));
        assertEquals(2, run("--versions", "1.0"));
        assertEquals(2, run("--mode", "ftp"));
        assertEquals(2, run("--port", "70000"));
        assertEquals(2, run("--handshake-timeout", "soon"));
        assertEquals(2, run("--session-cache", "-1"));
        assertEquals(2, run("--tickets", "11"));
        err.reset();
        assertEquals(2, run("--ticket-key-file", "no-such-ticket.keys"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("no such file"), err.toString());
        assertEquals(2, run("--client-auth", "maybe"));
        assertEquals(2, run("--client-auth", "need", "--cert", "server.pem", "--key", "server.key"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("needs --client-ca"), err.toString(StandardCharsets.UTF_8));
        err.reset();
        assertEquals(2, run("--cert", "server.pem"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--cert and --key go together"), err.toString());
    }

    @Test
    void missingCertificateFileExitsOne(@TempDir Path dir) {
        assertEquals(1, run("--cert", dir.resolve("none.pem").toString(), "--key", dir.resolve("none.key").toString(),
                "--port", "0", "--host", "127.0.0.1"));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("tls-server: "), err.toString());
    }

    @Test
    void demoModeWritesTheCaServesAndStops(@TempDir Path dir) throws Exception {
        Path ca = dir.resolve("demo-ca.pem");
        Main main = new Main();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> Main.commandLine(main, o, o).execute(
                "--host", "127.0.0.1", "--port", "0", "--demo-ca", ca.toString(), "--threads", "1", "--explain"));
        while (main.server == null && !exit.isDone()) {
            Thread.sleep(20);
        }
        while (!out.toString(StandardCharsets.UTF_8).contains("listening on") && !exit.isDone()) {
            Thread.sleep(20);
        }
        int port = main.server.localAddress().getPort();
        assertTrue(Files.readString(ca).startsWith("-----BEGIN CERTIFICATE-----"));
        // curl, trusting the CA file the program wrote, gets the page.
        Processes.Result curl = Processes.run(dir, PEER_TIMEOUT, null, List.of("curl", "-sS", "--max-time", "20",
                "--cacert", ca.toString(), "https://localhost:" + port + "/"));
        String page = curl.output();
        assertEquals(0, curl.exit(), page);
        assertTrue(page.contains("<tr><th>SNI</th><td>localhost</td></tr>"), page);
        // --explain prints each connection as one block when it ends (curl closes once it has the page).
        while (!out.toString(StandardCharsets.UTF_8).contains("we send close_notify") && !exit.isDone()) {
            Thread.sleep(20);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("tls-server listening on 127.0.0.1:" + port + " (TLS 1.3, TLS 1.2, mode https)"), printed);
        assertTrue(printed.contains("curl --cacert " + ca), printed);
        assertTrue(printed.contains(" TLSv1.3 TLS_AES_128_GCM_SHA256 group=x25519"), "one line per handshake: " + printed);
        for (String step : List.of("We received ClientHello from the client", "=== Step 2: ServerHello: the server's choice",
                "=== Step 4: Premaster secret: ECDHE key exchange", "CLIENT_HANDSHAKE_TRAFFIC_SECRET = ",
                "=== Step 3: Certificate check (done by the client)", ">>> sent ServerHello, ", "0004  03 03 ")) {
            assertTrue(printed.contains(step), "--explain explains the handshake: " + step + " missing in " + printed);
        }
        main.stop();
        assertEquals(0, exit.get(10, TimeUnit.SECONDS));
    }

    @Test
    void rsaKeyExchangeServesTheClassicHandshakeOnlyWhenAskedFor(@TempDir Path dir) throws Exception {
        for (boolean rsa : new boolean[] {true, false}) {
            Path ca = dir.resolve("ca-" + rsa + ".pem");
            Main main = new Main();
            java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
            PrintStream o = new PrintStream(printed, true, StandardCharsets.UTF_8);
            List<String> args = new java.util.ArrayList<>(List.of("--host", "127.0.0.1", "--port", "0",
                    "--demo-ca", ca.toString(), "--threads", "1"));
            if (rsa) {
                args.add("--rsa-key-exchange");
            }
            CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> Main.commandLine(main, o, o)
                    .execute(args.toArray(new String[0])));
            while ((main.server == null || !printed.toString(StandardCharsets.UTF_8).contains("listening on")) && !exit.isDone()) {
                Thread.sleep(20);
            }
            int port = main.server.localAddress().getPort();
            // openssl s_client offering only TLS_RSA_WITH_AES_128_GCM_SHA256 (OpenSSL: AES128-GCM-SHA256).
            String output = Processes.run(dir, PEER_TIMEOUT, null, List.of("openssl", "s_client", "-connect",
                    "127.0.0.1:" + port, "-tls1_2", "-cipher", "AES128-GCM-SHA256", "-CAfile", ca.toString(),
                    "-servername", "localhost")).output();
            if (rsa) {
                assertTrue(output.contains("New, TLSv1.2, Cipher is AES128-GCM-SHA256"), output);
                assertTrue(output.contains("Verification: OK"), output);
            } else {
                assertTrue(output.contains("handshake failure"), "RSA key exchange is off by default: " + output);
            }
            main.stop();
            assertEquals(0, exit.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void sessionCacheLetsOpensslResumeByTls12SessionId(@TempDir Path dir) throws Exception {
        Path ca = dir.resolve("demo-ca.pem");
        Main main = new Main();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> Main.commandLine(main, o, o).execute(
                "--host", "127.0.0.1", "--port", "0", "--demo-ca", ca.toString(), "--threads", "1",
                "--session-cache", "10", "--no-tickets"));
        while ((main.server == null || !out.toString(StandardCharsets.UTF_8).contains("listening on")) && !exit.isDone()) {
            Thread.sleep(20);
        }
        assertFalse(exit.isDone(), () -> "the server stopped: " + exit.join() + " " + out.toString(StandardCharsets.UTF_8));
        int port = main.server.localAddress().getPort();
        String output = Processes.run(dir, PEER_TIMEOUT, null, List.of("openssl", "s_client", "-connect",
                "127.0.0.1:" + port, "-tls1_2", "-servername", "localhost", "-CAfile", ca.toString(),
                "-verify_return_error", "-reconnect")).output();
        assertEquals(5, output.split("\nReused, TLSv1.2, ").length - 1, output);
        main.stop();
        assertEquals(0, exit.get(10, TimeUnit.SECONDS));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertEquals(5, java.util.regex.Pattern.compile(" TLSv1.2 .* resumed=session-id$", java.util.regex.Pattern.MULTILINE)
                .matcher(printed).results().count(), "the server's summary lines: " + printed);
        assertEquals(1, java.util.regex.Pattern.compile(" TLSv1.2 .* full-handshake$", java.util.regex.Pattern.MULTILINE)
                .matcher(printed).results().count(), printed);
    }

    /** Starts a server from the command line on a free port; returns it once it listens. */
    private static Main startServer(ByteArrayOutputStream sink, String... args) throws Exception {
        Main main = new Main();
        PrintStream o = new PrintStream(sink, true, StandardCharsets.UTF_8);
        // A thread of its own: the server blocks until stopped, and the common pool may have a single thread.
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> Main.commandLine(main, o, o).execute(args),
                task -> new Thread(task, "tls-server-main").start());
        while ((main.server == null || !sink.toString(StandardCharsets.UTF_8).contains("listening on")) && !exit.isDone()) {
            Thread.sleep(20);
        }
        assertFalse(exit.isDone(), () -> "the server stopped: " + exit.join() + " " + sink.toString(StandardCharsets.UTF_8));
        return main;
    }

    private static String sClient(Path dir, int port, Path ca, String... more) {
        List<String> command = new java.util.ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port,
                "-tls1_3", "-servername", "localhost", "-CAfile", ca.toString(), "-verify_return_error", "-ign_eof"));
        command.addAll(List.of(more));
        return Processes.run(dir, PEER_TIMEOUT, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                command).output();
    }

    @Test
    void twoServersWithOneTicketKeyFileResumeEachOthersTls13Sessions(@TempDir Path dir) throws Exception {
        Path keys = dir.resolve("ticket.keys");
        assertEquals(0, run("--new-ticket-key-file", keys.toString()));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("Wrote a new ticket key to"), out.toString());
        String firstKey = Files.readAllLines(keys).get(2);
        assertEquals(0, run("--new-ticket-key-file", keys.toString()));
        assertEquals(firstKey, Files.readAllLines(keys).get(3), "rotation keeps the old key as the second line");

        Path ca = dir.resolve("demo-ca.pem");
        ByteArrayOutputStream outA = new ByteArrayOutputStream();
        ByteArrayOutputStream outB = new ByteArrayOutputStream();
        Main a = startServer(outA, "--host", "127.0.0.1", "--port", "0", "--demo-ca", ca.toString(), "--threads", "1",
                "--ticket-key-file", keys.toString());
        Main b = null;
        try {
            // B has its own demo CA: resumption skips the certificate, so the client never sees B's.
            b = startServer(outB, "--host", "127.0.0.1", "--port", "0", "--demo-ca", dir.resolve("b-ca.pem").toString(),
                    "--threads", "1", "--ticket-key-file", keys.toString());
            Path session = dir.resolve("session.pem");
            String first = sClient(dir, a.server.localAddress().getPort(), ca, "-sess_out", session.toString());
            assertTrue(first.contains("New, TLSv1.3"), first);
            String second = sClient(dir, b.server.localAddress().getPort(), ca, "-sess_in", session.toString());
            assertTrue(second.contains("Reused, TLSv1.3"), second);
            assertTrue(second.contains("200 OK"), second);
        } finally {
            a.stop();
            if (b != null) {
                b.stop();
            }
        }
        assertTrue(outA.toString(StandardCharsets.UTF_8).contains(" full-handshake"), outA.toString());
        assertTrue(outB.toString(StandardCharsets.UTF_8).contains(" resumed=psk"), outB.toString());
    }

    @Test
    void clientAuthNeedInDemoModeWritesAClientCertificateThatCurlCanUse(@TempDir Path dir) throws Exception {
        Path ca = dir.resolve("demo-ca.pem");
        Main main = new Main();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> Main.commandLine(main, o, o).execute(
                "--host", "127.0.0.1", "--port", "0", "--demo-ca", ca.toString(), "--threads", "1", "--client-auth", "need"));
        while ((main.server == null || !out.toString(StandardCharsets.UTF_8).contains("listening on")) && !exit.isDone()) {
            Thread.sleep(20);
        }
        assertFalse(exit.isDone(), () -> "the server stopped: " + exit.join() + " " + out.toString(StandardCharsets.UTF_8));
        int port = main.server.localAddress().getPort();
        Path cert = dir.resolve("tollgate-demo-client.pem");
        Path key = dir.resolve("tollgate-demo-client.key");
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("curl --cacert " + ca + " --cert " + cert + " --key " + key), printed);
        for (String version : List.of("--tlsv1.3", "--tls-max")) {
            List<String> args = new java.util.ArrayList<>(List.of("curl", "-sS", "--max-time", "20", "--cacert", ca.toString(),
                    "--cert", cert.toString(), "--key", key.toString()));
            args.addAll(version.equals("--tls-max") ? List.of("--tls-max", "1.2") : List.of(version));
            args.add("https://localhost:" + port + "/");
            Processes.Result curl = Processes.run(dir, PEER_TIMEOUT, null, args);
            String page = curl.output();
            assertEquals(0, curl.exit(), page);
            assertTrue(page.contains("<tr><th>Client certificate</th><td>CN=Tollgate Demo Client (issued by CN=Tollgate Demo CA)"), page);
        }
        // Without a certificate curl is refused.
        Processes.Result curl = Processes.run(dir, PEER_TIMEOUT, null, List.of("curl", "-sS", "--max-time", "20",
                "--cacert", ca.toString(), "https://localhost:" + port + "/"));
        String refused = curl.output();
        assertTrue(curl.exit() != 0, refused);
        assertTrue(refused.contains("certificate required"), refused);
        main.stop();
        assertEquals(0, exit.get(10, TimeUnit.SECONDS));
        String lines = out.toString(StandardCharsets.UTF_8);
        assertTrue(lines.contains("certificate_required"), lines);
        assertTrue(lines.contains(" full-handshake client-cert=\"CN=Tollgate Demo Client\""), lines);
    }
}
