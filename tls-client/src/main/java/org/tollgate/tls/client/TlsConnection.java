package org.tollgate.tls.client;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.TlsEngine;
import org.tollgate.tls.TlsException;

/**
 * One established TLS connection over a blocking {@link SocketChannel}: the glue between a
 * socket and a sans-I/O {@link TlsEngine}. Bytes read from the socket go into the engine; the
 * records the engine produces go to the socket; the application sees plain streams.
 *
 * <p>Reading and writing may happen on two threads at once (one reader, one writer); the engine
 * itself is only touched under a lock. Made by {@link TlsClient#connect}.
 */
public final class TlsConnection implements Closeable {
    private static final System.Logger LOG = System.getLogger(TlsConnection.class.getName());
    /** TLS 1.3 record plaintext limit (RFC 8446 §5.1): the output stream cuts records this size. */
    private static final int MAX_RECORD_PLAINTEXT = 16384;
    /** A full TLS record with header and AEAD expansion fits in this. */
    private static final int NETWORK_BUFFER_SIZE = 16384 + 256 + 5;
    /** How long {@link #close()} waits for the server's close_notify. */
    static final Duration CLOSE_WAIT = Duration.ofSeconds(1);

    private final SocketChannel channel;
    private final InputStream socketIn; // the channel's socket adaptor: the one blocking read that honours a timeout
    private final TlsEngine engine;
    private final InetSocketAddress address;
    private final String serverName;
    /** Guards the engine; held only for engine calls, never across socket I/O. */
    private final Object engineLock = new Object();
    /** Orders socket writes; a blocked write never holds {@code engineLock}, so the reader always progresses. */
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ReentrantLock readLock = new ReentrantLock();
    private final byte[] networkIn = new byte[NETWORK_BUFFER_SIZE];
    private final ByteBuffer networkOut = ByteBuffer.allocate(64 * 1024);
    private final TlsInputStream inputStream = new TlsInputStream();
    private final TlsOutputStream outputStream = new TlsOutputStream();
    private volatile int readTimeoutMillis;
    private volatile boolean closed;

    TlsConnection(SocketChannel channel, TlsEngine engine, InetSocketAddress address, String serverName)
            throws IOException {
        this.channel = channel;
        this.engine = engine;
        this.address = address;
        this.serverName = serverName;
        this.socketIn = channel.socket().getInputStream();
    }

