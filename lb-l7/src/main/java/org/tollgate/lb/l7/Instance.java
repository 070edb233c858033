package org.tollgate.lb.l7;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One running lb-l7 as the command line runs it: a proxy per listener of the settings, the
 * admin port, and reloads.
 *
 * <p>A reload reads the file again; if it has any mistake, the message (with its line) is
 * reported and the configuration in force stays. Otherwise listeners kept at the same
 * address take the new routes, pools and TLS settings with {@link L7Proxy#reload} (open
 * connections are not touched: requests in flight finish where they started, the next
 * request on a kept-alive connection is routed by the new rules), new listeners start, and
 * listeners no longer in the file shut down gracefully.
 */
final class Instance implements AutoCloseable {
    private final Path file;
    private final Consumer<String> report;
    private final Duration drainGrace;
    private final Map<InetSocketAddress, L7Proxy> proxies = new LinkedHashMap<>();
    private volatile List<L7Proxy> proxyList = List.of();
    private ConfigFile.Settings settings;
    private AdminServer admin;
    private Thread watcher;
    private volatile boolean closed;

    private Instance(Path file, Consumer<String> report, Duration drainGrace) {
        this.file = file;
        this.report = report;
        this.drainGrace = drainGrace;
    }

    /** Starts everything {@code settings} describes; {@code file} (or null) is what {@link #reload()} reads. */
    static Instance start(ConfigFile.Settings settings, Path file, Consumer<String> report, Duration drainGrace) throws IOException {
        Instance i = new Instance(file, report, drainGrace);
        try {
            i.apply(settings);
        } catch (IOException | RuntimeException e) {
            i.close();
            throw e;
        }
        return i;
    }

    /** The proxies, one per listener, in file order. */
    List<L7Proxy> proxies() {
        return proxyList;
    }

    /** The admin server, or null. */
    synchronized AdminServer admin() {
        return admin;
    }

    synchronized ConfigFile.Settings settings() {
        return settings;
    }

    /**
     * Reads the file again and applies it; a file with mistakes is reported and changes
     * nothing.
     *
     * @return true when the new configuration is in force
     */
    synchronized boolean reload() {
        if (file == null || closed) {
            return false;
        }
        ConfigFile.Settings next;
        try {
            next = ConfigFile.load(file, settings);
        } catch (IOException e) {
            report.accept("cannot read " + file + ": " + e.getMessage() + "; keeping the configuration in force");
            return false;
        } catch (IllegalArgumentException e) {
            report.accept(e.getMessage() + "; keeping the configuration in force");
            return false;
        }
        try {
            apply(next);
        } catch (IOException | RuntimeException e) {
            report.accept("cannot apply " + file + ": " + e.getMessage() + "; keeping the configuration in force");
            return false;
        }
        report.accept("reloaded " + file.getFileName() + ": " + next.listeners().size() + " listeners, "
                + next.listeners().get(0).routes().size() + " routes, " + next.listeners().get(0).pools().size() + " pools");
        return true;
    }

