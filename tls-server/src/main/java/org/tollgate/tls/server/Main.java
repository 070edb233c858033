package org.tollgate.tls.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.ClientAuth;
import org.tollgate.tls.KeyLog;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.TicketKeys;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.cert.CertificateVerifier;
import org.tollgate.tls.cert.CertifiedKey;
import org.tollgate.tls.cert.PemFiles;
import org.tollgate.tls.cert.DemoCertificates;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tls-server}: a TLS 1.3 server on the command line, in the spirit of
 * {@code openssl s_server -www}. Without a certificate it makes a demo CA and a localhost
 * certificate, and tells how to trust them.
 */
@Command(name = "tls-server", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "A TLS 1.3 server written from raw sockets up (Tollgate).",
            "Mode https answers GET / with a page describing the connection; mode echo sends every byte back.",
            "Without --cert it creates a demo CA and a certificate for localhost, 127.0.0.1 and ::1, "
                    + "and writes the CA certificate for clients to trust."},
        footer = {"", "Examples:",
            "  tls-server --port 8443",
            "  curl --cacert tollgate-demo-ca.pem https://localhost:8443/",
            "  openssl s_client -connect localhost:8443 -CAfile tollgate-demo-ca.pem -servername localhost",
            "  tls-server --cert server.pem --key server.key --mode echo --explain",
            "  tls-server --client-auth need     (demo mode: also writes a demo client certificate and key)",
            "  curl --cacert tollgate-demo-ca.pem --cert tollgate-demo-client.pem --key tollgate-demo-client.key https://localhost:8443/"})
public final class Main implements Callable<Integer> {

    /** A command with every option at its default, for picocli to fill in. */
    public Main() {
    }

    @Option(names = "--host", paramLabel = "ADDRESS", description = "Address to listen on (default: ${DEFAULT-VALUE},"
            + " every interface, like s_server; use 127.0.0.1 to stay local).")
    String host = "0.0.0.0";

    @Option(names = {"-p", "--port"}, paramLabel = "PORT", description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one and prints it).")
    int port = 8443;

    @Option(names = "--cert", paramLabel = "FILE", description = "Certificate chain (PEM), leaf first.")
    Path cert;

    @Option(names = "--key", paramLabel = "FILE", description = "Private key (PEM, PKCS#8 or traditional) of --cert.")
    Path key;

    @Option(names = "--versions", split = ",", paramLabel = "VERSION", converter = VersionConverter.class,
            description = "Protocol versions: 1.3, 1.2 (default: both; older clients get protocol_version).")
    List<ProtocolVersion> versions;

    @Option(names = "--ciphers", split = ",", paramLabel = "SUITE", converter = SuiteConverter.class,
            description = "Cipher suites by IANA name, in preference order, e.g. TLS_AES_256_GCM_SHA384,TLS_CHACHA20_POLY1305_SHA256.")
    List<CipherSuite> ciphers;

    @Option(names = "--groups", split = ",", paramLabel = "GROUP", converter = GroupConverter.class,
            description = "Key exchange groups in preference order: x25519, secp256r1, secp384r1.")
    List<NamedGroup> groups;

    @Option(names = "--alpn", split = ",", paramLabel = "PROTOCOL", description = "ALPN protocols in preference order, e.g. http/1.1.")
    List<String> alpn;

    @Option(names = "--keylog", paramLabel = "FILE", description = "Append TLS secrets to FILE (NSS key log format, for Wireshark);"
            + " default: the SSLKEYLOGFILE environment variable. Never in production.")
    Path keylog;

    @Option(names = "--mode", paramLabel = "MODE", description = "https or echo (default: ${DEFAULT-VALUE}).")
    Mode mode = Mode.https;

    @Option(names = "--explain", description = "Explain every handshake on stderr as the six steps of TLS: each message's fields as an"
                    + " annotated hex dump, the key exchange, the derived keys (truncated) and the RFC sections;"
                    + " each connection as one block when it ends.")
    boolean explain;

    @Option(names = "--threads", paramLabel = "N", description = "Event loop threads (default: one per core, ${DEFAULT-VALUE} here).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--max-connections", paramLabel = "N", description = "Connections served at once; more are closed at once (default: ${DEFAULT-VALUE}).")
    int maxConnections = 10_000;

