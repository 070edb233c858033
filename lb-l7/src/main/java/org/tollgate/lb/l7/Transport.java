package org.tollgate.lb.l7;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import org.tollgate.tls.nio.TlsChannel;

/** A client or backend byte stream: a plain socket, or TLS over one. Non-blocking. */
interface Transport {

    /** Bytes read, 0 if none now, -1 at end of stream. */
    int read(ByteBuffer dst) throws IOException;

    /** Bytes taken, possibly 0. */
    int write(ByteBuffer src) throws IOException;

    /** Pushes bytes held inside the transport; true when none remain. */
    boolean flush() throws IOException;

    /** True while the transport itself holds bytes for the socket (wants OP_WRITE). */
    boolean wantsWrite();

    /** Ends our direction (FIN, or TLS close_notify), keeping the other open to drain. */
    void shutdownOutput() throws IOException;

    void close();

    SocketChannel socket();

    /** "http" or "https", as X-Forwarded-Proto says it. */
    String scheme();

    static Transport plain(SocketChannel socket) {
        return new Transport() {
            @Override
            public int read(ByteBuffer dst) throws IOException {
                return socket.read(dst);
            }

            @Override
            public int write(ByteBuffer src) throws IOException {
                return socket.write(src);
            }

            @Override
            public boolean flush() {
                return true;
            }

            @Override
            public boolean wantsWrite() {
                return false;
            }

            @Override
            public void shutdownOutput() throws IOException {
                socket.shutdownOutput();
            }

            @Override
            public void close() {
                try {
                    socket.close();
                } catch (IOException e) {
                    // already gone
                }
            }

            @Override
            public SocketChannel socket() {
                return socket;
            }

            @Override
            public String scheme() {
                return "http";
            }
        };
    }

    static Transport tls(TlsChannel tls) {
        return new Transport() {
            @Override
            public int read(ByteBuffer dst) throws IOException {
                return tls.read(dst);
            }

            @Override
            public int write(ByteBuffer src) throws IOException {
                return tls.write(src);
            }

            @Override
            public boolean flush() throws IOException {
                return !tls.wantsWrite() || tls.flush();
            }

            @Override
            public boolean wantsWrite() {
                return tls.wantsWrite();
            }

            @Override
            public void shutdownOutput() throws IOException {
                tls.shutdownOutput();
            }

            @Override
            public void close() {
                try {
                    tls.close();
                } catch (IOException e) {
                    // already gone
                }
            }

            @Override
            public SocketChannel socket() {
                return tls.socket();
            }

            @Override
            public String scheme() {
                return "https";
            }
        };
    }
}
