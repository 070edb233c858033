package org.tollgate.tls.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tollgate.testsupport.OpenSslServer;

/** The {@code tls-client} command line, run in process (and once as a real process) against real servers. */
@Timeout(60)
class MainTest {
    @TempDir
    static Path dir;
    static Path cert;
    static Path key;
    static Path ca;

    private OpenSslServer openssl;
    private JsseServer jsse;

    @BeforeAll
    static void writeFiles() throws IOException {
        Path[] files = TestPki.write(dir, "localhost", TestPki.PKI.localhostServer());
        cert = files[0];
        key = files[1];
        ca = TestPki.writeCa(dir);
    }

    @AfterEach
    void stop() throws Exception {
        if (openssl != null) {
            openssl.close();
        }
        if (jsse != null) {
            jsse.close();
        }
    }

    record Result(int exitCode, String out, String err) {
    }

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), args);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private String opensslUrl(String... serverArgs) throws Exception {
        openssl = OpenSslServer.builder(cert, key).interactive().args(serverArgs).start(dir);
        return "https://localhost:" + openssl.port() + "/";
    }

    /** A JSSE server answering every request with {@code response} and keeping the request heads. */
    private String jsseUrl(String response, List<String> requests) throws Exception {
        jsse = new JsseServer(TestPki.PKI.localhostServer(), (tls, tcp) -> {
            requests.add(JsseServer.readRequestHead(tls.getInputStream()));
            OutputStream out = tls.getOutputStream();
            out.write(response.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            tls.close();
        });
        return "https://localhost:" + jsse.port();
    }

    @Test
    void fetchesAPagePrintsTheBodyAndTheSummaryLine() throws Exception {
        Result r = run("--cafile", ca.toString(), opensslUrl("-www"));
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256"), r.out());
        assertTrue(r.out().startsWith("<HTML>"), "the body only, no headers without -i: " + r.out());
        String[] lines = r.err().split("\n");
        assertEquals(1, lines.length, r.err());
        assertEquals("* TLSv1.3 TLS_AES_128_GCM_SHA256 group=x25519 signature=ecdsa_secp256r1_sha256 alpn=none"
                + " sni=localhost full-handshake", lines[0]);
    }

    @Test
    void resumeMakesNPlusOneConnectionsAndSaysWhichWereResumed() throws Exception {
        Result r = run("--cafile", ca.toString(), "--resume", "2", opensslUrl("-www", "-tls1_2"));
        assertEquals(0, r.exitCode(), r.err());
        // openssl s_server issues RFC 5077 tickets by default, and our client asks for them.
        assertTrue(r.err().contains("* resumption: 1:full 2:resumed(ticket) 3:resumed(ticket) (2 of 2 reconnections resumed)"),
                r.err());
        assertEquals(3, r.err().split(" sni=localhost ").length - 1, r.err());
        assertTrue(r.out().contains("Reused, TLSv1.2, Cipher is"), "s_server's page of the last connection: " + r.out());
        assertEquals(1, r.out().split("<HTML>").length - 1, "only the last body is printed: " + r.out());
    }

    @Test
    void resumeAgainstATls13ServerResumesWithAPsk() throws Exception {
        Result r = run("--cafile", ca.toString(), "--resume", "2", opensslUrl("-www"));
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("* resumption: 1:full 2:resumed(psk) 3:resumed(psk) (2 of 2 reconnections resumed)"),
                r.err());
        assertTrue(r.out().contains("Reused, TLSv1.3, Cipher is"), r.out());
    }

    @Test
    void resumeAgainstATls13ServerWithoutTicketsReportsFullHandshakes() throws Exception {
        Result r = run("--cafile", ca.toString(), "--resume", "1", opensslUrl("-www", "-num_tickets", "0"));
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("* resumption: 1:full 2:full (0 of 1 reconnections resumed)"), r.err());
        assertEquals(2, run("--resume", "0", "https://localhost:1/").exitCode());
    }

    @Test
    void cipherGroupAndAlpnOptions() throws Exception {
        Result r = run("--cafile", ca.toString(), "--ciphers", "TLS_CHACHA20_POLY1305_SHA256", "--groups", "P-384,x25519",
                "--alpn", "h2,http/1.1", "--versions", "1.3", opensslUrl("-www", "-alpn", "http/1.1"));
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().startsWith("* TLSv1.3 TLS_CHACHA20_POLY1305_SHA256 group=secp384r1 "), r.err());
        assertTrue(r.err().contains(" alpn=http/1.1 "), r.err());
        assertTrue(r.out().contains("Cipher is TLS_CHACHA20_POLY1305_SHA256"), r.out());
    }

    @Test
    void explainTellsTheSixSteps() throws Exception {
        Path keyLog = dir.resolve("explained-keys.log");
        Result r = run("--cafile", ca.toString(), "--keylog", keyLog.toString(), "--explain", opensslUrl("-www"));
        assertEquals(0, r.exitCode(), r.err());
        for (String expected : List.of("=== Step 1: ClientHello", ">>> sent ClientHello, ", "0004  03 03 ",
                "extension key_share", "=== Step 2: ServerHello: the server's choice", "<<< received ServerHello, ",
                "=== Step 4: Premaster secret: ECDHE key exchange", "Why TLS 1.3 removed RSA key exchange",
                "=== Step 5: Key schedule: handshake secrets and keys", "CLIENT_HANDSHAKE_TRAFFIC_SECRET = ",
                "<<< received Certificate, ", "anchor          : CN=Tollgate Demo CA",
                "PASSED: server certificate CN=localhost verified for localhost", "<<< received CertificateVerify, ",
                "=== Step 5: Key schedule: master secret and session keys", "CLIENT_TRAFFIC_SECRET_0 ",
                "=== Step 6: Encrypted application data", "we send ", "(\"GET / HTTP/1.1\")", "(\"HTTP/1.0 200 ok\")",
                "=== Step 6: Close")) {
            assertTrue(r.err().contains(expected), expected + " missing in:\n" + r.err());
        }
        // --keylog still gets the secrets while the explainer shows them.
        assertTrue(Files.readString(keyLog).contains("CLIENT_TRAFFIC_SECRET_0 "));
    }

    /**
     * Step 6 once, in the reader's order: the program reports the response only after reading
     * it all, which is after the engine saw the server's close_notify behind it; that used to
     * print "Step 6: Encrypted application data" and "Step 6: Close" twice each.
     */
    @ParameterizedTest
    @ValueSource(strings = {"-tls1_3", "-tls1_2"})
    void explainTellsEachStepInOrderAndStepSixOnce(String version) throws Exception {
        String url = version.equals("-tls1_2") ? opensslUrl("-www", "-tls1_2") : opensslUrl("-www");
        Result r = run("--cafile", ca.toString(), "--explain", url);
        assertEquals(0, r.exitCode(), r.err());
        List<String> headings = r.err().lines().filter(l -> l.startsWith("=== ")).toList();
        for (int n = 1; n <= 6; n++) {
            String prefix = "=== Step " + n + ": ";
            assertTrue(headings.stream().anyMatch(h -> h.startsWith(prefix)), "step " + n + " missing: " + headings);
        }
        List<String> sixes = headings.stream().filter(h -> h.startsWith("=== Step 6: ")).toList();
        assertEquals(1, sixes.stream().filter(h -> h.startsWith("=== Step 6: Encrypted application data   ")).count(),
                "one step 6 data heading: " + headings);
        assertEquals(1, sixes.stream().filter(h -> h.startsWith("=== Step 6: Close   ")).count(),
                "one step 6 close heading: " + headings);
        // Only a NewSessionTicket (resumption, "=== Resumption") may come between, and data goes on "continued".
        assertTrue(sixes.stream().allMatch(h -> h.startsWith("=== Step 6: Encrypted application data")
                || h.startsWith("=== Step 6: Close")), sixes.toString());
        assertTrue(headings.get(headings.size() - 1).startsWith("=== Step 6: Close"), "close comes last: " + headings);
        List<String> fromSix = headings.subList(headings.indexOf(sixes.get(0)), headings.size());
        assertTrue(fromSix.stream().allMatch(h -> h.startsWith("=== Step 6: ") || h.startsWith("=== Resumption")),
                "no step before 6 after step 6: " + headings);
        // Besides the interleaving TLS 1.3 asks for (steps 4 and 5 before 3), no heading is told twice
        // except "Finished", which both sides send.
        Map<String, Long> counts = headings.stream().collect(Collectors.groupingBy(h -> h, Collectors.counting()));
        counts.forEach((heading, count) -> assertTrue(count == 1 || heading.contains("Finished"),
                heading + " told " + count + " times: " + headings));
        String text = r.err();
        int sent = text.indexOf("we send ");
        int received = text.indexOf("we received ");
        int peerClose = text.indexOf("The peer sent close_notify");
        int ourClose = text.indexOf("we send close_notify");
        assertTrue(sent >= 0 && sent < received && received < peerClose && received < ourClose,
                "request, response, then the closes:\n" + text);
    }

    @Test
    void explainRefusedCertificateSaysWhy() throws Exception {
        Result r = run("--cafile", ca.toString(), "--servername", "example.com", "--explain", opensslUrl("-www"));
        assertEquals(60, r.exitCode(), r.err());
        assertTrue(r.err().contains("name            : example.com does NOT match the leaf's subjectAltName"), r.err());
        assertTrue(r.err().contains("FAILED: sending fatal alert: "), r.err());
    }

    @Test
    void explainHtmlWritesOnePage() throws Exception {
        Path page = dir.resolve("connection.html");
        Result r = run("--cafile", ca.toString(), "--explain=html", page.toString(), opensslUrl("-www"));
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("* explanation of the connection written to " + page), r.err());
        assertFalse(r.err().contains("=== Step"), "the text goes to the page, not stderr: " + r.err());
        String html = Files.readString(page);
        for (String expected : List.of("<!DOCTYPE html>", "data-message=\"ClientHello\"", "data-message=\"Finished\"",
                "data-step=\"4\"", "<details class=\"field\"", "legacy_version")) {
            assertTrue(html.contains(expected), expected + " missing in the page");
        }
        assertFalse(html.contains("http://") || html.contains("https://") || html.contains("src="),
                "the page loads nothing from the network");
    }

    @Test
    void explainHtmlWithoutFileIsAUsageError() {
        Result r = run("--explain=html");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().contains("--explain=html needs a FILE"), r.err());
    }

    @Test
    void keyLogFileGetsTheSecrets() throws Exception {
        Path keyLog = dir.resolve("keys.log");
        Result r = run("--cafile", ca.toString(), "--keylog", keyLog.toString(), opensslUrl("-www"));
        assertEquals(0, r.exitCode(), r.err());
        String log = Files.readString(keyLog);
        for (String label : List.of("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0")) {
            assertTrue(log.contains(label + " "), label + " missing in " + log);
        }
    }

    @Test
    void wrongNameExits60WithTheReason() throws Exception {
        Result r = run("--cafile", ca.toString(), "--servername", "example.com", opensslUrl("-www"));
        assertEquals(60, r.exitCode(), r.err());
        assertEquals("tls-client: certificate for localhost, 127.0.0.1, ::1 is not valid for example.com (bad_certificate)\n",
                r.err());
        assertEquals("", r.out());
    }

    @Test
    void untrustedByTheSystemCasExits60() throws Exception {
        Result r = run(opensslUrl("-www")); // no --cafile: the JDK's CAs do not know the demo CA
        assertEquals(60, r.exitCode(), r.err());
        assertTrue(r.err().startsWith("tls-client: ") && r.err().contains("(unknown_ca)"), r.err());
    }

    @Test
    void insecureConnectsWithALoudWarning() throws Exception {
        Result r = run("-k", opensslUrl("-www"));
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().startsWith("WARNING: --insecure: the server's certificate is NOT checked"), r.err());
        assertTrue(r.out().contains("Cipher is"), r.out());
    }

    @Test
    void noCommonSuiteExits35WithTheAlert() throws Exception {
        Result r = run("--cafile", ca.toString(), "--ciphers", "TLS_AES_128_GCM_SHA256",
                opensslUrl("-www", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"));
        assertEquals(35, r.exitCode(), r.err());
        assertTrue(r.err().startsWith("tls-client: the server sent the fatal alert handshake_failure"), r.err());
    }

    @Test
    void connectionRefusedExits7() throws Exception {
        Result r = run("--cafile", ca.toString(), "https://127.0.0.1:" + freePort() + "/");
        assertEquals(7, r.exitCode(), r.err());
        assertTrue(r.err().startsWith("tls-client: cannot connect to 127.0.0.1:"), r.err());
    }

    @Test
    void badOptionsExit2() {
        for (String[] args : List.of(new String[] {"--ciphers", "TLS_RSA_WITH_RC4_128_MD5", "https://localhost/"},
                new String[] {"--versions", "1.1", "https://localhost/"},
                new String[] {"--groups", "ffdhe2048", "https://localhost/"},
                new String[] {"--no-such-option", "https://localhost/"},
                new String[] {},
                new String[] {"--timeout", "-3", "https://localhost/"},
                new String[] {"--connect-to", "nowhere", "https://localhost/"})) {
            Result r = run(args);
            assertEquals(2, r.exitCode(), List.of(args) + ": " + r.err());
            assertTrue(r.err().startsWith("tls-client: "), r.err());
        }
        Result r = run("--ciphers", "TLS_RSA_WITH_RC4_128_MD5", "https://localhost/");
        assertTrue(r.err().contains("unknown or unsupported cipher suite: TLS_RSA_WITH_RC4_128_MD5"), r.err());
    }

    @Test
    void plainHttpIsRefused() {
        Result r = run("http://localhost:8080/x");
        assertEquals(1, r.exitCode());
        assertEquals("tls-client: http:// is plain text and this tool speaks TLS only: use https://localhost:8080/x\n", r.err());
    }

    @Test
    void helpAndVersion() {
        Result help = run("--help");
        assertEquals(0, help.exitCode());
        assertTrue(help.out().contains("--servername=NAME") && help.out().contains("60"), help.out());
        Result version = run("--version");
        assertEquals(0, version.exitCode());
        assertTrue(version.out().startsWith("tls-client 0.1"), version.out());
    }

    // ------------------------------------------------------------------ HTTP, against JSSE

    @Test
    void sendsAProperRequestAndReadsAContentLengthBody() throws Exception {
        List<String> requests = new CopyOnWriteArrayList<>();
        String url = jsseUrl("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Test: yes\r\n\r\nhello", requests);
        Result r = run("--cafile", ca.toString(), "-i", url + "/a/b?c=d");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Test: yes\r\n\r\nhello", r.out());
        jsse.awaitHandlers();
        String request = requests.get(0);
        assertTrue(request.startsWith("GET /a/b?c=d HTTP/1.1\r\n"), request);
        assertTrue(request.contains("\r\nHost: localhost:" + jsse.port() + "\r\n"), request);
        assertTrue(request.contains("\r\nUser-Agent: tollgate-client/0.1\r\n"), request);
        assertTrue(request.contains("\r\nConnection: close\r\n"), request);
    }

    @Test
    void readsAChunkedBody() throws Exception {
        String url = jsseUrl("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "6;ext=1\r\nhello \r\n6\r\nworld!\r\n0\r\nTrailer: x\r\n\r\n", new ArrayList<>());
        Result r = run("--cafile", ca.toString(), url + "/");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("hello world!", r.out());
    }

    @Test
    void aShortBodyExits18() throws Exception {
        String url = jsseUrl("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nonly this", new ArrayList<>());
        Result r = run("--cafile", ca.toString(), url + "/");
        assertEquals(18, r.exitCode(), r.err());
        assertTrue(r.err().contains("the response ended after 9 of 50 announced body bytes"), r.err());
    }

    @Test
    void connectToKeepsTheUrlsNameForSniAndHost() throws Exception {
        List<String> requests = new CopyOnWriteArrayList<>();
        String url = jsseUrl("HTTP/1.1 204 No Content\r\n\r\n", requests);
        int port = jsse.port();
        Result r = run("--cafile", ca.toString(), "--connect-to", "127.0.0.1:" + port, "https://localhost/x");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains(" sni=localhost "), r.err());
        jsse.awaitHandlers();
        assertTrue(requests.get(0).contains("\r\nHost: localhost\r\n"), requests.get(0));
        assertFalse(url.isEmpty());
    }

    @Test
    void keyUpdateOption() throws Exception {
        String url = jsseUrl("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", new ArrayList<>());
        Result r = run("--cafile", ca.toString(), "--key-update", url + "/");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("ok", r.out());
        assertTrue(r.err().contains("* sent KeyUpdate (update_requested)"), r.err());
        assertTrue(r.err().contains("* KeyUpdates received from the server: 1"), r.err());
    }

    // ------------------------------------------------------------------ as a real process

    @Test
    void exitCodesOfTheRealProcess() throws Exception {
        assertEquals(7, runProcess("--cafile", ca.toString(), "https://127.0.0.1:" + freePort() + "/"));
        assertEquals(2, runProcess("--bogus"));
        assertEquals(60, runProcess("--cafile", ca.toString(), "--servername", "example.com", opensslUrl("-www")));
    }

    private static int runProcess(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("tls-client did not finish: " + command);
        }
        return p.exitValue();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void certAndKeyAnswerAServerThatRequiresAClientCertificate() throws Exception {
        Path[] client = TestPki.write(dir, "client", TestPki.PKI.client());
        for (String version : List.of("1.3", "1.2")) {
            String url = opensslUrl("-www", "-Verify", "1", "-verify_return_error", "-CAfile", ca.toString(),
                    version.equals("1.2") ? "-tls1_2" : "-www");
            Result r = run("--cafile", ca.toString(), "--cert", client[0].toString(), "--key", client[1].toString(), url);
            assertEquals(0, r.exitCode(), r.err());
            // s_server -www prints the client certificate it verified.
            assertTrue(r.out().contains("Client certificate") && r.out().contains("Subject: CN=Tollgate Demo Client")
                    && r.out().contains("Verify return code: 0 (ok)"), r.out());
            assertTrue(r.out().contains("Protocol  : TLSv" + version), r.out());
            openssl.close();
        }
    }

    @Test
    void unreadableClientCertificateExits58() throws Exception {
        Result r = run("--cert", dir.resolve("missing.pem").toString(), "--key", dir.resolve("missing.key").toString(),
                "https://localhost:1/");
        assertEquals(58, r.exitCode(), r.err());
        assertTrue(r.err().contains("cannot use the client certificate"), r.err());
        Result mismatch = run("--cert", cert.toString(), "--key", TestPki.write(dir, "client", TestPki.PKI.client())[1].toString(),
                "https://localhost:1/");
        assertEquals(58, mismatch.exitCode(), mismatch.err());
        assertTrue(mismatch.err().contains("does not match"), mismatch.err());
    }
}
