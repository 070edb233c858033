package org.tollgate.tls.client;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.TlsEngine;
import org.tollgate.tls.nio.TlsChannel;

/**
 * Opens TLS client connections. The blocking way, for programs that want streams:
 *
 * <pre>{@code
 * TlsConfig config = TlsConfig.builder().alpnProtocols(List.of("http/1.1")).build();
 * try (TlsConnection c = TlsClient.connect("example.com", 443, config)) {
 *     c.outputStream().write("GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n".getBytes());
 *     c.outputStream().flush();
 *     c.inputStream().transferTo(System.out);
 * }
 * }</pre>
 *
 * The TCP connect waits at most {@link #DEFAULT_CONNECT_TIMEOUT} (or the timeout given), the
 * handshake at most the configuration's {@link TlsConfig#handshakeTimeout()}.
 */
public final class TlsClient {
    /** How long a TCP connect may take unless told otherwise. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private TlsClient() {
    }

    /**
     * Connects to {@code host:port} and completes the handshake; {@code host} is also the SNI and certificate name.
     * @param host the server's name or address
     * @param port the server's port
     * @param config the TLS configuration
     * @return the connection, handshake done
     * @throws IOException when the connection or the handshake fails ({@link TlsClientException} for TLS)
     */
    public static TlsConnection connect(String host, int port, TlsConfig config) throws IOException {
        return connect(new InetSocketAddress(host, port), host, config, DEFAULT_CONNECT_TIMEOUT);
    }

    /**
     * Connects to {@code address} but speaks to {@code serverName}: the name sent as SNI and the
     * name the certificate must be valid for (like {@code curl --connect-to} or
     * {@code openssl s_client -servername}).
     * @param address the address to connect to
     * @param serverName the SNI name and the name the certificate must be valid for
     * @param config the TLS configuration
     * @return the connection, handshake done
     * @throws IOException when the connection or the handshake fails ({@link TlsClientException} for TLS)
     */
    public static TlsConnection connect(InetSocketAddress address, String serverName, TlsConfig config)
            throws IOException {
        return connect(address, serverName, config, DEFAULT_CONNECT_TIMEOUT);
    }

    /**
     * As {@link #connect(InetSocketAddress, String, TlsConfig)} with a chosen TCP connect timeout.
     *
     * @throws ConnectException       when the TCP connection is refused, unreachable or times out
     * @throws SocketTimeoutException when the handshake does not finish in time
     * @throws TlsClientException     when the handshake fails (the alert has been sent)
     * @param address the address to connect to
     * @param serverName the SNI name and certificate name
     * @param config the TLS configuration
     * @param connectTimeout how long the TCP connect may take
     * @return the connection, handshake done
     */
    public static TlsConnection connect(InetSocketAddress address, String serverName, TlsConfig config,
                                        Duration connectTimeout) throws IOException {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(serverName, "serverName");
        Objects.requireNonNull(config, "config");
        SocketChannel channel = openChannel(address, connectTimeout);
        try {
            TlsConnection connection = new TlsConnection(channel, TlsEngine.client(config, serverName, address.getPort()), address,
                    serverName);
            connection.handshake(config.handshakeTimeout());
            return connection;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * The non-blocking way, for a selector or an {@code EventLoop}: connects TCP (waiting at most
     * {@code connectTimeout}), switches the socket to non-blocking mode and returns a
     * {@link TlsChannel} whose handshake has not started yet. Drive it with
     * {@link TlsChannel#handshake()} (or just read and write), registering {@code OP_WRITE} while
     * {@link TlsChannel#wantsWrite()} and {@code OP_READ} otherwise. The handshake timeout is the
     * caller's to enforce: a non-blocking channel never waits.
     *
     * @param serverName the SNI name and the name the certificate must be valid for
     * @throws ConnectException when the TCP connection is refused, unreachable or times out
     * @param address the address to connect to
     * @param config the TLS configuration
     * @param connectTimeout how long the TCP connect may take
     * @return the channel, connected, handshake not started
     */
    public static TlsChannel open(InetSocketAddress address, String serverName, TlsConfig config,
                                  Duration connectTimeout) throws IOException {
        Objects.requireNonNull(serverName, "serverName");
        Objects.requireNonNull(config, "config");
        SocketChannel channel = openChannel(address, connectTimeout);
        try {
            channel.configureBlocking(false);
            return TlsChannel.client(channel, config, serverName);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Opens a blocking, connected {@link SocketChannel} with TCP_NODELAY (TLS writes whole records). */
    static SocketChannel openChannel(InetSocketAddress address, Duration connectTimeout) throws IOException {
        if (address.isUnresolved()) {
            throw new java.net.UnknownHostException("cannot resolve host " + address.getHostString());
        }
        SocketChannel channel = SocketChannel.open();
        try {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.socket().connect(address, (int) Math.min(Integer.MAX_VALUE, Math.max(1, connectTimeout.toMillis())));
            return channel;
        } catch (SocketTimeoutException e) {
            channel.close();
            ConnectException c = new ConnectException("cannot connect to " + describe(address) + ": no answer within "
                    + connectTimeout.toMillis() + " ms");
            c.initCause(e);
            throw c;
        } catch (IOException e) {
            channel.close();
            ConnectException c = new ConnectException("cannot connect to " + describe(address) + ": "
                    + (e.getMessage() == null ? e.toString() : e.getMessage()));
            c.initCause(e);
            throw c;
        }
    }

    static String describe(InetSocketAddress address) {
        String host = address.getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
