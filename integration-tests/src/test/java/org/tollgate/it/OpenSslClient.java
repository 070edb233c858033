package org.tollgate.it;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tollgate.testsupport.Processes;

/** {@code openssl s_client -tls1_3} against a loopback port, with its report parsed. */
final class OpenSslClient {
    private static final Pattern PROTOCOL = Pattern.compile("^\\s*Protocol\\s*:\\s*(\\S+)", Pattern.MULTILINE);
    private static final Pattern CIPHER = Pattern.compile("^\\s*Cipher\\s*:\\s*(\\S+)", Pattern.MULTILINE);
    private static final Pattern NEW = Pattern.compile("^New, (\\S+), Cipher is (\\S+)", Pattern.MULTILINE);
    private static final Pattern ALPN = Pattern.compile("^ALPN protocol: (\\S+)", Pattern.MULTILINE);
    // "Server Temp Key: X25519, 253 bits" or "Server Temp Key: ECDH, prime256v1, 256 bits"
    private static final Pattern TEMP_KEY = Pattern.compile(
            "^Server Temp Key: (?:ECDH, )?([^,]+),", Pattern.MULTILINE);

    private final int port;
    private final List<String> args = new ArrayList<>();
    private String version = "-tls1_3";

    private OpenSslClient(int port) {
        this.port = port;
    }

    /** A client of 127.0.0.1:{@code port}. */
    static OpenSslClient to(int port) {
        return new OpenSslClient(port);
    }

    /** The protocol flag, {@code -tls1_3} (the default) or {@code -tls1_2}. */
    OpenSslClient version(String flag) {
        this.version = flag;
        return this;
    }

    /** Trusts {@code caFile} and aborts the handshake if verification fails. */
    OpenSslClient caFile(Path caFile) {
        return args("-CAfile", caFile.toString(), "-verify_return_error");
    }

    OpenSslClient servername(String name) {
        return args("-servername", name);
    }

    /** Checks the certificate is valid for {@code name} (s_client does not by default). */
    OpenSslClient verifyHostname(String name) {
        return args("-verify_hostname", name);
    }

    OpenSslClient ciphersuites(String suites) {
        return args("-ciphersuites", suites);
    }

    OpenSslClient groups(String groups) {
        return args("-groups", groups);
    }

    OpenSslClient alpn(String protocols) {
        return args("-alpn", protocols);
    }

    OpenSslClient keyLog(Path file) {
        return args("-keylogfile", file.toString());
    }

    OpenSslClient args(String... more) {
        args.addAll(List.of(more));
        return this;
    }

    private List<String> command() {
        List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port,
                version));
        command.addAll(args);
        return command;
    }

    /**
     * Sends {@code request} on stdin, then waits (with -ign_eof) until the server closes
     * the connection or {@code timeout} passes, and parses what s_client printed.
     */
    PeerResult run(Path dir, String request, Duration timeout) {
        List<String> command = command();
        command.add("-ign_eof");
        try (Processes.Running process = Processes.start(dir, "s_client", command)) {
            process.send(request);
            process.closeStdin();
            int exit = process.awaitExit(timeout);
            return parse(exit, process.output());
        }
    }

    /** Starts s_client interactively (stdin lines are data, or commands like "k"); the caller closes it. */
    Processes.Running start(Path dir) {
        return Processes.start(dir, "s_client", command());
    }

    /** An HTTP/1.1 GET of {@code /} that asks the server to close afterwards. */
    static String httpGet(String host) {
        return "GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
    }

    static PeerResult parse(int exit, String output) {
        String protocol = first(PROTOCOL, output, 1);
        String cipher = first(CIPHER, output, 1);
        Matcher m = NEW.matcher(output);
        if (m.find()) {
            protocol = protocol == null ? m.group(1) : protocol;
            cipher = cipher == null ? m.group(2) : cipher;
        }
        String group = PeerResult.rfcGroupName(first(TEMP_KEY, output, 1));
        boolean verified = output.contains("Verification: OK") || output.contains("Verify return code: 0 (ok)");
        return new PeerResult("openssl s_client", exit, output, protocol, cipher, group,
                first(ALPN, output, 1), verified);
    }

    private static String first(Pattern pattern, String text, int group) {
        Matcher m = pattern.matcher(text);
        return m.find() ? m.group(group) : null;
    }
}
