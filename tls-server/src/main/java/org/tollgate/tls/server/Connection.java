package org.tollgate.tls.server;

import java.net.SocketAddress;
import java.nio.ByteBuffer;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.nio.EventLoop;

/**
 * One client connection of a {@link TlsServer}, as its {@link ConnectionHandler} sees it.
 * Call its methods on the connection's event loop thread (inside the handler's callbacks,
 * or through {@link #eventLoop()}{@code .execute(...)}).
 */
public interface Connection {

    /** {@return a number unique within the server, for logs} */
    long id();

    /** {@return the client's address} */
    SocketAddress remoteAddress();

    /** {@return what the handshake agreed on} */
    HandshakeSummary summary();

    /**
     * Encrypts and sends all of {@code data} (its position moves to the limit). What the
     * socket cannot take yet is copied and sent later; meanwhile the server reads nothing
     * more from this client. Ignored once {@link #close()} was called, and on a TLS 1.2
     * connection whose client sent close_notify (answered at once, RFC 5246 §7.2.1); in
     * TLS 1.3 a response still goes out after the client's close_notify (half-close).
     * @param data the plaintext to send
     */
    void write(ByteBuffer data);

    /** {@return true while written bytes wait for the socket} */
    boolean hasPendingWrites();

    /** Sends what is pending, then close_notify, then closes. */
    void close();

    /** {@return true until the connection is closed} */
    boolean isOpen();

    /** {@return the loop this connection runs on} */
    EventLoop eventLoop();
}
