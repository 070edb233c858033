package org.tollgate.tls.handshake;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Arrays;
import javax.crypto.KeyAgreement;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.testing.Rfc8448Trace;

/**
 * The TLS 1.3 key schedule against RFC 8448 §3 (simple 1-RTT handshake,
 * TLS_AES_128_GCM_SHA256, x25519): every secret, key, IV and both Finished messages, byte
 * for byte. The x25519 step uses the JDK's XDH so that this test stands on its own.
 */
class Rfc8448Test {
    private final Rfc8448Trace trace = Rfc8448Trace.simple1Rtt();
    private KeySchedule schedule;

    @BeforeEach
    void newSchedule() {
        schedule = new KeySchedule(CipherSuite.TLS_AES_128_GCM_SHA256);
    }

    // ---- x25519 (RFC 7748) through the JDK, test-only.

    private static byte[] x25519(byte[] privateKey, byte[] peerPublicKey) throws GeneralSecurityException {
        KeyFactory kf = KeyFactory.getInstance("XDH");
        PrivateKey priv = kf.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, privateKey));
        // RFC 7748 §5: u is little-endian, and the top bit of the last byte is ignored.
        byte[] be = peerPublicKey.clone();
        be[be.length - 1] &= 0x7f;
        for (int i = 0, j = be.length - 1; i < j; i++, j--) {
            byte t = be[i];
            be[i] = be[j];
            be[j] = t;
        }
        PublicKey pub = kf.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, new BigInteger(1, be)));
        KeyAgreement ka = KeyAgreement.getInstance("XDH");
        ka.init(priv);
        ka.doPhase(pub, true);
        return ka.generateSecret();
    }

    /** X25519(k, 9): the public key that belongs to private key k (RFC 7748 §6.1). */
    private static byte[] x25519PublicKey(byte[] privateKey) throws GeneralSecurityException {
        byte[] basePoint = new byte[32];
        basePoint[0] = 9;
        return x25519(privateKey, basePoint);
    }

    private byte[] transcriptHash(String... messages) {
        TranscriptHash transcript = new TranscriptHash();
        // Before the suite is known the messages are buffered; choosing the hash after the
        // ClientHello is how the handshake uses it.
        transcript.add(trace.get(messages[0]));
        transcript.useHash("SHA-256");
        for (String m : Arrays.asList(messages).subList(1, messages.length)) {
            transcript.add(trace.get(m));
        }
        return transcript.current();
    }

    private byte[] sharedSecret() throws GeneralSecurityException {
        return x25519(trace.get("client_private_key"), trace.get("server_public_key"));
    }

    @Test
    void x25519PublicKeysMatchTheirPrivateKeys() throws GeneralSecurityException {
        assertArrayEquals(trace.get("client_public_key"), x25519PublicKey(trace.get("client_private_key")));
        assertArrayEquals(trace.get("server_public_key"), x25519PublicKey(trace.get("server_private_key")));
    }

    @Test
    void x25519SharedSecretIsTheHandshakeIkmFromBothSides() throws GeneralSecurityException {
        byte[] clientSide = x25519(trace.get("client_private_key"), trace.get("server_public_key"));
        byte[] serverSide = x25519(trace.get("server_private_key"), trace.get("client_public_key"));
        assertArrayEquals(clientSide, serverSide);
        assertArrayEquals(trace.get("handshake_ikm"), clientSide);
    }

    @Test
    void transcriptHashes() {
        assertArrayEquals(trace.get("hello_hash"), transcriptHash("ClientHello", "ServerHello"));
        assertArrayEquals(trace.get("server_finished_hash"), transcriptHash("ClientHello", "ServerHello",
                "EncryptedExtensions", "Certificate", "CertificateVerify", "ServerFinished"));
        assertArrayEquals(trace.get("client_finished_hash"), transcriptHash("ClientHello", "ServerHello",
                "EncryptedExtensions", "Certificate", "CertificateVerify", "ServerFinished", "ClientFinished"));
    }

    @Test
    void earlyAndHandshakeSecrets() throws GeneralSecurityException {
        assertArrayEquals(trace.get("early_secret"), schedule.earlySecret(null));
        // RFC 8446 §7.1: Derive-Secret(Early Secret, "derived", "") is the salt of the next extract.
        assertArrayEquals(trace.get("early_derived"),
                schedule.deriveSecret(trace.get("early_secret"), "derived", schedule.emptyHash()));
        assertArrayEquals(trace.get("handshake_secret"), schedule.handshakeSecret(sharedSecret()));
    }

    @Test
    void handshakeSecretWithoutAnExplicitEarlySecret() throws GeneralSecurityException {
        // No PSK: the schedule must supply the zero-PSK early secret itself.
        assertArrayEquals(trace.get("handshake_secret"), schedule.handshakeSecret(sharedSecret()));
    }

    @Test
    void handshakeTrafficSecretsKeysAndIvs() throws GeneralSecurityException {
        schedule.handshakeSecret(sharedSecret());
        byte[] helloHash = transcriptHash("ClientHello", "ServerHello");

        byte[] clientHs = schedule.clientHandshakeTrafficSecret(helloHash);
        byte[] serverHs = schedule.serverHandshakeTrafficSecret(helloHash);
        assertArrayEquals(trace.get("client_handshake_traffic_secret"), clientHs);
        assertArrayEquals(trace.get("server_handshake_traffic_secret"), serverHs);

        assertArrayEquals(trace.get("server_handshake_key"), schedule.trafficKey(serverHs));
        assertArrayEquals(trace.get("server_handshake_iv"), schedule.trafficIv(serverHs));
        assertArrayEquals(trace.get("client_handshake_key"), schedule.trafficKey(clientHs));
        assertArrayEquals(trace.get("client_handshake_iv"), schedule.trafficIv(clientHs));
    }

    @Test
    void finishedMessages() {
        byte[] serverHs = trace.get("server_handshake_traffic_secret");
        byte[] clientHs = trace.get("client_handshake_traffic_secret");

        // RFC 8446 §4.4.4: the server's Finished covers ClientHello..CertificateVerify.
        assertArrayEquals(trace.get("server_finished_key"), schedule.finishedKey(serverHs));
        byte[] serverVerifyData = schedule.finishedVerifyData(serverHs, transcriptHash("ClientHello", "ServerHello",
                "EncryptedExtensions", "Certificate", "CertificateVerify"));
        assertArrayEquals(trace.get("server_finished_verify_data"), serverVerifyData);
        assertArrayEquals(Arrays.copyOfRange(trace.get("ServerFinished"), 4, 36), serverVerifyData);

        // The client's Finished covers ClientHello..server Finished.
        assertArrayEquals(trace.get("client_finished_key"), schedule.finishedKey(clientHs));
        byte[] clientVerifyData = schedule.finishedVerifyData(clientHs, transcriptHash("ClientHello", "ServerHello",
                "EncryptedExtensions", "Certificate", "CertificateVerify", "ServerFinished"));
        assertArrayEquals(trace.get("client_finished_verify_data"), clientVerifyData);
        assertArrayEquals(Arrays.copyOfRange(trace.get("ClientFinished"), 4, 36), clientVerifyData);
    }

    @Test
    void masterSecretAndEverythingDerivedFromIt() throws GeneralSecurityException {
        byte[] handshakeSecret = schedule.handshakeSecret(sharedSecret());
        assertArrayEquals(trace.get("handshake_derived"),
                schedule.deriveSecret(handshakeSecret, "derived", schedule.emptyHash()));
        assertArrayEquals(trace.get("master_secret"), schedule.masterSecret());

        byte[] serverFinishedHash = transcriptHash("ClientHello", "ServerHello",
                "EncryptedExtensions", "Certificate", "CertificateVerify", "ServerFinished");
        byte[] clientAp = schedule.clientApplicationTrafficSecret(serverFinishedHash);
        byte[] serverAp = schedule.serverApplicationTrafficSecret(serverFinishedHash);
        assertArrayEquals(trace.get("client_application_traffic_secret"), clientAp);
        assertArrayEquals(trace.get("server_application_traffic_secret"), serverAp);
        assertArrayEquals(trace.get("exporter_master_secret"), schedule.exporterMasterSecret(serverFinishedHash));

        assertArrayEquals(trace.get("server_application_key"), schedule.trafficKey(serverAp));
        assertArrayEquals(trace.get("server_application_iv"), schedule.trafficIv(serverAp));
        assertArrayEquals(trace.get("client_application_key"), schedule.trafficKey(clientAp));
        assertArrayEquals(trace.get("client_application_iv"), schedule.trafficIv(clientAp));

        byte[] clientFinishedHash = transcriptHash("ClientHello", "ServerHello", "EncryptedExtensions",
                "Certificate", "CertificateVerify", "ServerFinished", "ClientFinished");
        assertArrayEquals(trace.get("resumption_master_secret"), schedule.resumptionMasterSecret(clientFinishedHash));
    }
    /**
     * RFC 8448 §4 (resumed handshake): the PSK of the §3 ticket (nonce 00 00) is
     * HKDF-Expand-Label(resumption_master_secret, "resumption", nonce, 32) (RFC 8446 §4.6.1), and
     * its Early Secret = HKDF-Extract(0, PSK); both values as printed in RFC 8448 §4.
     */
    @Test
    void resumptionPskAndItsEarlySecret() {
        byte[] ticket = trace.get("NewSessionTicket");
        // msg_type, length(3), lifetime(4), age_add(4), then nonce<0..255>
        byte[] nonce = Arrays.copyOfRange(ticket, 13, 13 + ticket[12]);
        assertArrayEquals(new byte[] {0, 0}, nonce);
        byte[] psk = schedule.resumptionPsk(trace.get("resumption_master_secret"), nonce);
        assertArrayEquals(java.util.HexFormat.of().parseHex(
                "4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3"), psk);
        assertArrayEquals(java.util.HexFormat.of().parseHex(
                "9b2188e9b2fc6d64d71dc329900e20bb41915000f678aa839cbb797cb7d8332c"), schedule.earlySecret(psk));
    }
}
