/**
 * Tollgate's L4 load balancer: the balancing algorithms ({@code org.tollgate.lb.balance},
 * reused by lb-l7) and the NIO TCP forwarder ({@code org.tollgate.lb.l4}).
 */
module org.tollgate.lb.l4 {
    requires org.tollgate.tls.core;
    requires info.picocli;
    requires java.logging; // Main quiets the library's INFO lines

    exports org.tollgate.lb.balance;
    exports org.tollgate.lb.l4;
    opens org.tollgate.lb.l4 to info.picocli;
}