    @Option(names = "--handshake-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Close a connection whose handshake is not done in this time: 10s, 500ms, 2m (default: 10s).")
    Duration handshakeTimeout = Duration.ofSeconds(10);

    @Option(names = "--rsa-key-exchange", description = "Also accept TLS 1.2 RSA key exchange: the classic handshake where the"
            + " client encrypts the premaster secret with the server's RSA key (no forward secrecy, so off by default)."
            + " Without --cert, an RSA demo certificate is made beside the ECDSA one.")
    boolean rsaKeyExchange;

    @Option(names = "--session-cache", paramLabel = "N", description = "Cache up to N TLS 1.2 sessions for 2 hours so"
            + " clients can resume them by session id (RFC 5246 7.3); 0 turns resumption off (default: ${DEFAULT-VALUE}).")
    int sessionCache;

    @Option(names = "--no-tickets", description = "Issue no session tickets (TLS 1.3 NewSessionTicket, TLS 1.2 RFC 5077)."
            + " By default tickets are on, sealed with a random key held in memory (like OpenSSL), which rotates every 12 hours.")
    boolean noTickets;

    @Option(names = "--ticket-key-file", paramLabel = "FILE", description = "Seal and open session tickets with the keys in FILE,"
            + " so several servers behind a load balancer resume each other's sessions; FILE is re-read when it changes."
            + " Make one with --new-ticket-key-file.")
    Path ticketKeyFile;

    @Option(names = "--new-ticket-key-file", paramLabel = "FILE", description = "Write a fresh ticket key to FILE and exit;"
            + " an existing FILE is rotated (the new key seals, the old first key still opens). Copy FILE to every server.")
    Path newTicketKeyFile;

    @Option(names = "--tickets", paramLabel = "N", description = "TLS 1.3 NewSessionTickets sent after each handshake"
            + " (default: ${DEFAULT-VALUE}).")
    int tickets = 2;

    @Option(names = "--client-auth", paramLabel = "MODE", converter = ClientAuthConverter.class,
            description = "Ask clients for a certificate (mutual TLS): none, want (ask; serve those without one too) or need"
                    + " (refuse those without one) (default: none). A certificate that is sent must verify against --client-ca.")
    ClientAuth clientAuth = ClientAuth.NONE;

    @Option(names = "--client-ca", paramLabel = "FILE", description = "CA certificates (PEM) that issue client certificates;"
            + " their names go into the CertificateRequest. Without --cert (demo mode) the demo CA is used.")
    Path clientCa;

    @Option(names = "--demo-ca", paramLabel = "FILE", description = "Where to write the demo CA certificate without --cert (default: ${DEFAULT-VALUE}).")
    Path demoCa = Path.of("tollgate-demo-ca.pem");

    /** What each connection runs. */
    enum Mode {
        https(HttpsHandler::new), echo(EchoHandler::new);

        final Supplier<ConnectionHandler> handler;

        Mode(Supplier<ConnectionHandler> handler) {
            this.handler = handler;
        }
    }

    private PrintStream out = System.out;
    private PrintStream err = System.err;
    /** Set once the server runs; tests and the shutdown hook stop it. */
    volatile TlsServer server;
    private final CountDownLatch stopped = new CountDownLatch(1);

    /**
     * Runs the command line and exits with its status.
     * @param args the command-line arguments; {@code --help} lists them
     */
    public static void main(String[] args) {
        // The program prints its own lines; the library's INFO logs would repeat them.
        java.util.logging.Logger.getLogger("org.tollgate").setLevel(java.util.logging.Level.WARNING);
        System.exit(run(args, System.out, System.err));
    }

