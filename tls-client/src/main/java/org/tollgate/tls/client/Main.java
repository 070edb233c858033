package org.tollgate.tls.client;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.InputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Stack;
import java.util.concurrent.Callable;
import java.util.function.Function;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.KeyLog;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.cert.CertificateVerifier;
import org.tollgate.tls.cert.CertifiedKey;
import org.tollgate.tls.explain.HandshakeExplainer;
import org.tollgate.tls.explain.HtmlPage;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tls-client}: fetches an https:// URL like curl, with Tollgate's TLS 1.3 client, and
 * shows what the handshake agreed on. The body goes to stdout, everything else to stderr.
 */
@Command(name = "tls-client", mixinStandardHelpOptions = true, version = "tls-client 0.1 (Tollgate TLS 1.3)",
        sortOptions = false, usageHelpAutoWidth = true,
        description = {"Fetches an https:// URL with Tollgate's own TLS 1.3 client: sends GET, prints the "
                + "response body to stdout and the negotiated parameters to stderr."},
        exitCodeListHeading = "%nExit codes (as curl's):%n",
        exitCodeList = {
            " 0:done",
            " 1:unsupported protocol (http:// or other non-TLS URL)",
            " 2:bad command line option",
            " 6:cannot resolve the host",
            " 7:cannot connect (refused, unreachable, connect timeout)",
            " 8:malformed HTTP response",
            "18:response shorter than announced",
            "28:timeout during the handshake or the response",
            "35:TLS handshake or protocol failure (alert sent or received)",
            "56:failure receiving data (e.g. closed without close_notify: truncation)",
            "58:problem with the local client certificate (--cert, --key)",
            "60:the server's certificate was refused (untrusted, expired or wrong name)"})
public final class Main implements Callable<Integer> {
    static final int EXIT_OK = 0;
    static final int EXIT_UNSUPPORTED_PROTOCOL = 1;
    static final int EXIT_USAGE = 2;
    static final int EXIT_RESOLVE = 6;
    static final int EXIT_CONNECT = 7;
    static final int EXIT_BAD_RESPONSE = 8;
    static final int EXIT_PARTIAL = 18;
    static final int EXIT_TIMEOUT = 28;
    static final int EXIT_TLS = 35;
    static final int EXIT_RECEIVE = 56;
    static final int EXIT_LOCAL_CERTIFICATE = 58;
    static final int EXIT_CERTIFICATE = 60;

    static final String USER_AGENT = "tollgate-client/0.1";

    @Parameters(index = "0", paramLabel = "URL", description = "https://host[:port]/path")
    String url;

    @Option(names = "--cafile", paramLabel = "FILE",
            description = "Trust the CA certificates in this PEM file (default: the JDK's trusted CAs).")
    Path caFile;

    @Option(names = {"-E", "--cert"}, paramLabel = "FILE",
            description = "Client certificate chain (PEM), sent when the server asks for one (mutual TLS).")
    Path certFile;

    @Option(names = "--key", paramLabel = "FILE",
            description = "Private key (PEM) of --cert (default: read from the --cert file, as curl does).")
    Path keyFile;

    @Option(names = {"-k", "--insecure"},
            description = "Do NOT check the server's certificate (testing only: anyone on the path can listen).")
    boolean insecure;

    @Option(names = "--servername", paramLabel = "NAME",
            description = "Name to send as SNI and to check the certificate against (default: the URL's host).")
    String serverName;

    @Option(names = "--connect-to", paramLabel = "HOST:PORT",
            description = "Connect to this address instead of the URL's host and port (SNI and Host stay the URL's).")
    String connectTo;

    @Option(names = "--alpn", split = ",", paramLabel = "PROTO", description = "ALPN protocols to offer, e.g. h2,http/1.1.")
    List<String> alpn;

    @Option(names = "--versions", split = ",", paramLabel = "VERSION", description = "Protocol versions to offer: 1.3, 1.2 (default: both; nothing older is ever offered).")
    List<String> versions;

    @Option(names = "--ciphers", split = ",", paramLabel = "SUITE",
            description = "Cipher suites in preference order, e.g. TLS_AES_128_GCM_SHA256,TLS_CHACHA20_POLY1305_SHA256.")
    List<String> ciphers;

