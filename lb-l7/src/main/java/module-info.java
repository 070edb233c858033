/**
 * Tollgate's L7 load balancer: a strict incremental HTTP/1.1 parser
 * ({@code org.tollgate.lb.l7.http}) and the reverse proxy built on it
 * ({@link org.tollgate.lb.l7.L7Proxy}, the {@code lb-l7} command line
 * {@link org.tollgate.lb.l7.Main}).
 */
module org.tollgate.lb.l7 {
    requires org.tollgate.tls.core;
    requires org.tollgate.tls.server;
    requires org.tollgate.tls.client;
    requires org.tollgate.lb.l4;
    requires info.picocli;
    requires java.logging; // Main quiets the library's INFO lines
    requires jdk.unsupported; // sun.misc.Signal: reload on SIGHUP
    requires jdk.httpserver; // the demo's three backends

    exports org.tollgate.lb.l7;
    exports org.tollgate.lb.l7.http;
    opens org.tollgate.lb.l7 to info.picocli;
}
