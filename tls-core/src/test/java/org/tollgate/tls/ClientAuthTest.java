package org.tollgate.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tollgate.tls.cert.CertificateVerifier;
import org.tollgate.tls.cert.CertifiedKey;
import org.tollgate.tls.cert.DemoCertificates.KeyType;

/** Client certificates (mutual TLS) in TLS 1.3 and TLS 1.2, client engine against server engine in memory. */
class ClientAuthTest {
    private static final CertificateVerifier CLIENT_CA = CertificateVerifier.trusting(List.of(EnginePair.PKI.ca()));

    /** A protocol variant: the version, and for TLS 1.2 the key exchange. */
    enum Variant {
        TLS13(List.of(ProtocolVersion.TLS_1_3), null),
        TLS12_ECDHE(List.of(ProtocolVersion.TLS_1_2), CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
        TLS12_RSA(List.of(ProtocolVersion.TLS_1_2), CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256);

        final List<ProtocolVersion> versions;
        final CipherSuite suite;

        Variant(List<ProtocolVersion> versions, CipherSuite suite) {
            this.versions = versions;
            this.suite = suite;
        }

        boolean tls13() {
            return suite == null;
        }

        TlsConfig.Builder client(CertifiedKey... keys) {
            TlsConfig.Builder b = EnginePair.clientConfig().versions(versions);
            if (suite != null) {
                b.cipherSuites(List.of(suite));
            }
            for (CertifiedKey k : keys) {
                b.certificate(k);
            }
            return b;
        }

        TlsConfig.Builder server(ClientAuth mode) {
            return EnginePair.serverConfig(EnginePair.localhost(KeyType.RSA_2048)).rsaKeyExchange(true)
                    .clientAuth(mode).clientVerifier(CLIENT_CA);
        }
    }

    static CertifiedKey clientKey(KeyType type) {
        Instant now = Instant.now();
        return EnginePair.PKI.issue("client " + type, List.of(), type, now.minus(Duration.ofDays(1)),
                now.plus(Duration.ofDays(30)), false);
    }

