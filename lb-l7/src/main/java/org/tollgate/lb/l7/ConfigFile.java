package org.tollgate.lb.l7;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.l4.HealthConfig;
import org.tollgate.lb.l7.YamlSubset.Entry;
import org.tollgate.lb.l7.YamlSubset.Mapping;
import org.tollgate.lb.l7.YamlSubset.Node;
import org.tollgate.lb.l7.YamlSubset.Scalar;
import org.tollgate.lb.l7.YamlSubset.Sequence;
import org.tollgate.lb.l7.http.HttpLimits;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.SessionCache;
import org.tollgate.tls.TicketKeys;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.cert.CertificateVerifier;
import org.tollgate.tls.cert.CertifiedKey;

/**
 * lb-l7's config file: a small subset of YAML (see {@code YamlSubset}) with one schema,
 * documented with a full example in lb-l7's README. Reading it checks everything (keys,
 * addresses, algorithms, certificate files, routes naming pools) and every error names the
 * file and line: {@code lb-l7.yml:12: unknown algorithm 'fastest'; known: round-robin, ...}.
 *
 * <pre>{@code
 * ConfigFile.Settings s = ConfigFile.load(Path.of("lb-l7.yml"), null);
 * for (ProxyConfig listener : s.listeners()) { L7Proxy.start(listener); }
 * }</pre>
 *
 * <p>Each listener becomes one {@link ProxyConfig}; all listeners share the same pools and
 * routes (the same {@link Backend} objects, so their counters add up). Reading the file
 * again for a reload, give the settings in force as {@code previous}: a backend with the
 * same pool, name, address and weight keeps its {@code Backend} object, so its counters,
 * its state and its idle keep-alive connections carry over.
 */
public final class ConfigFile {

    /** A problem in the file, with its place ({@code file:line: message}). */
    public static final class ConfigException extends IllegalArgumentException {
        /** Serialization version. */
        private static final long serialVersionUID = 1L;
        /** The line of the problem, 1-based. */
        private final int line;

        ConfigException(String file, int line, String message) {
            super(file + ":" + line + ": " + message);
            this.line = line;
        }

        /**
         * The line the problem is on.
         *
         * @return the line number, 1-based
         */
        public int line() {
            return line;
        }
    }

    /**
     * What the file says.
     *
     * @param listeners one proxy configuration per listener, in file order
     * @param admin     the admin port's address, or null for none
     */
    public record Settings(List<ProxyConfig> listeners, InetSocketAddress admin) {
        /**
         * Copies the list.
         *
         * @param listeners one proxy configuration per listener, in file order
         * @param admin     the admin port's address, or null for none
         */
        public Settings {
            listeners = List.copyOf(listeners);
        }
    }

    private static final Set<String> TOP = Set.of("listeners", "pools", "routes", "limits", "timeouts", "admin",
            "trusted-proxies", "event-loops", "access-log", "filters");

