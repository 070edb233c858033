package org.tollgate.tls.handshake;

import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.tollgate.tls.Alert;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.SignatureScheme;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.crypto.TlsCrypto;
import org.tollgate.tls.record.ContentType;
import org.tollgate.tls.record.RecordCipher;
import org.tollgate.tls.record.RecordLayer;
import org.tollgate.tls.record.RecordProtection;
import org.tollgate.tls.record.Tls12RecordCipher;
import org.tollgate.tls.wire.WireReader;

/**
 * The state one connection's handshake shares between its steps: configuration, the
 * transcript, the key schedule, what has been negotiated so far, and the record layer to
 * send through and to re-key.
 */
public final class HandshakeContext {
    final TlsConfig config;
    final TlsCrypto crypto;
    final boolean client;
    final RecordLayer records;
    final TranscriptHash transcript = new TranscriptHash();

    KeySchedule keys;
    CipherSuite suite;
    NamedGroup group;
    SignatureScheme signatureScheme;
    String alpn;
    /** Client: the name sent in server_name (null for IP literals). Server: the name received. */
    String serverName;
    /** Client: the host the certificate must be valid for (a DNS name or an IP literal). */
    String peerHost;
    byte[] clientRandom;
    boolean helloRetry;
    boolean changeCipherSpecSent;
    boolean firstClientHelloSeen;
    List<X509Certificate> peerCertificates = List.of();

    byte[] clientHandshakeSecret;
    byte[] serverHandshakeSecret;
    byte[] clientApplicationSecret;
    byte[] serverApplicationSecret;
    byte[] exporterMasterSecret;
    byte[] resumptionMasterSecret;
    int clientSecretGeneration;
    int serverSecretGeneration;

    /** The negotiated version: null until the ServerHello settles it. */
    ProtocolVersion version;
    // TLS 1.2 (RFC 5246)
    byte[] serverRandom;
    byte[] masterSecret;
    boolean extendedMasterSecret;
    Tls12KeySchedule tls12;
    /** TLS 1.2 session id: the server's fresh one, or the resumed one (RFC 5246 §7.4.1.3). */
    byte[] sessionId = new byte[0];
    /** Client: the session cache key, "host:port", or null when the port is unknown. */
    String sessionKey;
    /** Client: the cached session offered in the ClientHello, or null. */
    org.tollgate.tls.SessionCache.Session offeredSession;
    /** True for an abbreviated (resumed) handshake. */
    boolean resumed;
    /** How it resumed (null: session id, when {@code resumed}); set by the ticket and PSK code. */
    HandshakeSummary.Resumption resumption;
    /** TLS 1.3: the PSK both sides agreed on (RFC 8446 §4.2.11), or null for a full handshake. */
    byte[] psk;
    /** Server, TLS 1.3: the ClientHello's psk_key_exchange_modes lists psk_dhe_ke, so tickets are of use to it. */
    boolean clientAllowsPskDhe;
    /** Client, TLS 1.3: the ticket offered in pre_shared_key, or null. */
    org.tollgate.tls.SessionCache.Session offeredTicket;
    /** TLS 1.2 (RFC 5077): the ServerHello promised a NewSessionTicket. */
    boolean tls12TicketExpected;
    /** Client, TLS 1.2: the ticket from the server's NewSessionTicket, kept with the session. */
    Tls12NewSessionTicket tls12Ticket;
    private RecordProtection pendingReadCipher;
    private RecordProtection pendingWriteCipher;

    /** Client: the certificate answering the server's CertificateRequest, or null (mutual TLS). */
    ClientAuthentication.Credential clientCredential;

    boolean handshakeComplete;
    boolean keyChanged;
    int ticketsReceived;
    int keyUpdatesReceived;

    public HandshakeContext(TlsConfig config, TlsCrypto crypto, boolean client, RecordLayer records, String peerHost) {
        this.config = config;
        this.crypto = crypto;
        this.client = client;
        this.records = records;
        this.peerHost = peerHost;
        if (ClientAuthentication.keepsTranscriptMessages(config, client)) {
            transcript.retainMessages();
        }
    }

    /** Client: the key its session is cached under (see {@link org.tollgate.tls.SessionCache}). */
    public void setSessionKey(String key) {
        this.sessionKey = key;
    }

    public boolean isHandshakeComplete() {
        return handshakeComplete;
    }

    public boolean firstClientHelloSeen() {
        return firstClientHelloSeen;
    }

