package org.tollgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.tls.KeyLog;
import org.tollgate.tls.TlsConfig;

/**
 * Tollgate's NSS key log against independent evidence: the lines OpenSSL writes for the
 * same connection, and Wireshark's dissector decrypting a capture with it.
 */
class KeyLogTest {
    private static final Set<String> TLS13_LABELS = Set.of("CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0",
            "EXPORTER_SECRET");

    @TempDir
    Path dir;

    @Test
    void serverKeyLogIsTheSameAsOpensslClients() throws Exception {
        Pki pki = Pki.create(dir);
        Path ours = dir.resolve("tollgate.keys");
        Path theirs = dir.resolve("openssl.keys");
        TlsConfig config = TlsConfig.builder().certificate(pki.server().key()).keyLog(KeyLog.toFile(ours)).build();
        try (OurServer server = OurServer.start(config, OurServer.Mode.HTTPS)) {
            OpenSslClient.to(server.port()).caFile(pki.caFile()).servername("localhost").keyLog(theirs)
                    .run(dir, OpenSslClient.httpGet("localhost"), Duration.ofSeconds(10))
                    .assertTls13("Tollgate");
            server.nextHandshake();
        }
        List<String> lines = keyLines(ours);
        assertEquals(TLS13_LABELS, lines.stream().map(l -> l.split(" ")[0]).collect(Collectors.toSet()),
                "the five TLS 1.3 labels: " + lines);
        assertEquals(5, lines.size(), "one line per label: " + lines);
        Set<String> randoms = lines.stream().map(l -> l.split(" ")[1]).collect(Collectors.toSet());
        assertEquals(1, randoms.size(), "one client random: " + lines);
        assertTrue(Pattern.matches("[0-9a-f]{64}", randoms.iterator().next()));
        // The very same secrets OpenSSL derived on its side of the connection.
        assertEquals(new TreeSet<>(keyLines(theirs)), new TreeSet<>(lines));
    }

    @Test
    void clientKeyLogIsTheSameAsOpensslServers() throws Exception {
        Pki pki = Pki.create(dir);
        Path ours = dir.resolve("tollgate-client.keys");
        Path theirs = dir.resolve("openssl-server.keys");
        TlsConfig config = TlsConfig.builder().verifier(pki.verifier()).keyLog(KeyLog.toFile(ours)).build();
        try (OpenSslServer server = OpenSslServer.builder(pki.server()).www()
                .args("-keylogfile", theirs.toString()).start(dir)) {
            assertTrue(OurClient.get(server.port(), "localhost", config).contains("TLSv1.3"));
        }
        List<String> lines = keyLines(ours);
        assertEquals(TLS13_LABELS, lines.stream().map(l -> l.split(" ")[0]).collect(Collectors.toSet()),
                "the five TLS 1.3 labels: " + lines);
        assertEquals(5, lines.size(), "one line per label: " + lines);
        assertEquals(new TreeSet<>(keyLines(theirs)), new TreeSet<>(lines));
    }

    @Test
    void tsharkDecryptsACaptureWithTheServersKeyLog() throws Exception {
        Processes.require("tshark");
        Pki pki = Pki.create(dir);
        Path keys = dir.resolve("tollgate.keys");
        Path capture = dir.resolve("capture.pcapng");
        TlsConfig config = TlsConfig.builder().certificate(pki.server().key()).keyLog(KeyLog.toFile(keys))
                .alpnProtocols(List.of("http/1.1")).build();
        try (OurServer server = OurServer.start(config, OurServer.Mode.HTTPS)) {
            try (Processes.Running tshark = Processes.start(dir, "tshark", List.of("tshark", "-i", "lo",
                    "-f", "tcp port " + server.port(), "-w", capture.toString()))) {
                tshark.awaitLine(Pattern.compile("Capturing on"), Duration.ofSeconds(15));
                awaitCapturing(tshark, capture, server.port());
                PeerResult result = Curl.to(server.port()).caFile(pki.caFile()).run(dir, Duration.ofSeconds(10));
                result.assertTls13("Tollgate");
                Thread.sleep(300); // let the last packets reach the capture file
                tshark.stop(Duration.ofSeconds(10));
            }
        }
        String withKeys = dissect(capture, keys);
        assertTrue(withKeys.contains("GET\t/"), () -> "decrypted HTTP request expected, got:\n" + withKeys
                + "\ncapture:\n" + packets(capture));
        assertTrue(withKeys.contains("200"), () -> "decrypted HTTP response expected, got:\n" + withKeys);
        // Without the key log the same capture shows no HTTP at all: the test cannot pass by accident.
        String withoutKeys = dissect(capture, dir.resolve("no-such.keys"));
        assertTrue(!withoutKeys.contains("GET"), () -> "nothing readable without keys, got:\n" + withoutKeys);
    }

    /**
     * "Capturing on" is printed a moment before packets are really recorded: connect (and
     * close at once) until such a probe shows up in the capture file.
     */
    private static void awaitCapturing(Processes.Running tshark, Path capture, int port) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        long before = Files.exists(capture) ? Files.size(capture) : 0;
        while (!Files.exists(capture) || Files.size(capture) <= before) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("tshark recorded nothing on port " + port + "\n" + tshark.describe());
            }
            try (Socket probe = new Socket(InetAddress.getLoopbackAddress(), port)) {
                probe.setSoLinger(true, 0);
            }
            Thread.sleep(100);
        }
    }

    private String packets(Path capture) {
        try (Processes.Running read = Processes.start(dir, "tshark-list", List.of("tshark", "-r", capture.toString()))) {
            read.awaitExit(Duration.ofSeconds(20));
            return read.output();
        }
    }

    private String dissect(Path capture, Path keys) {
        try (Processes.Running read = Processes.start(dir, "tshark-read", List.of("tshark", "-r", capture.toString(),
                "-o", "tls.keylog_file:" + keys, "-Y", "http", "-T", "fields",
                "-e", "http.request.method", "-e", "http.request.uri", "-e", "http.response.code"))) {
            assertEquals(0, read.awaitExit(Duration.ofSeconds(20)), read::describe);
            return read.stdout();
        }
    }

    private static List<String> keyLines(Path file) throws Exception {
        return Files.readAllLines(file).stream().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
    }
}