    /** Parses {@code args} and runs; returns the exit code: 0 done, 1 failure, 2 bad options. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        return commandLine(new Main(), out, err).execute(args);
    }

    static CommandLine commandLine(Main main, PrintStream out, PrintStream err) {
        main.out = out;
        main.err = err;
        CommandLine cl = new CommandLine(main);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setParameterExceptionHandler((e, args) -> {
            err.println("tls-server: " + e.getMessage());
            err.println("Try 'tls-server --help' for the options.");
            return CommandLine.ExitCode.USAGE; // 2
        });
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            err.println("tls-server: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return 1;
        });
        return cl;
    }

    @Override
    public Integer call() throws Exception {
        if (newTicketKeyFile != null) {
            boolean existed = java.nio.file.Files.exists(newTicketKeyFile);
            TicketKeys.rotateKeyFile(newTicketKeyFile, new java.security.SecureRandom());
            out.println((existed ? "Rotated the ticket keys in " : "Wrote a new ticket key to ") + newTicketKeyFile
                    + " (secret: keep it readable by the servers only); start each server with --ticket-key-file "
                    + newTicketKeyFile);
            return 0;
        }
        if ((cert == null) != (key == null)) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--cert and --key go together");
        }
        if (port < 0 || port > 65535) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--port must be 0 to 65535, not " + port);
        }
        if (threads < 1 || maxConnections < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--threads and --max-connections must be at least 1");
        }
        if (handshakeTimeout.isZero() || handshakeTimeout.isNegative()) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--handshake-timeout must be positive");
        }
        TlsConfig.Builder config = TlsConfig.builder();
        try {
            if (versions != null) {
                config.versions(versions);
            }
            if (ciphers != null) {
                config.cipherSuites(ciphers);
            }
            if (groups != null) {
                config.groups(groups);
            }
            if (alpn != null) {
                config.alpnProtocols(alpn);
            }
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
        }
        if (rsaKeyExchange) {
            config.rsaKeyExchange(true);
        }
        if (sessionCache < 0) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--session-cache must be 0 (off) or more");
        }
        if (sessionCache > 0) {
            config.sessionCache(sessionCache, Duration.ofHours(2));
        }
        if (noTickets && ticketKeyFile != null) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--no-tickets and --ticket-key-file contradict each other");
        }
        try {
            config.ticketCount(tickets);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--tickets: " + e.getMessage());
        }
        if (ticketKeyFile != null) {
            try {
                config.ticketKeys(TicketKeys.load(ticketKeyFile));
            } catch (IOException | IllegalArgumentException e) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--ticket-key-file " + ticketKeyFile
                        + ": " + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()));
            }
        } else if (!noTickets) {
            config.ticketKeys(TicketKeys.generate());
        }
        if (clientAuth != ClientAuth.NONE && clientCa == null && cert != null) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--client-auth " + clientAuth.name().toLowerCase(
                    java.util.Locale.ROOT) + " needs --client-ca FILE: the CAs that issue the client certificates");
        }
        config.clientAuth(clientAuth);
        if (clientCa != null) {
            config.clientVerifier(CertificateVerifier.fromPemFile(clientCa));
        }
        config.handshakeTimeout(handshakeTimeout);
        config.keyLog(keylog != null ? KeyLog.toFile(keylog) : KeyLog.fromEnvironment());
        if (cert != null) {
            config.certificate(CertifiedKey.load(cert, key));
        } else {
            DemoCertificates.Pki pki = DemoCertificates.create(Clock.systemUTC());
            config.certificate(pki.localhostServer());
            if (rsaKeyExchange) {
                java.time.Instant now = java.time.Instant.now();
                config.certificate(pki.issue("localhost", java.util.List.of("localhost", "127.0.0.1", "::1"),
                        DemoCertificates.KeyType.RSA_2048, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(365)), true));
            }
            pki.writeCa(demoCa);
            out.println("No --cert given: made a demo CA and a certificate for localhost, 127.0.0.1 and ::1.");
            out.println("Demo CA certificate written to " + demoCa + "; trust it with, for example:");
            out.println("  curl --cacert " + demoCa + " https://localhost:" + (port == 0 ? "PORT" : port) + "/");
            out.println("  tls-client --cafile " + demoCa + " https://localhost:" + (port == 0 ? "PORT" : port) + "/");
            if (clientAuth != ClientAuth.NONE) {
                writeDemoClient(pki, config);
            }
        }
        TlsConfig tlsConfig = config.build();

        server = TlsServer.builder()
                .config(tlsConfig)
                // One explainer per connection, each printed as one block when its connection ends.
                .explain(explain ? err : null)
                .bind(new InetSocketAddress(host, port))
                .handler(mode.handler)
                .eventLoops(threads)
                .maxConnections(maxConnections)
                .onHandshake((peer, summary) -> out.println(peer + " " + summary.oneLine() + (summary.peerCertificates().isEmpty()
                        ? "" : " client-cert=\"" + summary.peerCertificates().get(0).getSubjectX500Principal().getName() + "\"")))
                .onFailure((peer, e) -> out.println(peer + " failed: " + e))
                .build();
        InetSocketAddress bound = server.localAddress();
        String versionNames = tlsConfig.versions().stream().map(v -> v.toString().replace("TLSv", "TLS "))
                .collect(Collectors.joining(", "));
        out.println("tls-server listening on " + hostString(bound) + ":" + bound.getPort()
                + " (" + versionNames + ", mode " + mode + ")");
        Thread hook = new Thread(this::stop, "tls-server-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        stopped.await();
        return 0;
    }

    /**
     * Demo mode with client authentication: trusts the demo CA for client certificates (unless
     * --client-ca says otherwise) and writes a demo client certificate and key beside the CA file.
     */
    private void writeDemoClient(DemoCertificates.Pki pki, TlsConfig.Builder config) throws IOException {
        if (clientCa == null) {
            config.clientVerifier(CertificateVerifier.trusting(List.of(pki.ca())));
        }
        Path dir = demoCa.toAbsolutePath().getParent();
        Path clientCert = dir.resolve("tollgate-demo-client.pem");
        Path clientKey = dir.resolve("tollgate-demo-client.key");
        PemFiles.writeCertificates(clientCert, pki.client().chain());
        PemFiles.writePrivateKey(clientKey, pki.client().privateKey());
        String url = "https://localhost:" + (port == 0 ? "PORT" : port) + "/";
        out.println("Client certificates " + (clientAuth == ClientAuth.NEED ? "required" : "requested")
                + ": demo client certificate (CN=Tollgate Demo Client) written to " + clientCert + " and " + clientKey + "; try:");
        out.println("  curl --cacert " + demoCa + " --cert " + clientCert + " --key " + clientKey + " " + url);
        out.println("  tls-client --cafile " + demoCa + " --cert " + clientCert + " --key " + clientKey + " " + url);
    }

