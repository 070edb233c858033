package org.tollgate.testsupport;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real {@code curl} program: {@code curl -sS -v --http1.1 --max-time T ARGS...}, its
 * stdout (the body) and stderr (the verbose trace) kept apart. Either any arguments
 * ({@link #run(Path, Duration, String...)}) or an HTTPS fetch of {@code https://localhost:PORT/}
 * with {@code localhost} resolved to 127.0.0.1, so SNI and the name verified are the host
 * ({@link #https(int)}). A missing curl fails the test.
 */
public final class Curl {
    /** The wait for curl itself, on top of its own {@code --max-time}. */
    private static final Duration GRACE = Duration.ofSeconds(10);
    private static final Duration DEFAULT_MAX_TIME = Duration.ofSeconds(10);

    private static final Pattern CONNECTION = Pattern.compile(
            "^\\* SSL connection using (\\S+) / (\\S+)", Pattern.MULTILINE);
    private static final Pattern ALPN = Pattern.compile("^\\* ALPN: server accepted (\\S+)", Pattern.MULTILINE);

    private final int port;
    private String host = "localhost";
    private final List<String> args = new ArrayList<>();

    private Curl(int port) {
        this.port = port;
    }

    /**
     * Runs {@code curl -sS -v --http1.1 --max-time 10 ARGS...} and waits for it.
     *
     * @param dir  where its output files go
     * @param args curl's arguments, URLs included
     * @return what it did
     */
    public static Result run(Path dir, String... args) {
        return run(dir, DEFAULT_MAX_TIME, args);
    }

    /**
     * Runs {@code curl -sS -v --http1.1 --max-time MAX ARGS...} and waits for it (a little longer than {@code maxTime}).
     *
     * @param dir     where its output files go
     * @param maxTime curl's own limit for the whole transfer (whole seconds, at least 1)
     * @param args    curl's arguments, URLs included
     * @return what it did
     * @throws AssertionError (after killing it) if curl does not end in time
     */
    public static Result run(Path dir, Duration maxTime, String... args) {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "-v", "--http1.1", "--max-time",
                String.valueOf(Math.max(1, maxTime.toSeconds()))));
        command.addAll(List.of(args));
        try (Processes.Running process = Processes.start(dir, "curl", command)) {
            process.closeStdin();
            int exit = process.awaitExit(maxTime.plus(GRACE));
            return new Result(exit, process.stdout(), process.stderr());
        }
    }

    /**
     * An HTTPS GET of {@code https://localhost:PORT/} (the host can be changed), resolved to 127.0.0.1.
     *
     * @param port the server's port on 127.0.0.1
     * @return a builder; {@link #run(Path, Duration)} runs it
     */
    public static Curl https(int port) {
        return new Curl(port);
    }

    /**
     * Trusts only {@code caFile} ({@code --cacert}).
     *
     * @param caFile the CA certificate in PEM
     * @return this builder
     */
    public Curl caFile(Path caFile) {
        return args("--cacert", caFile.toString());
    }

    /**
     * The host name in the URL (resolved to 127.0.0.1): it is the SNI and the name verified.
     *
     * @param name a DNS name
     * @return this builder
     */
    public Curl host(String name) {
        this.host = name;
        return this;
    }

    /**
     * Only TLS versions {@code min} to {@code max}, e.g. {@code ("1.3", "1.3")} ({@code --tlsvMIN --tls-max MAX}).
     *
     * @param min the lowest version, "1.2" or "1.3"
     * @param max the highest version
     * @return this builder
     */
    public Curl versions(String min, String max) {
        return args("--tlsv" + min, "--tls-max", max);
    }

    /**
     * The TLS 1.3 suites it offers ({@code --tls13-ciphers}).
     *
     * @param suites a colon-separated list of IANA names
     * @return this builder
     */
    public Curl tls13Ciphers(String suites) {
        return args("--tls13-ciphers", suites);
    }

    /**
     * The key exchange groups it offers ({@code --curves}).
     *
     * @param groups a colon-separated list
     * @return this builder
     */
    public Curl curves(String groups) {
        return args("--curves", groups);
    }

    /**
     * More curl arguments, before the URL.
     *
     * @param more arguments, in order
     * @return this builder
     */
    public Curl args(String... more) {
        args.addAll(List.of(more));
        return this;
    }

    /**
     * Runs the fetch and waits for it.
     *
     * @param dir     where its output files go
     * @param timeout the longest it may take (curl's {@code --max-time} is a second less)
     * @return what curl did
     */
    public Result run(Path dir, Duration timeout) {
        List<String> command = new ArrayList<>(List.of("--resolve", host + ":" + port + ":127.0.0.1"));
        command.addAll(args);
        command.add("https://" + host + ":" + port + "/");
        return run(dir, timeout.minusSeconds(1), command.toArray(String[]::new));
    }

    /**
     * What one curl run did.
     *
     * @param exit its exit status (0 = success; 35 = TLS handshake failed; 60 = certificate not verified; ...)
     * @param out  its stdout: the response body
     * @param err  its stderr: the {@code -v} trace and any error
     */
    public record Result(int exit, String out, String err) {
        /**
         * stdout and stderr together, for assertions that do not care which stream a line went to.
         *
         * @return stdout followed by stderr
         */
        public String output() {
            return out + err;
        }

        /**
         * The TLS version curl reported, e.g. {@code TLSv1.3}.
         *
         * @return the version, or null when there was no TLS connection
         */
        public String protocol() {
            Matcher m = CONNECTION.matcher(err);
            return m.find() ? m.group(1) : null;
        }

        /**
         * The cipher suite curl reported, in IANA spelling for TLS 1.3 (OpenSSL's for TLS 1.2).
         *
         * @return the suite, or null when there was no TLS connection
         */
        public String cipher() {
            Matcher m = CONNECTION.matcher(err);
            return m.find() ? m.group(2) : null;
        }

        /**
         * The application protocol the server accepted.
         *
         * @return the ALPN protocol, or null when none
         */
        public String alpn() {
            Matcher m = ALPN.matcher(err);
            return m.find() ? m.group(1) : null;
        }

        /**
         * Whether curl said the server certificate verified.
         *
         * @return true if it did
         */
        public boolean verified() {
            return err.contains("SSL certificate verify ok.");
        }
    }
}
