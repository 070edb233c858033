package org.tollgate.tls.server;

import java.nio.ByteBuffer;

/** Sends every byte back ("echo" mode): the simplest application, handy for throughput tests. */
public final class EchoHandler implements ConnectionHandler {
    /** An echo handler; it keeps no state, so one can serve every connection. */
    public EchoHandler() {
    }

    @Override
    public void onData(Connection connection, ByteBuffer data) {
        connection.write(data);
    }
}
