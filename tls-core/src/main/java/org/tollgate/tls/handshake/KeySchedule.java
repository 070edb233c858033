package org.tollgate.tls.handshake;

import java.nio.charset.StandardCharsets;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.wire.WireWriter;

/**
 * The TLS 1.3 key schedule (RFC 8446 §7.1), step by step:
 *
 * <pre>
 *             0
 *             |
 *   PSK ->  HKDF-Extract = Early Secret
 *             |  Derive-Secret(., "derived", "")
 * (EC)DHE -> HKDF-Extract = Handshake Secret  -> c/s hs traffic (ClientHello..ServerHello)
 *             |  Derive-Secret(., "derived", "")
 *   0 ->    HKDF-Extract = Master Secret      -> c/s ap traffic (ClientHello..server Finished)
 *                                             -> exp master, res master
 * </pre>
 *
 * The (EC)DHE shared secret plays the role TLS 1.2 gave the premaster secret; the Handshake
 * and Master Secrets replace TLS 1.2's master secret.
 */
public final class KeySchedule {
    private static final byte[] LABEL_PREFIX = "tls13 ".getBytes(StandardCharsets.US_ASCII);

    private final CipherSuite suite;
    private final Hkdf hkdf;
    private final byte[] emptyHash;

    private byte[] earlySecret;
    private byte[] handshakeSecret;
    private byte[] masterSecret;

    public KeySchedule(CipherSuite suite) {
        this.suite = suite;
        this.hkdf = new Hkdf(suite.hmacName(), suite.hashLength());
        try {
            this.emptyHash = java.security.MessageDigest.getInstance(suite.hashName()).digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public CipherSuite suite() {
        return suite;
    }

    public Hkdf hkdf() {
        return hkdf;
    }

    /** HKDF-Expand-Label(Secret, Label, Context, Length) (RFC 8446 §7.1). */
    public byte[] expandLabel(byte[] secret, String label, byte[] context, int length) {
        byte[] labelBytes = label.getBytes(StandardCharsets.US_ASCII);
        WireWriter hkdfLabel = new WireWriter(2 + 1 + LABEL_PREFIX.length + labelBytes.length + 1 + context.length);
        hkdfLabel.u16(length);
        int l = hkdfLabel.open8();
        hkdfLabel.bytes(LABEL_PREFIX).bytes(labelBytes);
        hkdfLabel.close(l);
        hkdfLabel.vector8(context);
        return hkdf.expand(secret, hkdfLabel.toByteArray(), length);
    }

    /** Derive-Secret(Secret, Label, Messages), given Transcript-Hash(Messages). */
    public byte[] deriveSecret(byte[] secret, String label, byte[] transcriptHash) {
        return expandLabel(secret, label, transcriptHash, suite.hashLength());
    }

    /** Early Secret = HKDF-Extract(0, PSK), with a zero PSK when there is none. */
    public byte[] earlySecret(byte[] psk) {
        earlySecret = hkdf.extract(null, psk == null ? new byte[suite.hashLength()] : psk);
        return earlySecret;
    }

    /** binder_key = Derive-Secret(Early Secret, "res binder" or "ext binder", ""). */
    public byte[] binderKey(boolean resumption) {
        return deriveSecret(earlySecret, resumption ? "res binder" : "ext binder", emptyHash);
    }

    /** Handshake Secret = HKDF-Extract(Derive-Secret(Early Secret, "derived", ""), (EC)DHE). */
    public byte[] handshakeSecret(byte[] sharedSecret) {
        if (earlySecret == null) {
            earlySecret(null);
        }
        byte[] derived = deriveSecret(earlySecret, "derived", emptyHash);
        handshakeSecret = hkdf.extract(derived, sharedSecret);
        return handshakeSecret;
    }

    /** client_handshake_traffic_secret, over ClientHello..ServerHello. */
    public byte[] clientHandshakeTrafficSecret(byte[] helloHash) {
        return deriveSecret(handshakeSecret, "c hs traffic", helloHash);
    }

    /** server_handshake_traffic_secret, over ClientHello..ServerHello. */
    public byte[] serverHandshakeTrafficSecret(byte[] helloHash) {
        return deriveSecret(handshakeSecret, "s hs traffic", helloHash);
    }

    /** Master Secret = HKDF-Extract(Derive-Secret(Handshake Secret, "derived", ""), 0). */
    public byte[] masterSecret() {
        byte[] derived = deriveSecret(handshakeSecret, "derived", emptyHash);
        masterSecret = hkdf.extract(derived, new byte[suite.hashLength()]);
        return masterSecret;
    }

    /** client_application_traffic_secret_0, over ClientHello..server Finished. */
    public byte[] clientApplicationTrafficSecret(byte[] serverFinishedHash) {
        return deriveSecret(masterSecret, "c ap traffic", serverFinishedHash);
    }

    /** server_application_traffic_secret_0, over ClientHello..server Finished. */
    public byte[] serverApplicationTrafficSecret(byte[] serverFinishedHash) {
        return deriveSecret(masterSecret, "s ap traffic", serverFinishedHash);
    }

    /** exporter_master_secret, over ClientHello..server Finished. */
    public byte[] exporterMasterSecret(byte[] serverFinishedHash) {
        return deriveSecret(masterSecret, "exp master", serverFinishedHash);
    }

    /** resumption_master_secret, over ClientHello..client Finished. */
    public byte[] resumptionMasterSecret(byte[] clientFinishedHash) {
        return deriveSecret(masterSecret, "res master", clientFinishedHash);
    }

    /** RFC 8446 §4.6.1: the PSK of a ticket = HKDF-Expand-Label(res master, "resumption", nonce, Hash.length). */
    public byte[] resumptionPsk(byte[] resumptionMasterSecret, byte[] ticketNonce) {
        return expandLabel(resumptionMasterSecret, "resumption", ticketNonce, suite.hashLength());
    }

    /** RFC 8446 §7.2: application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length). */
    public byte[] nextApplicationTrafficSecret(byte[] secret) {
        return expandLabel(secret, "traffic upd", new byte[0], suite.hashLength());
    }

    /** RFC 8446 §7.3: write_key = HKDF-Expand-Label(Secret, "key", "", key_length). */
    public byte[] trafficKey(byte[] secret) {
        return expandLabel(secret, "key", new byte[0], suite.keyLength());
    }

    /** RFC 8446 §7.3: write_iv = HKDF-Expand-Label(Secret, "iv", "", iv_length). */
    public byte[] trafficIv(byte[] secret) {
        return expandLabel(secret, "iv", new byte[0], suite.ivLength());
    }

    /** RFC 8446 §4.4.4: finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length). */
    public byte[] finishedKey(byte[] baseKey) {
        return expandLabel(baseKey, "finished", new byte[0], suite.hashLength());
    }

    /** RFC 8446 §4.4.4: verify_data = HMAC(finished_key, Transcript-Hash(...)). */
    public byte[] finishedVerifyData(byte[] baseKey, byte[] transcriptHash) {
        return hkdf.hmac(finishedKey(baseKey), transcriptHash);
    }

    public byte[] emptyHash() {
        return emptyHash.clone();
    }
}
