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
 * {@code lb-l7}: the HTTP/1.1 reverse proxy on the command line, for the simple case of one
 * pool that takes every request. (Several pools and routes: {@link ProxyConfig} in code;
 * a config file is not written yet.)
 */
@Command(name = "lb-l7", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"An L7 (HTTP/1.1) load balancer written over raw NIO (Tollgate): it parses each request "
                + "strictly, refuses smuggling attempts, and balances requests over keep-alive backend connections."},
        footer = {"", "Examples:",
            "  lb-l7 --listen 127.0.0.1:8080 --backend 127.0.0.1:9001 --backend 127.0.0.1:9002,weight=3",
            "  lb-l7 --listen 127.0.0.1:8443 --tls-cert cert.pem --tls-key key.pem --backend 127.0.0.1:9001"})
public final class Main implements Callable<Integer> {

    @Option(names = "--listen", paramLabel = "HOST:PORT", required = true, description = "Address to accept clients on.")
    String listen;

    @Option(names = "--backend", paramLabel = "HOST:PORT[,weight=N]", required = true,
            description = "A backend; repeat for each (weight 1 to 1000, default 1).")
    List<String> backends = new ArrayList<>();

    @Option(names = "--algorithm", paramLabel = "NAME",
            description = "round-robin, weighted-round-robin, least-connections, ip-hash or two-choices (default: ${DEFAULT-VALUE}).")
    String algorithm = "weighted-round-robin";

    @Option(names = "--tls-cert", paramLabel = "PEM", description = "Certificate chain: terminate TLS (with --tls-key).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "Private key of --tls-cert.")
    Path tlsKey;

    @Option(names = "--access-log", paramLabel = "FILE",
            description = "Append one line per request (combined log format + pool/backend, upstream, Tq/Tc/Tr/Tt, termination state) to FILE; '-' for standard output.")
    Path accessLog;

    @Option(names = "--explain", description = "Print, for each request, the routes tried, the pool, the candidates and why the backend was chosen.")
    boolean explain;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ProxyConfig config;
        try {
            config = config();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        L7Proxy proxy = L7Proxy.start(config);
        System.out.println("lb-l7 listening on " + proxy.localAddress() + (config.tls() != null ? " (TLS)" : "")
                + ", " + algorithm + " over " + config.pools().get("default").backends());
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            proxy.close();
            stop.countDown();
        }));
        stop.await();
        return 0;
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
            b.tls(TlsConfig.builder().certificate(CertifiedKey.load(tlsCert, tlsKey)).alpnProtocols(List.of("http/1.1")).build());
        }
        if (accessLog != null) {
            b.accessLog(accessLog.toString().equals("-") ? System.out::println : AccessLog.file(accessLog));
        }
        if (explain) {
            b.explain(System.out::println);
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

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }
}
