package org.tollgate.tls.server;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * What a {@link TlsServer} does with the application data of one connection. The server
 * makes one handler per connection (so a handler may keep per-connection state in fields)
 * and calls it on that connection's event loop thread only.
 *
 * <p>Backpressure: the server stops reading from a client while bytes written through
 * {@link Connection#write} wait for the socket, and does not call {@link #onData} until
 * they are flushed. A handler that produces output for part of its input can therefore
 * stop as soon as {@link Connection#hasPendingWrites()} is true, leaving the rest in the
 * buffer: it is offered again (followed by anything newer) once the writes have gone.
 */
public interface ConnectionHandler {

    /**
     * The handshake finished; {@link Connection#summary()} is available.
     * @param connection the new connection
     * @throws IOException to close the connection
     */
    default void onOpen(Connection connection) throws IOException {
    }

    /**
     * Decrypted bytes from the client, from {@code data.position()} to its limit. Consume
     * what you handle by advancing the position; bytes left are offered again with the
     * next ones. The buffer holds at most {@link TlsServer#MAX_BUFFERED_INPUT} bytes: a
     * handler that leaves it full without consuming anything has its connection closed.
     * An exception closes the connection.
     * @param connection the connection
     * @param data the decrypted bytes
     * @throws IOException to close the connection
     */
    void onData(Connection connection, ByteBuffer data) throws IOException;

    /**
     * The connection is closed (by either side, or by a failure). Called once, after {@link #onOpen}.
     * @param connection the closed connection
     */
    default void onClose(Connection connection) {
    }
}
