package org.tollgate.lb.l7;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tollgate.lb.balance.Backend;

/** What the admin port shows: the HTML stats page and the Prometheus text, from live counters. */
final class AdminPages {
    private AdminPages() {
    }

    /** Pools of every listener, each once (listeners of one config file share them). */
    static Map<String, BackendPool> pools(List<L7Proxy> proxies) {
        Map<String, BackendPool> pools = new LinkedHashMap<>();
        for (L7Proxy p : proxies) {
            p.config().pools().forEach(pools::putIfAbsent);
        }
        return pools;
    }

    static long failures(List<L7Proxy> proxies, Backend b) {
        long n = 0;
        for (L7Proxy p : proxies) {
            n += p.stats().failuresOf(b.name());
        }
        return n;
    }

    // ------------------------------------------------------------------ HTML

    static String html(List<L7Proxy> proxies) {
        StringBuilder h = new StringBuilder(4096);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta http-equiv=\"refresh\" content=\"5\"><title>lb-l7 stats</title><style>")
                .append("body{font:14px system-ui,sans-serif;margin:2em;color:#222}")
                .append("table{border-collapse:collapse;margin:.5em 0 1.5em}")
                .append("td,th{padding:.25em .8em;border-bottom:1px solid #ddd;text-align:right}")
                .append("td:first-child,th:first-child,td.state{text-align:left}")
                .append(".bar{display:inline-block;height:.9em;background:#3b7dd8;vertical-align:middle}")
                .append(".UP{color:#197a1f}.DOWN{color:#b3261e;font-weight:bold}.DRAINING{color:#a66300}")
                .append("</style></head><body>\n<h1>lb-l7 stats</h1>\n");

        h.append("<h2>Listeners</h2>\n<table id=\"listeners\"><tr><th>listener</th><th>TLS</th><th>open connections</th>")
                .append("<th>accepted</th><th>requests</th><th>backend failures</th><th>reloads</th></tr>\n");
        for (L7Proxy p : proxies) {
            L7Proxy.Stats s = p.stats();
            h.append("<tr data-listener=\"").append(esc(address(p))).append("\"><td>").append(esc(address(p)))
                    .append("</td><td>").append(p.config().tls() != null ? "yes" : "no")
                    .append("</td><td>").append(p.openConnections())
                    .append("</td><td>").append(s.accepted())
                    .append("</td><td>").append(s.requests())
                    .append("</td><td>").append(s.backendFailures())
                    .append("</td><td>").append(s.reloads()).append("</td></tr>\n");
        }
        h.append("</table>\n");

        for (Map.Entry<String, BackendPool> e : pools(proxies).entrySet()) {
            BackendPool pool = e.getValue();
            long total = 0;
            for (Backend b : pool.backends()) {
                total += b.totalConnections();
            }
            h.append("<h2>Pool ").append(esc(e.getKey())).append("</h2>\n<p>")
                    .append(esc(pool.balancer().getClass().getSimpleName()))
                    .append(pool.tls() != null ? ", HTTPS to the backends" : "").append("</p>\n")
                    .append("<table class=\"pool\" data-pool=\"").append(esc(e.getKey())).append("\">")
                    .append("<tr><th>backend</th><th>address</th><th>state</th><th>weight</th><th>active</th>")
                    .append("<th>requests</th><th>errors</th><th>share</th></tr>\n");
            for (Backend b : pool.backends()) {
                long n = b.totalConnections();
                double share = total == 0 ? 0 : 100.0 * n / total;
                h.append("<tr data-backend=\"").append(esc(b.name())).append("\"><td>").append(esc(b.name()))
                        .append("</td><td>").append(esc(b.address().getHostString() + ":" + b.address().getPort()))
                        .append("</td><td class=\"state ").append(b.state()).append("\">").append(b.state())
                        .append("</td><td>").append(b.weight())
                        .append("</td><td>").append(b.activeConnections())
                        .append("</td><td class=\"requests\">").append(n)
                        .append("</td><td class=\"errors\">").append(failures(proxies, b))
                        .append("</td><td><span class=\"bar\" style=\"width:").append(String.format(Locale.ROOT, "%.1f", 2 * share))
                        .append("px\"></span> <span class=\"share\">").append(String.format(Locale.ROOT, "%.1f%%", share))
                        .append("</span></td></tr>\n");
            }
            h.append("</table>\n");
        }