    /** True once, after a key change, so the caller can check no message spans it (RFC 8446 §5.1). */
    public boolean takeKeyChanged() {
        boolean k = keyChanged;
        keyChanged = false;
        return k;
    }

    public int ticketsReceived() {
        return ticketsReceived;
    }

    public int keyUpdatesReceived() {
        return keyUpdatesReceived;
    }

    public HandshakeSummary summary() {
        boolean tls12 = isTls12();
        return new HandshakeSummary(tls12 ? ProtocolVersion.TLS_1_2 : ProtocolVersion.TLS_1_3, suite, group,
                signatureScheme, alpn, serverName, resumed, helloRetry, peerCertificates, !tls12 || extendedMasterSecret,
                !resumed ? HandshakeSummary.Resumption.NONE
                        : resumption != null ? resumption : HandshakeSummary.Resumption.SESSION_ID);
    }

    /** True once TLS 1.2 was negotiated: ChangeCipherSpec then has its TLS 1.2 meaning. */
    public boolean isTls12() {
        return version == ProtocolVersion.TLS_1_2;
    }

    // ------------------------------------------------------------------ sending

    /** Sends a handshake message and adds it to the transcript. */
    void send(Handshake message) throws TlsException {
        byte[] bytes = message.encode();
        transcript.add(bytes);
        trace(true, bytes);
        records.write(ContentType.HANDSHAKE, bytes, 0, bytes.length);
    }

    private void trace(boolean outbound, byte[] bytes) {
        if (config.trace() != org.tollgate.tls.HandshakeTrace.NONE) {
            config.trace().message(outbound, HandshakeType.name(bytes[0] & 0xFF), bytes,
                    MessageDescriber.describe(bytes, suite == null ? 32 : suite.hashLength(), isTls12()));
        }
    }

    /** Sends a post-handshake message (NewSessionTicket, KeyUpdate): not part of the transcript. */
    void sendPostHandshake(Handshake message) throws TlsException {
        byte[] bytes = message.encode();
        trace(true, bytes);
        records.write(ContentType.HANDSHAKE, bytes, 0, bytes.length);
    }

    /** RFC 8446 Appendix D.4: one ChangeCipherSpec, sent before the first encrypted flight. */
    void sendChangeCipherSpecOnce() {
        if (!changeCipherSpecSent) {
            changeCipherSpecSent = true;
            records.writeChangeCipherSpec();
            config.trace().note("sent ChangeCipherSpec (middlebox compatibility, RFC 8446 D.4)");
        }
    }

    /** A warning-level alert (TLS 1.2 only: TLS 1.3 has no warnings but close_notify and user_canceled). */
    void sendWarningAlert(Alert alert) throws TlsException {
        records.write(ContentType.ALERT, new byte[] {(byte) Alert.LEVEL_WARNING, (byte) alert.code()}, 0, 2);
    }

    void received(byte[] message) {
        trace(false, message);
    }

    void note(String text) {
        config.trace().note(text);
    }

    // ------------------------------------------------------------------ keys

    void setReadKeys(byte[] secret) {
        records.setReadCipher(RecordCipher.tls13(crypto, suite, keys.trafficKey(secret), keys.trafficIv(secret)));
        keyChanged = true;
    }

    void setWriteKeys(byte[] secret) {
        records.setWriteCipher(RecordCipher.tls13(crypto, suite, keys.trafficKey(secret), keys.trafficIv(secret)));
    }

    void keyLog(String label, byte[] secret) {
        config.keyLog().log(label, clientRandom, secret);
    }

    /** Logs the handshake traffic secrets and switches to them as the handshake goes on. */
    void deriveHandshakeSecrets(byte[] sharedSecret) {
        keys = new KeySchedule(suite);
        keys.earlySecret(psk); // RFC 8446 §7.1: the resumption PSK, or zeros

        keys.handshakeSecret(sharedSecret);
        byte[] helloHash = transcript.current();
        clientHandshakeSecret = keys.clientHandshakeTrafficSecret(helloHash);
        serverHandshakeSecret = keys.serverHandshakeTrafficSecret(helloHash);
        keyLog("CLIENT_HANDSHAKE_TRAFFIC_SECRET", clientHandshakeSecret);
        keyLog("SERVER_HANDSHAKE_TRAFFIC_SECRET", serverHandshakeSecret);
        note("handshake secret from the " + group + " shared secret; handshake traffic keys derived (RFC 8446 7.1)");
    }

