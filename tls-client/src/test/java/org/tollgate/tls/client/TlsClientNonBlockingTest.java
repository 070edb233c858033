package org.tollgate.tls.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.testsupport.OpenSslServer;
import org.tollgate.tls.Alert;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.nio.TlsChannel;
import org.tollgate.tls.nio.TlsIOException;

/** {@link TlsClient#open}: a non-blocking {@link TlsChannel}, driven by a selector, against openssl s_server. */
@Timeout(30)
class TlsClientNonBlockingTest {
    @TempDir
    static Path dir;
    static Path cert;
    static Path key;

    private OpenSslServer server;

    @BeforeAll
    static void writeFiles() throws IOException {
        Path[] files = TestPki.write(dir, "localhost", TestPki.PKI.localhostServer());
        cert = files[0];
        key = files[1];
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (server != null) {
            server.close();
        }
    }

    /** Waits on a selector for what the channel needs: OP_WRITE while output is pending, else OP_READ. */
    private static void await(Selector selector, TlsChannel tls) throws IOException {
        SelectionKey key = tls.socket().keyFor(selector);
        key.interestOps(tls.wantsWrite() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        assertTrue(selector.select(10_000) > 0, "the socket never became ready");
        selector.selectedKeys().clear();
    }

    @Test
    void fetchesThePageOnASelector() throws Exception {
        server = OpenSslServer.builder(cert, key).www().args("-groups", "P-256").start(dir);
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.port());
        try (Selector selector = Selector.open();
             TlsChannel tls = TlsClient.open(address, "localhost", TestPki.clientConfig().build(), Duration.ofSeconds(5))) {
            assertFalse(tls.socket().isBlocking());
            tls.socket().register(selector, SelectionKey.OP_READ);
            while (!tls.handshake()) {
                await(selector, tls);
            }
            assertEquals(CipherSuite.TLS_AES_128_GCM_SHA256, tls.summary().cipherSuite());
            assertEquals(NamedGroup.SECP256R1, tls.summary().group());
            assertTrue(tls.summary().helloRetryRequest(), "x25519 first, the server wants P-256");

            ByteBuffer request = ByteBuffer.wrap("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            while (request.hasRemaining()) {
                tls.write(request);
                if (request.hasRemaining() || !tls.flush()) {
                    await(selector, tls);
                }
            }
            while (!tls.flush()) {
                await(selector, tls);
            }
            ByteArrayOutputStream page = new ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(4096);
            int n;
            while ((n = tls.read(buffer)) >= 0) {
                if (n == 0) {
                    await(selector, tls);
                    continue;
                }
                page.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }
            String text = page.toString(StandardCharsets.ISO_8859_1);
            assertTrue(text.contains("New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256"), text);
            assertFalse(tls.isTruncated(), "the page ended with close_notify");
        }
    }

    @Test
    void aRefusedCertificateSurfacesAsTlsIoException() throws Exception {
        server = OpenSslServer.builder(cert, key).www().start(dir);
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.port());
        try (Selector selector = Selector.open();
             TlsChannel tls = TlsClient.open(address, "example.com", TestPki.clientConfig().build(), Duration.ofSeconds(5))) {
            tls.socket().register(selector, SelectionKey.OP_READ);
            TlsIOException e = assertThrows(TlsIOException.class, () -> {
                while (!tls.handshake()) {
                    await(selector, tls);
                }
            });
            assertEquals(Alert.BAD_CERTIFICATE, e.alert());
            assertTrue(e.getMessage().contains("is not valid for example.com"), e.getMessage());
        }
        server.awaitOutput("alert bad certificate", Duration.ofSeconds(5));
    }
}
