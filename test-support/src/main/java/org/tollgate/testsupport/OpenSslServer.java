package org.tollgate.testsupport;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real {@code openssl s_server} on 127.0.0.1 and a port the kernel chose ({@code -accept
 * 127.0.0.1:0}; OpenSSL 3 prints {@code ACCEPT 127.0.0.1:PORT}, so there is no race for the
 * port). It serves connections one after another until closed, so one server can serve a
 * whole test class. Its output goes to files in the given directory and is shown when a
 * wait fails. A missing openssl fails the test.
 *
 * <pre>{@code
 * try (OpenSslServer server = OpenSslServer.builder(certPem, keyPem).www().ciphersuites("TLS_AES_128_GCM_SHA256").start(dir)) {
 *     ... connect to server.port() ...
 * }
 * }</pre>
 */
public final class OpenSslServer implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    private static final Pattern ACCEPT = Pattern.compile("^ACCEPT 127\\.0\\.0\\.1:(\\d+)$");

    private final Processes.Running process;
    private final int port;

    private OpenSslServer(Processes.Running process, int port) {
        this.process = process;
        this.port = port;
    }

    /**
     * A server with this certificate chain and key (PEM files); TLS 1.3 and {@code -www} unless told otherwise.
     *
     * @param certFile the certificate chain, leaf first
     * @param keyFile  its private key
     * @return a builder
     */
    public static Builder builder(Path certFile, Path keyFile) {
        return new Builder(certFile, keyFile);
    }

    /**
     * The port it listens on (on 127.0.0.1).
     *
     * @return the TCP port
     */
    public int port() {
        return port;
    }

    /**
     * The address it listens on.
     *
     * @return 127.0.0.1 and {@link #port()}
     */
    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    /**
     * What the server printed so far (stdout and stderr).
     *
     * @return its output
     */
    public String output() {
        return process.output();
    }

    /**
     * Waits until the server printed a line matching {@code regex}.
     *
     * @param regex   a regular expression found anywhere in a line
     * @param timeout how long to wait
     * @return the line
     * @throws AssertionError with the server's output if no such line comes in time
     */
    public String awaitLine(String regex, Duration timeout) {
        return process.awaitLine(Pattern.compile(regex), timeout);
    }

    /**
     * Waits until the server printed {@code text} (anywhere in a line).
     *
     * @param text    the text, taken literally
     * @param timeout how long to wait
     * @return the line that holds it
     * @throws AssertionError with the server's output if it never comes
     */
    public String awaitOutput(String text, Duration timeout) {
        return process.awaitLine(Pattern.compile(Pattern.quote(text)), timeout);
    }

    /**
     * Sends text to the server's stdin: s_server's interactive commands ({@code "k\n"} for a
     * KeyUpdate, ...), or data for the client when no mode is set.
     *
     * @param text what to type, newlines included
     */
    public void send(String text) {
        process.send(text);
    }

    /**
     * The command line and its output, for failure messages.
     *
     * @return a description of the process
     */
    public String describe() {
        return process.describe();
    }

    /** Kills the server. */
    @Override
    public void close() {
        process.close();
    }

    /** Options of {@code openssl s_server}; {@link #start(Path)} runs it. */
    public static final class Builder {
        private final Path certFile;
        private final Path keyFile;
        private final List<String> extra = new ArrayList<>();
        private String version = "-tls1_3";
        private String mode = "-www";

        private Builder(Path certFile, Path keyFile) {
            this.certFile = certFile;
            this.keyFile = keyFile;
        }

        /**
         * {@code -www}: answers GET with an HTML page about the connection (the default).
         *
         * @return this builder
         */
        public Builder www() {
            mode = "-www";
            return this;
        }

        /**
         * {@code -rev}: echoes each line reversed.
         *
         * @return this builder
         */
        public Builder rev() {
            mode = "-rev";
            return this;
        }

        /**
         * No mode: stdin goes to the client, the client's data to stdout; commands like "k" work on stdin.
         *
         * @return this builder
         */
        public Builder interactive() {
            mode = null;
            return this;
        }

        /**
         * Only TLS 1.2 ({@code -tls1_2} instead of the default {@code -tls1_3}).
         *
         * @return this builder
         */
        public Builder tls12() {
            version = "-tls1_2";
            return this;
        }

        /**
         * No version flag: every version s_server supports (TLS 1.2 and 1.3 by default), as a real server would.
         *
         * @return this builder
         */
        public Builder anyVersion() {
            version = null;
            return this;
        }

        /**
         * The TLS 1.3 suites, e.g. {@code TLS_AES_128_GCM_SHA256} ({@code -ciphersuites}).
         *
         * @param suites a colon-separated list
         * @return this builder
         */
        public Builder ciphersuites(String suites) {
            return args("-ciphersuites", suites);
        }

        /**
         * The key exchange groups, e.g. {@code P-384} ({@code -groups}).
         *
         * @param groups a colon-separated list
         * @return this builder
         */
        public Builder groups(String groups) {
            return args("-groups", groups);
        }

        /**
         * The ALPN protocols it accepts ({@code -alpn}).
         *
         * @param protocols a comma-separated list
         * @return this builder
         */
        public Builder alpn(String protocols) {
            return args("-alpn", protocols);
        }

        /**
         * A second certificate served when the client's SNI is {@code name} ({@code -servername -cert2 -key2}).
         *
         * @param name     the server name
         * @param certFile its certificate chain
         * @param keyFile  its private key
         * @return this builder
         */
        public Builder sniCertificate(String name, Path certFile, Path keyFile) {
            return args("-servername", name, "-cert2", certFile.toString(), "-key2", keyFile.toString());
        }

        /**
         * More s_server arguments. The mode flags {@code -www}, {@code -WWW}, {@code -rev} and the
         * version flags {@code -tls1_2}, {@code -tls1_3} replace the builder's own (s_server takes one of each).
         *
         * @param more arguments, in order
         * @return this builder
         */
        public Builder args(String... more) {
            for (String arg : more) {
                switch (arg) {
                    case "-tls1_2", "-tls1_3" -> version = arg;
                    case "-www", "-WWW", "-rev" -> mode = arg;
                    default -> extra.add(arg);
                }
            }
            return this;
        }

        /**
         * Starts the server and waits until it accepts connections.
         *
         * @param dir where its output files go (a test's {@code @TempDir})
         * @return the running server; close it
         * @throws AssertionError with its output if it does not start
         */
        public OpenSslServer start(Path dir) {
            List<String> command = new ArrayList<>(List.of("openssl", "s_server", "-accept", "127.0.0.1:0",
                    "-cert", certFile.toString(), "-key", keyFile.toString()));
            if (version != null) {
                command.add(version);
            }
            if (mode != null) {
                command.add(mode);
            }
            command.addAll(extra);
            Processes.Running process = Processes.start(dir, "s_server", command);
            try {
                String line = process.awaitLine(ACCEPT, START_TIMEOUT);
                Matcher m = ACCEPT.matcher(line);
                if (!m.find()) {
                    throw new AssertionError("unexpected ACCEPT line: " + line);
                }
                return new OpenSslServer(process, Integer.parseInt(m.group(1)));
            } catch (RuntimeException | Error e) {
                process.close();
                throw e;
            }
        }
    }
}
