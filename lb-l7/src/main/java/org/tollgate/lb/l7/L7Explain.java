package org.tollgate.lb.l7;

import java.net.InetAddress;
import java.util.List;
import java.util.Set;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.l7.http.RequestHead;

/**
 * The {@code --explain} text for one request, in lb-l4's style (one candidate list with
 * state, weight and load, then the algorithm's own reason), plus what only L7 knows: the
 * routes tried in order and why each earlier one did not match, and the sticky cookie.
 *
 * <pre>
 * explain 127.0.0.1:50312 "GET /api/x HTTP/1.1"
 *   route 1 [host=api.example.test -> api]: no, Host is www.example.test, not api.example.test
 *   route 2 [path=/api/* -> web]: matches
 *   pool web: least-connections, sticky cookie SRV
 *   sticky: the request's SRV cookie names b, which is DOWN: the algorithm chooses
 *   candidates: a UP w=1 active=0 total=3 cookie=Qm9...; b DOWN w=1 active=0 total=2 cookie=xY...
 *   least-connections: lowest active/weight among a 0/1 (ties in rotation): a -> a
 * </pre>
 */
final class L7Explain {
    private L7Explain() {
    }

    /** The header line and the route lines, up to the first match (or all of them). */
    static StringBuilder routes(InetAddress client, int port, RequestHead req, List<Route> routes) {
        StringBuilder s = new StringBuilder();
        s.append("explain ").append(client.getHostAddress()).append(':').append(port).append(" \"")
                .append(req.method()).append(' ').append(req.target()).append(' ').append(req.version().text()).append('"');
        int i = 1;
        for (Route r : routes) {
            String why = r.mismatch(req);
            s.append("\n  route ").append(i++).append(" [").append(r).append("]: ")
                    .append(why == null ? "matches" : "no, " + why);
            if (why == null) {
                return s;
            }
        }
        s.append("\n  no route matches: 404");
        return s;
    }

    /** The pool, the sticky note, the candidates and the decision. */
    static void choice(StringBuilder s, BackendPool pool, String stickyNote, Set<Backend> tried, Backend chosen, String why) {
        s.append("\n  pool ").append(pool.name()).append(": ").append(pool.algorithmName());
        if (pool.stickyCookie() != null) {
            s.append(", sticky cookie ").append(pool.stickyCookie().name());
        }
        if (stickyNote != null) {
            s.append("\n  sticky: ").append(stickyNote);
        }
        s.append("\n  candidates: ");
        boolean first = true;
        for (Backend b : pool.backends()) {
            s.append(first ? "" : "; ").append(b.name()).append(' ').append(b.state()).append(" w=").append(b.weight())
                    .append(" active=").append(b.activeConnections()).append(" total=").append(b.totalConnections());
            if (pool.stickyCookie() != null) {
                s.append(" cookie=").append(pool.stickyValue(b));
            }
            if (tried.contains(b)) {
                s.append(" (tried, failed)");
            }
            first = false;
        }
        s.append("\n  ").append(why).append(" -> ").append(chosen == null ? "none" : chosen.name());
    }
}