    /** Ticket keys made here rather than read from a file (weakly held: they go with their listeners). */
    private static final Set<TicketKeys> GENERATED_TICKET_KEYS =
            java.util.Collections.synchronizedSet(java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>()));

    private final String file;
    private final Path dir;
    private final Map<String, Backend> previousBackends = new HashMap<>();
    private final Map<InetSocketAddress, TicketKeys> previousTicketKeys = new HashMap<>();

    private ConfigFile(String file, Path dir, Settings previous) {
        this.file = file;
        this.dir = dir;
        if (previous != null) {
            for (ProxyConfig c : previous.listeners()) {
                if (c.tls() != null && c.tls().ticketKeys() != null && GENERATED_TICKET_KEYS.contains(c.tls().ticketKeys())) {
                    previousTicketKeys.put(c.listen(), c.tls().ticketKeys());
                }
                for (BackendPool p : c.pools().values()) {
                    for (Backend b : p.backends()) {
                        previousBackends.put(backendKey(p.name(), b.name(), b.address(), b.weight()), b);
                    }
                }
            }
        }
    }

    /**
     * Reads and checks {@code file}; relative certificate paths are taken from the file's
     * directory.
     *
     * @param file     the config file
     * @param previous the settings in force (for a reload), or null
     * @return what the file says
     * @throws ConfigException naming the line of the first problem
     * @throws IOException     if the file cannot be read
     */
    public static Settings load(Path file, Settings previous) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        Path dir = file.toAbsolutePath().getParent();
        return parse(file.getFileName().toString(), dir, text, previous);
    }

    /**
     * As {@link #load}, from text.
     *
     * @param name     the file name used in error messages
     * @param dir      where relative file names are read from (null: the working directory)
     * @param text     the file's content
     * @param previous the settings in force (for a reload), or null
     * @return what the text says
     * @throws ConfigException naming the line of the first problem
     */
    public static Settings parse(String name, Path dir, String text, Settings previous) {
        ConfigFile c = new ConfigFile(name, dir, previous);
        Node root;
        try {
            root = YamlSubset.parse(text);
        } catch (YamlSubset.SyntaxError e) {
            throw new ConfigException(name, e.line, e.getMessage());
        }
        return c.settings(root);
    }

    // ------------------------------------------------------------------ the schema

    private Settings settings(Node rootNode) {
        Mapping root = mapping(rootNode, "the file");
        known(root, TOP, "top-level setting");

        Entry poolsEntry = require(root, "pools");
        Map<String, BackendPool> pools = pools(mapping(poolsEntry.value(), "pools"));
        Entry routesEntry = require(root, "routes");
        List<Route> routes = routes(sequence(routesEntry.value(), "routes"), pools);

        Entry listenersEntry = require(root, "listeners");
        Sequence listenerList = sequence(listenersEntry.value(), "listeners");
        if (listenerList.items().isEmpty()) {
            throw error(listenersEntry.line(), "listeners is empty: give at least one '- listen: HOST:PORT'");
        }
        List<ProxyConfig> listeners = new ArrayList<>();
        Map<InetSocketAddress, Integer> seen = new HashMap<>();
        for (Node n : listenerList.items()) {
            Mapping l = mapping(n, "a listener");
            known(l, Set.of("listen", "tls"), "listener setting");
            Entry listenEntry = require(l, "listen");
            InetSocketAddress listen = address(listenEntry);
            Integer before = seen.putIfAbsent(listen, listenEntry.line());
            if (before != null && listen.getPort() != 0) {
                throw error(listenEntry.line(), "listen " + text(listenEntry) + " is already used on line " + before);
            }
            ProxyConfig.Builder b = ProxyConfig.builder(listen);
            Entry tls = l.entries().get("tls");
            if (tls != null) {
                b.tls(listenerTls(mapping(tls.value(), "tls"), listen));
            }
            common(root, b);
            pools.values().forEach(b::pool);
            routes.forEach(b::route);
            listeners.add(b.build());
        }

        InetSocketAddress admin = null;
        Entry adminEntry = root.entries().get("admin");
        if (adminEntry != null) {
            admin = address(adminEntry);
        }
        return new Settings(listeners, admin);
    }

    /** Limits, timeouts, trusted proxies, event loops: the same for every listener. */
    private void common(Mapping root, ProxyConfig.Builder b) {
        Entry limitsEntry = root.entries().get("limits");
        if (limitsEntry != null) {
            Mapping limits = mapping(limitsEntry.value(), "limits");
            known(limits, Set.of("max-request-line", "max-header-bytes", "max-header-count", "max-body",
                    "max-idle-per-backend", "retry-after", "rate-limit", "rate-burst", "max-connections-per-client",
                    "max-connections"), "limit");
            HttpLimits d = HttpLimits.REQUEST_DEFAULTS;
            int line = intValue(limits, "max-request-line", d.maxStartLine(), 16, 1 << 20);
            int headerBytes = intValue(limits, "max-header-bytes", d.maxHeaderBytes(), 64, 1 << 24);
            int headerCount = intValue(limits, "max-header-count", d.maxHeaderCount(), 1, 10_000);
            long body = d.maxBodyBytes();
            Entry bodyEntry = limits.entries().get("max-body");
            if (bodyEntry != null) {
                body = size(bodyEntry);
            }
            b.requestLimits(new HttpLimits(line, headerBytes, headerCount, body));
            b.maxIdlePerBackend(intValue(limits, "max-idle-per-backend", 32, 0, 10_000));
            b.maxConnections(intValue(limits, "max-connections", 10_000, 1, 1_000_000));
            Entry retry = limits.entries().get("retry-after");
            if (retry != null) {
                b.retryAfterSeconds((int) Math.max(1, duration(retry).toSeconds()));
            }
        }
        b.traffic(traffic(root));
        Entry log = root.entries().get("access-log");
        if (log != null) {
            String target = text(log);
            try {
                b.accessLog(target.equals("-") ? System.out::println : AccessLog.file(path(log)));
            } catch (IOException e) {
                throw error(log.line(), "cannot open access log " + target + ": " + e.getMessage());
            }
        }
        Entry timeoutsEntry = root.entries().get("timeouts");
        if (timeoutsEntry != null) {
            Mapping t = mapping(timeoutsEntry.value(), "timeouts");
            known(t, Set.of("header", "keep-alive", "backend", "connect", "backend-idle"), "timeout");
            ifPresent(t, "header", e -> b.headerTimeout(duration(e)));
            ifPresent(t, "keep-alive", e -> b.keepAliveTimeout(duration(e)));
            ifPresent(t, "backend", e -> b.backendTimeout(duration(e)));
            ifPresent(t, "connect", e -> b.connectTimeout(duration(e)));
            ifPresent(t, "backend-idle", e -> b.backendIdleTimeout(duration(e)));
        }
        Entry trusted = root.entries().get("trusted-proxies");
        if (trusted != null) {
            for (Node n : sequence(trusted.value(), "trusted-proxies").items()) {
                String ip = scalar(n, "an IP address").text();
                if (!ip.matches("[0-9a-fA-F:.]+")) {
                    throw error(n.line(), "'" + ip + "' is not an IP address literal");
                }
                try {
                    b.trustedProxy(InetAddress.getByName(ip));
                } catch (UnknownHostException e) {
                    throw error(n.line(), "'" + ip + "' is not an IP address: " + e.getMessage());
                }
            }
        }
        Entry loops = root.entries().get("event-loops");
        if (loops != null) {
            b.eventLoops(intValue(root, "event-loops", 1, 1, 256));
        }
    }

    /** Filters and per-client limits: refusals with 403, 405, 429 and 503 (see {@link TrafficPolicy}). */
    private TrafficPolicy traffic(Mapping root) {
        TrafficPolicy.Builder t = TrafficPolicy.builder();
        Entry filtersEntry = root.entries().get("filters");
        if (filtersEntry != null) {
            Mapping f = mapping(filtersEntry.value(), "filters");
            known(f, Set.of("allow", "deny", "methods", "deny-paths"), "filter");
            for (String key : List.of("allow", "deny")) {
                Entry e = f.entries().get(key);
                if (e == null) {
                    continue;
                }
                for (Node n : sequence(e.value(), key).items()) {
                    try {
                        Cidr c = Cidr.parse(scalar(n, "a CIDR block").text());
                        if (key.equals("allow")) {
                            t.allow(c);
                        } else {
                            t.deny(c);
                        }
                    } catch (IllegalArgumentException ex) {
                        throw error(n.line(), key + ": " + ex.getMessage());
                    }
                }
            }
            Entry methods = f.entries().get("methods");
            if (methods != null) {
                for (Node n : sequence(methods.value(), "methods").items()) {
                    try {
                        t.allowMethod(scalar(n, "a method").text());
                    } catch (IllegalArgumentException ex) {
                        throw error(n.line(), "methods: " + ex.getMessage());
                    }
                }
            }
            Entry paths = f.entries().get("deny-paths");
            if (paths != null) {
                for (Node n : sequence(paths.value(), "deny-paths").items()) {
                    try {
                        t.denyPath(scalar(n, "a path pattern").text());
                    } catch (IllegalArgumentException ex) {
                        throw error(n.line(), "deny-paths: " + ex.getMessage());
                    }
                }
            }
        }
        Entry limitsEntry = root.entries().get("limits");
        if (limitsEntry != null) {
            Mapping limits = mapping(limitsEntry.value(), "limits");
            Entry rate = limits.entries().get("rate-limit");
            if (rate != null) {
                int perSecond = intValue(limits, "rate-limit", 1, 1, 1_000_000);
                int burst = intValue(limits, "rate-burst", perSecond, 1, 10_000_000);
                t.rateLimit(new TrafficPolicy.RateLimit(perSecond, burst));
            } else if (limits.entries().containsKey("rate-burst")) {
                throw error(limits.entries().get("rate-burst").line(), "rate-burst goes with rate-limit");
            }
            if (limits.entries().containsKey("max-connections-per-client")) {
                t.maxConnectionsPerClient(intValue(limits, "max-connections-per-client", 0, 1, 1_000_000));
            }
        }
        return t.build();
    }

    /** Active HTTP checks (with an interval) and passive ejection, as lb-l4's HealthConfig times them. */
    private HealthCheck healthCheck(Mapping m) {
        known(m, Set.of("path", "status", "interval", "timeout", "rise", "fall", "eject-after", "cooldown"), "health-check setting");
        HealthConfig.Builder h = HealthConfig.builder();
        ifPresent(m, "interval", e -> h.interval(duration(e)));
        ifPresent(m, "timeout", e -> h.timeout(duration(e)));
        ifPresent(m, "cooldown", e -> h.cooldown(duration(e)));
        if (m.entries().containsKey("rise")) {
            h.rise(intValue(m, "rise", 2, 1, 100));
        }
        if (m.entries().containsKey("fall")) {
            h.fall(intValue(m, "fall", 3, 1, 100));
        }
        if (m.entries().containsKey("eject-after")) {
            h.ejectAfter(intValue(m, "eject-after", 3, 0, 100));
        }
        try {
            String path = optionalText(m, "path");
            return new HealthCheck(path == null ? "/" : path, intValue(m, "status", 200, 100, 599), h.build());
        } catch (IllegalArgumentException e) {
            throw error(m.line(), "health-check: " + e.getMessage());
        }
    }

    private Map<String, BackendPool> pools(Mapping m) {
        if (m.entries().isEmpty()) {
            throw error(m.line(), "pools is empty: define at least one pool");
        }
        Map<String, BackendPool> pools = new LinkedHashMap<>();
        for (Entry e : m.entries().values()) {
            Mapping p = mapping(e.value(), "pool '" + e.key() + "'");
            known(p, Set.of("algorithm", "backends", "tls", "health-check", "sticky-cookie"), "pool setting");
            Algorithm algorithm = Algorithm.ROUND_ROBIN;
            Entry a = p.entries().get("algorithm");
            if (a != null) {
                try {
                    algorithm = Algorithm.parse(text(a));
                } catch (IllegalArgumentException ex) {
                    throw error(a.line(), ex.getMessage());
                }
            }
            Entry backendsEntry = require(p, "backends");
            Sequence list = sequence(backendsEntry.value(), "backends");
            if (list.items().isEmpty()) {
                throw error(backendsEntry.line(), "pool '" + e.key() + "' has no backends");
            }
            List<Backend> backends = new ArrayList<>();
            Map<String, Integer> names = new HashMap<>();
            for (Node n : list.items()) {
                Backend b = backend(e.key(), n);
                Integer first = names.putIfAbsent(b.name(), n.line());
                if (first != null) {
                    throw error(n.line(), "pool '" + e.key() + "' has two backends named " + b.name() + " (first on line " + first + ")");
                }
                backends.add(b);
            }
            BackendPool.Builder pool = BackendPool.builder(e.key(), algorithm, backends);
            Entry tls = p.entries().get("tls");
            if (tls != null) {
                backendTls(pool, mapping(tls.value(), "tls"));
            }
            Entry sticky = p.entries().get("sticky-cookie");
            if (sticky != null) {
                try {
                    pool.stickyCookie(StickyCookie.of(text(sticky)));
                } catch (IllegalArgumentException ex) {
                    throw error(sticky.line(), "sticky-cookie: " + ex.getMessage());
                }
            }
            Entry health = p.entries().get("health-check");
            if (health != null) {
                // with tls, the active checks speak HTTPS with the pool's settings (HttpHealthProbe)
                pool.healthCheck(healthCheck(mapping(health.value(), "health-check")));
            }
            pools.put(e.key(), pool.build());
        }
        return pools;
    }

    private Backend backend(String pool, Node n) {
        String name = null;
        int weight = 1;
        Entry addressEntry;
        if (n instanceof Scalar s) {
            addressEntry = new Entry(s.line(), "address", s);
        } else {
            Mapping m = mapping(n, "a backend ('HOST:PORT' or a mapping with address, weight, name)");
            known(m, Set.of("address", "weight", "name"), "backend setting");
            addressEntry = require(m, "address");
            weight = intValue(m, "weight", 1, 1, Backend.MAX_WEIGHT);
            Entry nameEntry = m.entries().get("name");
            if (nameEntry != null) {
                name = text(nameEntry);
                if (!name.matches("[A-Za-z0-9_.:-]+")) {
                    throw error(nameEntry.line(), "backend name '" + name + "' may use letters, digits and '-_.:' only");
                }
            }
        }
        InetSocketAddress address = address(addressEntry);
        if (name == null) {
            name = text(addressEntry);
        }
        Backend reused = previousBackends.get(backendKey(pool, name, address, weight));
        return reused != null ? reused : new Backend(name, address, weight);
    }

    private List<Route> routes(Sequence list, Map<String, BackendPool> pools) {
        if (list.items().isEmpty()) {
            throw error(list.line(), "routes is empty: add at least '- pool: NAME'");
        }
        List<Route> routes = new ArrayList<>();
        for (Node n : list.items()) {
            Mapping m = mapping(n, "a route");
            known(m, Set.of("host", "path", "method", "header", "cookie", "pool"), "route condition");
            Entry poolEntry = require(m, "pool");
            String pool = text(poolEntry);
            if (!pools.containsKey(pool)) {
                throw error(poolEntry.line(), "route names pool '" + pool + "', which is not defined (pools: "
                        + String.join(", ", pools.keySet()) + ")");
            }
            String path = optionalText(m, "path");
            if (path != null && !path.startsWith("/")) {
                throw error(m.entries().get("path").line(), "path prefix must start with '/': " + path);
            }
            String method = optionalText(m, "method");
            if (method != null && !method.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
                throw error(m.entries().get("method").line(), "'" + method + "' is not a method token (RFC 9110 §9.1)");
            }
            try {
                routes.add(new Route(optionalText(m, "host"), path, method, optionalText(m, "header"), optionalText(m, "cookie"), pool));
            } catch (IllegalArgumentException e) {
                throw error(m.line(), e.getMessage());
            }
        }
        return routes;
    }

    /**
     * Without a key file, tickets are sealed with random keys kept in memory (resumption on
     * this process only); a reload keeps the listener's keys, so its tickets stay valid.
     */
    private TicketKeys inMemoryTicketKeys(InetSocketAddress listen) {
        TicketKeys k = previousTicketKeys.get(listen);
        if (k == null) {
            k = TicketKeys.generate();
            GENERATED_TICKET_KEYS.add(k);
        }
        return k;
    }

    private TlsConfig listenerTls(Mapping m, InetSocketAddress listen) {
        known(m, Set.of("certificates", "versions", "alpn", "ticket-key-file"), "tls setting");
        TlsConfig.Builder b = TlsConfig.builder().alpnProtocols(List.of("http/1.1"));
        Entry ticketFile = m.entries().get("ticket-key-file");
        if (ticketFile != null) {
            // Instances reading one key file resume each other's sessions (RFC 8446 §4.6.1, RFC 5077).
            try {
                b.ticketKeys(TicketKeys.load(path(ticketFile)));
            } catch (IOException | RuntimeException e) {
                throw error(ticketFile.line(), "cannot read ticket key file " + text(ticketFile) + ": " + e.getMessage());
            }
        } else {
            b.ticketKeys(inMemoryTicketKeys(listen));
        }
        Entry certs = require(m, "certificates");
        Sequence list = sequence(certs.value(), "certificates");
        if (list.items().isEmpty()) {
            throw error(certs.line(), "certificates is empty: give at least one '- cert: FILE' with 'key: FILE'");
        }
        for (Node n : list.items()) {
            Mapping c = mapping(n, "a certificate (cert: FILE, key: FILE)");
            known(c, Set.of("cert", "key"), "certificate setting");
            Entry cert = require(c, "cert");
            Entry key = require(c, "key");
            try {
                b.certificate(CertifiedKey.load(path(cert), path(key)));
            } catch (IOException | RuntimeException e) {
                throw error(cert.line(), "cannot load certificate " + text(cert) + " with key " + text(key) + ": " + e.getMessage());
            }
        }
        versions(m, b);
        Entry alpn = m.entries().get("alpn");
        if (alpn != null) {
            List<String> protocols = new ArrayList<>();
            for (Node n : sequence(alpn.value(), "alpn").items()) {
                String p = scalar(n, "a protocol name").text();
                if (!p.equals("http/1.1")) {
                    throw error(n.line(), "ALPN protocol '" + p + "': lb-l7 speaks http/1.1 only");
                }
                protocols.add(p);
            }
            b.alpnProtocols(protocols);
        }
        return b.build();
    }

    private void backendTls(BackendPool.Builder pool, Mapping m) {
        known(m, Set.of("ca", "server-name", "versions"), "backend tls setting");
        Entry ca = require(m, "ca");
        TlsConfig.Builder b = TlsConfig.builder();
        try {
            b.verifier(CertificateVerifier.fromPemFile(path(ca)));
        } catch (IOException | RuntimeException e) {
            throw error(ca.line(), "cannot load CA file " + text(ca) + ": " + e.getMessage());
        }
        versions(m, b);
        // A client-side cache: new connections to a backend resume (TLS 1.3 tickets, TLS 1.2 sessions).
        b.sessionCache(SessionCache.create(256, Duration.ofHours(1)));
        pool.tls(b.alpnProtocols(List.of("http/1.1")).build(), optionalText(m, "server-name"));
    }

    private void versions(Mapping m, TlsConfig.Builder b) {
        Entry v = m.entries().get("versions");
        if (v == null) {
            return;
        }
        List<ProtocolVersion> versions = new ArrayList<>();
        for (Node n : sequence(v.value(), "versions").items()) {
            String s = scalar(n, "a TLS version").text();
            if (!s.equals("1.3") && !s.equals("1.2")) {
                throw error(n.line(), "TLS version '" + s + "': lb-l7 speaks 1.3 and 1.2 only");
            }
            versions.add(ProtocolVersion.parse(s));
        }
        if (versions.isEmpty()) {
            throw error(v.line(), "versions is empty");
        }
        b.versions(versions);
    }

    // ------------------------------------------------------------------ values

    private InetSocketAddress address(Entry e) {
        try {
            return Main.parseAddress(text(e));
        } catch (IllegalArgumentException ex) {
            throw error(e.value().line(), e.key() + ": " + ex.getMessage());
        }
    }

    private Path path(Entry e) {
        Path p = Path.of(text(e));
        return p.isAbsolute() || dir == null ? p : dir.resolve(p);
    }

    /** {@code 250ms}, {@code 10s}, {@code 2m}. */
    private Duration duration(Entry e) {
        String s = text(e);
        Duration d = parseDuration(s);
        if (d == null) {
            throw error(e.value().line(), e.key() + ": '" + s + "' is not a positive duration (like 250ms, 10s, 2m)");
        }
        return d;
    }

    /** {@code 250ms}, {@code 10s}, {@code 2m} (the command line's durations too); null if {@code s} is not one. */
    static Duration parseDuration(String s) {
        java.util.regex.Matcher mt = java.util.regex.Pattern.compile("(\\d{1,9})(ms|s|m)").matcher(s);
        if (!mt.matches() || Long.parseLong(mt.group(1)) == 0) {
            return null;
        }
        long n = Long.parseLong(mt.group(1));
        return switch (mt.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            default -> Duration.ofMinutes(n);
        };
    }

    /** {@code 1048576}, {@code 64KiB}, {@code 10MiB}, {@code 1GiB}. */
    private long size(Entry e) {
        String s = text(e);
        java.util.regex.Matcher mt = java.util.regex.Pattern.compile("(\\d{1,12})(KiB|MiB|GiB)?").matcher(s);
        if (!mt.matches()) {
            throw error(e.value().line(), e.key() + ": '" + s + "' is not a size (like 65536, 64KiB, 10MiB)");
        }
        long n = Long.parseLong(mt.group(1));
        String unit = mt.group(2) == null ? "" : mt.group(2);
        return switch (unit) {
            case "KiB" -> n << 10;
            case "MiB" -> n << 20;
            case "GiB" -> n << 30;
            default -> n;
        };
    }

    private int intValue(Mapping m, String key, int dflt, int min, int max) {
        Entry e = m.entries().get(key);
        if (e == null) {
            return dflt;
        }
        String s = text(e);
        int n;
        try {
            n = Integer.parseInt(s);
        } catch (NumberFormatException ex) {
            throw error(e.value().line(), key + " must be a whole number, not '" + s + "'");
        }
        if (n < min || n > max) {
            throw error(e.value().line(), key + " must be between " + min + " and " + max + ", not " + n);
        }
        return n;
    }

    private String text(Entry e) {
        String s = scalar(e.value(), e.key()).text();
        if (s.isEmpty()) {
            throw error(e.line(), e.key() + " needs a value");
        }
        return s;
    }

    private String optionalText(Mapping m, String key) {
        Entry e = m.entries().get(key);
        return e == null ? null : text(e);
    }

    private Scalar scalar(Node n, String what) {
        if (n instanceof Scalar s) {
            return s;
        }
        throw error(n.line(), what + " must be a single value, not a " + (n instanceof Mapping ? "mapping" : "list"));
    }

    private Mapping mapping(Node n, String what) {
        if (n instanceof Mapping m) {
            return m;
        }
        throw error(n.line(), what + " must be a mapping of 'key: value' lines");
    }

    private Sequence sequence(Node n, String what) {
        if (n instanceof Sequence s) {
            return s;
        }
        if (n instanceof Scalar s && s.text().isEmpty()) {
            return new Sequence(n.line(), List.of());
        }
        throw error(n.line(), what + " must be a list ('- item' lines or [a, b])");
    }

    private Entry require(Mapping m, String key) {
        Entry e = m.entries().get(key);
        if (e == null) {
            throw error(m.line(), "missing '" + key + "'");
        }
        return e;
    }

    private void known(Mapping m, Set<String> keys, String what) {
        for (Entry e : m.entries().values()) {
            if (!keys.contains(e.key())) {
                List<String> sorted = new ArrayList<>(keys);
                sorted.sort(null);
                throw error(e.line(), "unknown " + what + " '" + e.key() + "' (known: " + String.join(", ", sorted) + ")");
            }
        }
    }

    private void ifPresent(Mapping m, String key, java.util.function.Consumer<Entry> action) {
        Entry e = m.entries().get(key);
        if (e != null) {
            action.accept(e);
        }
    }

    private ConfigException error(int line, String message) {
        return new ConfigException(file, line, message);
    }

    private static String backendKey(String pool, String name, InetSocketAddress address, int weight) {
        return pool + "\u0000" + name + "\u0000" + address + "\u0000" + weight;
    }

    static String describe(Settings s) {
        StringBuilder sb = new StringBuilder();
        for (ProxyConfig c : s.listeners()) {
            sb.append("listener ").append(c.listen()).append(c.tls() != null ? " (TLS)" : "").append('\n');
        }
        ProxyConfig first = s.listeners().get(0);
        for (Route r : first.routes()) {
            sb.append("  route ").append(r).append('\n');
        }
        for (BackendPool p : first.pools().values()) {
            sb.append("  pool ").append(p).append('\n');
        }
        return sb.toString();
    }
}
