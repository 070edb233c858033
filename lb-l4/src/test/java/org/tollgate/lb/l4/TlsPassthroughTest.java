package org.tollgate.lb.l4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.balance.RoundRobin;
import org.tollgate.tls.cert.CertifiedKey;
import org.tollgate.tls.cert.DemoCertificates;
import org.tollgate.tls.cert.PemFiles;

/**
 * L4 never decrypts: curl talks TLS 1.3 through the forwarder to a real
 * {@code openssl s_server} and verifies the backend's certificate end to end.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TlsPassthroughTest {
    private static final Pattern ACCEPT = Pattern.compile("^ACCEPT 127\\.0\\.0\\.1:(\\d+)$");

    private Process server;
    private TcpForwarder forwarder;

    @AfterEach
    void stop() {
        if (forwarder != null) {
            forwarder.close();
        }
        if (server != null) {
            server.destroyForcibly();
        }
    }

    @Test
    void curlThroughTheForwarderReachesOpenSslUntouched(@TempDir Path dir) throws Exception {
        DemoCertificates.Pki pki = DemoCertificates.create(Clock.systemUTC());
        CertifiedKey key = pki.localhostServer();
        Path cert = dir.resolve("server.pem");
        Path privateKey = dir.resolve("server-key.pem");
        Path ca = dir.resolve("ca.pem");
        PemFiles.writeCertificates(cert, key.chain());
        PemFiles.writePrivateKey(privateKey, key.privateKey());
        pki.writeCa(ca);

        server = new ProcessBuilder("openssl", "s_server", "-accept", "127.0.0.1:0", "-tls1_3", "-www",
                "-cert", cert.toString(), "-key", privateKey.toString())
                .redirectErrorStream(true).start();
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    Matcher m = ACCEPT.matcher(line);
                    if (m.matches()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
            } catch (IOException e) {
                // process ended
            }
            port.completeExceptionally(new IOException("openssl s_server ended without ACCEPT"));
        });
        reader.setDaemon(true);
        reader.start();
        InetSocketAddress backendAddress = new InetSocketAddress(InetAddress.getLoopbackAddress(), port.get(10, TimeUnit.SECONDS));

        Backend backend = new Backend("openssl", backendAddress);
        forwarder = TcpForwarder.start(ForwarderConfig.builder(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .eventLoops(1).build(), new RoundRobin(List.of(backend)));
        int lbPort = forwarder.localAddress().getPort();

        Process curl = new ProcessBuilder("curl", "-sS", "-v", "--tlsv1.3", "--cacert", ca.toString(),
                "--resolve", "localhost:" + lbPort + ":127.0.0.1", "https://localhost:" + lbPort + "/")
                .redirectErrorStream(true).start();
        String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!curl.waitFor(15, TimeUnit.SECONDS)) {
            curl.destroyForcibly();
            fail("curl did not finish");
        }
        assertEquals(0, curl.exitValue(), out);
        assertTrue(out.contains("SSL connection using TLSv1.3"), out);
        assertTrue(out.contains("s_server"), "the page openssl s_server -www serves: " + out);
        assertTrue(forwarder.bytesToBackends() > 0 && forwarder.bytesToClients() > 0);
        assertEquals(1, backend.totalConnections());
        assertTrue(Files.size(ca) > 0);
    }
}
