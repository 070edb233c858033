package org.tollgate.lb.l4;

import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.Set;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.balance.Balancer;

/**
 * The {@code --explain} line for one backend choice: who is connecting, how the pool was
 * chosen (SNI), every candidate with its state, weight and load, which were already tried,
 * and what the algorithm picked and why.
 *
 * <pre>
 * 127.0.0.1:50312 [SNI a.example.com] candidates: a UP w=5 active=1 total=7, b DOWN w=1 active=0 total=2;
 *   least-connections: lowest active/weight among a 1/5 (ties in rotation): a -> a
 * </pre>
 */
final class Explain {
    private Explain() {
    }

    static String line(SocketChannel client, String routeNote, Balancer pool, Set<Backend> tried, Balancer.Decision d) {
        StringBuilder s = new StringBuilder();
        try {
            InetSocketAddress a = (InetSocketAddress) client.getRemoteAddress();
            s.append(a.getAddress().getHostAddress()).append(':').append(a.getPort());
        } catch (Exception e) {
            s.append("client");
        }
        if (routeNote != null) {
            s.append(" [").append(routeNote).append(']');
        }
        s.append(" candidates: ");
        boolean first = true;
        for (Backend b : pool.backends()) {
            s.append(first ? "" : ", ").append(b.name()).append(' ').append(b.state()).append(" w=").append(b.weight())
                    .append(" active=").append(b.activeConnections()).append(" total=").append(b.totalConnections());
            if (tried.contains(b)) {
                s.append(" (connect failed)");
            }
            first = false;
        }
        s.append("; ").append(d.why()).append(" -> ").append(d.backend().map(Backend::name).orElse("none: closing"));
        return s.toString();
    }
}
