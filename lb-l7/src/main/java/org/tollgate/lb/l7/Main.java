package org.tollgate.lb.l7;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.lb.balance.Backend;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.cert.CertifiedKey;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lb-l7}: the HTTP/1.1 reverse proxy on the command line: a config file
 * ({@code --config}, see {@link ConfigFile}; reloaded on SIGHUP and when the file changes),
 * or for the simple case one pool from {@code --listen} and {@code --backend} options; and
 * {@code lb-l7 demo}. SIGTERM or Ctrl-C stops gracefully (requests in flight finish).
 */
@Command(name = "lb-l7", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        subcommands = Demo.class,
        description = {"An L7 (HTTP/1.1) load balancer written over raw NIO (Tollgate): it parses each request "
                + "strictly, refuses smuggling attempts, and balances requests over keep-alive backend connections."},
        footer = {"", "Examples:",
            "  lb-l7 --config lb-l7.yml          (reloaded on SIGHUP and when the file changes)",
            "  lb-l7 --listen 127.0.0.1:8080 --backend 127.0.0.1:9001 --backend 127.0.0.1:9002,weight=3 --admin 127.0.0.1:9900",
            "  lb-l7 --listen 127.0.0.1:8443 --tls-cert cert.pem --tls-key key.pem --backend 127.0.0.1:9001",
            "  lb-l7 demo                        (three backends, two TLS-terminating lb-l7s, an lb-l4 in front)"})
public final class Main implements Callable<Integer> {

    /** A command with every option at its default, for picocli to fill in. */
    public Main() {
    }

