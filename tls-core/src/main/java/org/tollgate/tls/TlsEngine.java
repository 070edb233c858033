package org.tollgate.tls;

import java.nio.ByteBuffer;
import org.tollgate.tls.crypto.TlsCrypto;
import org.tollgate.tls.handshake.ClientHandshake;
import org.tollgate.tls.handshake.HandshakeContext;
import org.tollgate.tls.handshake.HandshakeReassembler;
import org.tollgate.tls.handshake.HandshakeState;
import org.tollgate.tls.handshake.ServerHandshake;
import org.tollgate.tls.record.ContentType;
import org.tollgate.tls.record.OutputBuffer;
import org.tollgate.tls.record.RecordLayer;

/**
 * One TLS connection, without any I/O (sans-I/O). Bytes from the network go in through
 * {@link #receive}; bytes for the network come out of {@link #drainOutput}; decrypted
 * application data is read with {@link #readApplicationData} and written with
 * {@link #writeApplicationData}. The engine never blocks, never touches a socket and keeps
 * at most one incoming record buffered, so it runs under any I/O model and in tests two
 * engines can talk in memory:
 *
 * <pre>{@code
 * TlsEngine client = TlsEngine.client(clientConfig, "localhost");
 * TlsEngine server = TlsEngine.server(serverConfig);
 * client.beginHandshake();
 * while (!client.isHandshakeComplete() || !server.isHandshakeComplete()) {
 *     server.receive(ByteBuffer.wrap(client.drainOutput()));
 *     client.receive(ByteBuffer.wrap(server.drainOutput()));
 * }
 * }</pre>
 *
 * A protocol failure throws {@link TlsException}; the engine has then queued the alert to
 * send and is closed. Not thread-safe: one connection, one thread at a time.
 *
 * <h2>Closing</h2>
 * Application data that arrived before the peer's close_notify stays readable after it.
 * What a received close_notify does to our side depends on the version:
 * <ul>
 * <li>TLS 1.3 (RFC 8446 §6.1): it closes only the peer's direction (half-close).
 *     {@link #isInboundClosed()} becomes true, but the engine stays open for writing, so an
 *     application can still send its answer to what it read; it then calls
 *     {@link #closeOutbound()} to send its own close_notify.</li>
 * <li>TLS 1.2 (RFC 5246 §7.2.1), and during the handshake: it is answered at once with our
 *     own close_notify, and nothing more can be written.</li>
 * </ul>
 */
public final class TlsEngine {
    /** RFC 8446 §5.5: rekey long before AES-GCM's limit of 2^24.5 full-size records. */
    static final long DEFAULT_KEY_UPDATE_LIMIT = 1L << 23;

    private final boolean client;
    private final TlsConfig config;
    private final RecordLayer records = new RecordLayer();
    private final HandshakeContext ctx;
    private final HandshakeReassembler reassembler;
    private final OutputBuffer applicationData = new OutputBuffer();
    private HandshakeState state;
    private boolean started;
    private boolean inboundClosed;
    private boolean outboundClosed;
    private TlsException failure;
    long keyUpdateLimit = DEFAULT_KEY_UPDATE_LIMIT;

    private TlsEngine(TlsConfig config, boolean client, String host, int port) {
        this.client = client;
        this.config = config;
        this.ctx = new HandshakeContext(config, TlsCrypto.defaultCrypto(), client, records, host);
        if (client && port > 0 && host != null) {
            ctx.setSessionKey(host + ":" + port);
        }
        this.reassembler = new HandshakeReassembler(config.maxHandshakeMessageSize());
        this.state = client ? null : ServerHandshake.start();
    }

    /**
     * A client connection to {@code host}: the name sent as server_name (unless it is an IP
     * literal) and the name the server's certificate must be valid for.
     * @param config the configuration
     * @param host the server's name or IP literal
     * @return the engine, before {@link #beginHandshake()}
     */
    public static TlsEngine client(TlsConfig config, String host) {
        return new TlsEngine(config, true, host, -1);
    }