    /** After the server Finished: master secret and the first application traffic secrets. */
    void deriveApplicationSecrets() {
        keys.masterSecret();
        byte[] hash = transcript.current();
        clientApplicationSecret = keys.clientApplicationTrafficSecret(hash);
        serverApplicationSecret = keys.serverApplicationTrafficSecret(hash);
        exporterMasterSecret = keys.exporterMasterSecret(hash);
        keyLog("CLIENT_TRAFFIC_SECRET_0", clientApplicationSecret);
        keyLog("SERVER_TRAFFIC_SECRET_0", serverApplicationSecret);
        keyLog("EXPORTER_SECRET", exporterMasterSecret);
        note("master secret and application traffic keys derived (RFC 8446 7.1)");
    }

    /** After the client Finished. */
    void deriveResumptionSecret() {
        resumptionMasterSecret = keys.resumptionMasterSecret(transcript.current());
    }

    // ------------------------------------------------------------------ TLS 1.2 keys (RFC 5246 §8.1, §6.3)

    /**
     * From the premaster secret: the master secret (extended, RFC 7627, when both sides
     * agreed; the session hash is the transcript through ClientKeyExchange), logged as
     * {@code CLIENT_RANDOM} for Wireshark, then the key block and the pending record ciphers
     * that each side's ChangeCipherSpec switches on.
     */
    void deriveTls12Keys(byte[] preMasterSecret) {
        tls12 = new Tls12KeySchedule(suite);
        masterSecret = extendedMasterSecret
                ? tls12.extendedMasterSecret(preMasterSecret, transcript.current())
                : tls12.masterSecret(preMasterSecret, clientRandom, serverRandom);
        java.util.Arrays.fill(preMasterSecret, (byte) 0);
        note((extendedMasterSecret ? "extended master secret (RFC 7627) from the session hash"
                : "master secret from the randoms (the peer did not offer extended_master_secret)"));
        deriveTls12KeyBlock();
    }

    /**
     * RFC 5246 §7.3: an abbreviated handshake reuses the session's master secret; only the
     * key block is new, made from the new randoms.
     */
    void resumeTls12Keys(byte[] sessionMasterSecret) {
        tls12 = new Tls12KeySchedule(suite);
        masterSecret = sessionMasterSecret;
        note("resuming: master secret from the cached session, fresh key block from the new randoms");
        deriveTls12KeyBlock();
    }

    private void deriveTls12KeyBlock() {
        keyLog("CLIENT_RANDOM", masterSecret);
        Tls12KeySchedule.KeyBlock kb = tls12.keyBlock(masterSecret, clientRandom, serverRandom);
        RecordProtection clientCipher = Tls12RecordCipher.of(crypto, suite, kb.clientWriteKey(), kb.clientWriteIv());
        RecordProtection serverCipher = Tls12RecordCipher.of(crypto, suite, kb.serverWriteKey(), kb.serverWriteIv());
        pendingWriteCipher = client ? clientCipher : serverCipher;
        pendingReadCipher = client ? serverCipher : clientCipher;
        note("key block derived (RFC 5246 6.3)");
    }

    /** The session this TLS 1.2 connection established, for the cache (with the RFC 5077 ticket a client got). */
    org.tollgate.tls.SessionCache.Session tls12Session() {
        return new org.tollgate.tls.SessionCache.Session(sessionId, masterSecret, suite, ProtocolVersion.TLS_1_2,
                extendedMasterSecret, serverName, alpn, peerCertificates, config.clock().instant(),
                tls12Ticket == null ? null : tls12Ticket.ticket(), 0,
                tls12Ticket == null || tls12Ticket.lifetimeHint() == 0 ? 86400 : tls12Ticket.lifetimeHint());
    }

    /** RFC 5246 §7.1: send ChangeCipherSpec under the old state, then write with the new keys. */
    void sendTls12ChangeCipherSpec() {
        records.writeChangeCipherSpec();
        records.setWriteCipher(pendingWriteCipher);
        pendingWriteCipher = null;
    }

    /** RFC 5246 §7.1: the peer's ChangeCipherSpec switches the read side to the new keys. */
    void receiveTls12ChangeCipherSpec() throws TlsException {
        if (pendingReadCipher == null) {
            throw TlsException.unexpectedMessage("ChangeCipherSpec before the keys were agreed");
        }
        records.setReadCipher(pendingReadCipher);
        pendingReadCipher = null;
        keyChanged = true;
        note("peer sent ChangeCipherSpec: its records are encrypted from now on");
    }

