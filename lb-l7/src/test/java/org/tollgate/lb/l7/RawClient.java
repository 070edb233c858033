package org.tollgate.lb.l7;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.tollgate.lb.l7.http.HttpException;
import org.tollgate.lb.l7.http.HttpLimits;
import org.tollgate.lb.l7.http.HttpParser;
import org.tollgate.lb.l7.http.ResponseHead;

/** A blocking test client that writes exact bytes and reads responses (parsed by our tested parser). */
final class RawClient implements AutoCloseable {
    final Socket socket;
    private final InputStream in;
    private final HttpParser parser = HttpParser.forResponses(HttpLimits.RESPONSE_DEFAULTS);
    private final ByteBuffer buffer = ByteBuffer.allocate(1 << 20).flip();

    record Response(ResponseHead head, String body) {
        int status() {
            return head.status();
        }

        String header(String name) {
            return head.headers().get(name);
        }
    }

    RawClient(InetSocketAddress address) throws IOException {
        this(address, null);
    }

    /** Connects from {@code local} (e.g. 127.0.0.2: all of 127/8 is loopback on Linux), or any address if null. */
    RawClient(InetSocketAddress address, java.net.InetAddress local) throws IOException {
        socket = new Socket();
        if (local != null) {
            socket.bind(new InetSocketAddress(local, 0));
        }
        socket.connect(address, 3000);
        socket.setSoTimeout(5000);
        in = socket.getInputStream();
    }

    /** Reads {@code in} byte by byte until what was read ends with {@code end} (ISO-8859-1); EOF first fails. */
    static String readUntil(InputStream in, String end) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (!sb.toString().endsWith(end)) {
            int ch = in.read();
            if (ch < 0) {
                throw new java.io.EOFException("closed after " + sb);
            }
            sb.append((char) ch);
        }
        return sb.toString();
    }

    RawClient send(String request) throws IOException {
        socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
        return this;
    }

    Response read() throws IOException {
        return read("GET");
    }

    /** Reads one final response to a request with {@code method}. */
    Response read(String method) throws IOException {
        parser.expectResponseTo(method);
        ResponseHead head = null;
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        byte[] chunk = new byte[65536];
        try {
            while (true) {
                HttpParser.Event e = parser.next(buffer);
                switch (e) {
                    case HEAD:
                        if (!parser.response().isInformational()) {
                            head = parser.response();
                        }
                        continue;
                    case BODY:
                        ByteBuffer b = parser.body();
                        byte[] bytes = new byte[b.remaining()];
                        b.get(bytes);
                        body.write(bytes);
                        continue;
                    case END:
                        return new Response(head, body.toString(StandardCharsets.UTF_8));
                    default:
                        break;
                }
                int n = in.read(chunk);
                if (n < 0) {
                    if (parser.finish() == HttpParser.Event.END) {
                        return new Response(head, body.toString(StandardCharsets.UTF_8));
                    }
                    throw new IOException("connection closed before a response");
                }
                buffer.compact().put(chunk, 0, n).flip();
            }
        } catch (HttpException e) {
            throw new IOException("invalid response: " + e, e);
        }
    }

    /** True when the proxy closed the connection (end of stream within the timeout, nothing else sent). */
    boolean closedByPeer() throws IOException {
        if (buffer.hasRemaining()) {
            return false;
        }
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