    @Option(names = "--groups", split = ",", paramLabel = "GROUP",
            description = "Key exchange groups in preference order (x25519, P-256, P-384); the first gets a key share.")
    List<String> groups;

    @Option(names = "--keylog", paramLabel = "FILE",
            description = "Append the session secrets to FILE for Wireshark (default: $SSLKEYLOGFILE if set).")
    Path keyLogFile;

    @Option(names = {"-i", "--include"}, description = "Print the response status line and headers before the body.")
    boolean include;

    @Option(names = "--explain", arity = "0", paramLabel = "html FILE", parameterConsumer = ExplainOption.class,
            description = {"Explain the connection on stderr as the six steps of TLS: each message's fields as an"
                    + " annotated hex dump, the key exchange, the derived keys (truncated), the certificate check and"
                    + " the RFC sections.",
                    "--explain=html FILE writes the same as one self-contained HTML page instead, every message and"
                    + " field expandable."})
    boolean explain;

    /** Where {@code --explain=html FILE} writes the page; null for the text on stderr. */
    Path explainHtml;

    private HandshakeExplainer explainer;

    @Option(names = "--key-update", description = "Send a KeyUpdate asking the server to update too, before the request.")
    boolean keyUpdate;

    @Option(names = "--resume", paramLabel = "N",
            description = {"Connect N more times after the first, offering the session or ticket kept from the earlier"
                    + " connections, and report which connections were resumed and how: session-id (TLS 1.2, RFC 5246 7.3),"
                    + " ticket (TLS 1.2, RFC 5077) or psk (TLS 1.3 ticket, RFC 8446 2.2; each ticket is used once)."
                    + " Only the last response body is printed."})
    Integer resume;

    @Option(names = "--timeout", paramLabel = "SECONDS",
            description = "Limit for the TCP connect, the handshake and each wait for response data (default: 10 s"
                    + " connect, 10 s handshake, no read limit).")
    Double timeoutSeconds;

    @Spec
    CommandSpec spec;

    private final PrintStream out;
    private final PrintStream err;

