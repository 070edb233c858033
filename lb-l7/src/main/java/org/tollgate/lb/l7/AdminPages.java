package org.tollgate.lb.l7;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ArrayList;

/** What the admin port shows: the HTML stats page and the Prometheus text, from live counters. */
final class AdminPages {
    private AdminPages() {
    }

    /** One backend of a pool, its counters summed over the listeners (which share their pools). */
    static final class BackendRow {
        final StatsSnapshot.BackendStats first;
        long requests;
        long failures;

        BackendRow(StatsSnapshot.BackendStats b) {
            this.first = b;
        }
    }

    /** The pools of every listener, by name in configuration order, with their backends' counters summed. */
    static Map<String, List<BackendRow>> pools(List<StatsSnapshot> snapshots) {
        Map<String, List<BackendRow>> pools = new LinkedHashMap<>();
        for (StatsSnapshot s : snapshots) {
            for (StatsSnapshot.PoolStats p : s.pools()) {
                List<BackendRow> rows = pools.computeIfAbsent(p.name(), k -> new ArrayList<>());
                for (StatsSnapshot.BackendStats b : p.backends()) {
                    BackendRow row = rows.stream().filter(r -> r.first.name().equals(b.name())).findFirst().orElse(null);
                    if (row == null) {
                        row = new BackendRow(b);
                        rows.add(row);
                    }
                    row.requests += b.requests();
                    row.failures += b.failures();
                }
            }
        }
        return pools;
    }

    static Map<String, String> algorithms(List<StatsSnapshot> snapshots) {
        Map<String, String> m = new LinkedHashMap<>();
        for (StatsSnapshot s : snapshots) {
            for (StatsSnapshot.PoolStats p : s.pools()) {
                m.putIfAbsent(p.name(), p.algorithm() + (p.stickyCookie() != null ? ", sticky cookie " + p.stickyCookie() : ""));
            }
        }
        return m;
    }

    // ------------------------------------------------------------------ HTML

    static String html(List<L7Proxy> proxies) {
        List<StatsSnapshot> snapshots = new ArrayList<>();
        for (L7Proxy p : proxies) {
            snapshots.add(p.snapshot());
        }
        StringBuilder h = new StringBuilder(4096);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta http-equiv=\"refresh\" content=\"5\"><title>lb-l7 stats</title><style>")
                .append("body{font:14px system-ui,sans-serif;margin:2em;color:#222}")
                .append("table{border-collapse:collapse;margin:.5em 0 1.5em}")
                .append("td,th{padding:.25em .8em;border-bottom:1px solid #ddd;text-align:right}")
                .append("td:first-child,th:first-child,td.state,td.failure{text-align:left}")
                .append(".bar{display:inline-block;height:.9em;background:#3b7dd8;vertical-align:middle}")
                .append(".UP{color:#197a1f}.DOWN{color:#b3261e;font-weight:bold}.DRAINING{color:#a66300}")
                .append("</style></head><body>\n<h1>lb-l7 stats</h1>\n");

        h.append("<h2>Listeners</h2>\n<table id=\"listeners\"><tr><th>listener</th><th>TLS</th><th>open connections</th>")
                .append("<th>accepted</th><th>requests</th><th>backend failures</th><th>reloads</th></tr>\n");
        for (int i = 0; i < proxies.size(); i++) {
            L7Proxy p = proxies.get(i);
            StatsSnapshot s = snapshots.get(i);
            h.append("<tr data-listener=\"").append(esc(address(p))).append("\"><td>").append(esc(address(p)))
                    .append("</td><td>").append(p.config().tls() != null ? "yes" : "no")
                    .append("</td><td>").append(s.openConnections())
                    .append("</td><td>").append(s.accepted())
                    .append("</td><td>").append(s.requests())
                    .append("</td><td>").append(s.backendFailures())
                    .append("</td><td>").append(p.stats().reloads()).append("</td></tr>\n");
        }
        h.append("</table>\n");

        Map<String, String> algorithms = algorithms(snapshots);
        for (Map.Entry<String, List<BackendRow>> e : pools(snapshots).entrySet()) {
            long total = 0;
            for (BackendRow r : e.getValue()) {
                total += r.requests;
            }
            h.append("<h2>Pool ").append(esc(e.getKey())).append("</h2>\n<p>").append(esc(algorithms.get(e.getKey())))
                    .append("</p>\n<table class=\"pool\" data-pool=\"").append(esc(e.getKey())).append("\">")
                    .append("<tr><th>backend</th><th>address</th><th>state</th><th>weight</th><th>active</th>")
                    .append("<th>requests</th><th>errors</th><th>share</th><th>last failure</th></tr>\n");
            for (BackendRow r : e.getValue()) {
                StatsSnapshot.BackendStats b = r.first;
                double share = total == 0 ? 0 : 100.0 * r.requests / total;
                h.append("<tr data-backend=\"").append(esc(b.name())).append("\"><td>").append(esc(b.name()))
                        .append("</td><td>").append(esc(b.address().getHostString() + ":" + b.address().getPort()))
                        .append("</td><td class=\"state ").append(b.state()).append("\">").append(b.state())
                        .append("</td><td>").append(b.weight())
                        .append("</td><td>").append(b.active())
                        .append("</td><td class=\"requests\">").append(r.requests)
                        .append("</td><td class=\"errors\">").append(r.failures)
                        .append("</td><td><span class=\"bar\" style=\"width:").append(String.format(Locale.ROOT, "%.1f", 2 * share))
                        .append("px\"></span> <span class=\"share\">").append(String.format(Locale.ROOT, "%.1f%%", share))
                        .append("</span></td><td class=\"failure\">").append(failureHtml(b.lastFailure())).append("</td></tr>\n");
            }
            h.append("</table>\n");
        }