    static Stream<Arguments> variantsAndKeys() {
        List<Arguments> out = new ArrayList<>();
        for (Variant v : Variant.values()) {
            for (KeyType k : KeyType.values()) {
                if (k != KeyType.ED25519 || v.tls13()) { // Ed25519 is not a TLS 1.2 signature here
                    out.add(Arguments.of(v, k));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("variantsAndKeys")
    void needWithACertificateAuthenticatesTheClient(Variant v, KeyType type) throws Exception {
        CertifiedKey key = clientKey(type);
        EnginePair p = new EnginePair(v.client(key).build(), v.server(ClientAuth.NEED).build(), "localhost").handshake();
        assertTrue(p.client.isHandshakeComplete() && p.server.isHandshakeComplete());
        assertEquals(key.chain(), p.server.summary().peerCertificates(), "the server sees the client's chain");
        assertEquals(EnginePair.localhost(KeyType.RSA_2048).leaf(), p.client.summary().peerCertificates().get(0));
        p.client.writeApplicationData(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));
        EnginePair.deliver(p.client, p.server);
        assertEquals("hello", new String(EnginePair.read(p.server), StandardCharsets.US_ASCII));
    }

    @ParameterizedTest
    @MethodSource("variants")
    void needWithoutACertificateIsRefused(Variant v) throws Exception {
        EnginePair p = new EnginePair(v.client().build(), v.server(ClientAuth.NEED).build(), "localhost");
        TlsException e = assertThrows(TlsException.class, p::handshake);
        // RFC 8446 §4.4.2.4: certificate_required; RFC 5246 §7.4.6: handshake_failure.
        Alert expected = v.tls13() ? Alert.CERTIFICATE_REQUIRED : Alert.HANDSHAKE_FAILURE;
        assertEquals(expected, e.alert());
        assertFalse(e.receivedFromPeer());
        assertTrue(e.getMessage().contains("requires one"), e.getMessage());
        assertEquals(expected, peerAlert(p));
    }

    @ParameterizedTest
    @MethodSource("variants")
    void wantWithoutACertificateGoesOnAnonymously(Variant v) throws Exception {
        EnginePair p = new EnginePair(v.client().build(), v.server(ClientAuth.WANT).build(), "localhost").handshake();
        assertTrue(p.server.isHandshakeComplete());
        assertEquals(List.of(), p.server.summary().peerCertificates());
    }

    @ParameterizedTest
    @MethodSource("variants")
    void wantWithACertificateStillChecksIt(Variant v) throws Exception {
        EnginePair p = new EnginePair(v.client(selfSigned("CN=Stranger")).build(), v.server(ClientAuth.WANT).build(), "localhost");
        TlsException e = assertThrows(TlsException.class, p::handshake);
        assertEquals(Alert.UNKNOWN_CA, e.alert());
        assertTrue(e.getMessage().contains("--client-ca"), e.getMessage());
    }

    @ParameterizedTest
    @MethodSource("variants")
    void untrustedClientCertificateIsUnknownCa(Variant v) throws Exception {
        EnginePair p = new EnginePair(v.client(selfSigned("CN=Stranger")).build(), v.server(ClientAuth.NEED).build(), "localhost");
        TlsException e = assertThrows(TlsException.class, p::handshake);
        assertEquals(Alert.UNKNOWN_CA, e.alert());
        assertTrue(e.getMessage().startsWith("client certificate refused"), e.getMessage());
        assertEquals(Alert.UNKNOWN_CA, peerAlert(p));
    }

    @ParameterizedTest
    @MethodSource("variants")
    void serverOnlyCertificateIsRefusedAsAClientCertificate(Variant v) throws Exception {
        // EnginePair.issue makes a certificate with extended key usage serverAuth only.
        CertifiedKey serverOnly = EnginePair.issue("not a client", List.of(), KeyType.EC_P256);
        EnginePair p = new EnginePair(v.client(serverOnly).build(), v.server(ClientAuth.NEED).build(), "localhost");
        TlsException e = assertThrows(TlsException.class, p::handshake);
        assertEquals(Alert.UNSUPPORTED_CERTIFICATE, e.alert());
        assertTrue(e.getMessage().contains("clientAuth"), e.getMessage());
    }

    @ParameterizedTest
    @MethodSource("variants")
    void signatureByAnotherKeyIsDecryptError(Variant v) throws Exception {
        CertifiedKey honest = clientKey(KeyType.EC_P256);
        CertifiedKey forged = new CertifiedKey(honest.chain(), honest.privateKey());
        Field f = CertifiedKey.class.getDeclaredField("privateKey");
        f.setAccessible(true);
        f.set(forged, clientKey(KeyType.EC_P256).privateKey()); // the chain of one key, the signature of another
        EnginePair p = new EnginePair(v.client(forged).build(), v.server(ClientAuth.NEED).build(), "localhost");
        TlsException e = assertThrows(TlsException.class, p::handshake);
        assertEquals(Alert.DECRYPT_ERROR, e.alert());
        assertTrue(e.getMessage().contains("CertificateVerify"), e.getMessage());
        assertEquals(Alert.DECRYPT_ERROR, peerAlert(p));
    }

    @ParameterizedTest
    @MethodSource("variants")
    void clientPrefersTheCertificateFromANamedCa(Variant v) throws Exception {
        CertifiedKey good = clientKey(KeyType.EC_P256);
        EnginePair p = new EnginePair(v.client(selfSigned("CN=Elsewhere"), good).build(), v.server(ClientAuth.NEED).build(),
                "localhost").handshake();
        assertEquals(good.leaf(), p.server.summary().peerCertificates().get(0));
    }

    @ParameterizedTest
    @MethodSource("variants")
    void clientCertificateIsNotSentUnlessAsked(Variant v) throws Exception {
        EnginePair p = new EnginePair(v.client(clientKey(KeyType.EC_P256)).build(), v.server(ClientAuth.NONE).build(),
                "localhost").handshake();
        assertTrue(p.server.isHandshakeComplete());
        assertEquals(List.of(), p.server.summary().peerCertificates());
    }

    @Test
    void tls12Ed25519ClientKeyCannotAnswerSoTheClientSendsNone() throws Exception {
        Variant v = Variant.TLS12_ECDHE;
        EnginePair p = new EnginePair(v.client(clientKey(KeyType.ED25519)).build(), v.server(ClientAuth.WANT).build(),
                "localhost").handshake();
        assertEquals(List.of(), p.server.summary().peerCertificates());
    }

    @Test
    void tls12ResumedSessionKeepsTheClientIdentity() throws Exception {
        CertifiedKey key = clientKey(KeyType.EC_P256);
        SessionCache serverCache = SessionCache.create(10, Duration.ofHours(1));
        SessionCache clientCache = SessionCache.create(10, Duration.ofHours(1));
        TlsConfig server = Variant.TLS12_ECDHE.server(ClientAuth.NEED).sessionCache(serverCache).build();
        TlsConfig client = Variant.TLS12_ECDHE.client(key).sessionCache(clientCache).build();
        for (int i = 0; i < 2; i++) {
            TlsEngine c = TlsEngine.client(client, "localhost", 443);
            TlsEngine s = TlsEngine.server(server);
            c.beginHandshake();
            while (c.hasPendingOutput() || s.hasPendingOutput()) {
                EnginePair.deliver(c, s);
                EnginePair.deliver(s, c);
            }
            assertEquals(i == 1, s.summary().resumed());
            assertEquals(key.chain(), s.summary().peerCertificates(), "connection " + i);
        }
    }

    @Test
    void clientAuthNeedsAVerifier() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TlsConfig.builder()
                .certificate(EnginePair.localhost(KeyType.EC_P256)).clientAuth(ClientAuth.NEED).build());
        assertTrue(e.getMessage().contains("clientVerifier"), e.getMessage());
    }

    static Stream<Variant> variants() {
        return Stream.of(Variant.values());
    }

    /** The alert the client receives once the server's output reaches it. */
    private static Alert peerAlert(EnginePair p) {
        TlsException e = assertThrows(TlsException.class, () -> {
            EnginePair.deliver(p.server, p.client);
            ByteBuffer sink = ByteBuffer.allocate(1 << 16);
            p.client.readApplicationData(sink);
        });
        assertTrue(e.receivedFromPeer(), e.toString());
        return e.alert();
    }

    /** A self-signed EC certificate for TLS clients, from a CA nobody here trusts. */
    static CertifiedKey selfSigned(String name) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair keys = g.generateKeyPair();
        X500Name subject = new X500Name(name);
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(1))), subject, keys.getPublic());
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
        return new CertifiedKey(List.of(cert), keys.getPrivate());
    }
}
