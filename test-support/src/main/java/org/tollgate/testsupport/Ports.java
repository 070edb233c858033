package org.tollgate.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * Free loopback ports for external servers that cannot bind port 0 and report it. Prefer
 * binding port 0 wherever the server says which port it got (as {@link OpenSslServer} does).
 */
public final class Ports {
    private Ports() {
    }

    /**
     * A port that was free on 127.0.0.1 a moment ago. There is a small race until the
     * program binds it; the callers wait for the program's readiness line, so a lost race
     * shows up as a clear start failure rather than a hang.
     *
     * @return a TCP port number
     */
    public static int free() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        }
    }
}
