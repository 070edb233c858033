package org.tollgate.tls.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The server's close is a clean TCP close, not a reset: after its close_notify it sends a FIN
 * and keeps reading (and dropping) what the client still sends until the client's FIN, or a
 * linger timeout. Closing with unread input would make the kernel send an RST instead of the
 * FIN and throw away the end of the response still in the send queue (RFC 1122 §4.2.2.13).
 * The peer is JSSE over a plain socket, so the test sees the TCP end under the TLS end.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class GracefulCloseTest {
    /** Far more than the kernel's send and receive buffers hold on loopback (4 MB and a small window). */
    private static final int RESPONSE = 16 * 1024 * 1024;

    private TlsServer server;
    private Socket plain;

    @AfterEach
    void stop() throws IOException {
        if (plain != null) {
            plain.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** Answers the first bytes it gets with {@link #RESPONSE} bytes, then closes; reads nothing more. */
    private static final class BigAnswerThenClose implements ConnectionHandler {
        @Override
        public void onData(Connection connection, ByteBuffer data) {
            data.position(data.limit());
            connection.write(ByteBuffer.allocate(RESPONSE));
            connection.close();
        }
    }

    private TlsServer start(Duration linger) throws IOException {
        return TlsServer.builder().config(TestPeers.serverConfig().build()).handler(BigAnswerThenClose::new)
                .eventLoops(1).lingerTimeout(linger).build();
    }

    /** JSSE over a plain socket that it does not close, with a small receive window. */
    private SSLSocket connect(String version) throws Exception {
        plain = new Socket();
        plain.setOption(StandardSocketOptions.SO_RCVBUF, 64 * 1024); // the server must wait for our reads
        plain.connect(server.localAddress(), 20_000);
        plain.setSoTimeout(30_000);
        SSLSocket tls = (SSLSocket) TestPeers.jsse().getSocketFactory().createSocket(plain, "localhost",
                server.localAddress().getPort(), false);
        SSLParameters p = tls.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        p.setProtocols(new String[] {version});
        tls.setSSLParameters(p);
        return tls;
    }

    /**
     * The client sends more while the server is still writing its long answer (a pipelined
     * request the server will not read). Before the fix the server closed with those bytes
     * unread: the kernel sent an RST, dropped megabytes of the answer still queued, and the
     * client got a cut answer and "Connection reset".
     */
    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void unreadClientBytesDoNotResetTheConnection(String version) throws Exception {
        server = start(Duration.ofSeconds(30));
        SSLSocket tls = connect(version);
        tls.getOutputStream().write("first".getBytes(StandardCharsets.US_ASCII));
        tls.getOutputStream().flush();
        InputStream in = tls.getInputStream();
        assertTrue(in.read() >= 0, "the answer starts");
        // The server is now writing and, while its writes wait for us, reads nothing (backpressure).
        tls.getOutputStream().write("pipelined, never read".getBytes(StandardCharsets.US_ASCII));
        tls.getOutputStream().flush();

        long total = 1 + drain(in);
        assertEquals(RESPONSE, total, "the whole answer, then close_notify");
        assertEquals(version, tls.getSession().getProtocol());
        // Under close_notify, the TCP end: a FIN (read returns -1), not a reset.
        assertEquals(-1, plain.getInputStream().read(), "FIN after close_notify");
        assertEquals(1, server.activeConnections(), "the server waits for our FIN (30 s linger)");
        plain.shutdownOutput();
        awaitNoConnections();
    }

    /** A client that never sends its FIN is closed after the linger timeout all the same. */
    @Test
    void aClientThatNeverClosesIsClosedAfterTheLingerTimeout() throws Exception {
        server = start(Duration.ofMillis(300));
        SSLSocket tls = connect("TLSv1.3");
        tls.getOutputStream().write("first".getBytes(StandardCharsets.US_ASCII));
        tls.getOutputStream().flush();
        assertEquals(RESPONSE, drain(tls.getInputStream()));
        assertEquals(-1, plain.getInputStream().read(), "FIN after close_notify");
        // We keep our side open and send nothing: the server stops waiting by itself.
        awaitNoConnections();
    }

    /** Reads to the end of the TLS stream (close_notify); returns the bytes read. */
    private static long drain(InputStream in) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        for (int n; (n = in.read(buf)) >= 0; ) {
            total += n;
        }
        return total;
    }

    private void awaitNoConnections() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (server.activeConnections() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, server.activeConnections(), "the server closed the connection");
    }
}