    /**
     * A client connection to {@code host} on {@code port}: as {@link #client(TlsConfig, String)},
     * and with {@link TlsConfig#sessionCache()} set it offers the session cached for
     * "host:port" and caches the new one (TLS 1.2 session-id resumption, RFC 5246 §7.3).
     * @param config the configuration
     * @param host the server's name or IP literal
     * @param port the server's port, part of the session cache key
     * @return the engine, before {@link #beginHandshake()}
     */
    public static TlsEngine client(TlsConfig config, String host, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        return new TlsEngine(config, true, host, port);
    }

    /**
     * A server connection; it waits for the client's ClientHello.
     * @param config the configuration, with at least one certificate
     * @return the engine
     */
    public static TlsEngine server(TlsConfig config) {
        if (config.certificates().isEmpty()) {
            throw new IllegalArgumentException("a TLS server needs at least one certificate");
        }
        return new TlsEngine(config, false, null, -1);
    }

    /** {@return whether this engine is the client side} */
    public boolean isClient() {
        return client;
    }

    /** {@return the configuration this engine was made with} */
    public TlsConfig config() {
        return config;
    }

    /**
     * Starts the handshake: a client queues its ClientHello; a server has nothing to do.
     * @throws TlsException when the configuration cannot make a ClientHello
     */
    public void beginHandshake() throws TlsException {
        if (started) {
            return;
        }
        started = true;
        if (client) {
            try {
                state = ClientHandshake.start(ctx);
            } catch (TlsException e) {
                fail(e);
                throw e;
            }
        }
    }

    // ------------------------------------------------------------------ network side

    /**
     * Takes every byte of {@code fromNetwork} and processes the records it completes. A
     * partial record is kept until the rest arrives.
     * @param fromNetwork bytes read from the peer; all of them are consumed
     * @throws TlsException on a protocol failure, after the alert is queued for the peer
     */
    public void receive(ByteBuffer fromNetwork) throws TlsException {
        if (failure != null) {
            throw failure;
        }
        if (client && !started) {
            beginHandshake();
        }
        started = true;
        if (inboundClosed) {
            fromNetwork.position(fromNetwork.limit()); // RFC 8446 §6.1: data after close_notify is ignored
            return;
        }
        try {
            while (!inboundClosed && records.read(fromNetwork, applicationData)) {
                processRecord();
            }
            if (inboundClosed) {
                fromNetwork.position(fromNetwork.limit());
            }
        } catch (TlsException e) {
            fail(e);
            throw e;
        } catch (RuntimeException e) {
            TlsException internal = TlsException.internalError("internal error: " + e, e);
            fail(internal);
            throw internal;
        }
    }

    private void processRecord() throws TlsException {
        int type = records.recordType();
        byte[] content = records.content();
        int off = records.contentOffset();
        int len = records.contentLength();
        boolean encrypted = records.recordWasProtected();
        switch (type) {
            case ContentType.CHANGE_CIPHER_SPEC:
                if (ctx.isTls12()) {
                    // RFC 5246 §7.1: one byte, 1; it switches the peer's side to the new keys and
                    // must come between whole handshake messages, exactly where the state expects it.
                    if (len != 1 || content[off] != 1) {
                        throw TlsException.decodeError("malformed change_cipher_spec record");
                    }
                    if (!reassembler.isEmpty()) {
                        throw TlsException.unexpectedMessage("change_cipher_spec inside a fragmented handshake message");
                    }
                    state = state.changeCipherSpec(ctx);
                    ctx.takeKeyChanged();
                    return;
                }
                // RFC 8446 §5: a plain 0x01 change_cipher_spec between the first ClientHello and the
                // peer's Finished is ignored; anything else is unexpected_message.
                if (len != 1 || content[off] != 1 || ctx.isHandshakeComplete() || (!client && !ctx.firstClientHelloSeen())) {
                    throw TlsException.unexpectedMessage("unexpected change_cipher_spec record");
                }
                return;
            case ContentType.ALERT:
                if (!encrypted && records.readCipher() != null && ctx.isHandshakeComplete()) {
                    throw TlsException.unexpectedMessage("unprotected alert after the handshake");
                }
                handleAlert(content, off, len);
                return;
            case ContentType.HANDSHAKE:
                if (!encrypted && records.readCipher() != null) {
                    throw TlsException.unexpectedMessage("unprotected handshake record after keys were established");
                }
                reassembler.append(content, off, len);
                byte[] message;
                while ((message = reassembler.next()) != null) {
                    state = state.handle(ctx, message);
                    // RFC 8446 §5.1: handshake messages must not span a change of keys.
                    if (ctx.takeKeyChanged() && !reassembler.isEmpty()) {
                        throw TlsException.unexpectedMessage("handshake data continues across a key change");
                    }
                }
                return;
            case ContentType.APPLICATION_DATA:
                if (!ctx.isHandshakeComplete()) {
                    throw TlsException.unexpectedMessage("application data before the handshake finished");
                }
                if (!reassembler.isEmpty()) {
                    // RFC 8446 §5.1: handshake messages must not be interleaved with other record types.
                    throw TlsException.unexpectedMessage("application data inside a fragmented handshake message");
                }
                if (records.contentInSink()) {
                    applicationData.commit(len); // decrypted in place at the end of applicationData
                } else {
                    applicationData.write(content, off, len);
                }
                return;
            default:
                throw TlsException.unexpectedMessage("unexpected record type " + ContentType.name(type));
        }
    }

