package org.tollgate.tls.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The symptom as first seen, on the wire: openssl s_client and curl ask for
 * {@code Connection: close}, tls-server closes first, and tshark on loopback records how each
 * connection ends. The client's close_notify (and a pipelined request) arrive after our
 * close_notify; before the graceful close they hit an already closed socket and the kernel
 * answered with an RST (RFC 1122 §4.2.2.13). Now no connection gets an RST from the server,
 * and the s_client ones (which read to the end) get our FIN.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CloseOnTheWireTest {
    private static final String REQUEST = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

    private final List<Process> processes = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private TlsServer server;

    @AfterEach
    void stop() {
        threads.shutdownNow();
        processes.forEach(Process::destroyForcibly);
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theServerNeverEndsAConnectionWithAReset(@TempDir Path dir) throws Exception {
        Path ca = dir.resolve("ca.pem");
        TestPeers.PKI.writeCa(ca);
        Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();
        server = TlsServer.builder().config(TestPeers.serverConfig().build()).handler(HttpsHandler::new).eventLoops(1)
                .onHandshake((peer, summary) -> clientPorts.add(((InetSocketAddress) peer).getPort())).build();
        int port = server.localAddress().getPort();
        Path capture = dir.resolve("close.pcapng");
        Process tshark = start("tshark", "-i", "lo", "-f", "tcp port " + port, "-w", capture.toString());
        awaitLine(tshark, "Capturing on");
        awaitCapturing(capture, port);

        for (String version : List.of("-tls1_3", "-tls1_2")) {
            // A request asking for the close, and a pipelined one behind it that is never answered.
            Process client = start("openssl", "s_client", "-quiet", "-ign_eof",
                    "-connect", "127.0.0.1:" + port, "-servername", "localhost", "-CAfile", ca.toString(),
                    "-verify_return_error", version);
            CompletableFuture<String> page = CompletableFuture.supplyAsync(() -> output(client), threads);
            client.getOutputStream().write((REQUEST + "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            client.getOutputStream().close();
            assertTrue(client.waitFor(60, TimeUnit.SECONDS));
            assertTrue(page.get(10, TimeUnit.SECONDS).contains("HTTP/1.1 200 OK"), page.get());
        }
        Process curl = start("curl", "-sS", "--max-time", "30", "--cacert", ca.toString(),
                "--tls-max", "1.2", "-H", "Connection: close", "https://localhost:" + port + "/");
        String page = output(curl);
        assertTrue(curl.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, curl.exitValue(), page);
        awaitNoConnections();
        // A probe after the clients reaches the file only after their packets did.
        awaitCapturing(capture, port);
        tshark.destroy(); // SIGTERM: tshark writes what it has and exits
        assertTrue(tshark.waitFor(30, TimeUnit.SECONDS));

        // One line per FIN or RST either side sent: source port, destination port, TCP flags, e.g. "·······A···F".
        Process read = start("tshark", "-r", capture.toString(), "-Y",
                "tcp.port == " + port + " && (tcp.flags.fin == 1 || tcp.flags.reset == 1)",
                "-T", "fields", "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.flags.str");
        String ends = output(read);
        assertTrue(read.waitFor(30, TimeUnit.SECONDS));
        assertEquals(3, clientPorts.size(), "three TLS connections: " + clientPorts);
        for (int client : clientPorts) {
            List<String[]> lines = ends.lines().map(l -> l.split("\t")).filter(f -> f.length == 3
                    && (f[0].equals(String.valueOf(client)) || f[1].equals(String.valueOf(client)))).toList();
            // The capture holds the connection's end (curl may reset our close_notify itself: it has its page).
            assertTrue(!lines.isEmpty(), "the end of the connection from " + client + " recorded:\n" + ends);
            assertTrue(lines.stream().noneMatch(f -> f[0].equals(String.valueOf(port)) && f[2].contains("R")),
                    "an RST from the server to " + client + ":\n" + ends);
        }
        // openssl s_client reads to the end: those connections end with our FIN.
        assertTrue(ends.lines().filter(l -> l.startsWith(port + "\t") && l.endsWith("F")).count() >= 2, ends);
    }

    private Process start(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        processes.add(p);
        return p;
    }

    private static String output(Process p) {
        try {
            return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Reads the process's output until a line contains {@code text}; the rest is drained in the background. */
    private static void awaitLine(Process p, String text) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        for (String line; (line = r.readLine()) != null; ) {
            seen.append(line).append('\n');
            if (line.contains(text)) {
                Thread drain = new Thread(() -> r.lines().forEach(l -> { }), "drain");
                drain.setDaemon(true);
                drain.start();
                return;
            }
        }
        throw new AssertionError(p.info().command().orElse("?") + " ended without \"" + text + "\":\n" + seen);
    }

    /**
     * "Capturing on" comes a moment before packets are really recorded: connect (and reset at
     * once) until such a probe makes the capture file grow.
     */
    private static void awaitCapturing(Path capture, int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        long before = Files.exists(capture) ? Files.size(capture) : 0;
        while (!Files.exists(capture) || Files.size(capture) <= before) {
            assertTrue(System.nanoTime() < deadline, "tshark recorded nothing on port " + port);
            try (Socket probe = new Socket(InetAddress.getLoopbackAddress(), port)) {
                probe.setSoLinger(true, 0);
            }
            Thread.sleep(100);
        }
    }

    private void awaitNoConnections() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (server.activeConnections() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, server.activeConnections(), "every connection closed");
    }
}
