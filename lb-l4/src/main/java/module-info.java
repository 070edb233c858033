/**
 * Tollgate's L4 load balancer: the balancing algorithms ({@code org.tollgate.lb.balance},
 * reused by lb-l7) and the NIO TCP forwarder ({@code org.tollgate.lb.l4}).
 */
module org.tollgate.lb.l4 {
    requires org.tollgate.tls.core;

    exports org.tollgate.lb.balance;
    exports org.tollgate.lb.l4;
}