    private void handleAlert(byte[] content, int off, int len) throws TlsException {
        if (len != 2) {
            throw TlsException.decodeError("alert record of " + len + " bytes, expected 2");
        }
        int code = content[off + 1] & 0xFF;
        Alert alert = Alert.of(code);
        if (alert == Alert.CLOSE_NOTIFY) {
            inboundClosed = true;
            config.trace().note("peer sent close_notify");
            if (ctx.isTls12() || !ctx.isHandshakeComplete()) {
                // RFC 5246 §7.2.1: TLS 1.2 answers close_notify with close_notify at once.
                closeOutbound();
            }
            // RFC 8446 §6.1: in TLS 1.3 it closes only the peer's side (half-close); we may
            // still send, e.g. the response to the request before it, then closeOutbound().
            return;
        }
        if (alert == Alert.USER_CANCELED) {
            return; // RFC 8446 §6.1: followed by close_notify
        }
        if (ctx.isTls12() && (content[off] & 0xFF) == Alert.LEVEL_WARNING) {
            // RFC 5246 §7.2: in TLS 1.2 a warning (e.g. no_renegotiation, unrecognized_name) need not end the connection.
            config.trace().note("peer sent warning alert " + Alert.describe(code) + "; going on");
            return;
        }
        // RFC 8446 §6.2: in TLS 1.3 every other alert is fatal, whatever its level says.
        throw TlsException.fromPeer(alert == null ? Alert.INTERNAL_ERROR : alert, code);
    }

    private void fail(TlsException e) {
        if (failure != null) {
            return;
        }
        failure = e;
        config.trace().note((e.receivedFromPeer() ? "failed: " : "sending fatal alert: ") + e);
        if (!e.receivedFromPeer() && !outboundClosed) {
            try {
                records.write(ContentType.ALERT, new byte[] {(byte) Alert.LEVEL_FATAL, (byte) e.alert().code()}, 0, 2);
            } catch (TlsException ignored) {
                // nothing more can be sent
            }
        }
        inboundClosed = true;
        outboundClosed = true;
    }

    /** {@return whether bytes wait to be sent to the network} */
    public boolean hasPendingOutput() {
        return records.output().size() > 0;
    }

    /** {@return the number of bytes waiting to be sent} */
    public int pendingOutputSize() {
        return records.output().size();
    }

    /**
     * Moves as many pending network bytes as fit into {@code dst}; returns how many.
     * @param dst where the network bytes go
     * @return the number of bytes moved
     */
    public int drainOutput(ByteBuffer dst) {
        return records.output().drainTo(dst);
    }

    /** {@return every pending network byte, removed from the engine} */
    public byte[] drainOutput() {
        return records.output().drainAll();
    }

