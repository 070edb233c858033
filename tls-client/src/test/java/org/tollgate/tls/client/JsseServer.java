package org.tollgate.tls.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.tollgate.tls.cert.CertifiedKey;

/**
 * An in-process TLS 1.3 server made of the JDK's own TLS (JSSE) on 127.0.0.1 and a free port.
 * The TCP listener is plain so that a handler also gets the raw socket (to close TCP without
 * close_notify); the handler runs on a thread per connection and its failures are kept.
 */
final class JsseServer implements AutoCloseable {
    interface Handler {
        void handle(SSLSocket tls, Socket tcp) throws Exception;
    }

    private final ServerSocket listener;
    private final SSLContext context;
    private final Handler handler;
    private final List<Throwable> failures = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    JsseServer(CertifiedKey key, Handler handler) throws Exception {
        this.context = TestPki.jsseServerContext(key);
        this.handler = handler;
        this.listener = new ServerSocket();
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.acceptor = new Thread(this::acceptLoop, "jsse-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            Socket tcp;
            try {
                tcp = listener.accept();
            } catch (IOException e) {
                return;
            }
            Thread t = new Thread(() -> {
                try {
                    tcp.setSoTimeout(20_000);
                    SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(tcp, null, false);
                    tls.setUseClientMode(false);
                    tls.setEnabledProtocols(new String[] {"TLSv1.3"});
                    handler.handle(tls, tcp);
                } catch (Throwable e) {
                    failures.add(e);
                } finally {
                    try {
                        tcp.close();
                    } catch (IOException ignored) {
                        // closed
                    }
                }
            }, "jsse-connection");
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** Waits for the handlers to finish and rethrows the first failure. */
    void awaitHandlers() throws Exception {
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(20));
        }
        if (!failures.isEmpty()) {
            Throwable f = failures.get(0);
            if (f instanceof Exception e) {
                throw e;
            }
            throw new AssertionError(f);
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Thread t : threads) {
            t.interrupt();
        }
    }

    /** Reads an HTTP request head (up to the empty line). */
    static String readRequestHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        int b;
        while (state < 4 && (b = in.read()) >= 0) {
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }
}