    Main(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /**
     * Runs the command line and exits with its curl-like status.
     * @param args the command-line arguments; {@code --help} lists them
     */
    public static void main(String[] args) {
        System.exit(run(System.out, System.err, args));
    }

    /** Runs the command line with the given streams; returns the exit code. */
    static int run(PrintStream out, PrintStream err, String... args) {
        CommandLine cl = new CommandLine(new Main(out, err));
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setParameterExceptionHandler((e, a) -> {
            err.println("tls-client: " + e.getMessage());
            err.println("try 'tls-client --help'");
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((e, c, p) -> {
            err.println("tls-client: internal error: " + e);
            return EXIT_TLS;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    @Override
    public Integer call() {
        Target target;
        TlsConfig config;
        try {
            target = Target.parse(url, connectTo);
            config = buildConfig();
        } catch (UnsupportedSchemeException e) {
            err.println("tls-client: " + e.getMessage());
            return EXIT_UNSUPPORTED_PROTOCOL;
        } catch (IllegalArgumentException e) {
            err.println("tls-client: " + e.getMessage());
            err.println("try 'tls-client --help'");
            return EXIT_USAGE;
        } catch (LocalCertificateException e) {
            err.println("tls-client: " + e.getMessage());
            return EXIT_LOCAL_CERTIFICATE;
        } catch (IOException e) {
            err.println("tls-client: " + e.getMessage());
            return EXIT_USAGE;
        }
        String sni = serverName != null ? serverName : target.host();
        try {
            if (resume == null) {
                return fetch(target, config, sni, out).exit();
            }
            List<String> report = new ArrayList<>();
            int resumed = 0;
            for (int i = 0; i <= resume; i++) {
                PrintStream body = i == resume ? out : new PrintStream(OutputStream.nullOutputStream());
                Fetched f = fetch(target, config, sni, body);
                if (f.exit() != EXIT_OK) {
                    err.println("* connection " + (i + 1) + " of " + (resume + 1) + " failed");
                    return f.exit();
                }
                boolean wasResumed = f.resumption() != HandshakeSummary.Resumption.NONE;
                resumed += wasResumed ? 1 : 0;
                report.add((i + 1) + ":" + (wasResumed ? "resumed(" + f.resumption().label() + ")" : "full"));
            }
            err.println("* resumption: " + String.join(" ", report) + " (" + resumed + " of " + resume
                    + " reconnections resumed)");
            return EXIT_OK;
        } finally {
            writeExplainPage();
        }
    }

    /** One connection's outcome: the exit code and how its handshake was resumed (NONE: full). */
    record Fetched(int exit, HandshakeSummary.Resumption resumption) {
    }

    private Fetched fetch(Target target, TlsConfig config, String sni, PrintStream body) {
        lastResumption = HandshakeSummary.Resumption.NONE;
        int exit = fetchOnce(target, config, sni, body);
        return new Fetched(exit, lastResumption);
    }

    /** How the last connection's handshake was resumed. */
    private HandshakeSummary.Resumption lastResumption = HandshakeSummary.Resumption.NONE;

    /** One connection: handshake, GET, the response body to {@code out} (the stdout or a sink). */
    private int fetchOnce(Target target, TlsConfig config, String sni, PrintStream out) {
        if (insecure) {
            err.println("WARNING: --insecure: the server's certificate is NOT checked; anyone on the path can read"
                    + " and change this connection");
        }
        try {
            InetSocketAddress address = new InetSocketAddress(target.connectHost(), target.connectPort());
            if (address.isUnresolved()) {
                err.println("tls-client: cannot resolve host " + target.connectHost());
                return EXIT_RESOLVE;
            }
            Duration connectTimeout = timeout() != null ? timeout() : TlsClient.DEFAULT_CONNECT_TIMEOUT;
            try (TlsConnection connection = TlsClient.connect(address, sni, config, connectTimeout)) {
                HandshakeSummary summary = connection.summary();
                lastResumption = summary.resumption();
                err.println("* " + summary.oneLine());
                if (timeout() != null) {
                    connection.setReadTimeout(timeout());
                }
                if (keyUpdate) {
                    connection.updateKeys(true);
                    err.println("* sent KeyUpdate (update_requested): new client keys, asked the server for new keys");
                }
                String request = "GET " + target.pathAndQuery() + " HTTP/1.1\r\n"
                        + "Host: " + target.hostHeader() + "\r\n"
                        + "User-Agent: " + USER_AGENT + "\r\n"
                        + "Accept: */*\r\n"
                        + "Connection: close\r\n\r\n";
                OutputStream tlsOut = connection.outputStream();
                byte[] requestBytes = request.getBytes(StandardCharsets.US_ASCII);
                tlsOut.write(requestBytes);
                tlsOut.flush();
                if (explainer != null) {
                    explainer.applicationData(true, requestBytes);
                }
                CountingInputStream counted = new CountingInputStream(connection.inputStream());
                HttpResponseReader reader = new HttpResponseReader(new BufferedInputStream(counted, 16384));
                reader.read(include ? out : null, out);
                out.flush();
                if (explainer != null) {
                    explainer.applicationData(false, counted.start(), counted.count());
                    explainer.closed();
                }
                if (keyUpdate) {
                    err.println("* KeyUpdates received from the server: " + connection.keyUpdatesReceived());
                }
            }
            return EXIT_OK;
        } catch (TlsClientException e) {
            err.println("tls-client: " + e.getMessage());
            return e.isCertificateFailure() ? EXIT_CERTIFICATE : EXIT_TLS;
        } catch (UnknownHostException e) {
            err.println("tls-client: cannot resolve host: " + e.getMessage());
            return EXIT_RESOLVE;
        } catch (ConnectException e) {
            err.println("tls-client: " + e.getMessage());
            return EXIT_CONNECT;
        } catch (SocketTimeoutException e) {
            err.println("tls-client: timeout: " + e.getMessage());
            return EXIT_TIMEOUT;
        } catch (ProtocolException e) {
            err.println("tls-client: bad HTTP response: " + e.getMessage());
            return EXIT_BAD_RESPONSE;
        } catch (EOFException e) {
            err.println("tls-client: " + e.getMessage());
            return e.getMessage() != null && e.getMessage().contains("truncation") ? EXIT_RECEIVE : EXIT_PARTIAL;
        } catch (IOException e) {
            err.println("tls-client: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return EXIT_RECEIVE;
        }
    }

    private Duration timeout() {
        if (timeoutSeconds == null) {
            return null;
        }
        return Duration.ofMillis(Math.max(1, Math.round(timeoutSeconds * 1000)));
    }

    TlsConfig buildConfig() throws IOException {
        if (timeoutSeconds != null && !(timeoutSeconds > 0 && timeoutSeconds < 1e6)) {
            throw new IllegalArgumentException("--timeout must be a positive number of seconds: " + timeoutSeconds);
        }
        if (insecure && caFile != null) {
            throw new IllegalArgumentException("--insecure and --cafile contradict each other");
        }
        if (resume != null && (resume < 1 || resume > 1000)) {
            throw new IllegalArgumentException("--resume takes a number of reconnections from 1 to 1000: " + resume);
        }
        if (resume != null && explain) {
            throw new IllegalArgumentException("--resume and --explain cannot be combined yet");
        }
        TlsConfig.Builder b = TlsConfig.builder();
        if (resume != null) {
            b.sessionCache(org.tollgate.tls.SessionCache.create(16, Duration.ofHours(1)));
        }
        if (versions != null) {
            b.versions(parseAll(versions, ProtocolVersion::parse));
        }
        if (ciphers != null) {
            b.cipherSuites(parseAll(ciphers, CipherSuite::parse));
        }
        if (groups != null) {
            List<NamedGroup> g = parseAll(groups, NamedGroup::parse);
            b.groups(g).keyShareGroups(List.of(g.get(0)));
        }
        if (alpn != null) {
            b.alpnProtocols(alpn);
        }
        if (insecure) {
            b.verifier(CertificateVerifier.insecure());
        } else if (caFile != null) {
            if (!Files.isReadable(caFile)) {
                throw new IOException("cannot read the CA file " + caFile);
            }
            try {
                b.verifier(CertificateVerifier.fromPemFile(caFile));
            } catch (IOException | IllegalArgumentException e) {
                throw new IOException("cannot use the CA file " + caFile + ": " + e.getMessage(), e);
            }
        } else {
            b.verifier(CertificateVerifier.systemDefault());
        }
        if (keyFile != null && certFile == null) {
            throw new IllegalArgumentException("--key needs --cert");
        }
        if (certFile != null) {
            try {
                b.certificate(CertifiedKey.load(certFile, keyFile != null ? keyFile : certFile));
            } catch (IOException | IllegalArgumentException e) {
                throw new LocalCertificateException("cannot use the client certificate " + certFile
                        + (keyFile != null ? " with key " + keyFile : "") + ": " + e.getMessage(), e);
            }
        }
        b.keyLog(keyLogFile != null ? KeyLog.toFile(keyLogFile) : KeyLog.fromEnvironment());
        if (timeout() != null) {
            b.handshakeTimeout(timeout());
        }
        TlsConfig config = b.build();
        if (explain) {
            PrintStream text = explainHtml == null ? err : new PrintStream(OutputStream.nullOutputStream());
            explainer = new HandshakeExplainer(text, insecure ? null : config.verifier());
            config = HandshakeExplainer.wire(config, explainer);
        }
        return config;
    }

    private static <T> List<T> parseAll(List<String> names, Function<String, T> parser) {
        List<T> result = new ArrayList<>();
        for (String name : names) {
            if (!name.isBlank()) {
                result.add(parser.apply(name));
            }
        }
        if (result.isEmpty()) {
            throw new IllegalArgumentException("an empty list: name at least one");
        }
        return result;
    }

    /** Writes the {@code --explain=html} page, whether the connection worked or not. */
    private void writeExplainPage() {
        if (explainer == null || explainHtml == null) {
            return;
        }
        try {
            HtmlPage.write(explainHtml, explainer.explanations());
            err.println("* explanation of the connection written to " + explainHtml);
        } catch (IOException e) {
            err.println("tls-client: cannot write " + explainHtml + ": " + e.getMessage());
        }
    }

    /**
     * {@code --explain} alone, or {@code --explain=html FILE} (also {@code --explain html FILE}):
     * a plain optional value would swallow the URL that usually follows.
     */
    /** A --cert or --key that cannot be read or does not fit: curl's exit code 58. */
    static final class LocalCertificateException extends IOException {
        private static final long serialVersionUID = 1L;

        LocalCertificateException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    static final class ExplainOption implements CommandLine.IParameterConsumer {
        @Override
        public void consumeParameters(Stack<String> args, ArgSpec argSpec, CommandSpec commandSpec) {
            Main main = (Main) commandSpec.userObject();
            main.explain = true;
            if (!args.isEmpty() && (args.peek().equals("html") || args.peek().equals("text"))) {
                if (args.pop().equals("html")) {
                    if (args.isEmpty() || args.peek().startsWith("-")) {
                        throw new CommandLine.ParameterException(commandSpec.commandLine(), "--explain=html needs a FILE to write");
                    }
                    main.explainHtml = Path.of(args.pop());
                }
            }
        }
    }

    /** Counts what the response reader consumed and keeps its first bytes, for step 6 of the explanation. */
    static final class CountingInputStream extends FilterInputStream {
        private final byte[] start = new byte[256];
        private long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                note(new byte[] {(byte) b}, 0, 1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                note(b, off, n);
            }
            return n;
        }

        private void note(byte[] b, int off, int n) {
            if (count < start.length) {
                System.arraycopy(b, off, start, (int) count, (int) Math.min(n, start.length - count));
            }
            count += n;
        }

        byte[] start() {
            return java.util.Arrays.copyOf(start, (int) Math.min(count, start.length));
        }

        long count() {
            return count;
        }
    }

    static final class UnsupportedSchemeException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        UnsupportedSchemeException(String message) {
            super(message);
        }
    }

    /** Where to connect and what to ask for. */
    record Target(String host, int port, String pathAndQuery, String connectHost, int connectPort) {

        static Target parse(String url, String connectTo) {
            URI uri;
            try {
                uri = new URI(url);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("not a valid URL: " + e.getMessage());
            }
            String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
            if (scheme == null) {
                throw new IllegalArgumentException("the URL needs a scheme: https://" + url);
            }
            if (scheme.equals("http")) {
                throw new UnsupportedSchemeException("http:// is plain text and this tool speaks TLS only: use "
                        + "https://" + url.substring(url.indexOf("://") + 3));
            }
            if (!scheme.equals("https")) {
                throw new UnsupportedSchemeException("unsupported protocol " + scheme + "://: this tool speaks https:// only");
            }
            String host = uri.getHost();
            if (host == null || host.isEmpty()) {
                throw new IllegalArgumentException("the URL has no host name: " + url);
            }
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            if (uri.getRawUserInfo() != null) {
                throw new IllegalArgumentException("user names and passwords in URLs are not supported: " + url);
            }
            int port = uri.getPort() == -1 ? 443 : uri.getPort();
            String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            if (uri.getRawQuery() != null) {
                path += "?" + uri.getRawQuery();
            }
            String connectHost = host;
            int connectPort = port;
            if (connectTo != null) {
                int colon = connectTo.lastIndexOf(':');
                if (colon <= 0 || colon == connectTo.length() - 1) {
                    throw new IllegalArgumentException("--connect-to wants HOST:PORT, got " + connectTo);
                }
                connectHost = connectTo.substring(0, colon);
                if (connectHost.startsWith("[") && connectHost.endsWith("]")) {
                    connectHost = connectHost.substring(1, connectHost.length() - 1);
                }
                connectPort = parsePort(connectTo.substring(colon + 1));
            }
            return new Target(host, port, path, connectHost, connectPort);
        }

        private static int parsePort(String s) {
            try {
                int p = Integer.parseInt(s);
                if (p >= 1 && p <= 65535) {
                    return p;
                }
            } catch (NumberFormatException ignored) {
                // fall through
            }
            throw new IllegalArgumentException("not a port number: " + s);
        }

        /** RFC 9110 §7.2: the Host field is the URL's authority (IPv6 in brackets, port when not 443). */
        String hostHeader() {
            String h = host.contains(":") ? "[" + host + "]" : host;
            return port == 443 ? h : h + ":" + port;
        }
    }
}
