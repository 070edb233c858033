package org.tollgate.lb.l4;

import java.util.List;
import org.tollgate.lb.balance.Backend;

/** Per-backend stats as JSON and as Prometheus text (exposition format 0.0.4). */
final class StatsFormat {
    private StatsFormat() {
    }

    static String json(List<Backend> backends) {
        StringBuilder s = new StringBuilder("{\"backends\":[");
        for (int i = 0; i < backends.size(); i++) {
            Backend b = backends.get(i);
            s.append(i == 0 ? "" : ",").append("\n  {");
            s.append("\"name\":").append(jsonString(b.name()));
            s.append(",\"address\":").append(jsonString(address(b)));
            s.append(",\"state\":").append(jsonString(b.state().name()));
            s.append(",\"weight\":").append(b.weight());
            s.append(",\"active_connections\":").append(b.activeConnections());
            s.append(",\"total_connections\":").append(b.totalConnections());
            s.append(",\"bytes_to_backend\":").append(b.bytesToBackend());
            s.append(",\"bytes_from_backend\":").append(b.bytesFromBackend());
            s.append('}');
        }
        return s.append("\n]}\n").toString();
    }

    static String prometheus(List<Backend> backends) {
        StringBuilder s = new StringBuilder();
        metric(s, backends, "tollgate_lb_backend_up", "gauge", "1 when the backend takes new connections (state UP).",
                b -> b.isAvailable() ? 1 : 0);
        s.append("# HELP tollgate_lb_backend_state The backend's state: 1 for the one it is in.\n");
        s.append("# TYPE tollgate_lb_backend_state gauge\n");
        for (Backend b : backends) {
            for (Backend.State st : Backend.State.values()) {
                s.append("tollgate_lb_backend_state{").append(labels(b)).append(",state=\"").append(st.name()).append("\"} ")
                        .append(b.state() == st ? 1 : 0).append('\n');
            }
        }
        metric(s, backends, "tollgate_lb_backend_weight", "gauge", "The backend's weight.", Backend::weight);
        metric(s, backends, "tollgate_lb_backend_active_connections", "gauge",
                "Connections (UDP: flows) open to the backend now.", Backend::activeConnections);
        metric(s, backends, "tollgate_lb_backend_connections_total", "counter",
                "Connections (UDP: flows) ever opened to the backend.", Backend::totalConnections);
        metric(s, backends, "tollgate_lb_backend_sent_bytes_total", "counter",
                "Bytes forwarded from clients to the backend.", Backend::bytesToBackend);
        metric(s, backends, "tollgate_lb_backend_received_bytes_total", "counter",
                "Bytes forwarded from the backend to clients.", Backend::bytesFromBackend);
        return s.toString();
    }

    private static void metric(StringBuilder s, List<Backend> backends, String name, String type, String help,
                               java.util.function.ToLongFunction<Backend> value) {
        s.append("# HELP ").append(name).append(' ').append(help).append('\n');
        s.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        for (Backend b : backends) {
            s.append(name).append('{').append(labels(b)).append("} ").append(value.applyAsLong(b)).append('\n');
        }
    }

    private static String labels(Backend b) {
        return "backend=\"" + labelValue(b.name()) + "\",address=\"" + labelValue(address(b)) + "\"";
    }

    private static String address(Backend b) {
        String host = b.address().getAddress() != null ? b.address().getAddress().getHostAddress() : b.address().getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + b.address().getPort();
    }

    /** Prometheus text format: label values escape backslash, double quote and newline. */
    static String labelValue(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    /** RFC 8259 §7. */
    static String jsonString(String v) {
        StringBuilder s = new StringBuilder("\"");
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '"' -> s.append("\\\"");
                case '\\' -> s.append("\\\\");
                case '\n' -> s.append("\\n");
                case '\r' -> s.append("\\r");
                case '\t' -> s.append("\\t");
                default -> {
                    if (c < 0x20) {
                        s.append(String.format("\\u%04x", (int) c));
                    } else {
                        s.append(c);
                    }
                }
            }
        }
        return s.append('"').toString();
    }
}