    /** Finished.verify_data for {@code fromClient}'s Finished over the transcript so far. */
    byte[] tls12VerifyData(boolean fromClient) {
        return tls12.verifyData(masterSecret, fromClient, transcript.current());
    }

    // ------------------------------------------------------------------ KeyUpdate (RFC 8446 §4.6.3)

    /** The peer's KeyUpdate: its next secret protects what it sends from now on. */
    void receiveKeyUpdate(KeyUpdate update) throws TlsException {
        keyUpdatesReceived++;
        if (client) {
            serverApplicationSecret = keys.nextApplicationTrafficSecret(serverApplicationSecret);
            setReadKeys(serverApplicationSecret);
            keyLog("SERVER_TRAFFIC_SECRET_" + (++serverSecretGeneration), serverApplicationSecret);
        } else {
            clientApplicationSecret = keys.nextApplicationTrafficSecret(clientApplicationSecret);
            setReadKeys(clientApplicationSecret);
            keyLog("CLIENT_TRAFFIC_SECRET_" + (++clientSecretGeneration), clientApplicationSecret);
        }
        note("peer updated its traffic keys" + (update.updateRequested() ? " and asked us to update ours" : ""));
        if (update.updateRequested()) {
            // RFC 8446 §4.6.3: answer with update_not_requested, so two requests cannot loop.
            sendKeyUpdate(false);
        }
    }

    /** Sends KeyUpdate under the current keys, then switches to the next write secret. */
    public void sendKeyUpdate(boolean requestPeerUpdate) throws TlsException {
        if (isTls12()) {
            throw new IllegalStateException("TLS 1.2 has no KeyUpdate (and Tollgate does not renegotiate)");
        }
        sendPostHandshake(new KeyUpdate(requestPeerUpdate));
        if (client) {
            clientApplicationSecret = keys.nextApplicationTrafficSecret(clientApplicationSecret);
            setWriteKeys(clientApplicationSecret);
            keyLog("CLIENT_TRAFFIC_SECRET_" + (++clientSecretGeneration), clientApplicationSecret);
        } else {
            serverApplicationSecret = keys.nextApplicationTrafficSecret(serverApplicationSecret);
            setWriteKeys(serverApplicationSecret);
            keyLog("SERVER_TRAFFIC_SECRET_" + (++serverSecretGeneration), serverApplicationSecret);
        }
    }

    // ------------------------------------------------------------------ helpers

    static WireReader body(byte[] message) {
        return WireReader.of(message, 4, message.length - 4, HandshakeType.name(message[0] & 0xFF));
    }

    /** A check that only one role makes on the peer's leaf, after the verifier has passed the chain. */
    @FunctionalInterface
    interface LeafCheck {
        void check(X509Certificate leaf) throws TlsException;
    }

    /**
     * Accepts the peer's non-empty certificate chain, the one chain check both roles share
     * (RFC 8446 §4.4.2.2, RFC 5246 §7.4.2 and §7.4.6): the verifier of this side checks it (a
     * client: {@link TlsConfig#verifier()}, trust, dates, serverAuth and the host name; a server:
     * {@link TlsConfig#clientVerifier()}, trust, dates, clientAuth, no name), then
     * {@code leafCheck} (null for none), then the chain becomes {@code peerCertificates} and
     * the trace says it was verified. A refusal is the verifier's TlsException, unchanged.
     */
    void acceptPeerChain(List<X509Certificate> chain, LeafCheck leafCheck) throws TlsException {
        if (client) {
            config.verifier().verify(chain, peerHost, true);
        } else {
            config.clientVerifier().verify(chain, null, false);
        }
        X509Certificate leaf = chain.get(0);
        if (leafCheck != null) {
            leafCheck.check(leaf);
        }
        peerCertificates = chain;
        note(client ? "server certificate " + leaf.getSubjectX500Principal().getName() + " verified for " + peerHost
                : "client certificate " + leaf.getSubjectX500Principal().getName() + " verified against the client CAs");
    }

    static List<X509Certificate> parseCertificates(CertificateMessage m) throws TlsException {
        List<X509Certificate> chain = new ArrayList<>();
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (CertificateMessage.Entry e : m.entries()) {
                chain.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(e.certData())));
            }
        } catch (CertificateException | ClassCastException e) {
            throw new TlsException(Alert.BAD_CERTIFICATE, "peer sent a certificate that does not parse: " + e.getMessage(), e);
        }
        return List.copyOf(chain);
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