        h.append("<h2>Refused by lb-l7</h2>\n<table id=\"refusals\"><tr><th>listener</th><th>reason</th>")
                .append("<th>status</th><th>requests</th></tr>\n");
        for (int i = 0; i < proxies.size(); i++) {
            String listener = esc(address(proxies.get(i)));
            for (Map.Entry<Refusal, Long> r : snapshots.get(i).refusals().entrySet()) {
                h.append("<tr><td>").append(listener).append("</td><td>").append(r.getKey().label())
                        .append("</td><td>").append(r.getKey().status())
                        .append("</td><td class=\"refused\" data-reason=\"").append(r.getKey().label()).append("\">")
                        .append(r.getValue()).append("</td></tr>\n");
            }
        }
        h.append("</table>\n<h2>Responses</h2>\n<table id=\"responses\"><tr><th>listener</th><th>status</th><th>responses</th></tr>\n");
        for (int i = 0; i < proxies.size(); i++) {
            String listener = esc(address(proxies.get(i)));
            for (Map.Entry<Integer, Long> r : snapshots.get(i).responses().entrySet()) {
                h.append("<tr><td>").append(listener).append("</td><td>").append(r.getKey())
                        .append("</td><td data-status=\"").append(r.getKey()).append("\">").append(r.getValue()).append("</td></tr>\n");
            }
        }
        h.append("</table>\n<p>The same numbers for Prometheus: <a href=\"/metrics\">/metrics</a>.</p>\n")
                .append("</body></html>\n");
        return h.toString();
    }

    private static String failureHtml(StatsSnapshot.Failure f) {
        if (f == null) {
            return "-";
        }
        return "<time datetime=\"" + f.at() + "\">" + esc(TIME.format(f.at())) + "</time> " + esc(f.kind()) + ": "
                + "<span class=\"reason\">" + esc(f.reason()) + "</span>";
    }

    private static final java.time.format.DateTimeFormatter TIME =
            java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT).withZone(java.time.ZoneOffset.UTC);

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
        List<StatsSnapshot> snapshots = new ArrayList<>();
        for (L7Proxy p : proxies) {
            snapshots.add(p.snapshot());
        }
        StringBuilder m = new StringBuilder(2048);
        perListener(m, proxies, "lb_l7_connections_open", "gauge", "Client connections open now.", (p, s) -> (long) s.openConnections());
        perListener(m, proxies, "lb_l7_connections_accepted_total", "counter", "Client connections accepted.", (p, s) -> s.accepted());
        perListener(m, proxies, "lb_l7_requests_total", "counter", "Request heads parsed and accepted.", (p, s) -> s.requests());
        perListener(m, proxies, "lb_l7_backend_failures_total", "counter", "Connect failures, resets, timeouts and invalid responses.",
                (p, s) -> s.backendFailures());
        perListener(m, proxies, "lb_l7_reloads_total", "counter", "Configurations put in force by reloads.", (p, s) -> p.stats().reloads());
        metric(m, "lb_l7_responses_total", "counter", "Responses sent to clients, by status.");
        for (int i = 0; i < proxies.size(); i++) {
            String listener = address(proxies.get(i));
            snapshots.get(i).responses().forEach((code, n) ->
                    sample(m, "lb_l7_responses_total", n, "listener", listener, "code", String.valueOf(code)));
        }
        metric(m, "lb_l7_refusals_total", "counter", "Requests refused by lb-l7 itself (parser, filters, limits), by reason.");
        for (int i = 0; i < proxies.size(); i++) {
            String listener = address(proxies.get(i));
            snapshots.get(i).refusals().forEach((r, n) ->
                    sample(m, "lb_l7_refusals_total", n, "listener", listener, "reason", r.label(), "code", String.valueOf(r.status())));
        }
        Map<String, List<BackendRow>> pools = pools(snapshots);
        perBackend(m, pools, "lb_l7_backend_up", "gauge", "1 when the backend takes new requests (state UP), else 0.",
                r -> r.first.state() == org.tollgate.lb.balance.Backend.State.UP ? 1L : 0L);
        perBackend(m, pools, "lb_l7_backend_weight", "gauge", "Configured weight.", r -> (long) r.first.weight());
        perBackend(m, pools, "lb_l7_backend_active", "gauge", "Requests in progress at the backend.", r -> (long) r.first.active());
        perBackend(m, pools, "lb_l7_backend_requests_total", "counter", "Requests sent to the backend (retries included).", r -> r.requests);
        perBackend(m, pools, "lb_l7_backend_errors_total", "counter", "Connect failures, resets, timeouts, invalid responses and 5xx.",
                r -> r.failures);
        // Prometheus: text belongs in the labels of an info metric, the time in a _timestamp_seconds gauge.
        metric(m, "lb_l7_backend_last_failure_info", "gauge",
                "Always 1: the kind (check or traffic) and reason of the backend's last failure, in labels.");
        pools.forEach((pool, rows) -> rows.stream().filter(r -> r.first.lastFailure() != null).forEach(r -> sample(m,
                "lb_l7_backend_last_failure_info", 1, "pool", pool, "backend", r.first.name(),
                "kind", r.first.lastFailure().kind(), "reason", r.first.lastFailure().reason())));
        metric(m, "lb_l7_backend_last_failure_timestamp_seconds", "gauge", "When the backend last failed (Unix time).");
        pools.forEach((pool, rows) -> rows.stream().filter(r -> r.first.lastFailure() != null).forEach(r -> sample(m,
                "lb_l7_backend_last_failure_timestamp_seconds", r.first.lastFailure().at().getEpochSecond(),
                "pool", pool, "backend", r.first.name())));
        return m.toString();
    }

    private static void perListener(StringBuilder m, List<L7Proxy> proxies, String name, String type, String help,
                                    java.util.function.BiFunction<L7Proxy, StatsSnapshot, Long> value) {
        metric(m, name, type, help);
        for (L7Proxy p : proxies) {
            sample(m, name, value.apply(p, p.snapshot()), "listener", address(p));
        }
    }

    private static void perBackend(StringBuilder m, Map<String, List<BackendRow>> pools, String name, String type, String help,
                                   java.util.function.Function<BackendRow, Long> value) {
        metric(m, name, type, help);
        pools.forEach((pool, rows) -> rows.forEach(r -> sample(m, name, value.apply(r), "pool", pool, "backend", r.first.name())));
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

    // ------------------------------------------------------------------ JSON

    /** The same numbers as the HTML page, as one JSON object (RFC 8259). */
    static String json(List<L7Proxy> proxies) {
        List<StatsSnapshot> snapshots = new ArrayList<>();
        for (L7Proxy p : proxies) {
            snapshots.add(p.snapshot());
        }
        StringBuilder j = new StringBuilder(2048).append("{\"listeners\":[");
        for (int i = 0; i < proxies.size(); i++) {
            StatsSnapshot s = snapshots.get(i);
            j.append(i == 0 ? "" : ",").append("{\"address\":").append(jsonString(address(proxies.get(i))))
                    .append(",\"tls\":").append(proxies.get(i).config().tls() != null)
                    .append(",\"openConnections\":").append(s.openConnections())
                    .append(",\"accepted\":").append(s.accepted())
                    .append(",\"requests\":").append(s.requests())
                    .append(",\"backendFailures\":").append(s.backendFailures())
                    .append(",\"reloads\":").append(proxies.get(i).stats().reloads()).append('}');
        }
        j.append("],\"pools\":[");
        Map<String, String> algorithms = algorithms(snapshots);
        boolean firstPool = true;
        for (Map.Entry<String, List<BackendRow>> e : pools(snapshots).entrySet()) {
            j.append(firstPool ? "" : ",").append("{\"name\":").append(jsonString(e.getKey()))
                    .append(",\"algorithm\":").append(jsonString(algorithms.get(e.getKey()))).append(",\"backends\":[");
            firstPool = false;
            boolean firstRow = true;
            for (BackendRow r : e.getValue()) {
                StatsSnapshot.BackendStats b = r.first;
                StatsSnapshot.Failure f = b.lastFailure();
                j.append(firstRow ? "" : ",").append("{\"name\":").append(jsonString(b.name()))
                        .append(",\"address\":").append(jsonString(b.address().getHostString() + ":" + b.address().getPort()))
                        .append(",\"state\":\"").append(b.state()).append('"')
                        .append(",\"weight\":").append(b.weight())
                        .append(",\"active\":").append(b.active())
                        .append(",\"requests\":").append(r.requests)
                        .append(",\"errors\":").append(r.failures)
                        .append(",\"healthChecks\":").append(b.healthChecks())
                        .append(",\"lastFailure\":").append(f == null ? "null" : "{\"kind\":" + jsonString(f.kind())
                                + ",\"reason\":" + jsonString(f.reason()) + ",\"at\":" + jsonString(f.at().toString()) + "}")
                        .append('}');
                firstRow = false;
            }
            j.append("]}");
        }
        return j.append("]}\n").toString();
    }

    /** A JSON string: quotes, backslash and control characters escaped (RFC 8259 §7). */
    static String jsonString(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
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
