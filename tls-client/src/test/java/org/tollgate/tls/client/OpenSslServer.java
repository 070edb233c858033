package org.tollgate.tls.client;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real {@code openssl s_server} on 127.0.0.1 and a port the kernel chose ({@code -accept
 * 127.0.0.1:0}; OpenSSL 3 prints {@code ACCEPT 127.0.0.1:PORT}). Its stdout and stderr are
 * collected so a test can see what the server saw. Fails (never skips) when openssl is missing.
 */
final class OpenSslServer implements AutoCloseable {
    private static final Pattern ACCEPT = Pattern.compile("^ACCEPT 127\\.0\\.0\\.1:(\\d+)$");

    private final Process process;
    private final StringBuffer output = new StringBuffer();
    private final int port;

    private OpenSslServer(Process process) throws InterruptedException {
        this.process = process;
        Object portLock = new Object();
        int[] found = {-1};
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.ISO_8859_1))) {
                String line;
                while ((line = r.readLine()) != null) {
                    output.append(line).append('\n');
                    Matcher m = ACCEPT.matcher(line);
                    if (m.matches()) {
                        synchronized (portLock) {
                            found[0] = Integer.parseInt(m.group(1));
                            portLock.notifyAll();
                        }
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            } finally {
                synchronized (portLock) {
                    portLock.notifyAll();
                }
            }
        }, "openssl-s_server-output");
        reader.setDaemon(true);
        reader.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        synchronized (portLock) {
            while (found[0] < 0 && process.isAlive() && System.nanoTime() < deadline) {
                portLock.wait(100);
            }
        }
        if (found[0] < 0) {
            process.destroyForcibly();
            fail("openssl s_server did not start listening; its output:\n" + output);
        }
        this.port = found[0];
    }

    /**
     * Starts {@code openssl s_server -tls1_3 -cert cert -key key} plus {@code extraArgs}; an
     * {@code -tls1_2} among them replaces {@code -tls1_3} (s_server takes one protocol flag).
     */
    static OpenSslServer start(Path cert, Path key, String... extraArgs) throws IOException, InterruptedException {
        String version = List.of(extraArgs).contains("-tls1_2") ? "-tls1_2" : "-tls1_3";
        List<String> command = new ArrayList<>(List.of("openssl", "s_server", "-accept", "127.0.0.1:0", version,
                "-cert", cert.toString(), "-key", key.toString()));
        List<String> extra = new ArrayList<>(List.of(extraArgs));
        extra.remove("-tls1_2");
        command.addAll(extra);
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("this test needs the openssl command (3.0 or newer) on the PATH: " + e.getMessage(), e);
        }
        return new OpenSslServer(p);
    }

    int port() {
        return port;
    }

    String output() {
        return output.toString();
    }

    /** Waits until the server's output contains {@code text}; fails with the output if it never does. */
    String awaitOutput(String text, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (output.indexOf(text) >= 0) {
                return output.toString();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("openssl s_server never printed '" + text + "'; its output:\n" + output);
    }

    /** Types a line on the server's terminal (s_server sends it to the client, or runs it as a command). */
    void type(String line) throws IOException {
        OutputStream in = process.getOutputStream();
        in.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
        in.flush();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
