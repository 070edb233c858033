package org.tollgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tollgate.testsupport.Curl;
import org.tollgate.testsupport.OpenSslServer;
import org.tollgate.testsupport.Processes;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.KeyLog;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.cert.DemoCertificates.KeyType;

/**
 * Tollgate's NSS key log against independent evidence: the lines OpenSSL writes for the
 * same connection, and Wireshark's dissector decrypting a capture with it (TLS 1.3, and
 * TLS 1.2 with ECDHE and with RSA key exchange).
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
        try (OpenSslServer server = pki.server().openSslServer().www()
                .args("-keylogfile", theirs.toString()).start(dir)) {
            assertTrue(OurClient.get(server.port(), "localhost", config).contains("TLSv1.3"));
        }
        List<String> lines = keyLines(ours);
        assertEquals(TLS13_LABELS, lines.stream().map(l -> l.split(" ")[0]).collect(Collectors.toSet()),
                "the five TLS 1.3 labels: " + lines);
        assertEquals(5, lines.size(), "one line per label: " + lines);
        assertEquals(new TreeSet<>(keyLines(theirs)), new TreeSet<>(lines));
    }

    /** The three key exchanges Wireshark must decrypt, with the curl options that ask for each. */
    enum Exchange {
        TLS13_ECDHE(CipherSuite.TLS_AES_128_GCM_SHA256, "--tls13-ciphers", "TLS_AES_128_GCM_SHA256"),
        TLS12_ECDHE(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                "--tlsv1.2", "--tls-max", "1.2", "--ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256"),
        // RFC 5246 §7.4.7.1: the premaster secret encrypted to the server's RSA key; needs an RSA certificate.
        TLS12_RSA(CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256,
                "--tlsv1.2", "--tls-max", "1.2", "--ciphers", "AES128-GCM-SHA256");

        final CipherSuite suite;
        final String[] curlArgs;

        Exchange(CipherSuite suite, String... curlArgs) {
            this.suite = suite;
            this.curlArgs = curlArgs;
        }
    }

    /**
     * Captures one Tollgate connection on loopback and lets tshark decrypt it with
     * Tollgate's key log: Wireshark's independent key schedule must find the HTTP request
     * and response. The same capture with one wrong digit in each key log secret must show
     * no HTTP at all, so the test cannot pass by accident.
     */
    @ParameterizedTest
    @EnumSource(Exchange.class)
    void tsharkDecryptsACaptureWithTheServersKeyLog(Exchange exchange) throws Exception {
        Processes.require("tshark");
        Pki pki = Pki.create(dir);
        Path keys = dir.resolve("tollgate.keys");
        Path capture = dir.resolve("capture.pcapng");
        TlsConfig.Builder config = TlsConfig.builder().keyLog(KeyLog.toFile(keys)).alpnProtocols(List.of("http/1.1"));
        if (exchange == Exchange.TLS12_RSA) {
            config.certificate(pki.server(KeyType.RSA_2048).key()).rsaKeyExchange(true);
        } else {
            config.certificate(pki.server().key());
        }
        try (OurServer server = OurServer.start(config.build(), OurServer.Mode.HTTPS)) {
            try (Processes.Running tshark = Processes.start(dir, "tshark", List.of("tshark", "-i", "lo",
                    "-f", "tcp port " + server.port(), "-w", capture.toString()))) {
                tshark.awaitLine(Pattern.compile("Capturing on"), Duration.ofSeconds(15));
                awaitCapturing(tshark, capture, server.port());
                PeerResult result = PeerResult.curl(Curl.https(server.port()).versions("1.3", "1.3").caFile(pki.caFile())
                        .args(exchange.curlArgs).run(dir, Duration.ofSeconds(10)));
                assertEquals(0, result.exitCode(), result::output);
                assertTrue(result.output().contains("Tollgate"), result::output);
                HandshakeSummary summary = server.nextHandshake();
                assertEquals(exchange.suite, summary.cipherSuite(), summary::oneLine);
                // A probe connection after curl's reaches the file only after curl's packets did.
                awaitCapturing(tshark, capture, server.port());
                tshark.stop(Duration.ofSeconds(10));
            }
        }
        List<String> lines = keyLines(keys);
        if (exchange == Exchange.TLS13_ECDHE) {
            assertEquals(TLS13_LABELS, lines.stream().map(l -> l.split(" ")[0]).collect(Collectors.toSet()), lines::toString);
        } else {
            // TLS 1.2 has one secret: CLIENT_RANDOM <client random> <master secret>.
            assertEquals(List.of("CLIENT_RANDOM"), lines.stream().map(l -> l.split(" ")[0]).toList(), lines::toString);
        }

        String withKeys = dissect(capture, keys);
        String suiteHex = String.format("0x%04x", exchange.suite.code());
        assertTrue(withKeys.contains(suiteHex), () -> "tshark sees " + suiteHex + " in the ServerHello, got:\n"
                + withKeys + "\ncapture:\n" + packets(capture));
        assertTrue(withKeys.contains("GET\t/\t"), () -> "decrypted HTTP request expected, got:\n" + withKeys
                + "\ncapture:\n" + packets(capture));
        assertTrue(withKeys.contains("\t200\t"), () -> "decrypted HTTP response expected, got:\n" + withKeys);

        // One hex digit changed in every secret: Wireshark derives wrong keys and reads nothing.
        Path wrong = dir.resolve("wrong.keys");
        Files.write(wrong, lines.stream().map(KeyLogTest::flipLastDigit).toList());
        String withWrongKeys = dissect(capture, wrong);
        assertTrue(withWrongKeys.contains(suiteHex), () -> "the handshake is still visible, got:\n" + withWrongKeys);
        assertFalse(withWrongKeys.contains("GET") || withWrongKeys.contains("\t200\t"),
                () -> "nothing readable with a wrong key log, got:\n" + withWrongKeys);
    }

    private static String flipLastDigit(String keyLogLine) {
        char last = keyLogLine.charAt(keyLogLine.length() - 1);
        return keyLogLine.substring(0, keyLogLine.length() - 1) + (last == '0' ? '1' : '0');
    }

    /**
     * "Capturing on" is printed a moment before packets are really recorded: connect (and
     * close at once) until such a probe shows up in the capture file. Also used after the
     * connection under test, so its last packets are in the file before tshark stops.
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
                "-o", "tls.keylog_file:" + keys, "-Y", "http || tls.handshake.type == 2", "-T", "fields",
                "-e", "http.request.method", "-e", "http.request.uri", "-e", "http.response.code",
                "-e", "tls.handshake.ciphersuite"))) {
            assertEquals(0, read.awaitExit(Duration.ofSeconds(20)), read::describe);
            return read.stdout();
        }
    }

    private static List<String> keyLines(Path file) throws Exception {
        return Files.readAllLines(file).stream().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
    }
}
