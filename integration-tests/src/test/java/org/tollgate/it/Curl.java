package org.tollgate.it;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code curl --tlsv1.3 --tls-max 1.3 --http1.1} fetching {@code https://localhost:PORT/},
 * with {@code localhost} resolved to 127.0.0.1 (so SNI and the certificate name are localhost).
 */
final class Curl {
    private static final Pattern CONNECTION = Pattern.compile(
            "^\\* SSL connection using (\\S+) / (\\S+)", Pattern.MULTILINE);
    private static final Pattern ALPN = Pattern.compile("^\\* ALPN: server accepted (\\S+)", Pattern.MULTILINE);

    private final int port;
    private String host = "localhost";
    private final List<String> args = new ArrayList<>();

    private Curl(int port) {
        this.port = port;
    }

    static Curl to(int port) {
        return new Curl(port);
    }

    Curl caFile(Path caFile) {
        return args("--cacert", caFile.toString());
    }

    /** The host name in the URL (resolved to 127.0.0.1): it is the SNI and the name verified. */
    Curl host(String name) {
        this.host = name;
        return this;
    }

    Curl tls13Ciphers(String suites) {
        return args("--tls13-ciphers", suites);
    }

    Curl curves(String groups) {
        return args("--curves", groups);
    }

    Curl args(String... more) {
        args.addAll(List.of(more));
        return this;
    }

    PeerResult run(Path dir, Duration timeout) {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "-v", "--tlsv1.3", "--tls-max", "1.3",
                "--http1.1", "--max-time", String.valueOf(Math.max(1, timeout.toSeconds() - 1)),
                "--resolve", host + ":" + port + ":127.0.0.1"));
        command.addAll(args);
        command.add("https://" + host + ":" + port + "/");
        try (Processes.Running process = Processes.start(dir, "curl", command)) {
            process.closeStdin();
            int exit = process.awaitExit(timeout);
            return parse(exit, process.output());
        }
    }

    static PeerResult parse(int exit, String output) {
        Matcher m = CONNECTION.matcher(output);
        String protocol = null;
        String cipher = null;
        if (m.find()) {
            protocol = m.group(1);
            cipher = m.group(2);
        }
        Matcher a = ALPN.matcher(output);
        boolean verified = output.contains("SSL certificate verify ok.");
        return new PeerResult("curl", exit, output, protocol, cipher, null, a.find() ? a.group(1) : null, verified);
    }
}
