package org.tollgate.lb.l7;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.tollgate.lb.balance.Backend;

/**
 * A real HTTP/1.1 server for the proxy to talk to: the JDK's own
 * {@code com.sun.net.httpserver}, an implementation independent of ours.
 *
 * <ul>
 * <li>{@code /big?n=BYTES}: a body of n bytes (pattern), sent chunked.</li>
 * <li>{@code /upload}: reads the body and answers its length and SHA-256.</li>
 * <li>{@code /health}: {@link #healthStatus} (200 unless a test changes it), counted in {@link #healthChecks}.</li>
 * <li>with {@link #forcedStatus} set: every other request is answered with that status.</li>
 * <li>anything else: a text line naming this backend and what it received
 *     ({@code backend=a method=GET path=/x xff=... proto=... forwarded=... body=...}).</li>
 * </ul>
 */
final class TestBackend implements AutoCloseable {
    final String name;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(4);
    final AtomicInteger requests = new AtomicInteger();
    /** Client ports seen: how many distinct connections the proxy used. */
    final Set<Integer> connections = ConcurrentHashMap.newKeySet();
    volatile int healthStatus = 200;
    final AtomicInteger healthChecks = new AtomicInteger();
    volatile int forcedStatus;

    TestBackend(String name) throws IOException {
        this.name = name;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    InetSocketAddress address() {
        return server.getAddress();
    }

    Backend backend() {
        return new Backend(name, address());
    }

    Backend backend(int weight) {
        return new Backend(name, address(), weight);
    }

    private void handle(HttpExchange ex) throws IOException {
        if (ex.getRequestURI().getPath().equals("/health")) {
            healthChecks.incrementAndGet();
            ex.sendResponseHeaders(healthStatus, -1);
            ex.close();
            return;
        }
        requests.incrementAndGet();
        int forced = forcedStatus;
        if (forced != 0) {
            ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(forced, -1);
            ex.close();
            return;
        }
        connections.add(ex.getRemoteAddress().getPort());
        String path = ex.getRequestURI().getPath();
        try (InputStream in = ex.getRequestBody(); OutputStream out = ex.getResponseBody()) {
            byte[] body = in.readAllBytes();
            if (path.equals("/big")) {
                int n = Integer.parseInt(ex.getRequestURI().getQuery().substring(2));
                ex.sendResponseHeaders(200, 0); // 0: chunked
                byte[] block = new byte[8192];
                for (int i = 0; i < block.length; i++) {
                    block[i] = (byte) ('a' + i % 26);
                }
                for (int sent = 0; sent < n; sent += block.length) {
                    out.write(block, 0, Math.min(block.length, n - sent));
                }
                return;
            }
            String text;
            if (path.equals("/upload")) {
                text = "backend=" + name + " length=" + body.length + " sha256=" + sha256(body);
            } else {
                text = "backend=" + name + " method=" + ex.getRequestMethod() + " path=" + ex.getRequestURI()
                        + " xff=" + ex.getRequestHeaders().getFirst("X-Forwarded-For")
                        + " proto=" + ex.getRequestHeaders().getFirst("X-Forwarded-Proto")
                        + " forwarded=" + ex.getRequestHeaders().getFirst("Forwarded")
                        + " connection=" + ex.getRequestHeaders().getFirst("Connection")
                        + " secret=" + ex.getRequestHeaders().getFirst("X-Secret")
                        + " cookie=" + ex.getRequestHeaders().getFirst("Cookie")
                        + " body=" + new String(body, StandardCharsets.UTF_8);
            }
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/plain");
            ex.getResponseHeaders().set("Keep-Alive", "timeout=30");
            if (ex.getRequestMethod().equals("HEAD")) {
                ex.sendResponseHeaders(200, -1);
            } else {
                ex.sendResponseHeaders(200, bytes.length);
                out.write(bytes);
            }
        }
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
