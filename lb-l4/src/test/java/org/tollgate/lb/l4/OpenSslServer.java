package org.tollgate.lb.l4;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tollgate.tls.cert.CertifiedKey;
import org.tollgate.tls.cert.PemFiles;

/** {@code openssl s_server -www} on 127.0.0.1, port chosen by the system, with the given key. */
final class OpenSslServer implements AutoCloseable {
    private static final Pattern ACCEPT = Pattern.compile("^ACCEPT 127\\.0\\.0\\.1:(\\d+)$");

    private final Process process;
    private final InetSocketAddress address;

    OpenSslServer(Path dir, String name, CertifiedKey key) throws Exception {
        Path cert = dir.resolve(name + ".pem");
        Path privateKey = dir.resolve(name + "-key.pem");
        PemFiles.writeCertificates(cert, key.chain());
        PemFiles.writePrivateKey(privateKey, key.privateKey());
        List<String> command = new ArrayList<>(List.of("openssl", "s_server", "-accept", "127.0.0.1:0", "-tls1_3", "-www",
                "-cert", cert.toString(), "-key", privateKey.toString()));
        process = new ProcessBuilder(command).redirectErrorStream(true).start();
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
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
        try {
            address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port.get(10, TimeUnit.SECONDS));
        } catch (Exception e) {
            process.destroyForcibly();
            throw e;
        }
    }

    InetSocketAddress address() {
        return address;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
    }
}
