package org.tollgate.tls.nio;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.TlsEngine;
import org.tollgate.tls.TlsException;

/**
 * A TLS connection over a {@link SocketChannel}: a {@link ByteChannel} whose reads return
 * decrypted bytes and whose writes encrypt. It binds a sans-I/O {@link TlsEngine} to the
 * socket and works with blocking and non-blocking sockets alike.
 *
 * <pre>{@code
 * TlsChannel tls = TlsChannel.client(SocketChannel.open(address), config, "example.com");
 * tls.write(ByteBuffer.wrap(request));   // the handshake runs implicitly
 * int n = tls.read(buffer);              // -1 after the peer's close_notify or EOF
 * tls.close();                           // sends close_notify, closes the socket
 * }</pre>
 *
 * <h2>Non-blocking use</h2>
 * {@link #read} returns 0 when no decrypted byte is available yet, and {@link #write}
 * returns how many bytes it took, possibly 0: the channel keeps at most one batch of
 * encrypted records (about 64 KiB) waiting for the socket and refuses more until
 * {@link #flush()} has sent them. Register for {@code OP_WRITE} while
 * {@link #wantsWrite()} is true. Keep calling {@code read} until it returns 0 or -1:
 * decrypted bytes may be waiting inside the channel with nothing left on the socket.
 *
 * <h2>Memory</h2>
 * The channel reads from the socket only when every decrypted byte has been taken, so
 * per connection it holds the engine's one record in reassembly and its decrypted bytes,
 * and at most one write batch that the socket has not taken yet. The network read buffer
 * and the buffer a write batch is encrypted into are per thread, not per connection (a
 * read hands every byte to the engine at once, and a batch the socket takes whole leaves
 * nothing behind): a connection that only handshakes and exchanges a request and a reply
 * allocates no network buffer of its own.
 *
 * <h2>Failures</h2>
 * A protocol failure sends its alert (RFC 8446 §6.2), closes the socket and surfaces as a
 * {@link TlsIOException} carrying the {@link TlsException}; every later call throws it
 * again.
 *
 * <h2>Threads</h2>
 * One thread may read while another writes, as with a socket; the engine is guarded
 * inside. Under a selector everything normally happens on the event loop thread.
 */
public final class TlsChannel implements ByteChannel {
    /** RFC 8446 §5.2: a protected record is at most 2^14 + 256 bytes after its 5-byte header. */
    static final int MAX_RECORD = 5 + 16384 + 256;
    /** Largest plaintext per record (RFC 8446 §5.1). */
    static final int MAX_FRAGMENT = 16384;
    /** Our own largest record: header, full fragment, inner content type, AEAD tag. */
    static final int MAX_SEALED_RECORD = 5 + MAX_FRAGMENT + 1 + 16;
    /** Plaintext encrypted per write before the socket sees it: four full records. */
    static final int WRITE_BATCH = 4 * MAX_FRAGMENT;

    /** Size of the per-thread buffer a write batch is encrypted into. */
    static final int WRITE_BUFFER = WRITE_BATCH / MAX_FRAGMENT * MAX_SEALED_RECORD + 512;

