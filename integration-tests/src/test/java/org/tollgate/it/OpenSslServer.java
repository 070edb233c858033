package org.tollgate.it;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code openssl s_server -tls1_3} on a free loopback port. It serves connections one
 * after another until closed, so one server can serve a whole test class.
 *
 * <pre>{@code
 * try (OpenSslServer server = OpenSslServer.builder(pki.server()).www().ciphersuites("TLS_AES_128_GCM_SHA256").start(dir)) {
 *     ... connect to server.port() ...
 * }
 * }</pre>
 */
final class OpenSslServer implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);

    private final Processes.Running process;
    private final int port;

    private OpenSslServer(Processes.Running process, int port) {
        this.process = process;
        this.port = port;
    }

    static Builder builder(Pki.Cert cert) {
        return new Builder(cert);
    }

    int port() {
        return port;
    }

    /** What the server printed so far (stdout and stderr). */
    String output() {
        return process.output();
    }

    /** Waits until the server printed a line matching {@code regex}. */
    String awaitLine(String regex, Duration timeout) {
        return process.awaitLine(Pattern.compile(regex), timeout);
    }

    /** Sends a line to the server's stdin (s_server's interactive commands, or data in echo mode). */
    void send(String text) {
        process.send(text);
    }

    String describe() {
        return process.describe();
    }

    @Override
    public void close() {
        process.close();
    }

    static final class Builder {
        private final Pki.Cert cert;
        private final List<String> extra = new ArrayList<>();
        private String mode = "-www";

        private Builder(Pki.Cert cert) {
            this.cert = cert;
        }

        /** {@code -www}: answers GET with an HTML page about the connection (the default). */
        Builder www() {
            mode = "-www";
            return this;
        }

        /** {@code -rev}: echoes each line reversed. */
        Builder rev() {
            mode = "-rev";
            return this;
        }

        /** No mode: stdin goes to the client, the client's data to stdout; commands like "k" work on stdin. */
        Builder interactive() {
            mode = null;
            return this;
        }

        Builder ciphersuites(String suites) {
            return args("-ciphersuites", suites);
        }

        Builder groups(String groups) {
            return args("-groups", groups);
        }

        Builder alpn(String protocols) {
            return args("-alpn", protocols);
        }

        /** A second certificate served when the client's SNI is {@code name} ({@code -servername -cert2 -key2}). */
        Builder sniCertificate(String name, Pki.Cert second) {
            return args("-servername", name, "-cert2", second.certFile().toString(),
                    "-key2", second.keyFile().toString());
        }

        Builder args(String... more) {
            extra.addAll(List.of(more));
            return this;
        }

        OpenSslServer start(Path dir) {
            AssertionError last = null;
            for (int attempt = 0; attempt < 3; attempt++) { // a free port can be taken before s_server binds it
                int port = Ports.free();
                List<String> command = new ArrayList<>(List.of("openssl", "s_server", "-4", "-accept",
                        String.valueOf(port), "-tls1_3", "-cert", cert.certFile().toString(),
                        "-key", cert.keyFile().toString()));
                if (mode != null) {
                    command.add(mode);
                }
                command.addAll(extra);
                Processes.Running process = Processes.start(dir, "s_server", command);
                try {
                    process.awaitLine(Pattern.compile("^ACCEPT"), START_TIMEOUT);
                    return new OpenSslServer(process, port);
                } catch (AssertionError e) {
                    process.close();
                    last = e;
                    if (!process.output().contains("in use")) {
                        throw e;
                    }
                }
            }
            throw last;
        }
    }
}
