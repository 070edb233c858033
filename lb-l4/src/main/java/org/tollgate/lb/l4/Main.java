package org.tollgate.lb.l4;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.balance.Balancer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lb-l4}: the TCP load balancer on the command line, and {@code lb-l4 demo}, which
 * shows how each algorithm spreads connections over a few local backends.
 */
@Command(name = "lb-l4", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        subcommands = Main.Demo.class,
        description = {"An L4 (TCP and UDP) load balancer written over raw NIO (Tollgate): it picks a backend per connection or UDP flow "
                + "and copies bytes both ways without looking at them."},
        footer = {"", "Examples:",
            "  lb-l4 --listen 127.0.0.1:8080 --backend 127.0.0.1:9001 --backend 127.0.0.1:9002,weight=3 "
                    + "--algorithm weighted-round-robin",
            "  lb-l4 --listen 127.0.0.1:8443 --sni-route a.example.com=127.0.0.1:9443 --sni-route '*.example.net=127.0.0.1:9444' "
                    + "--backend 127.0.0.1:9001 --health-interval 2s --admin 127.0.0.1:9900",
            "  lb-l4 --listen 127.0.0.1:5353 --udp --backend 127.0.0.1:5301 --backend 127.0.0.1:5302",
            "  lb-l4 --config lb-l4.conf",
            "  lb-l4 demo"})
public final class Main implements Callable<Integer> {

    /** A command with every option at its default, for picocli to fill in. */
    public Main() {
    }

    @Option(names = "--listen", paramLabel = "HOST:PORT", converter = AddressConverter.class,
            description = "Address to accept clients on.")
    InetSocketAddress listen;

    @Option(names = "--backend", paramLabel = "HOST:PORT[,weight=N]",
            description = "A backend; repeat for each (weight 1 to 1000, default 1).")
    List<String> backends = new ArrayList<>();

    @Option(names = "--algorithm", paramLabel = "NAME", converter = AlgorithmConverter.class,
            description = "round-robin, weighted-round-robin, least-connections, ip-hash or two-choices (default: ${DEFAULT-VALUE}).")
    Algorithm algorithm = Algorithm.WEIGHTED_ROUND_ROBIN;

    @Option(names = "--connect-timeout", paramLabel = "MILLIS", description = "Backend connect timeout (default: ${DEFAULT-VALUE}).")
    long connectTimeoutMillis = 3000;

    @Option(names = "--idle-timeout", paramLabel = "SECONDS", description = "Close connections idle this long (default: ${DEFAULT-VALUE}).")
    long idleTimeoutSeconds = 60;

    @Option(names = "--max-connections", paramLabel = "N", description = "Stop accepting beyond this many (default: ${DEFAULT-VALUE}).")
    int maxConnections = 10_000;

    @Option(names = "--event-loops", paramLabel = "N",
            description = "Selector threads for TCP (default: one per core, ${DEFAULT-VALUE} here).")
    int eventLoops = Runtime.getRuntime().availableProcessors();

    @Option(names = "--buffer-size", paramLabel = "BYTES",
            description = "Most bytes held per connection and direction; directions start with 16 KiB buffers "
                    + "and take this size under bulk traffic (default: ${DEFAULT-VALUE}).")
    int bufferSize = 64 * 1024;

