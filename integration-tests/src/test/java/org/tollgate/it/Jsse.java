package org.tollgate.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/** The JDK's own TLS (JSSE, SunJSSE provider) as a TLS 1.3 peer, with keys and trust from a {@link Pki}. */
final class Jsse {
    private static final char[] PASSWORD = "in-memory".toCharArray();

    private Jsse() {
    }

    /** A TLSv1.3 context trusting {@code pki}'s CA and, when {@code cert} is not null, holding that key. */
    static SSLContext context(Pki pki, Pki.Cert cert) {
        return cert == null ? context(null, pki) : context(null, pki, cert);
    }

    /**
     * A context of {@code provider} (null: the JDK's SunJSSE) trusting {@code pki}'s CA and
     * holding {@code certs} (its key manager picks one by key type and issuer).
     */
    static SSLContext context(java.security.Provider provider, Pki pki, Pki.Cert... certs) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", pki.ca());
            TrustManagerFactory tmf = provider == null ? TrustManagerFactory.getInstance("PKIX")
                    : TrustManagerFactory.getInstance("PKIX", provider);
            tmf.init(trust);
            KeyManagerFactory kmf = null;
            if (certs.length > 0) {
                KeyStore keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                for (int i = 0; i < certs.length; i++) {
                    keys.setKeyEntry("key" + i, certs[i].key().privateKey(), PASSWORD,
                            certs[i].key().chain().toArray(new Certificate[0]));
                }
                kmf = provider == null ? KeyManagerFactory.getInstance("PKIX") : KeyManagerFactory.getInstance("PKIX", provider);
                kmf.init(keys, PASSWORD);
            }
            SSLContext context = provider == null ? SSLContext.getInstance("TLSv1.3") : SSLContext.getInstance("TLS", provider);
            context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a JSSE context", e);
        }
    }

    /** What a JSSE endpoint saw of one connection. */
    record Session(String protocol, String cipherSuite, String alpn, List<String> requestedServerNames,
                   String received) {
        static Session of(SSLSocket socket, String received) {
            SSLSession session = socket.getSession();
            List<String> names = session instanceof ExtendedSSLSession extended
                    ? extended.getRequestedServerNames().stream()
                        .map(n -> n instanceof SNIHostName h ? h.getAsciiName() : n.toString()).toList()
                    : List.of();
            String alpn = socket.getApplicationProtocol();
            return new Session(session.getProtocol(), session.getCipherSuite(),
                    alpn == null || alpn.isEmpty() ? null : alpn, names, received);
        }
    }

    /**
     * A JSSE client: connects to 127.0.0.1:{@code port} as {@code host} (SNI and checked
     * name), sends {@code request}, reads until the server closes.
     */
    static Session get(SSLContext context, int port, String host, List<String> alpn, String request)
            throws IOException {
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
            socket.setSoTimeout(10_000);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setProtocols(new String[] {"TLSv1.3"});
            parameters.setServerNames(List.<SNIServerName>of(new SNIHostName(host)));
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            if (!alpn.isEmpty()) {
                parameters.setApplicationProtocols(alpn.toArray(new String[0]));
            }
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            String received = readAll(socket.getInputStream());
            return Session.of(socket, received);
        }
    }

    /**
     * A JSSE server on 127.0.0.1 (port 0) that accepts one connection, reads one line,
     * answers {@code "echo: " + line}, then reads one more line and answers it the same way
     * (so data flows both ways, before and after any key update), and closes.
     */
    static final class EchoServer implements AutoCloseable {
        private final SSLServerSocket server;
        private final CompletableFuture<Session> session = new CompletableFuture<>();

        EchoServer(SSLContext context, List<String> alpn, int lines) throws IOException {
            server = (SSLServerSocket) context.getServerSocketFactory()
                    .createServerSocket(0, 1, InetAddress.getLoopbackAddress());
            SSLParameters parameters = server.getSSLParameters();
            parameters.setProtocols(new String[] {"TLSv1.3"});
            if (!alpn.isEmpty()) {
                parameters.setApplicationProtocols(alpn.toArray(new String[0]));
            }
            server.setSSLParameters(parameters);
            Thread thread = new Thread(() -> serve(lines), "jsse-echo-server");
            thread.setDaemon(true);
            thread.start();
        }

        private void serve(int lines) {
            try (SSLSocket socket = (SSLSocket) server.accept()) {
                socket.setSoTimeout(10_000);
                StringBuilder all = new StringBuilder();
                for (int i = 0; i < lines; i++) {
                    String line = readLine(socket.getInputStream());
                    if (line == null) {
                        break;
                    }
                    all.append(line).append('\n');
                    socket.getOutputStream().write(("echo: " + line + "\n").getBytes(StandardCharsets.UTF_8));
                    socket.getOutputStream().flush();
                }
                session.complete(Session.of(socket, all.toString()));
            } catch (IOException | RuntimeException e) {
                session.completeExceptionally(e);
            }
        }

        int port() {
            return server.getLocalPort();
        }

        /** What the server saw, once the connection is over. */
        Session session() throws Exception {
            return session.get(15, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toString(StandardCharsets.UTF_8);
    }

    /** One line without its newline, or null at end of stream. */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            line.write(b);
        }
        if (b == -1 && line.size() == 0) {
            return null;
        }
        return line.toString(StandardCharsets.UTF_8);
    }

}
