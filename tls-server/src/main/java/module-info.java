/**
 * Tollgate's TLS server: {@link org.tollgate.tls.server.TlsServer} (a non-blocking server on
 * one event loop per core), the built-in {@link org.tollgate.tls.server.HttpsHandler} and
 * {@link org.tollgate.tls.server.EchoHandler}, and the {@code tls-server} command line
 * ({@link org.tollgate.tls.server.Main}).
 */
module org.tollgate.tls.server {
    requires org.tollgate.tls.core;
    requires info.picocli;
    requires java.logging; // Main quiets the library's INFO lines

    exports org.tollgate.tls.server;
    opens org.tollgate.tls.server to info.picocli;
}