    @Option(names = "--health-interval", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Active TCP health checks this often, e.g. 2s or 500ms (default: none).")
    Duration healthInterval;

    @Option(names = "--health-rise", paramLabel = "N", description = "Good checks in a row that bring a backend UP (default: ${DEFAULT-VALUE}).")
    int healthRise = 2;

    @Option(names = "--health-fall", paramLabel = "N", description = "Failed checks in a row that take a backend DOWN (default: ${DEFAULT-VALUE}).")
    int healthFall = 3;

    @Option(names = "--eject-after", paramLabel = "N",
            description = "Eject a backend after N client connects in a row failed; 0: never (default: ${DEFAULT-VALUE}).")
    int ejectAfter = 3;

    @Option(names = "--eject-cooldown", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Without health checks, an ejected backend returns after this (default: 10s).")
    Duration ejectCooldown = Duration.ofSeconds(10);

    @Option(names = "--udp", description = "Forward UDP datagrams (per-client flows) on --listen instead of TCP.")
    boolean udp;

    @Option(names = "--udp-idle-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "A UDP flow idle this long ends (default: 30s).")
    Duration udpIdleTimeout = Duration.ofSeconds(30);

    @Option(names = "--proxy-protocol", paramLabel = "v1|v2", converter = ProxyProtocolConverter.class,
            description = "Send a PROXY protocol header to backends so they see the client's address (TCP).")
    ProxyProtocol proxyProtocol;

    @Option(names = "--sni-route", paramLabel = "NAME=HOST:PORT[,weight=N][,HOST:PORT...]",
            description = "Send TLS connections for server name NAME (or *.domain) to these backends; repeat for each name. "
                    + "Other names, and TLS without a name, go to the --backend pool.")
    List<String> sniRoutes = new ArrayList<>();

    @Option(names = "--sni-fallback", paramLabel = "default|close", converter = FallbackConverter.class,
            description = "With --sni-route: what to do when the first bytes are not a usable ClientHello (default: default).")
    SniRoutes.Fallback sniFallback = SniRoutes.Fallback.DEFAULT_POOL;

    @Option(names = "--admin", paramLabel = "HOST:PORT", converter = AddressConverter.class,
            description = "Serve stats on this address: JSON at /stats, Prometheus text at /metrics (no authentication: use loopback).")
    InetSocketAddress admin;

    @Option(names = "--explain", description = "Print, for each connection, the algorithm, the candidates and why the backend was chosen.")
    boolean explain;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Read settings from FILE: one 'key = value' a line, keys being these long options without '--'; "
                    + "the command line overrides it.")
    Path config;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Running running;
        try {
            running = start(System.out);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        System.out.println(running.describe());
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running.close();
            stop.countDown();
        }));
        stop.await();
        return 0;
    }

    /** What {@link #start} started: a TCP or a UDP forwarder, and the admin server if asked for. */
    static final class Running implements AutoCloseable {
        final TcpForwarder tcp;
        final UdpForwarder udp;
        final AdminServer admin;
        final String what;

        Running(TcpForwarder tcp, UdpForwarder udp, AdminServer admin, String what) {
            this.tcp = tcp;
            this.udp = udp;
            this.admin = admin;
            this.what = what;
        }

        String describe() {
            return what;
        }

        @Override
        public void close() {
            if (admin != null) {
                admin.close();
            }
            if (tcp != null) {
                tcp.shutdown(Duration.ofSeconds(10)); // graceful: open connections get 10 s to finish
            }
            if (udp != null) {
                udp.close();
            }
        }
    }

    /** Builds everything from the options and starts it; {@code explainOut} receives --explain lines. */
    Running start(PrintStream explainOut) throws IOException {
        if (listen == null || (backends.isEmpty() && sniRoutes.isEmpty())) {
            throw new IllegalArgumentException("--listen and at least one --backend or --sni-route are needed (or: lb-l4 demo)");
        }
        Map<String, Backend> known = new LinkedHashMap<>();
        List<Backend> list = new ArrayList<>();
        for (String b : backends) {
            try {
                list.add(reuse(known, parseBackend(b)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--backend " + b + ": " + e.getMessage());
            }
        }
        Balancer balancer = algorithm.create(list);
        HealthConfig health = HealthConfig.builder().interval(healthInterval).rise(healthRise).fall(healthFall)
                .ejectAfter(ejectAfter).cooldown(ejectCooldown).build();
        AdminServer adminServer = null;
        if (udp) {
            if (!sniRoutes.isEmpty() || proxyProtocol != null) {
                throw new IllegalArgumentException("--sni-route and --proxy-protocol are for TCP, not --udp");
            }
            UdpForwarder u = UdpForwarder.start(UdpConfig.builder(listen).flowIdleTimeout(udpIdleTimeout).build(), balancer);
            try {
                if (admin != null) {
                    adminServer = AdminServer.start(admin, balancer::backends);
                }
            } catch (IOException | RuntimeException e) {
                u.close();
                throw e;
            }
            return new Running(null, u, adminServer, "lb-l4 forwarding UDP on " + u.localAddress() + ", " + algorithm + " over " + list
                    + (adminServer != null ? "; stats on http://" + hostPort(adminServer.localAddress()) + "/stats and /metrics" : ""));
        }
        ForwarderConfig.Builder config = ForwarderConfig.builder(listen)
                .connectTimeout(Duration.ofMillis(connectTimeoutMillis))
                .idleTimeout(Duration.ofSeconds(idleTimeoutSeconds))
                .maxConnections(maxConnections)
                .eventLoops(eventLoops)
                .bufferSize(bufferSize)
                .health(health)
                .proxyProtocol(proxyProtocol);
        if (!sniRoutes.isEmpty()) {
            SniRoutes.Builder routes = SniRoutes.builder().fallback(sniFallback);
            for (String r : sniRoutes) {
                try {
                    SniRoute route = parseSniRoute(r);
                    List<Backend> pool = new ArrayList<>();
                    for (Backend b : route.backends) {
                        pool.add(reuse(known, b));
                    }
                    routes.route(route.name, algorithm.create(pool));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--sni-route " + r + ": " + e.getMessage());
                }
            }
            config.sniRoutes(routes.build());
        }
        if (explain) {
            config.explain(explainOut::println);
        }
        TcpForwarder forwarder = TcpForwarder.start(config.build(), balancer);
        try {
            if (admin != null) {
                adminServer = AdminServer.start(admin, forwarder::allBackends);
            }
        } catch (IOException | RuntimeException e) {
            forwarder.close();
            throw e;
        }
        return new Running(forwarder, null, adminServer, "lb-l4 listening on " + forwarder.localAddress() + ", " + algorithm
                + " over " + list + (sniRoutes.isEmpty() ? "" : ", SNI routes " + sniRoutes)
                + (healthInterval != null ? ", health checks every " + healthInterval.toMillis() + " ms" : "")
                + (proxyProtocol != null ? ", PROXY protocol " + proxyProtocol : "")
                + (adminServer != null ? "; stats on http://" + hostPort(adminServer.localAddress()) + "/stats and /metrics" : ""));
    }

    private static String hostPort(InetSocketAddress a) {
        String h = a.getAddress().getHostAddress();
        return (h.contains(":") ? "[" + h + "]" : h) + ":" + a.getPort();
    }

    /** The same HOST:PORT named twice (in the default pool and a route) is one backend, with one weight. */
    private static Backend reuse(Map<String, Backend> known, Backend b) {
        Backend seen = known.putIfAbsent(b.name(), b);
        if (seen == null) {
            return b;
        }
        if (seen.weight() != b.weight()) {
            throw new IllegalArgumentException(b.name() + " is given weights " + seen.weight() + " and " + b.weight());
        }
        return seen;
    }

    /** One --sni-route value: a name pattern and its backends. */
    static final class SniRoute {
        final String name;
        final List<Backend> backends;

        SniRoute(String name, List<Backend> backends) {
            this.name = name;
            this.backends = backends;
        }
    }

    /** {@code NAME=HOST:PORT[,weight=N][,HOST:PORT[,weight=N]]...}. */
    static SniRoute parseSniRoute(String spec) {
        int eq = spec.indexOf('=');
        if (eq <= 0 || eq == spec.length() - 1) {
            throw new IllegalArgumentException("expected NAME=HOST:PORT[,HOST:PORT...], not '" + spec + "'");
        }
        String name = spec.substring(0, eq).trim();
        SniRoutes.builder().route(name, new org.tollgate.lb.balance.RoundRobin(List.of())); // checks the pattern
        List<Backend> backends = new ArrayList<>();
        StringBuilder current = null;
        for (String part : spec.substring(eq + 1).split(",")) {
            String p = part.trim();
            if (p.startsWith("weight=")) {
                if (current == null) {
                    throw new IllegalArgumentException("weight= before any HOST:PORT in '" + spec + "'");
                }
                current.append(',').append(p);
            } else {
                if (current != null) {
                    backends.add(parseBackend(current.toString()));
                }
                current = new StringBuilder(p);
            }
        }
        backends.add(parseBackend(current.toString()));
        return new SniRoute(name, backends);
    }

    /** Checks one setting's value the way the command line would read it (for {@link ConfigFile}). */
    static void checkSetting(String key, String value) {
        try {
            new CommandLine(new Main()).parseArgs("--" + key, value);
        } catch (CommandLine.ParameterException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        if (key.equals("backend")) {
            parseBackend(value);
        } else if (key.equals("sni-route")) {
            parseSniRoute(value);
        }
    }

    /** {@code HOST:PORT[,weight=N]}; the backend is named after HOST:PORT. */
    static Backend parseBackend(String spec) {
        String[] parts = spec.split(",");
        InetSocketAddress address = parseAddress(parts[0]);
        int weight = 1;
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].trim();
            if (!p.startsWith("weight=")) {
                throw new IllegalArgumentException("unknown backend option '" + p + "' in " + spec + " (known: weight=N)");
            }
            try {
                weight = Integer.parseInt(p.substring("weight=".length()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("weight must be a number in " + spec);
            }
        }
        return new Backend(parts[0].trim(), address, weight);
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

    static final class AddressConverter implements CommandLine.ITypeConverter<InetSocketAddress> {
        @Override
        public InetSocketAddress convert(String value) {
            return parseAddress(value);
        }
    }

    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            Duration d = Durations.parse(value);
            if (d.isZero()) {
                throw new IllegalArgumentException("must be more than 0");
            }
            return d;
        }
    }

    static final class ProxyProtocolConverter implements CommandLine.ITypeConverter<ProxyProtocol> {
        @Override
        public ProxyProtocol convert(String value) {
            return ProxyProtocol.parse(value);
        }
    }

    static final class FallbackConverter implements CommandLine.ITypeConverter<SniRoutes.Fallback> {
        @Override
        public SniRoutes.Fallback convert(String value) {
            switch (value.trim()) {
                case "default":
                    return SniRoutes.Fallback.DEFAULT_POOL;
                case "close":
                    return SniRoutes.Fallback.CLOSE;
                default:
                    throw new IllegalArgumentException("expected default or close, not '" + value + "'");
            }
        }
    }

    static final class AlgorithmConverter implements CommandLine.ITypeConverter<Algorithm> {
        @Override
        public Algorithm convert(String value) {
            return Algorithm.parse(value);
        }
    }

    /** {@code lb-l4 demo}: three local backends, every algorithm, the distribution each gives. */
    @Command(name = "demo", mixinStandardHelpOptions = true,
            description = "Start three local backends (weights 5, 1, 1) that say who they are, send connections "
                    + "through the balancer with each algorithm, and print who answered.")
    static final class Demo implements Callable<Integer> {
        @Option(names = "--connections", paramLabel = "N", description = "Connections per algorithm (default: ${DEFAULT-VALUE}).")
        int connections = 14;

        @Override
        public Integer call() throws Exception {
            return run(System.out, connections);
        }

        static int run(PrintStream out, int connections) throws Exception {
            List<ServerSocket> servers = new ArrayList<>();
            try {
                String[] names = {"a", "b", "c"};
                int[] weights = {5, 1, 1};
                List<Backend> template = new ArrayList<>();
                for (int i = 0; i < names.length; i++) {
                    ServerSocket s = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
                    servers.add(s);
                    startWhoAmI(s, names[i]);
                    template.add(new Backend(names[i], new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort()), weights[i]));
                }
                out.println("Backends: a (weight 5), b (weight 1), c (weight 1). Each connection is held open;");
                out.println("clients come from 127.0.0.1 to 127.0.0.4 in turn. 'who answered' lists the backends in order.");
                out.println();
                for (Algorithm algorithm : Algorithm.values()) {
                    List<Backend> list = new ArrayList<>();
                    for (Backend b : template) {
                        list.add(new Backend(b.name(), b.address(), b.weight()));
                    }
                    ForwarderConfig config = ForwarderConfig.builder(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                            .eventLoops(1).build();
                    try (TcpForwarder f = TcpForwarder.start(config, algorithm.create(list, new Random(1)))) {
                        List<Socket> held = new ArrayList<>();
                        StringBuilder order = new StringBuilder();
                        Map<String, Integer> count = new LinkedHashMap<>();
                        for (String n : names) {
                            count.put(n, 0);
                        }
                        try {
                            for (int i = 0; i < connections; i++) {
                                Socket s = new Socket();
                                held.add(s);
                                bindClient(s, i % 4);
                                s.connect(f.localAddress(), 5000);
                                s.setSoTimeout(5000);
                                String who = readLine(s.getInputStream());
                                order.append(who);
                                count.merge(who, 1, Integer::sum);
                            }
                        } finally {
                            for (Socket s : held) {
                                s.close();
                            }
                        }
                        out.printf("%-21s %-22s %s%n", algorithm, order, count);
                    }
                }
                out.println();
                out.println("round-robin ignores weights; weighted-round-robin spreads a's five turns (nginx's smooth order);");
                out.println("least-connections balances open connections per unit of weight; ip-hash keeps each client");
                out.println("address on one backend (Maglev table); two-choices draws two and keeps the less loaded.");
                return 0;
            } finally {
                for (ServerSocket s : servers) {
                    s.close();
                }
            }
        }

        /** Binds to 127.0.0.(1 + k) where the system allows (Linux answers on all of 127/8). */
        private static void bindClient(Socket s, int k) {
            try {
                s.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) (1 + k)}), 0));
            } catch (IOException e) {
                // keep the default source address
            }
        }

        private static void startWhoAmI(ServerSocket server, String name) {
            Thread t = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        Thread c = new Thread(() -> {
                            try (s) {
                                OutputStream out = s.getOutputStream();
                                out.write((name + "\n").getBytes(StandardCharsets.US_ASCII));
                                out.flush();
                                s.getInputStream().transferTo(OutputStream.nullOutputStream());
                            } catch (IOException e) {
                                // client went away
                            }
                        });
                        c.setDaemon(true);
                        c.start();
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "demo-backend-" + name);
            t.setDaemon(true);
            t.start();
        }

        private static String readLine(InputStream in) throws IOException {
            StringBuilder sb = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                sb.append((char) c);
            }
            return sb.toString();
        }
    }

    /**
     * Runs the command line and exits with its status.
     * @param args the command-line arguments; {@code --help} lists them
     */
    public static void main(String[] args) {
        // The library logs each forwarder start at INFO; on the command line only warnings matter.
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
        System.exit(execute(args, new java.io.PrintWriter(System.err, true)));
    }

    /** Runs the command line; a --config file's settings go before the given arguments. */
    static int execute(String[] args, java.io.PrintWriter err) {
        CommandLine cli = commandLine();
        cli.setErr(err);
        List<String> all = new ArrayList<>();
        try {
            for (int i = 0; i < args.length; i++) {
                Path file = null;
                if (args[i].equals("--config") && i + 1 < args.length) {
                    file = Path.of(args[i + 1]);
                } else if (args[i].startsWith("--config=")) {
                    file = Path.of(args[i].substring("--config=".length()));
                }
                if (file != null) {
                    all.addAll(ConfigFile.toArguments(file, cli.getCommandSpec()));
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            err.println("lb-l4: " + (e instanceof IOException ? "cannot read the config file: " : "") + e.getMessage());
            return 2;
        }
        all.addAll(List.of(args));
        return cli.execute(all.toArray(new String[0]));
    }

    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setOverwrittenOptionsAllowed(true); // the command line overrides the config file
        return cli;
    }
}