    /**
     * Per-thread network buffers, direct so the socket reads and writes them without the
     * JDK's extra copy into a temporary direct buffer. A per-connection pair cost a fresh
     * 83 KB of zeroed native memory (page faults, a Cleaner, freed only after a GC) for
     * every connection. Safe to share: a read gives the engine every byte before it
     * returns, and a write batch is sent or copied into {@link #netOut} before it returns.
     */
    private static final ThreadLocal<ByteBuffer> READ_BUFFER =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(MAX_RECORD));
    private static final ThreadLocal<ByteBuffer> WRITE_BUFFER_OF_THREAD =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(WRITE_BUFFER));

    private final SocketChannel socket;
    private final TlsEngine engine;
    /**
     * Encrypted bytes the socket did not take yet, kept flipped (position..limit are
     * pending); null until the socket first refuses bytes, then kept for the connection.
     */
    private ByteBuffer netOut;
    private final ReentrantLock readLock = new ReentrantLock();
    private final ReentrantLock writeLock = new ReentrantLock();
    /** Held while the handshake runs: socket reads then belong to it, not to readers. */
    private final ReentrantLock handshakeLock = new ReentrantLock();

    private boolean started;
    /** {@link #shutdownOutput()} was called: the TCP FIN follows once everything before it is sent. */
    private boolean finWanted;
    /** Our direction of the TCP connection is shut (FIN sent). */
    private boolean finSent;
    private volatile boolean closed;
    private volatile TlsIOException failure;

    /**
     * Binds {@code engine} to {@code socket}; the socket should be connected (or connecting, non-blocking).
     * @param socket the TCP connection
     * @param engine a fresh client or server engine
     */
    public TlsChannel(SocketChannel socket, TlsEngine engine) {
        this.socket = Objects.requireNonNull(socket);
        this.engine = Objects.requireNonNull(engine);
    }

    /**
     * A client connection to {@code host} (the SNI name and the name the certificate must match).
     * @param socket the TCP connection
     * @param config the configuration
     * @param host the server's name
     * @return the channel
     */
    public static TlsChannel client(SocketChannel socket, TlsConfig config, String host) {
        return new TlsChannel(socket, TlsEngine.client(config, host));
    }

    /**
     * As {@link #client(SocketChannel, TlsConfig, String)}, resuming sessions cached for host:port.
     * @param socket the TCP connection
     * @param config the configuration
     * @param host the server's name
     * @param port the server's port
     * @return the channel
     */
    public static TlsChannel client(SocketChannel socket, TlsConfig config, String host, int port) {
        return new TlsChannel(socket, TlsEngine.client(config, host, port));
    }

    /**
     * A server connection, for an accepted socket.
     * @param socket the accepted connection
     * @param config the configuration, with a certificate
     * @return the channel
     */
    public static TlsChannel server(SocketChannel socket, TlsConfig config) {
        return new TlsChannel(socket, TlsEngine.server(config));
    }

    /** {@return the socket underneath, e.g. to register it with a selector} */
    public SocketChannel socket() {
        return socket;
    }

    /**
     * The engine, for status ({@code summary()}, {@code isInboundClosed()}, ...). Reading or
     * writing through it directly would bypass this channel's buffers and locks.
     * @return the engine
     */
    public TlsEngine engine() {
        return engine;
    }

    /** {@return what the handshake agreed on, or null before it completes} */
    public HandshakeSummary summary() {
        synchronized (engine) {
            return engine.summary();
        }
    }

    /** {@return whether the handshake is complete} */
    public boolean isHandshakeComplete() {
        synchronized (engine) {
            return engine.isHandshakeComplete();
        }
    }

    /** {@return the peer's address, or null if the socket is closed or unconnected} */
    public SocketAddress remoteAddress() {
        try {
            return socket.getRemoteAddress();
        } catch (IOException e) {
            return null;
        }
    }

    // ------------------------------------------------------------------ handshake

    /**
     * Moves the handshake forward as far as the socket allows. Returns true once it is
     * complete and our last flight is sent; false when a non-blocking socket has no more
     * to read or cannot take more output yet (see {@link #wantsWrite()}). A blocking socket
     * returns only when done. Reads and writes call it implicitly.
     * @return true once the handshake is complete and flushed
     * @throws IOException on a socket error, or a {@link TlsIOException} on a protocol failure
     */
    public boolean handshake() throws IOException {
        // Lock order: readLock (if held) -> handshakeLock -> writeLock. A writer never waits
        // for readLock, which a reader holds while blocked for application data.
        handshakeLock.lock();
        try {
            writeLock.lock();
            try {
                return handshakeLocked();
            } finally {
                writeLock.unlock();
            }
        } finally {
            handshakeLock.unlock();
        }
    }

    private boolean handshakeLocked() throws IOException {
        while (true) {
            checkUsable();
            boolean complete;
            synchronized (engine) {
                try {
                    if (!started) {
                        started = true;
                        engine.beginHandshake();
                    }
                } catch (TlsException e) {
                    throw failed(e);
                }
                complete = engine.isHandshakeComplete();
            }
            if (!flushLocked()) {
                return false;
            }
            if (complete) {
                return true;
            }
            int n = readNetwork();
            if (n < 0) {
                closeQuietly();
                throw new EOFException("the peer closed the connection during the TLS handshake");
            }
            if (n == 0) {
                return false;
            }
        }
    }

    // ------------------------------------------------------------------ reading

    /**
     * Reads decrypted application data into {@code dst}. Returns the number of bytes, 0 when
     * none is available yet (non-blocking socket, or handshake still running, or
     * {@code dst} full), or -1 when the peer sent close_notify or closed the connection.
     * After the peer's close_notify a TLS 1.3 channel can still be written to (half-close,
     * RFC 8446 §6.1) until {@link #shutdownOutput()} or {@link #close()} sends ours; in TLS 1.2
     * the engine has already answered it (RFC 5246 §7.2.1).
     */
    @Override
    public int read(ByteBuffer dst) throws IOException {
        readLock.lock();
        try {
            while (true) {
                checkUsable();
                if (!isHandshakeComplete() && !handshake()) {
                    return 0;
                }
                synchronized (engine) {
                    if (engine.applicationDataAvailable() > 0) {
                        return engine.readApplicationData(dst);
                    }
                    if (engine.isInboundClosed()) {
                        return -1;
                    }
                }
                if (!dst.hasRemaining()) {
                    return 0;
                }
                // Backpressure: the socket is read only once every decrypted byte is taken.
                int n = readNetwork();
                flushIfIdle(); // e.g. our reply to close_notify, or to a KeyUpdate
                if (n < 0) {
                    // EOF without close_notify: the peer may have been cut off (RFC 8446 §6.1).
                    synchronized (engine) {
                        if (!engine.isInboundClosed()) {
                            eofWithoutCloseNotify = true;
                        }
                    }
                    return -1;
                }
                if (n == 0) {
                    return 0;
                }
            }
        } finally {
            readLock.unlock();
        }
    }

    private boolean eofWithoutCloseNotify;

    /**
     * True when the peer closed the TCP connection without sending close_notify first, so
     * a length-delimited-by-close message may have been cut short (RFC 8446 §6.1).
     * @return whether the stream was cut without close_notify
     */
    public boolean isTruncated() {
        return eofWithoutCloseNotify;
    }

    /** Reads once from the socket and gives everything to the engine; returns the socket's count. */
    private int readNetwork() throws IOException {
        ByteBuffer netIn = READ_BUFFER.get();
        netIn.clear();
        int n = socket.read(netIn);
        if (n > 0) {
            netIn.flip();
            try {
                synchronized (engine) {
                    engine.receive(netIn);
                }
            } catch (TlsException e) {
                throw failed(e);
            } finally {
                netIn.clear();
            }
        }
        return n;
    }

    // ------------------------------------------------------------------ writing

    /**
     * Encrypts and sends bytes from {@code src}. Takes at most one batch (64 KiB) per call
     * and returns how many bytes it took: 0 when earlier records are still waiting for a
     * non-blocking socket, or while the handshake is still running on one. On a blocking
     * socket it returns after the batch has been written.
     */
    @Override
    public int write(ByteBuffer src) throws IOException {
        if (!isHandshakeComplete() && !handshake()) {
            return 0;
        }
        int taken = 0;
        writeLock.lock();
        try {
            checkUsable();
            synchronized (engine) {
                if (engine.isOutboundClosed()) {
                    throw new ClosedChannelException();
                }
            }
            if (!flushLocked()) {
                return 0;
            }
            // Batch: encrypt record by record into the thread's buffer, then one socket write for all.
            ByteBuffer out = WRITE_BUFFER_OF_THREAD.get();
            out.clear();
            int limit = src.limit();
            try {
                while (src.hasRemaining() && taken < WRITE_BATCH && out.remaining() >= MAX_SEALED_RECORD) {
                    int n = Math.min(src.remaining(), MAX_FRAGMENT);
                    src.limit(src.position() + n);
                    synchronized (engine) {
                        engine.writeApplicationData(src);
                        engine.drainOutput(out);
                    }
                    src.limit(limit);
                    taken += n;
                }
            } catch (TlsException e) {
                // Records sealed before the failure go out first, then the engine's alert.
                out.flip();
                send(out);
                throw failed(e);
            } finally {
                src.limit(limit);
            }
            out.flip();
            if (send(out)) {
                flushLocked();
            }
        } finally {
            writeLock.unlock();
        }
        flushIfIdle();
        return taken;
    }

    /**
     * Writes pending encrypted bytes to the socket; true when none remain. A non-blocking
     * caller registers {@code OP_WRITE} while it returns false.
     * @return whether everything was written
     * @throws IOException on a socket error
     */
    public boolean flush() throws IOException {
        writeLock.lock();
        try {
            checkUsable();
            return flushLocked();
        } finally {
            writeLock.unlock();
        }
    }

    /** {@return true while encrypted bytes wait for the socket (a selector user then wants {@code OP_WRITE})} */
    public boolean wantsWrite() {
        if (closed) {
            return false;
        }
        synchronized (engine) {
            ByteBuffer pending = netOut;
            return (pending != null && pending.hasRemaining()) || engine.hasPendingOutput();
        }
    }

    /** Sends netOut, then whatever the engine has queued since, until done or the socket is full. */
    private boolean flushLocked() throws IOException {
        while (true) {
            if (netOut != null && netOut.hasRemaining()) {
                socket.write(netOut);
                if (netOut.hasRemaining()) {
                    return false;
                }
            }
            ByteBuffer out = WRITE_BUFFER_OF_THREAD.get();
            synchronized (engine) {
                if (!engine.hasPendingOutput()) {
                    if (finWanted && !finSent) {
                        finSent = true;
                        socket.shutdownOutput(); // TCP FIN right behind our close_notify
                    }
                    return true;
                }
                out.clear();
                engine.drainOutput(out);
                out.flip();
            }
            if (!send(out)) {
                return false;
            }
        }
    }

    /**
     * Writes {@code out} (the thread's buffer, netOut empty) to the socket; what the socket
     * does not take is copied into this connection's own netOut. True when all was sent.
     */
    private boolean send(ByteBuffer out) throws IOException {
        if (out.hasRemaining()) {
            socket.write(out);
        }
        if (!out.hasRemaining()) {
            return true;
        }
        if (netOut == null || netOut.capacity() < out.remaining()) {
            netOut = ByteBuffer.allocate(Math.max(out.remaining(), WRITE_BUFFER));
        }
        netOut.clear();
        netOut.put(out).flip();
        return false;
    }

    /** Flushes what the reading side queued (alerts, KeyUpdate replies) unless a writer is busy. */
    private void flushIfIdle() throws IOException {
        if (!writeLock.tryLock()) {
            return; // the writer flushes it after its own bytes
        }
        try {
            if (!closed) {
                flushLocked();
            }
        } finally {
            writeLock.unlock();
        }
    }

    // ------------------------------------------------------------------ closing

    /**
     * Queues close_notify (RFC 8446 §6.1) and tries to send it, then ends our direction of
     * the TCP connection too (FIN) once every byte before it is sent: nothing can follow a
     * close_notify. The socket stays open to receive the peer's close_notify and FIN. Returns
     * true when both were sent; on a non-blocking socket call {@link #flush()} while
     * {@link #wantsWrite()} (the FIN goes out with the flush that empties the queue). In TLS 1.2
     * the engine may have sent close_notify already, answering the peer's: then this only
     * flushes and sends the FIN.
     *
     * <p>A graceful close under a selector: {@code shutdownOutput()}, {@link #flush()} until it
     * returns true, then {@link #discardInput()} on each read event until it returns -1 (the
     * peer's FIN) or a timeout passes, then {@link #close()}. Closing a socket with unread
     * input makes the kernel answer with a TCP RST instead of a FIN (RFC 1122 §4.2.2.13), and
     * an RST can destroy the end of our data before the peer has read it.
     * @return whether close_notify and the FIN were sent
     * @throws IOException on a socket error
     */
    public boolean shutdownOutput() throws IOException {
        writeLock.lock();
        try {
            checkUsable();
            synchronized (engine) {
                started = true;
                engine.closeOutbound();
            }
            finWanted = true;
            return flushLocked();
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * After {@link #shutdownOutput()}: reads what the peer still sends and drops it, without
     * decrypting (whatever it is, it comes too late to be answered). Returns the bytes dropped,
     * 0 when a non-blocking socket has nothing more now, or -1 at the peer's FIN (or when the
     * channel was closed). A bounded amount per call, so an event loop stays fair. On a
     * blocking socket it waits for the first bytes or the FIN.
     * @return the bytes dropped, 0, or -1 at end of stream
     * @throws IOException on a socket error (e.g. the peer reset the connection)
     */
    public int discardInput() throws IOException {
        if (closed || !socket.isOpen()) {
            return -1;
        }
        readLock.lock();
        try {
            ByteBuffer scratch = READ_BUFFER.get();
            int dropped = 0;
            for (int i = 0; i < 4; i++) {
                scratch.clear();
                int n = socket.read(scratch);
                if (n < 0) {
                    return -1;
                }
                if (n == 0) {
                    break;
                }
                dropped += n;
            }
            scratch.clear();
            return dropped;
        } finally {
            readLock.unlock();
        }
    }

    /**
     * Sends close_notify if the connection is healthy (one attempt on a non-blocking
     * socket) and closes the socket.
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        try {
            if (failure == null && socket.isOpen() && writeLock.tryLock()) {
                try {
                    boolean send;
                    synchronized (engine) {
                        send = started && !engine.isOutboundClosed();
                        if (send) {
                            engine.closeOutbound();
                        }
                    }
                    flushLocked();
                } catch (IOException e) {
                    // best effort: the peer may already be gone
                } finally {
                    writeLock.unlock();
                }
            }
        } finally {
            closed = true;
            socket.close();
        }
    }

    @Override
    public boolean isOpen() {
        return !closed && socket.isOpen();
    }

    private void checkUsable() throws IOException {
        TlsIOException f = failure;
        if (f != null) {
            throw new TlsIOException(f.tlsException());
        }
        if (closed) {
            throw new ClosedChannelException();
        }
    }

    /**
     * The engine failed and queued its alert: send the alert as far as the socket takes
     * it, close, and turn the failure into an IOException.
     */
    private TlsIOException failed(TlsException e) {
        TlsIOException io = new TlsIOException(e);
        if (failure == null) {
            failure = io;
        }
        if (writeLock.tryLock()) {
            try {
                flushLocked();
            } catch (IOException ignored) {
                // the peer may be gone; the failure is what matters
            } finally {
                writeLock.unlock();
            }
        }
        closeQuietly();
        return io;
    }

    private void closeQuietly() {
        closed = true;
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing more to do
        }
    }
}