    /** Starts new listeners first (so a port in use fails the whole reload), then reloads and retires. */
    private void apply(ConfigFile.Settings next) throws IOException {
        Map<InetSocketAddress, ProxyConfig> wanted = new LinkedHashMap<>();
        for (ProxyConfig c : next.listeners()) {
            wanted.put(c.listen(), c);
        }
        List<L7Proxy> started = new ArrayList<>();
        try {
            for (ProxyConfig c : next.listeners()) {
                L7Proxy running = proxies.get(c.listen());
                if (running == null || running.config().eventLoops() != c.eventLoops() || c.listen().getPort() == 0) {
                    started.add(L7Proxy.start(c));
                }
            }
        } catch (IOException | RuntimeException e) {
            started.forEach(L7Proxy::close);
            throw e;
        }
        AdminServer newAdmin = admin;
        InetSocketAddress oldAdmin = settings == null ? null : settings.admin();
        boolean adminChanged = next.admin() == null ? oldAdmin != null : !next.admin().equals(oldAdmin) || next.admin().getPort() == 0;
        if (adminChanged && next.admin() != null) {
            try {
                newAdmin = AdminServer.start(next.admin(), this::proxies);
            } catch (IOException | RuntimeException e) {
                started.forEach(L7Proxy::close);
                throw e;
            }
        }
        // Nothing can fail from here on.
        Map<InetSocketAddress, L7Proxy> now = new LinkedHashMap<>();
        List<L7Proxy> retired = new ArrayList<>();
        for (Map.Entry<InetSocketAddress, L7Proxy> e : proxies.entrySet()) {
            ProxyConfig c = wanted.get(e.getKey());
            if (c != null && started.stream().noneMatch(p -> p.config() == c)) {
                e.getValue().reload(c);
                now.put(e.getKey(), e.getValue());
            } else {
                retired.add(e.getValue());
            }
        }
        for (L7Proxy p : started) {
            now.put(p.config().listen().getPort() == 0 ? p.localAddress() : p.config().listen(), p);
        }
        List<L7Proxy> ordered = new ArrayList<>();
        for (ProxyConfig c : next.listeners()) {
            for (L7Proxy p : now.values()) {
                if (p.config() == c && !ordered.contains(p)) {
                    ordered.add(p);
                }
            }
        }
        proxies.clear();
        now.values().forEach(p -> proxies.put(p.config().listen(), p));
        proxyList = List.copyOf(ordered);
        if (adminChanged) {
            if (admin != null) {
                admin.close();
            }
            admin = newAdmin;
        }
        settings = next;
        for (L7Proxy p : retired) {
            Thread t = new Thread(() -> p.shutdown(drainGrace), "lb-l7-retire-" + p.localAddress().getPort());
            t.setDaemon(true);
            t.start();
        }
    }

    /**
     * Reloads when {@code sun.misc.Signal} delivers SIGHUP (the usual way to tell a daemon
     * to read its configuration again). Returns false where the JDK or the OS has no SIGHUP,
     * or where this process was started with SIGHUP ignored (under {@code nohup}).
     */
    boolean reloadOnSighup() {
        try {
            sun.misc.SignalHandler before = sun.misc.Signal.handle(new sun.misc.Signal("HUP"), s -> {
                Thread t = new Thread(this::reload, "lb-l7-sighup");
                t.setDaemon(true);
                t.start();
            });
            // A process started with SIGHUP ignored (nohup) keeps it ignored: the JVM then
            // installs nothing and answers SIG_IGN, so SIGHUP would reload nothing.
            return before != sun.misc.SignalHandler.SIG_IGN;
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            return false;
        }
    }

    /**
     * Reloads when the file's content changes, looked at every {@code interval} (polling the
     * bytes, so editors that write a new file and rename it are seen as well as in-place writes).
     */
    synchronized void watch(Duration interval) {
        if (file == null || watcher != null) {
            return;
        }
        watcher = new Thread(() -> {
            byte[] seen = readQuietly(file);
            while (!closed) {
                try {
                    Thread.sleep(interval.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
                byte[] now = readQuietly(file);
                if (now != null && !Arrays.equals(now, seen)) {
                    seen = now;
                    reload();
                }
            }
        }, "lb-l7-config-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    private static byte[] readQuietly(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Graceful stop: every listener stops accepting, idle connections close, requests in
     * flight finish for up to the drain grace; then the rest is cut.
     *
     * @return true when everything finished by itself
     */
    boolean shutdown() {
        List<L7Proxy> list;
        synchronized (this) {
            if (closed) {
                return true;
            }
            closed = true;
            if (watcher != null) {
                watcher.interrupt();
            }
            list = new ArrayList<>(proxies.values());
        }
        boolean[] clean = {true};
        List<Thread> threads = new ArrayList<>();
        for (L7Proxy p : list) {
            Thread t = new Thread(() -> {
                if (!p.shutdown(drainGrace)) {
                    clean[0] = false;
                }
            }, "lb-l7-drain");
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            if (admin != null) {
                admin.close();
            }
        }
        return clean[0];
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            if (watcher != null) {
                watcher.interrupt();
            }
            proxies.values().forEach(L7Proxy::close);
            if (admin != null) {
                admin.close();
            }
        }
    }
}
