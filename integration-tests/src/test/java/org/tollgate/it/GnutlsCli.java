package org.tollgate.it;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tollgate.testsupport.Processes;

/**
 * {@code gnutls-cli} restricted to TLS 1.3, connecting to 127.0.0.1 and sending
 * {@code localhost} as SNI and as the name to verify.
 */
final class GnutlsCli {
    /** GnuTLS priority string: its defaults, TLS 1.3 only. */
    static final String TLS13_ONLY = "NORMAL:-VERS-ALL:+VERS-TLS1.3";

    // "- Description: (TLS1.3-X.509)-(ECDHE-SECP256R1)-(ECDSA-SECP256R1-SHA256)-(AES-256-GCM)"
    private static final Pattern DESCRIPTION = Pattern.compile(
            "^- Description: \\((TLS[0-9.]+)[^)]*\\)-\\(ECDHE-([^)]+)\\)-\\([^)]*\\)-\\(([^)]+)\\)", Pattern.MULTILINE);
    private static final Pattern ALPN = Pattern.compile("^- Application protocol: (\\S+)", Pattern.MULTILINE);
    private static final Map<String, String> SUITES = Map.of(
            "AES-128-GCM", "TLS_AES_128_GCM_SHA256",
            "AES-256-GCM", "TLS_AES_256_GCM_SHA384",
            "CHACHA20-POLY1305", "TLS_CHACHA20_POLY1305_SHA256");

    private final int port;
    private String priority = TLS13_ONLY;
    private String sni = "localhost";
    private final List<String> args = new ArrayList<>();

    private GnutlsCli(int port) {
        this.port = port;
    }

    static GnutlsCli to(int port) {
        return new GnutlsCli(port);
    }

    GnutlsCli caFile(Path caFile) {
        return args("--x509cafile", caFile.toString());
    }

    /** A full priority string, e.g. {@code TLS13_ONLY + ":-CIPHER-ALL:+AES-128-GCM"}. */
    GnutlsCli priority(String priority) {
        this.priority = priority;
        return this;
    }

    GnutlsCli sni(String name) {
        this.sni = name;
        return this;
    }

    GnutlsCli alpn(String protocol) {
        return args("--alpn", protocol);
    }

    GnutlsCli args(String... more) {
        args.addAll(List.of(more));
        return this;
    }

    private List<String> command() {
        List<String> command = new ArrayList<>(List.of("gnutls-cli", "--port", String.valueOf(port),
                "--priority", priority, "--sni-hostname", sni, "--verify-hostname", sni));
        command.addAll(args);
        command.add("127.0.0.1");
        return command;
    }

    /**
     * Sends {@code request} and keeps stdin open until a line matching {@code untilRegex} has
     * arrived (gnutls-cli sends close_notify as soon as stdin ends), then closes it and waits.
     */
    PeerResult exchange(Path dir, String request, String untilRegex, Duration timeout) {
        try (Processes.Running process = Processes.start(dir, "gnutls-cli", command())) {
            process.send(request);
            process.awaitLine(java.util.regex.Pattern.compile(untilRegex), timeout);
            process.closeStdin();
            return parse(process.awaitExit(timeout), process.output());
        }
    }

    /** Sends {@code request}, closes stdin and waits for gnutls-cli to finish. */
    PeerResult run(Path dir, String request, Duration timeout) {
        List<String> command = command();
        try (Processes.Running process = Processes.start(dir, "gnutls-cli", command)) {
            process.send(request);
            process.closeStdin();
            int exit = process.awaitExit(timeout);
            return parse(exit, process.output());
        }
    }

    static PeerResult parse(int exit, String output) {
        String protocol = null;
        String group = null;
        String cipher = null;
        Matcher m = DESCRIPTION.matcher(output);
        if (m.find()) {
            protocol = m.group(1).replace("TLS1.3", "TLSv1.3");
            group = PeerResult.rfcGroupName(m.group(2));
            cipher = SUITES.getOrDefault(m.group(3), m.group(3));
        }
        Matcher a = ALPN.matcher(output);
        boolean verified = output.contains("- Status: The certificate is trusted.");
        return new PeerResult("gnutls-cli", exit, output, protocol, cipher, group, a.find() ? a.group(1) : null,
                verified);
    }
}