    /**
     * Runs the handshake to completion, or until {@code timeout} passes. On a TLS failure the
     * alert is sent, the socket closed and a {@link TlsClientException} thrown.
     */
    void handshake(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            synchronized (engineLock) {
                engine.beginHandshake();
            }
            sendPending(true);
            while (!engine.isHandshakeComplete()) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    throw handshakeTimeout(timeout);
                }
                int n;
                try {
                    n = readSocket((int) Math.max(1, Duration.ofNanos(remaining).toMillis()));
                } catch (SocketTimeoutException e) {
                    throw handshakeTimeout(timeout);
                }
                if (n < 0) {
                    throw new EOFException("the server " + describePeer()
                            + " closed the connection during the TLS handshake (is it a TLS server?)");
                }
                synchronized (engineLock) {
                    engine.receive(ByteBuffer.wrap(networkIn, 0, n));
                }
                sendPending(true);
            }
        } catch (TlsException e) {
            throw fail(e);
        } catch (IOException | RuntimeException e) {
            closeQuietly();
            throw e;
        }
    }

    private SocketTimeoutException handshakeTimeout(Duration timeout) {
        return new SocketTimeoutException("the TLS handshake with " + describePeer() + " did not finish within "
                + timeout.toMillis() + " ms");
    }

    /** The engine has queued its alert: send it, close, and wrap the failure for the caller. */
    private TlsClientException fail(TlsException e) {
        try {
            sendPending(false); // the engine has queued the alert; a writer blocked on the socket may hold the lock
        } catch (IOException ignored) {
            // the server may already be gone; the alert is best effort
        }
        closeQuietly();
        LOG.log(Level.DEBUG, () -> "TLS failure with " + describePeer() + ": " + e);
        return new TlsClientException(e);
    }

    // ------------------------------------------------------------------ public API

    /**
     * Decrypted bytes from the server; -1 after its close_notify.
     * @return the input stream
     */
    public InputStream inputStream() {
        return inputStream;
    }

    /** {@return the stream of bytes to the server: written bytes are cut into records, {@code flush()} sends them} */
    public OutputStream outputStream() {
        return outputStream;
    }

    /** {@return what the handshake agreed on} */
    public HandshakeSummary summary() {
        synchronized (engineLock) {
            return engine.summary();
        }
    }

    /** {@return the address connected to} */
    public InetSocketAddress remoteAddress() {
        return address;
    }

    /** {@return the name sent as SNI and checked against the certificate} */
    public String serverName() {
        return serverName;
    }

    /** {@return how many KeyUpdate messages the server has sent so far} */
    public int keyUpdatesReceived() {
        synchronized (engineLock) {
            return engine.keyUpdatesReceived();
        }
    }

    /** {@return how many NewSessionTicket messages the server has sent so far} */
    public int ticketsReceived() {
        synchronized (engineLock) {
            return engine.ticketsReceived();
        }
    }

    /**
     * Limits how long a read waits for the server; zero (the default) waits forever.
     * @param timeout the read timeout, zero for none
     */
    public void setReadTimeout(Duration timeout) {
        long millis = timeout.toMillis();
        if (millis < 0 || millis > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("read timeout out of range: " + timeout);
        }
        this.readTimeoutMillis = (int) millis;
    }

    /**
     * Sends a KeyUpdate (RFC 8446 §4.6.3) after whatever was written before, and from then on
     * encrypts with new keys; with {@code requestPeer} the server is asked to update its keys too.
     * @param requestPeer true to ask the server to update its keys too
     * @throws IOException when the KeyUpdate cannot be sent
     */
    public void updateKeys(boolean requestPeer) throws IOException {
        synchronized (engineLock) {
            outputStream.encryptBuffered();
            try {
                engine.updateKeys(requestPeer);
            } catch (TlsException e) {
                throw fail(e);
            } catch (IllegalStateException e) {
                throw new IOException("cannot update keys: the connection is closed", e);
            }
        }
        sendPending(true);
    }

    /**
     * Sends what is buffered and close_notify (RFC 8446 §6.1), waits briefly for the server's
     * close_notify, then closes the socket. Closing twice does nothing.
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        try {
            synchronized (engineLock) {
                if (!engine.isOutboundClosed()) {
                    outputStream.encryptBuffered();
                    engine.closeOutbound();
                }
            }
            sendPending(true);
            awaitPeerClose();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, () -> "while closing the connection to " + describePeer() + ": " + e);
        } finally {
            closeQuietly();
        }
    }

    /** Reads (and drops) what the server still sends until its close_notify, for a short while. */
    private void awaitPeerClose() throws IOException {
        long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
        if (!readLock.tryLock()) {
            return; // another thread is reading: closing the socket will wake it
        }
        try {
            while (!isInboundClosed()) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    return;
                }
                int n;
                try {
                    n = readSocket((int) Math.max(1, Duration.ofNanos(remaining).toMillis()));
                } catch (SocketTimeoutException e) {
                    return;
                }
                if (n < 0) {
                    return;
                }
                synchronized (engineLock) {
                    try {
                        engine.receive(ByteBuffer.wrap(networkIn, 0, n));
                    } catch (TlsException e) {
                        sendPending(false);
                        return;
                    }
                    engine.readApplicationData(ByteBuffer.allocate(engine.applicationDataAvailable()));
                }
            }
        } finally {
            readLock.unlock();
        }
    }

    private boolean isInboundClosed() {
        synchronized (engineLock) {
            return engine.isInboundClosed();
        }
    }

    private void closeQuietly() {
        closed = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing more to do
        }
    }

    // ------------------------------------------------------------------ plumbing

    private int readSocket(int timeoutMillis) throws IOException {
        channel.socket().setSoTimeout(timeoutMillis);
        return socketIn.read(networkIn, 0, networkIn.length);
    }

    /**
     * Writes every record the engine has queued, in order. With {@code mayWait} false (the reader
     * answering a KeyUpdate or close_notify) it gives up if another thread is writing: that thread
     * looks for pending output again after releasing the lock, so nothing is left behind.
     */
    private void sendPending(boolean mayWait) throws IOException {
        do {
            if (mayWait) {
                writeLock.lock();
            } else if (!writeLock.tryLock()) {
                return;
            }
            try {
                while (true) {
                    networkOut.clear();
                    synchronized (engineLock) {
                        if (!engine.hasPendingOutput()) {
                            break;
                        }
                        engine.drainOutput(networkOut);
                    }
                    networkOut.flip();
                    while (networkOut.hasRemaining()) {
                        channel.write(networkOut);
                    }
                }
            } finally {
                writeLock.unlock();
            }
            mayWait = false;
        } while (hasPendingOutput());
    }

    private boolean hasPendingOutput() {
        synchronized (engineLock) {
            return engine.hasPendingOutput();
        }
    }

    private String describePeer() {
        String host = address.getHostString();
        String where = (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
        return serverName == null || serverName.equals(host) ? where : serverName + " (" + where + ")";
    }

    private final class TlsInputStream extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            readLock.lock();
            try {
                while (true) {
                    synchronized (engineLock) {
                        if (engine.applicationDataAvailable() > 0) {
                            return engine.readApplicationData(ByteBuffer.wrap(b, off, len));
                        }
                        if (engine.failure() != null) {
                            throw new TlsClientException(engine.failure());
                        }
                        if (engine.isInboundClosed()) {
                            return -1; // RFC 8446 §6.1: the server's close_notify
                        }
                    }
                    if (closed) {
                        throw new IOException("the connection is closed");
                    }
                    int n = readSocket(readTimeoutMillis);
                    if (n < 0) {
                        closeQuietly();
                        // RFC 8446 §6.1: without close_notify, an attacker may have cut the data short.
                        throw new EOFException("connection closed without close_notify (truncation): the server "
                                + describePeer() + " closed TCP before ending TLS, so the data may be incomplete");
                    }
                    synchronized (engineLock) {
                        try {
                            engine.receive(ByteBuffer.wrap(networkIn, 0, n));
                        } catch (TlsException e) {
                            throw fail(e);
                        }
                    }
                    try {
                        sendPending(false); // KeyUpdate answers, our close_notify answering theirs
                    } catch (IOException e) {
                        if (!isInboundClosed()) {
                            throw e;
                        }
                    }
                }
            } finally {
                readLock.unlock();
            }
        }

        @Override
        public int available() {
            synchronized (engineLock) {
                return engine.applicationDataAvailable();
            }
        }

        @Override
        public void close() throws IOException {
            TlsConnection.this.close();
        }
    }

    private final class TlsOutputStream extends OutputStream {
        private final ByteBuffer plaintext = ByteBuffer.allocate(MAX_RECORD_PLAINTEXT);

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            while (len > 0) {
                boolean full;
                synchronized (engineLock) {
                    checkWritable();
                    int n = Math.min(len, plaintext.remaining());
                    plaintext.put(b, off, n);
                    off += n;
                    len -= n;
                    full = !plaintext.hasRemaining();
                    if (full) {
                        encryptBuffered();
                    }
                }
                if (full) {
                    sendPending(true);
                }
            }
        }

        @Override
        public void flush() throws IOException {
            synchronized (engineLock) {
                if (closed) {
                    return;
                }
                encryptBuffered();
            }
            sendPending(true);
        }

        @Override
        public void close() throws IOException {
            TlsConnection.this.close();
        }

        /** Turns the buffered plaintext into a record. Called with {@code engineLock} held. */
        void encryptBuffered() throws IOException {
            if (plaintext.position() == 0) {
                return;
            }
            checkWritable();
            plaintext.flip();
            try {
                engine.writeApplicationData(plaintext);
            } catch (TlsException e) {
                throw fail(e);
            } finally {
                plaintext.clear();
            }
        }

        private void checkWritable() throws IOException {
            if (engine.failure() != null) {
                throw new TlsClientException(engine.failure());
            }
            if (closed || engine.isOutboundClosed()) {
                throw new IOException("the connection is closed for writing");
            }
        }
    }
}