    // ------------------------------------------------------------------ application side

    /** {@return the number of decrypted bytes waiting to be read} */
    public int applicationDataAvailable() {
        return applicationData.size();
    }

    /**
     * Moves decrypted application data into {@code dst}; returns how many bytes.
     * @param dst where the plaintext goes
     * @return the number of bytes moved
     */
    public int readApplicationData(ByteBuffer dst) {
        return applicationData.drainTo(dst);
    }

    /**
     * Encrypts all of {@code src} into records (at most 2^14 bytes each) for the network.
     * @param src the plaintext; all of it is consumed
     * @throws TlsException when the connection cannot send (closed, failed, handshake not done)
     */
    public void writeApplicationData(ByteBuffer src) throws TlsException {
        if (failure != null) {
            throw failure;
        }
        if (!ctx.isHandshakeComplete()) {
            throw new IllegalStateException("the handshake has not finished");
        }
        if (outboundClosed) {
            throw new IllegalStateException("the connection is closed for writing");
        }
        try {
            records.write(ContentType.APPLICATION_DATA, src);
            // TLS 1.2 has no KeyUpdate; its explicit GCM nonce and ChaCha20 nonce never repeat within 2^64 records.
            if (!ctx.isTls12() && records.writeCipher().sequenceNumber() >= keyUpdateLimit) {
                config.trace().note("record limit reached: updating our traffic keys (RFC 8446 5.5)");
                ctx.sendKeyUpdate(false);
            }
        } catch (TlsException e) {
            fail(e);
            throw e;
        }
    }

    /**
     * Sends a KeyUpdate and switches to new write keys; with {@code requestPeer}, asks the
     * peer to do the same. TLS 1.3 only: on a TLS 1.2 connection this is IllegalStateException.
     * @param requestPeer true to send update_requested
     * @throws TlsException when the connection cannot send
     */
    public void updateKeys(boolean requestPeer) throws TlsException {
        if (!ctx.isHandshakeComplete() || outboundClosed) {
            throw new IllegalStateException("keys can only be updated on an open, established connection");
        }
        if (ctx.isTls12()) {
            throw new IllegalStateException("TLS 1.2 has no KeyUpdate; only TLS 1.3 connections can update their keys");
        }
        ctx.sendKeyUpdate(requestPeer);
    }

    /**
     * Queues close_notify (RFC 8446 §6.1); nothing more can be written afterwards. In TLS 1.3
     * a received close_notify is not answered automatically (see the class description), so
     * call this once the last response is written.
     */
    public void closeOutbound() {
        if (outboundClosed) {
            return;
        }
        outboundClosed = true;
        try {
            records.write(ContentType.ALERT, new byte[] {(byte) Alert.LEVEL_WARNING, (byte) Alert.CLOSE_NOTIFY.code()}, 0, 2);
        } catch (TlsException e) {
            failure = e;
        }
    }

    // ------------------------------------------------------------------ status

    /** {@return whether the handshake finished: Finished messages sent and verified both ways} */
    public boolean isHandshakeComplete() {
        return ctx.isHandshakeComplete();
    }

    /** {@return whether the peer closed (close_notify) or the connection failed: nothing more will be received} */
    public boolean isInboundClosed() {
        return inboundClosed;
    }

    /** {@return whether close_notify was queued or the connection failed: nothing more can be written} */
    public boolean isOutboundClosed() {
        return outboundClosed;
    }

    /** {@return the failure that ended this connection, or null} */
    public TlsException failure() {
        return failure;
    }

    /** {@return what the handshake agreed on, or null before it completes} */
    public HandshakeSummary summary() {
        return ctx.isHandshakeComplete() ? ctx.summary() : null;
    }

    /** {@return how many NewSessionTicket messages were received (clients)} */
    public int ticketsReceived() {
        return ctx.ticketsReceived();
    }

    /** {@return how many KeyUpdate messages the peer sent} */
    public int keyUpdatesReceived() {
        return ctx.keyUpdatesReceived();
    }
}
