package org.tollgate.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.client.TlsClient;
import org.tollgate.tls.client.TlsClientException;
import org.tollgate.tls.client.TlsConnection;

/** Small helpers around Tollgate's {@link TlsClient} for the interop tests. */
final class OurClient {
    private OurClient() {
    }

    /** Connects to 127.0.0.1:{@code port} speaking to {@code serverName} (SNI and checked name). */
    static TlsConnection connect(int port, String serverName, TlsConfig config) throws IOException {
        TlsConnection connection = TlsClient.connect(new InetSocketAddress("127.0.0.1", port), serverName, config);
        connection.setReadTimeout(Duration.ofSeconds(10));
        return connection;
    }

    /** GET / with Connection: close; returns the whole response. */
    static String get(int port, String serverName, TlsConfig config) throws IOException {
        try (TlsConnection connection = connect(port, serverName, config)) {
            connection.outputStream().write(OpenSslClient.httpGet(serverName).getBytes(StandardCharsets.US_ASCII));
            connection.outputStream().flush();
            return readAll(connection.inputStream());
        }
    }

    /** Reads until {@code text} has arrived (or the stream ends); returns what was read. */
    static String readUntil(InputStream in, String text) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        int b;
        while (!got.toString(StandardCharsets.UTF_8).contains(text) && (b = in.read()) != -1) {
            got.write(b);
        }
        return got.toString(StandardCharsets.UTF_8);
    }

    static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The protocol failure carried by a client exception. */
    static TlsException tlsFailure(Throwable failure) {
        if (failure instanceof TlsClientException client) {
            return client.tlsException();
        }
        throw new AssertionError("expected a TlsClientException", failure);
    }
}