        h.append("<h2>Responses and refusals</h2>\n<table id=\"statuses\"><tr><th>listener</th><th>status</th>")
                .append("<th>responses</th><th>refused by lb-l7</th></tr>\n");
        for (L7Proxy p : proxies) {
            Map<Integer, Long> responses = p.stats().responsesByStatus();
            Map<Integer, Long> refusals = p.stats().refusalsByStatus();
            java.util.TreeSet<Integer> codes = new java.util.TreeSet<>(responses.keySet());
            codes.addAll(refusals.keySet());
            for (int code : codes) {
                h.append("<tr><td>").append(esc(address(p))).append("</td><td>").append(code)
                        .append("</td><td>").append(responses.getOrDefault(code, 0L))
                        .append("</td><td class=\"refused\" data-status=\"").append(code).append("\">")
                        .append(refusals.getOrDefault(code, 0L)).append("</td></tr>\n");
            }
        }
        h.append("</table>\n<p>The same numbers for Prometheus: <a href=\"/metrics\">/metrics</a>.</p>\n")
                .append("</body></html>\n");
        return h.toString();
    }

    private static String address(L7Proxy p) {
        return p.localAddress().getHostString() + ":" + p.localAddress().getPort();
    }

    static String esc(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<': sb.append("&lt;"); break;
                case '>': sb.append("&gt;"); break;
                case '&': sb.append("&amp;"); break;
                case '"': sb.append("&quot;"); break;
                case '\'': sb.append("&#39;"); break;
                default: sb.append(c);
            }
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ Prometheus

    /** The Prometheus text exposition format 0.0.4: HELP and TYPE once per metric, then its samples. */
    static String prometheus(List<L7Proxy> proxies) {
        StringBuilder m = new StringBuilder(2048);
        metric(m, "lb_l7_connections_open", "gauge", "Client connections open now.");
        for (L7Proxy p : proxies) {
            sample(m, "lb_l7_connections_open", p.openConnections(), "listener", address(p));
        }
        metric(m, "lb_l7_connections_accepted_total", "counter", "Client connections accepted.");
        for (L7Proxy p : proxies) {
            sample(m, "lb_l7_connections_accepted_total", p.stats().accepted(), "listener", address(p));
        }
        metric(m, "lb_l7_requests_total", "counter", "Request heads parsed and accepted.");
        for (L7Proxy p : proxies) {
            sample(m, "lb_l7_requests_total", p.stats().requests(), "listener", address(p));
        }
        metric(m, "lb_l7_responses_total", "counter", "Responses sent to clients, by status.");
        for (L7Proxy p : proxies) {
            p.stats().responsesByStatus().forEach((code, n) ->
                    sample(m, "lb_l7_responses_total", n, "listener", address(p), "code", String.valueOf(code)));
        }
        metric(m, "lb_l7_refusals_total", "counter", "Requests refused by the parser or a limit, by status.");
        for (L7Proxy p : proxies) {
            p.stats().refusalsByStatus().forEach((code, n) ->
                    sample(m, "lb_l7_refusals_total", n, "listener", address(p), "code", String.valueOf(code)));
        }
        metric(m, "lb_l7_reloads_total", "counter", "Configurations applied by reloads.");
        for (L7Proxy p : proxies) {
            sample(m, "lb_l7_reloads_total", p.stats().reloads(), "listener", address(p));
        }
        Map<String, BackendPool> pools = pools(proxies);
        metric(m, "lb_l7_backend_up", "gauge", "1 when the backend takes new requests (state UP), else 0.");
        forEachBackend(pools, (pool, b) -> sample(m, "lb_l7_backend_up", b.isAvailable() ? 1 : 0, "pool", pool, "backend", b.name()));
        metric(m, "lb_l7_backend_weight", "gauge", "Configured weight.");
        forEachBackend(pools, (pool, b) -> sample(m, "lb_l7_backend_weight", b.weight(), "pool", pool, "backend", b.name()));
        metric(m, "lb_l7_backend_active", "gauge", "Requests in progress at the backend.");
        forEachBackend(pools, (pool, b) -> sample(m, "lb_l7_backend_active", b.activeConnections(), "pool", pool, "backend", b.name()));
        metric(m, "lb_l7_backend_requests_total", "counter", "Requests sent to the backend (retries included).");
        forEachBackend(pools, (pool, b) -> sample(m, "lb_l7_backend_requests_total", b.totalConnections(), "pool", pool, "backend", b.name()));
        metric(m, "lb_l7_backend_errors_total", "counter", "Connect failures, resets, timeouts and invalid responses.");
        forEachBackend(pools, (pool, b) -> sample(m, "lb_l7_backend_errors_total", failures(proxies, b), "pool", pool, "backend", b.name()));
        return m.toString();
    }

    private static void forEachBackend(Map<String, BackendPool> pools, java.util.function.BiConsumer<String, Backend> f) {
        pools.forEach((name, pool) -> pool.backends().forEach(b -> f.accept(name, b)));
    }

    private static void metric(StringBuilder m, String name, String type, String help) {
        m.append("# HELP ").append(name).append(' ').append(help).append('\n');
        m.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder m, String name, long value, String... labels) {
        m.append(name).append('{');
        for (int i = 0; i < labels.length; i += 2) {
            m.append(i == 0 ? "" : ",").append(labels[i]).append("=\"").append(labelValue(labels[i + 1])).append('"');
        }
        m.append("} ").append(value).append('\n');
    }

    /** Label values escape backslash, double quote and line feed (exposition format 0.0.4). */
    static String labelValue(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    // ------------------------------------------------------------------ responses

    static byte[] response(int status, String contentType, String body, boolean headOnly) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        StringBuilder h = new StringBuilder(200).append("HTTP/1.1 ").append(status).append(' ')
                .append(status == 200 ? "OK" : Responses.reason(status)).append("\r\n")
                .append("Content-Type: ").append(contentType).append("\r\n")
                .append("Content-Length: ").append(b.length).append("\r\n");
        if (status == 405) {
            h.append("Allow: GET, HEAD\r\n"); // RFC 9110 §15.5.6
        }
        h.append("Cache-Control: no-store\r\nConnection: close\r\n\r\n");
        byte[] head = h.toString().getBytes(StandardCharsets.ISO_8859_1);
        if (headOnly) {
            return head;
        }
        byte[] all = java.util.Arrays.copyOf(head, head.length + b.length);
        System.arraycopy(b, 0, all, head.length, b.length);
        return all;
    }
}
