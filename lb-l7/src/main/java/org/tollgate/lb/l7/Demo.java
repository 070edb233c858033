package org.tollgate.lb.l7;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.balance.RoundRobin;
import org.tollgate.lb.l4.ForwarderConfig;
import org.tollgate.lb.l4.TcpForwarder;
import org.tollgate.lb.l7.http.HttpLimits;
import org.tollgate.lb.l7.http.HttpParser;
import org.tollgate.tls.SessionCache;
import org.tollgate.tls.TicketKeys;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.cert.CertificateVerifier;
import org.tollgate.tls.cert.DemoCertificates;
import org.tollgate.tls.client.TlsClient;
import org.tollgate.tls.client.TlsConnection;
import picocli.CommandLine.Command;

/**
 * {@code lb-l7 demo}: the scale-out picture on one machine. Three HTTP backends, two lb-l7
 * instances that terminate TLS with a demo CA's certificate, and an lb-l4 in front that
 * spreads TCP connections over them without decrypting. Tollgate's own TLS client then
 * sends requests through it all and the demo prints who answered: for each balancing
 * algorithm, for routes by path and cookie, and a TLS session resumed on the other
 * instance from a ticket sealed with the shared ticket key file. Everything runs in this process on loopback
 * and stops by itself.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Starts 3 backends, 2 TLS-terminating lb-l7 instances and an lb-l4 in front, drives traffic "
                + "with Tollgate's TLS client, prints what each balancing algorithm and route did, and stops.")
final class Demo implements Callable<Integer> {
    private static final String[] NAMES = {"a", "b", "c"};
    private static final int CONNECTIONS = 4;
    private static final int REQUESTS_PER_CONNECTION = 6;

    @Override
    public Integer call() throws Exception {
        run(System.out);
        return 0;
    }

    /** Runs the whole demo, printing to {@code out}. */
    static void run(PrintStream out) throws Exception {
        List<AutoCloseable> toClose = new ArrayList<>();
        ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "demo-backend");
            t.setDaemon(true);
            return t;
        });
        try {
            DemoCertificates.Pki pki = DemoCertificates.create(Clock.systemUTC());
            out.println("== lb-l7 demo: scale out with L4 in front of L7");
            out.println();

            // the backends
            Map<String, InetSocketAddress> backends = new LinkedHashMap<>();
            for (String name : NAMES) {
                HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
                s.createContext("/", ex -> {
                    byte[] body = name.getBytes(StandardCharsets.US_ASCII);
                    ex.getRequestBody().readAllBytes();
                    ex.getResponseHeaders().set("Content-Type", "text/plain");
                    ex.sendResponseHeaders(200, body.length);
                    try (OutputStream o = ex.getResponseBody()) {
                        o.write(body);
                    }
                });
                s.setExecutor(executor);
                s.start();
                toClose.add(() -> s.stop(0));
                backends.put(name, s.getAddress());
            }
            out.println("   backends     a " + hostPort(backends.get("a")) + ", b " + hostPort(backends.get("b"))
                    + ", c " + hostPort(backends.get("c")) + "  (plain HTTP; each answers its own name)");

            // two lb-l7 instances terminating TLS with the same certificate
            // two lb-l7 instances terminating TLS with the same certificate and one ticket key file
            Path keyDir = Files.createTempDirectory("lb-l7-demo");
            Path keyFile = keyDir.resolve("tickets.key");
            toClose.add(() -> {
                Files.deleteIfExists(keyFile);
                Files.deleteIfExists(keyDir);
            });
            TicketKeys.writeNewKeyFile(keyFile, new SecureRandom());
            List<L7Proxy> l7 = new ArrayList<>();
            List<TlsConfig> serverTls = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                // Each instance loads the file itself, as two processes on two machines would.
                TlsConfig tls = TlsConfig.builder().certificate(pki.localhostServer()).alpnProtocols(List.of("http/1.1"))
                        .ticketKeys(TicketKeys.load(keyFile)).build();
                L7Proxy p = L7Proxy.start(config(new InetSocketAddress("127.0.0.1", 0), tls, backends, Algorithm.ROUND_ROBIN, null));
                toClose.add(p);
                l7.add(p);
                serverTls.add(tls);
            }
            out.println("   lb-l7 #1     " + hostPort(l7.get(0).localAddress()) + "  lb-l7 #2 " + hostPort(l7.get(1).localAddress())
                    + "  (terminate TLS with a certificate for localhost from a fresh demo CA,");
            out.println("                seal session tickets with the key in one shared ticket key file)");

            // lb-l4 in front: round robin of connections over the L7 instances
            List<Backend> l7Backends = List.of(new Backend("lb-l7 #1", l7.get(0).localAddress()),
                    new Backend("lb-l7 #2", l7.get(1).localAddress()));
            TcpForwarder l4 = TcpForwarder.start(ForwarderConfig.builder(new InetSocketAddress("127.0.0.1", 0)).eventLoops(1).build(),
                    new RoundRobin(l7Backends));
            toClose.add(l4);
            InetSocketAddress front = l4.localAddress();
            out.println("   lb-l4        " + hostPort(front) + "  (round robin of TCP connections over the two lb-l7s; never decrypts)");
            out.println();
            out.println("   client --TLS--> lb-l4 --same bytes--> lb-l7 #1 or #2 --HTTP--> a, b or c");
            out.println("   The client is Tollgate's tls-client, trusting only the demo CA, asking for https://localhost:" + front.getPort() + "/");
            out.println();

            TlsConfig clientTls = TlsConfig.builder().verifier(CertificateVerifier.trusting(List.of(pki.ca())))
                    .alpnProtocols(List.of("http/1.1")).build();
            try (TlsConnection c = TlsClient.connect(front, "localhost", clientTls)) {
                request(c, "/hello", null);
                out.println("   first connection: " + c.summary().oneLine());
            }
            out.println();

            // 1. every algorithm
            out.println("== 1. L4 balances connections, L7 balances requests");
            out.println("   Pool 'web' = a (weight 5), b (weight 1), c (weight 1). For each algorithm: " + CONNECTIONS
                    + " TLS connections through lb-l4,");
            out.println("   " + REQUESTS_PER_CONNECTION + " requests on each (keep-alive). lb-l4 chose the lb-l7 of each connection;"
                    + " that lb-l7 chose a backend for every request, on its own.");
            out.println();
            for (Algorithm algorithm : Algorithm.values()) {
                for (L7Proxy p : l7) {
                    p.reload(config(p.config().listen(), p.config().tls(), backends, algorithm, p.config()));
                }
                long[] before = {l7.get(0).stats().requests(), l7.get(1).stats().requests()};
                StringBuilder line = new StringBuilder();
                Map<String, Integer> totals = new LinkedHashMap<>();
                for (String n : NAMES) {
                    totals.put(n, 0);
                }
                for (int conn = 0; conn < CONNECTIONS; conn++) {
                    try (TlsConnection c = TlsClient.connect(front, "localhost", clientTls)) {
                        StringBuilder seq = new StringBuilder();
                        for (int r = 0; r < REQUESTS_PER_CONNECTION; r++) {
                            String who = request(c, "/", null);
                            seq.append(who);
                            totals.merge(who, 1, Integer::sum);
                        }
                        long[] now = {l7.get(0).stats().requests(), l7.get(1).stats().requests()};
                        String via = now[0] > before[0] ? "#1" : "#2";
                        before = now;
                        line.append(via).append(' ').append(seq).append("  ");
                    }
                }
                out.printf("   %-21s %s %s%n", algorithm.cliName(), line, totals);
            }
            out.println();
            out.println("   round-robin ignores weights; weighted-round-robin is nginx's smooth WRR (a a b a c a a per lb-l7).");
            out.println("   least-connections: one request at a time, so no backend is busier and ties go round (weights count under load).");
            out.println("   ip-hash: every request comes from 127.0.0.1, the address of lb-l4, so one backend takes all:");
            out.println("   behind an L4 proxy, an L7 that hashes addresses sees the proxy, not the client (PROXY protocol fixes that).");
            out.println("   Each lb-l7 keeps its own counters: two instances doing round robin each start at a.");
            out.println();

            // 2. routing
            out.println("== 2. Routes, first match wins: path /api/ -> pool api [c]; cookie channel=beta -> pool beta [b];"
                    + " anything else -> pool web [a b c]");
            for (L7Proxy p : l7) {
                p.reload(config(p.config().listen(), p.config().tls(), backends, Algorithm.ROUND_ROBIN, p.config()));
            }
            try (TlsConnection c = TlsClient.connect(front, "localhost", clientTls)) {
                out.printf("   %-44s -> %s%n", "GET /api/users", request(c, "/api/users", null));
                out.printf("   %-44s -> %s%n", "GET /home  Cookie: channel=beta", request(c, "/home", "channel=beta"));
                out.printf("   %-44s -> %s%n", "GET /api/users  Cookie: channel=beta", request(c, "/api/users", "channel=beta"));
                out.printf("   %-44s -> %s%n", "GET /home  Cookie: channel=stable", request(c, "/home", "channel=stable"));
                out.printf("   %-44s -> %s%n", "GET /home", request(c, "/home", null));
            }
            out.println("   (one kept-alive connection: the route is decided per request, so one connection reaches three pools)");
            out.println();

            // 3. resumption across instances
            out.println("== 3. A session resumed on the other lb-l7: both read the same ticket key file");
            TlsConfig resuming = clientTls.toBuilder().sessionCache(SessionCache.create(16, Duration.ofHours(1))).build();
            String[] vias = new String[3];
            for (int i = 1; i <= 2; i++) {
                long[] before = {l7.get(0).stats().accepted(), l7.get(1).stats().accepted()};
                try (TlsConnection c = TlsClient.connect(front, "localhost", resuming)) {
                    request(c, "/resume", null); // reading the response also reads the NewSessionTickets
                    String via = l7.get(0).stats().accepted() > before[0] ? "#1" : "#2";
                    vias[i] = via;
                    out.println("   connection " + i + " -> lb-l7 " + via + ": " + c.summary().oneLine()
                            + (i == 1 ? "  (" + c.ticketsReceived() + " tickets received)" : ""));
                }
            }
            out.println("   The ticket sealed by lb-l7 " + vias[1] + " was opened by lb-l7 " + vias[2] + ": the client skipped the certificate");
            out.println("   and its signature (a psk_dhe_ke handshake, RFC 8446 §2.2) although that lb-l7 had never seen this client.");
            out.println("   Both sealed with key " + serverTls.get(0).ticketKeys().currentKeyName().substring(0, 8)
                    + "... (name only; keep the file secret, rotate it on every machine at once).");
            out.println();

            // totals
            out.println("== Who did what");
            out.println("   lb-l4 accepted " + l4.acceptedConnections() + " connections; lb-l7 #1 served "
                    + l7.get(0).stats().requests() + " requests on " + l7.get(0).stats().accepted() + " connections, lb-l7 #2 "
                    + l7.get(1).stats().requests() + " on " + l7.get(1).stats().accepted() + ".");
            out.println("   The TLS work (handshakes, decryption) was all done by the lb-l7s: that is what L7 costs and L4 does not.");
            out.println();
            out.println("== done");
        } finally {
            for (int i = toClose.size() - 1; i >= 0; i--) {
                try {
                    toClose.get(i).close();
                } catch (Exception e) {
                    // stopping anyway
                }
            }
            executor.shutdownNow();
        }
    }

    /**
     * The L7 configuration of the demo: pools web (a, b, c with weights 5, 1, 1, balanced by
     * {@code algorithm}), api (c) and beta (b); routes /api/ to api, cookie channel=beta to beta,
     * the rest to web. Backends of {@code previous} are kept, so counters survive the reload.
     */
    static ProxyConfig config(InetSocketAddress listen, TlsConfig tls, Map<String, InetSocketAddress> backends,
                              Algorithm algorithm, ProxyConfig previous) {
        Map<String, Backend> named = new LinkedHashMap<>();
        if (previous != null) {
            for (BackendPool pool : previous.pools().values()) {
                for (Backend b : pool.backends()) {
                    named.putIfAbsent(pool.name() + "/" + b.name(), b);
                }
            }
        }
        int[] weights = {5, 1, 1};
        List<Backend> web = new ArrayList<>();
        for (int i = 0; i < NAMES.length; i++) {
            Backend old = named.get("web/" + NAMES[i]);
            web.add(old != null ? old : new Backend(NAMES[i], backends.get(NAMES[i]), weights[i]));
        }
        Backend api = named.getOrDefault("api/c", new Backend("c", backends.get("c")));
        Backend beta = named.getOrDefault("beta/b", new Backend("b", backends.get("b")));
        return ProxyConfig.builder(listen).tls(tls).eventLoops(1)
                .pool(BackendPool.of("web", algorithm, web))
                .pool(BackendPool.of("api", Algorithm.ROUND_ROBIN, List.of(api)))
                .pool(BackendPool.of("beta", Algorithm.ROUND_ROBIN, List.of(beta)))
                .route(new Route(null, "/api/", null, null, null, "api"))
                .route(new Route(null, null, null, null, "channel=beta", "beta"))
                .route(Route.all("web"))
                .build();
    }

    /** One GET on a kept-alive TLS connection; the backend's name from the body. */
    static String request(TlsConnection c, String path, String cookie) throws IOException {
        String head = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n" + (cookie != null ? "Cookie: " + cookie + "\r\n" : "") + "\r\n";
        OutputStream o = c.outputStream();
        o.write(head.getBytes(StandardCharsets.US_ASCII));
        o.flush();
        return readBody(c.inputStream());
    }

    /** Reads one response with lb-l7's own strict parser and returns its body as text (a non-200 is an error). */
    static String readBody(InputStream in) throws IOException {
        HttpParser parser = HttpParser.forResponses(HttpLimits.RESPONSE_DEFAULTS);
        parser.expectResponseTo("GET");
        StringBuilder body = new StringBuilder();
        byte[] buf = new byte[4096];
        ByteBuffer pending = ByteBuffer.allocate(0);
        while (true) {
            HttpParser.Event e;
            try {
                e = parser.next(pending);
            } catch (org.tollgate.lb.l7.http.HttpException ex) {
                throw new IOException("bad response: " + ex.getMessage(), ex);
            }
            switch (e) {
                case HEAD:
                    if (parser.response().status() != 200) {
                        throw new IOException("status " + parser.response().status());
                    }
                    break;
                case BODY:
                    body.append(StandardCharsets.UTF_8.decode(parser.body()));
                    break;
                case END:
                    return body.toString();
                case NEED_MORE:
                    int n = in.read(buf);
                    if (n < 0) {
                        throw new IOException("connection closed before the response ended");
                    }
                    ByteBuffer next = ByteBuffer.allocate(pending.remaining() + n);
                    next.put(pending).put(buf, 0, n).flip();
                    pending = next;
                    break;
                default:
                    throw new AssertionError(e);
            }
        }
    }

    static String hostPort(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }
}
