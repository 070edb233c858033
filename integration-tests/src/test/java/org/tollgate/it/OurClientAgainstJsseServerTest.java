package org.tollgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.client.TlsConnection;

/** Tollgate's client against a JDK SSLServerSocket (TLSv1.3): data both ways, before and after a KeyUpdate. */
class OurClientAgainstJsseServerTest {
    @TempDir
    Path dir;

    @Test
    void dataBothWaysAcrossAKeyUpdate() throws Exception {
        Pki pki = Pki.create(dir);
        try (Jsse.EchoServer server = new Jsse.EchoServer(Jsse.context(pki, pki.server()), List.of("http/1.1"), 3)) {
            TlsConfig config = TlsConfig.builder().verifier(pki.verifier()).alpnProtocols(List.of("http/1.1")).build();
            TlsConnection connection = OurClient.connect(server.port(), "localhost", config);
            try (connection) {
                exchange(connection, "one");
                connection.updateKeys(true);
                exchange(connection, "two");
                assertEquals(1, connection.keyUpdatesReceived(), "JSSE answered the KeyUpdate request");
                connection.updateKeys(false);
                exchange(connection, "three");
            }
            Jsse.Session seen = server.session();
            assertEquals("TLSv1.3", seen.protocol());
            assertEquals(connection.summary().cipherSuite(), CipherSuite.parse(seen.cipherSuite()));
            assertEquals(List.of("localhost"), seen.requestedServerNames());
            assertEquals("http/1.1", seen.alpn());
            assertEquals("http/1.1", connection.summary().alpn());
            assertEquals("one\ntwo\nthree\n", seen.received());
        }
    }

    private static void exchange(TlsConnection connection, String line) throws Exception {
        connection.outputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        connection.outputStream().flush();
        assertEquals("echo: " + line, Jsse.readLine(connection.inputStream()));
    }
}
