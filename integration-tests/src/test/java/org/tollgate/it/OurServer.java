package org.tollgate.it;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.TlsEngine;
import org.tollgate.tls.TlsException;

/**
 * Tollgate's server on a free loopback port, recording every handshake summary and
 * failure it reports. TEMPORARY implementation over TlsEngine until tls-server lands.
 */
final class OurServer implements AutoCloseable {
    enum Mode { HTTPS, ECHO }

    private final ServerSocket socket;
    private final BlockingQueue<HandshakeSummary> handshakes = new LinkedBlockingQueue<>();
    private final BlockingQueue<Throwable> failures = new LinkedBlockingQueue<>();

    private OurServer(TlsConfig config, Mode mode) throws Exception {
        socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!socket.isClosed()) {
                try {
                    Socket s = socket.accept();
                    Thread c = new Thread(() -> serve(s, TlsEngine.server(config), mode));
                    c.setDaemon(true);
                    c.start();
                } catch (Exception e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
    }

    static OurServer start(TlsConfig config, Mode mode) throws Exception {
        return new OurServer(config, mode);
    }

    int port() {
        return socket.getLocalPort();
    }

    /** The next handshake the server completed. */
    HandshakeSummary nextHandshake() throws InterruptedException {
        HandshakeSummary s = handshakes.poll(10, TimeUnit.SECONDS);
        if (s == null) {
            throw new AssertionError("the server reported no handshake within 10 s; failures: " + failures);
        }
        return s;
    }

    /** The next failure the server reported. */
    Throwable nextFailure(Duration timeout) throws InterruptedException {
        Throwable t = failures.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (t == null) {
            throw new AssertionError("the server reported no failure within " + timeout + "; handshakes: " + handshakes);
        }
        return t;
    }

    void clearReports() {
        handshakes.clear();
        failures.clear();
    }

    private void serve(Socket s, TlsEngine e, Mode mode) {
        try {
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[17 * 1024];
            StringBuilder request = new StringBuilder();
            boolean reported = false;
            while (true) {
                if (e.isHandshakeComplete() && !reported) {
                    handshakes.add(e.summary());
                    reported = true;
                }
                if (e.applicationDataAvailable() > 0) {
                    ByteBuffer b = ByteBuffer.allocate(e.applicationDataAvailable());
                    e.readApplicationData(b);
                    if (mode == Mode.ECHO) {
                        b.flip();
                        e.writeApplicationData(b);
                    } else {
                        request.append(new String(b.array(), 0, b.position(), StandardCharsets.ISO_8859_1));
                        if (request.indexOf("\r\n\r\n") >= 0) {
                            String body = "<html><body>Tollgate</body></html>\n";
                            e.writeApplicationData(ByteBuffer.wrap(("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                                    + "Content-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body)
                                    .getBytes(StandardCharsets.US_ASCII)));
                            e.closeOutbound();
                        }
                    }
                }
                if (e.hasPendingOutput()) {
                    out.write(e.drainOutput());
                    out.flush();
                }
                if (e.isOutboundClosed() || e.isInboundClosed()) {
                    return;
                }
                int n = in.read(buf);
                if (n < 0) {
                    return;
                }
                e.receive(ByteBuffer.wrap(buf, 0, n));
            }
        } catch (TlsException ex) {
            failures.add(ex);
            try {
                s.getOutputStream().write(e.drainOutput());
            } catch (Exception ignored) {
                // gone
            }
        } catch (Exception ex) {
            failures.add(ex);
        } finally {
            try {
                s.close();
            } catch (Exception ignored) {
                // gone
            }
        }
    }

    @Override
    public void close() throws Exception {
        socket.close();
    }
}