    @Option(names = "--config", paramLabel = "FILE", description = "Read listeners, routes and pools from FILE (YAML subset; see lb-l7's README).")
    Path configFile;

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "Address to accept clients on (without --config).")
    String listen;

    @Option(names = "--backend", paramLabel = "HOST:PORT[,weight=N]",
            description = "A backend; repeat for each (weight 1 to 1000, default 1).")
    List<String> backends = new ArrayList<>();

    @Option(names = "--algorithm", paramLabel = "NAME",
            description = "round-robin, weighted-round-robin, least-connections, ip-hash or two-choices (default: ${DEFAULT-VALUE}).")
    String algorithm = "weighted-round-robin";

    @Option(names = "--tls-cert", paramLabel = "PEM", description = "Certificate chain: terminate TLS (with --tls-key).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "Private key of --tls-cert.")
    Path tlsKey;

    @Option(names = "--admin", paramLabel = "HOST:PORT", description = "Serve the stats page (/), /stats.json and /metrics here (read-only; keep it local).")
    String admin;

    @Option(names = "--drain-timeout", paramLabel = "SECONDS",
            description = "On SIGTERM, how long requests in flight may take to finish (default: ${DEFAULT-VALUE}).")
    int drainSeconds = 10;

    @Option(names = "--watch-interval", paramLabel = "MS", hidden = true, description = "How often the config file is looked at.")
    long watchMillis = 1000;

    @Option(names = "--access-log", paramLabel = "FILE",
            description = "Append one line per request (combined log format + pool/backend, upstream, Tq/Tc/Tr/Tt, termination state) to FILE; '-' for standard output.")
    Path accessLog;

    @Option(names = "--keep-alive-timeout", paramLabel = "DURATION",
            description = "How long a client connection may sit idle between requests, like 10s or 500ms (default: 10s).")
    String keepAliveTimeout;

    @Option(names = "--max-connections", paramLabel = "N",
            description = "Most client connections open at once; beyond, new clients wait in the listen backlog (default: 10000).")
    Integer maxConnections;

    @Option(names = "--explain", description = "Print, for each request, the routes tried, the pool, the candidates and why the backend was chosen.")
    boolean explain;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ConfigFile.Settings settings;
        try {
            settings = settings();
        } catch (ConfigFile.ConfigException e) {
            spec.commandLine().getErr().println("lb-l7: " + e.getMessage());
            return 2;
        } catch (java.io.IOException e) {
            spec.commandLine().getErr().println("lb-l7: cannot read " + configFile + ": " + e.getMessage());
            return 2;
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        Instance instance = Instance.start(settings, configFile, m -> System.out.println("lb-l7: " + m),
                java.time.Duration.ofSeconds(drainSeconds));
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            boolean clean = instance.shutdown();
            System.out.println("lb-l7 stopped" + (clean ? ": every request finished" : ": requests still running after "
                    + drainSeconds + " s were cut"));
            stop.countDown();
        }));
        for (L7Proxy p : instance.proxies()) {
            System.out.println("lb-l7 listening on " + p.localAddress() + (p.config().tls() != null ? " (TLS)" : "")
                    + ", routes: " + p.config().routes());
        }
        for (BackendPool pool : instance.proxies().get(0).config().pools().values()) {
            System.out.println("lb-l7 pool " + pool);
        }
        if (instance.admin() != null) {
            System.out.println("lb-l7 admin on http://" + instance.admin().localAddress().getHostString() + ":"
                    + instance.admin().localAddress().getPort() + "/ (stats page), /stats.json and /metrics");
        }
        if (configFile != null) {
            boolean hup = instance.reloadOnSighup();
            instance.watch(java.time.Duration.ofMillis(watchMillis));
            System.out.println("lb-l7 reloads " + configFile + (hup ? " on SIGHUP and" : "") + " when it changes");
        }
        System.out.flush();
        stop.await();
        return 0;
    }

    /** From the config file, or from the simple-case options. */
    ConfigFile.Settings settings() throws java.io.IOException {
        if (configFile != null) {
            if (listen != null || !backends.isEmpty() || tlsCert != null || tlsKey != null || admin != null
                    || keepAliveTimeout != null || maxConnections != null) {
                throw new IllegalArgumentException("--config takes everything from the file: drop --listen, --backend, --tls-*, --admin, "
                        + "--keep-alive-timeout, --max-connections");
            }
            return ConfigFile.load(configFile, null);
        }
        if (configFile != null && (accessLog != null || explain)) {
            throw new IllegalArgumentException("with --config, write access-log in the file; --explain is for the simple case");
        }
        if (listen == null || backends.isEmpty()) {
            throw new IllegalArgumentException("give --config FILE, or --listen HOST:PORT with at least one --backend HOST:PORT");
        }
        return new ConfigFile.Settings(List.of(config()), admin == null ? null : parseAddress(admin));
    }

    ProxyConfig config() throws java.io.IOException {
        List<Backend> list = new ArrayList<>();
        for (String b : backends) {
            try {
                list.add(parseBackend(b));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--backend " + b + ": " + e.getMessage());
            }
        }
        Algorithm alg = Algorithm.parse(algorithm);
        ProxyConfig.Builder b = ProxyConfig.builder(parseAddress(listen))
                .pool(BackendPool.of("default", alg, list))
                .route(Route.all("default"));
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together");
        }
        if (tlsCert != null) {
            b.tls(TlsConfig.builder().certificate(CertifiedKey.load(tlsCert, tlsKey)).alpnProtocols(List.of("http/1.1"))
                    .ticketKeys(org.tollgate.tls.TicketKeys.generate()).build());
        }
        if (accessLog != null) {
            b.accessLog(accessLog.toString().equals("-") ? System.out::println : AccessLog.file(accessLog));
        }
        if (explain) {
            b.explain(System.out::println);
        }
        if (keepAliveTimeout != null) {
            java.time.Duration d = ConfigFile.parseDuration(keepAliveTimeout);
            if (d == null) {
                throw new IllegalArgumentException("--keep-alive-timeout: '" + keepAliveTimeout + "' is not a positive duration (like 250ms, 10s, 2m)");
            }
            b.keepAliveTimeout(d);
        }
        if (maxConnections != null) {
            b.maxConnections(maxConnections);
        }
        return b.build();
    }

    /** {@code HOST:PORT[,weight=N]}; the backend is named after HOST:PORT. */
    static Backend parseBackend(String spec) {
        String[] parts = spec.split(",");
        int weight = 1;
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].trim();
            if (!p.startsWith("weight=")) {
                throw new IllegalArgumentException("unknown backend option '" + p + "' (known: weight=N)");
            }
            try {
                weight = Integer.parseInt(p.substring("weight=".length()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("weight must be a number");
            }
        }
        return new Backend(parts[0].trim(), parseAddress(parts[0]), weight);
    }

    /** {@code HOST:PORT} or {@code [IPv6]:PORT}. */
    static InetSocketAddress parseAddress(String text) {
        String s = text.trim();
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("expected HOST:PORT, not '" + text + "'");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port must be a number in '" + text + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range in '" + text + "'");
        }
        InetSocketAddress a = new InetSocketAddress(host, port);
        if (a.isUnresolved()) {
            throw new IllegalArgumentException("cannot resolve host '" + host + "'");
        }
        return a;
    }

    /**
     * Runs the command line and exits with its status.
     * @param args the command-line arguments; {@code --help} lists them
     */
    public static void main(String[] args) {
        // The library logs each start and reload at INFO; on the command line Main says what matters.
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
        System.exit(new CommandLine(new Main()).execute(args));
    }
}
