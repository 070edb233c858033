package org.tollgate.lb.l4;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.tollgate.lb.balance.Backend;

/** A real TCP server on 127.0.0.1, port chosen by the system, one thread per connection. */
final class TestBackend implements AutoCloseable {

    interface Behaviour {
        void serve(String name, Socket socket) throws IOException;
    }

    /** Says its name on a line, then echoes everything until the client's end of stream, then closes. */
    static final Behaviour WHO_AM_I_ECHO = (name, s) -> {
        OutputStream out = s.getOutputStream();
        out.write((name + "\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[64 * 1024];
        int n;
        while ((n = in.read(buf)) > 0) {
            out.write(buf, 0, n);
        }
        s.shutdownOutput();
    };

    private final String name;
    private final ServerSocket server;
    private final Behaviour behaviour;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    final AtomicInteger accepted = new AtomicInteger();
    final List<Throwable> failures = new CopyOnWriteArrayList<>();

    TestBackend(String name, Behaviour behaviour) throws IOException {
        this(name, behaviour, 0);
    }

    /** On a given port (0: any), e.g. to restart a stopped backend where it was. */
    TestBackend(String name, Behaviour behaviour, int port) throws IOException {
        this.name = name;
        this.behaviour = behaviour;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        Thread t = new Thread(this::acceptLoop, "backend-" + name);
        t.setDaemon(true);
        t.start();
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
    }

    Backend backend(int weight) {
        return new Backend(name, address(), weight);
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return;
            }
            accepted.incrementAndGet();
            sockets.add(s);
            Thread t = new Thread(() -> {
                try (s) {
                    behaviour.serve(name, s);
                } catch (IOException e) {
                    if (!server.isClosed()) {
                        failures.add(e);
                    }
                }
            }, "backend-" + name + "-conn");
            t.setDaemon(true);
            t.start();
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }

    /** A port on 127.0.0.1 that refuses connections: bound, then released. */
    static InetSocketAddress refusingAddress() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort());
        }
    }
}