    private static String hostString(InetSocketAddress a) {
        String h = a.getAddress().getHostAddress();
        return h.contains(":") ? "[" + h + "]" : h;
    }

    /** Stops the server (SIGINT/SIGTERM through the shutdown hook) and lets {@link #call()} return. */
    void stop() {
        TlsServer s = server;
        if (s != null) {
            s.close();
        }
        stopped.countDown();
    }

    // ------------------------------------------------------------------ option converters

    static final class VersionConverter implements CommandLine.ITypeConverter<ProtocolVersion> {
        @Override
        public ProtocolVersion convert(String value) {
            return ProtocolVersion.parse(value.strip());
        }
    }

    static final class SuiteConverter implements CommandLine.ITypeConverter<CipherSuite> {
        @Override
        public CipherSuite convert(String value) {
            return CipherSuite.parse(value.strip());
        }
    }

    static final class ClientAuthConverter implements CommandLine.ITypeConverter<ClientAuth> {
        @Override
        public ClientAuth convert(String value) {
            try {
                return ClientAuth.valueOf(value.strip().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not none, want or need");
            }
        }
    }

    static final class GroupConverter implements CommandLine.ITypeConverter<NamedGroup> {
        @Override
        public NamedGroup convert(String value) {
            return NamedGroup.parse(value.strip());
        }
    }

    /** 10s, 500ms, 2m, 1h, or an ISO-8601 duration (PT10S). */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            String v = value.strip().toLowerCase(java.util.Locale.ROOT);
            try {
                if (v.endsWith("ms")) {
                    return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
                }
                if (v.endsWith("s")) {
                    return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
                }
                if (v.endsWith("m")) {
                    return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
                }
                if (v.endsWith("h")) {
                    return Duration.ofHours(Long.parseLong(v.substring(0, v.length() - 1)));
                }
                if (v.startsWith("pt")) {
                    return Duration.parse(v);
                }
                return Duration.ofSeconds(Long.parseLong(v));
            } catch (NumberFormatException | DateTimeParseException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (try 10s, 500ms or 2m)");
            }
        }
    }

    /** {@code --version}: the project version, from a resource Maven fills in. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"tls-server " + p.getProperty("version", "unknown") + " (Tollgate), Java "
                    + System.getProperty("java.version")};
        }
    }
}
