/**
 * Tollgate's TLS client: a blocking connection over a {@link java.nio.channels.SocketChannel}
 * ({@link org.tollgate.tls.client.TlsClient}) and the curl-like {@code tls-client} command line
 * ({@link org.tollgate.tls.client.Main}).
 */
module org.tollgate.tls.client {
    requires org.tollgate.tls.core;
    requires info.picocli;

    exports org.tollgate.tls.client;
    opens org.tollgate.tls.client to info.picocli;
}
