package org.tollgate.lb.l7;

import java.net.InetAddress;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * One access log line: the combined log format (Apache's {@code %h %l %u %t "%r" %>s %b
 * "%{Referer}i" "%{User-agent}i"}), then what only the load balancer knows, HAProxy style:
 *
 * <pre>
 * 127.0.0.1 - - [27/Nov/2026:08:01:02 +0000] "GET /a HTTP/1.1" 200 42 "-" "curl/8.0" web/a 127.0.0.1:9001 1/0/3/5 --
 *                                                                                   |     |              |       |
 *                                                          pool/backend (or -) -----+     |              |       |
 *                                                          upstream address (or -) -------+              |       |
 *                   Tq/Tc/Tr/Tt in ms: request head read, connect, first response byte, total (-1: not reached)
 *                   termination state, two characters as in HAProxy: who ended it, in which phase ----------+
 * </pre>
 *
 * {@code %b} is the body bytes sent to the client ({@code -} for none). Quotes, backslashes
 * and control bytes inside quoted fields are escaped ({@code \"}, {@code \\}, {@code \xHH}),
 * so a client cannot forge a line.
 */
final class AccessLogLine {
    private static final DateTimeFormatter CLF = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH);

    private AccessLogLine() {
    }

    static String format(InetAddress client, long startMillis, String requestLine, int status, long bodyBytes,
                         String referer, String userAgent, String poolBackend, String upstream,
                         long tq, long tc, long tr, long tt, String termination) {
        StringBuilder s = new StringBuilder(200);
        s.append(client.getHostAddress()).append(" - - [")
                .append(CLF.format(Instant.ofEpochMilli(startMillis).atZone(ZoneId.systemDefault()))).append("] \"");
        escape(s, requestLine).append("\" ").append(status == 0 ? "-" : Integer.toString(status)).append(' ')
                .append(bodyBytes > 0 ? Long.toString(bodyBytes) : "-").append(" \"");
        escape(s, referer == null ? "-" : referer).append("\" \"");
        escape(s, userAgent == null ? "-" : userAgent).append("\" ");
        s.append(poolBackend).append(' ').append(upstream).append(' ')
                .append(tq).append('/').append(tc).append('/').append(tr).append('/').append(tt)
                .append(' ').append(termination);
        return s.toString();
    }

    private static StringBuilder escape(StringBuilder s, String v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '"' || c == '\\') {
                s.append('\\').append(c);
            } else if (c < 0x20 || c >= 0x7f) {
                s.append(String.format("\\x%02x", (int) c & 0xff));
            } else {
                s.append(c);
            }
        }
        return s;
    }
}
