package org.tollgate.testsupport;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The fixtures keep their promises: missing programs fail, waits are bounded, processes die on close. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FixturesTest {
    @TempDir
    Path dir;

    @Test
    void aMissingProgramFailsAndSaysWhatToInstall() {
        AssertionError e = assertThrows(AssertionError.class,
                () -> Processes.start(dir, "nope", List.of("tollgate-no-such-program", "-x")));
        assertTrue(e.getMessage().contains("'tollgate-no-such-program'") && e.getMessage().contains("not installed"),
                e.getMessage());
        assertThrows(AssertionError.class, () -> Processes.require(dir.resolve("no-such-binary").toString()));
    }

    @Test
    void aMissingChromiumFails() {
        String old = System.getProperty("chromium.binary");
        System.setProperty("chromium.binary", dir.resolve("no-chromium").toString());
        try {
            assertThrows(AssertionError.class, () -> Chromium.run(dir, Duration.ofSeconds(5), "--version"));
        } finally {
            if (old == null) {
                System.clearProperty("chromium.binary");
            } else {
                System.setProperty("chromium.binary", old);
            }
        }
    }

    @Test
    void waitsAreBoundedAndCloseKillsTheProgram() {
        Processes.Running sleeper = Processes.start(dir, "sleep", List.of("sh", "-c", "echo started; sleep 600"));
        try (sleeper) {
            assertEquals("started", sleeper.awaitLine(Pattern.compile("^start"), Duration.ofSeconds(30)));
            AssertionError e = assertThrows(AssertionError.class,
                    () -> sleeper.awaitLine(Pattern.compile("never"), Duration.ofMillis(200)));
            assertTrue(e.getMessage().contains("$ sh -c echo started; sleep 600"), e.getMessage());
        }
        assertTrue(!sleeper.process().isAlive(), "closed means killed");

        Processes.Running quick = Processes.start(dir, "false", List.of("sh", "-c", "echo oops >&2; exit 3"));
        try (quick) {
            assertEquals(3, quick.awaitExit(Duration.ofSeconds(30)));
            assertEquals("oops\n", quick.stderr());
            AssertionError e = assertThrows(AssertionError.class,
                    () -> quick.awaitLine(Pattern.compile("never"), Duration.ofSeconds(30)));
            assertTrue(e.getMessage().contains("exited with 3"), e.getMessage());
        }
    }

    @Test
    void runTypesStdinAndKeepsTheStreamsApart() {
        Processes.Result r = Processes.run(dir, Duration.ofSeconds(30), "one\ntwo\n",
                List.of("sh", "-c", "tr a-z A-Z; echo done >&2; exit 4"));
        assertEquals(4, r.exit());
        assertEquals("ONE\nTWO\n", r.out());
        assertEquals("done\n", r.err());
        assertEquals("ONE\nTWO\ndone\n", r.output());
        AssertionError e = assertThrows(AssertionError.class,
                () -> Processes.run(dir, Duration.ofMillis(300), null, List.of("sleep", "600")));
        assertTrue(e.getMessage().contains("still running after"), e.getMessage());
    }

    @Test
    void openSslServerListensOnThePortItReportsAndDiesOnClose() throws IOException {
        // s_server needs a certificate: let openssl make a throwaway self-signed one.
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        try (Processes.Running req = Processes.start(dir, "req", List.of("openssl", "req", "-x509", "-newkey",
                "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost", "-days", "1",
                "-keyout", key.toString(), "-out", cert.toString()))) {
            assertEquals(0, req.awaitExit(Duration.ofSeconds(60)), req::describe);
        }
        OpenSslServer server = OpenSslServer.builder(cert, key).args("-tls1_2", "-rev").start(dir);
        try (server) {
            assertTrue(server.describe().contains(" -tls1_2 ") && !server.describe().contains("-tls1_3")
                    && server.describe().contains(" -rev"), server.describe());
            try (Socket socket = new Socket()) {
                socket.connect(server.address(), 10_000);
            }
            assertEquals(server.port(), server.address().getPort());
        }
        assertThrows(IOException.class, () -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 2_000);
            }
        });
    }

    @Test
    void closerClosesEverythingLastFirstEvenWhenOneFails() {
        List<String> closed = new java.util.ArrayList<>();
        Closer closer = new Closer();
        closer.add(() -> closed.add("first"));
        closer.add(() -> {
            closed.add("second");
            throw new IOException("second failed");
        });
        closer.add(() -> {
            closed.add("third");
            throw new IllegalStateException("third failed");
        });
        Exception e = assertThrows(IllegalStateException.class, closer::close);
        assertEquals(List.of("third", "second", "first"), closed);
        assertEquals("second failed", e.getSuppressed()[0].getMessage());
        closed.clear();
        assertDoesNotThrow(closer::close, "closed once only");
        assertEquals(List.of(), closed);
    }

    @Test
    void curlResultReadsTheVerboseTrace() {
        Curl.Result r = new Curl.Result(0, "<html>", "* SSL connection using TLSv1.3 / TLS_AES_128_GCM_SHA256 / x25519\n"
                + "* ALPN: server accepted http/1.1\n*  SSL certificate verify ok.\n");
        assertEquals("TLSv1.3", r.protocol());
        assertEquals("TLS_AES_128_GCM_SHA256", r.cipher());
        assertEquals("http/1.1", r.alpn());
        assertTrue(r.verified());
        Curl.Result failed = new Curl.Result(35, "", "curl: (35) error:0A000410:SSL routines::sslv3 alert handshake failure\n");
        assertNull(failed.protocol());
        assertNull(failed.alpn());
        assertTrue(!failed.verified());
    }

    @Test
    void curlRunsAndReportsItsExitStatus() {
        int port = Ports.free();
        Curl.Result r = Curl.run(dir, Duration.ofSeconds(5), "http://127.0.0.1:" + port + "/");
        assertEquals(7, r.exit(), r::err); // 7: could not connect
        assertTrue(r.err().contains("Failed to connect") || r.err().contains("Couldn't connect"), r.err());
    }
}
