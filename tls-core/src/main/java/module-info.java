/**
 * Tollgate's TLS core: the sans-I/O TLS engine ({@link org.tollgate.tls.TlsEngine}),
 * certificates and trust ({@code org.tollgate.tls.cert}) and the NIO binding
 * ({@code org.tollgate.tls.nio}). Wire codec, record layer, handshake messages and
 * cryptography stay inside the module.
 */
module org.tollgate.tls.core {
    requires org.bouncycastle.provider;
    requires org.bouncycastle.pkix;

    exports org.tollgate.tls;
    exports org.tollgate.tls.cert;
    exports org.tollgate.tls.nio;
    exports org.tollgate.tls.explain;
}
