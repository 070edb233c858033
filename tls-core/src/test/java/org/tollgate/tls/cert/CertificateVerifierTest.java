package org.tollgate.tls.cert;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;
import org.tollgate.tls.Alert;
import org.tollgate.tls.TlsException;

class CertificateVerifierTest {

    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final DemoCertificates.KeyType EC = DemoCertificates.KeyType.EC_P256;

    private final DemoCertificates.Pki pki = DemoCertificates.create(CLOCK);
    private final CertificateVerifier verifier = CertificateVerifier.trusting(List.of(pki.ca())).withClock(CLOCK);

    @Test
    void acceptsTheDemoServerForItsNames() throws Exception {
        List<X509Certificate> chain = pki.localhostServer().chain();
        for (String host : List.of("localhost", "LOCALHOST.", "127.0.0.1", "::1", "[::1]")) {
            verifier.verify(chain, host, true);
        }
        verifier.verify(chain, null, true);
    }

    @Test
    void acceptsEveryKeyType() throws Exception {
        for (DemoCertificates.KeyType type : DemoCertificates.KeyType.values()) {
            CertifiedKey key = pki.issue("k.test", List.of("k.test"), type, NOW.minusSeconds(60), NOW.plusSeconds(60), true);
            verifier.verify(key.chain(), "k.test", true);
        }
    }

    @Test
    void acceptsAChainThatIncludesTheRoot() throws Exception {
        verifier.verify(List.of(pki.localhostServer().leaf(), pki.ca()), "localhost", true);
    }

    @Test
    void followsIntermediatesInAnyOrderAndSkipsExtraCertificates() throws Exception {
        DemoCertificates.Pki sub = pki.intermediate("Tollgate Demo Intermediate", NOW.minusSeconds(60), NOW.plusSeconds(3600));
        CertifiedKey key = sub.issue("deep.test", List.of("deep.test"), EC, NOW.minusSeconds(60), NOW.plusSeconds(60), true);
        assertEquals(2, key.chain().size());
        verifier.verify(key.chain(), "deep.test", true);

        X509Certificate stranger = DemoCertificates.create(CLOCK).localhostServer().leaf();
        verifier.verify(List.of(key.leaf(), pki.ca(), stranger, key.chain().get(1)), "deep.test", true);
    }

    @Test
    void refusesAnUntrustedIssuerWithUnknownCa() {
        DemoCertificates.Pki other = DemoCertificates.create(CLOCK); // same CA name, different key
        assertAlert(Alert.UNKNOWN_CA,
                "issuer not trusted: CN=Tollgate Demo CA (certificate CN=localhost was issued by an authority"
                        + " that is not in the trust store; pass --cafile ca.pem to trust it)",
                () -> verifier.verify(other.localhostServer().chain(), "localhost", true));
        // Sending the other root along does not make it trusted.
        assertAlert(Alert.UNKNOWN_CA, null,
                () -> verifier.verify(List.of(other.localhostServer().leaf(), other.ca()), "localhost", true));
    }

    @Test
    void refusesAnExpiredLeaf() {
        CertifiedKey expired = pki.issue("old.test", List.of("old.test"), EC,
                Instant.parse("2025-01-01T00:00:00Z"), Instant.parse("2026-02-01T00:00:00Z"), true);
        TlsException e = assertAlert(Alert.CERTIFICATE_EXPIRED, null,
                () -> verifier.verify(expired.chain(), "old.test", true));
        assertEquals("certificate CN=old.test expired at 2026-02-01T00:00:00Z (the current time is 2026-03-01T12:00:00Z)",
                e.getMessage());
    }

    @Test
    void refusesTheServerWhenTheClockIsPastItsEnd() {
        List<X509Certificate> chain = pki.localhostServer().chain();
        Instant later = pki.localhostServer().leaf().getNotAfter().toInstant().plus(Duration.ofDays(1));
        TlsException e = assertAlert(Alert.CERTIFICATE_EXPIRED, null,
                () -> verifier.withClock(Clock.fixed(later, ZoneOffset.UTC)).verify(chain, "localhost", true));
        assertTrue(e.getMessage().startsWith("certificate CN=localhost expired at "), e.getMessage());
        assertTrue(e.getMessage().contains("the current time is " + later), e.getMessage());
    }

    @Test
    void refusesACertificateThatIsNotYetValid() {
        Instant earlier = NOW.minus(Duration.ofDays(2)); // the demo server starts one day before NOW
        TlsException e = assertAlert(Alert.CERTIFICATE_EXPIRED, null,
                () -> verifier.withClock(Clock.fixed(earlier, ZoneOffset.UTC))
                        .verify(pki.localhostServer().chain(), "localhost", true));
        assertTrue(e.getMessage().contains("is not valid until " + NOW.minus(Duration.ofDays(1))), e.getMessage());
    }

    @Test
    void refusesAnExpiredIntermediate() {
        DemoCertificates.Pki sub = pki.intermediate("Old Intermediate",
                Instant.parse("2025-01-01T00:00:00Z"), Instant.parse("2026-01-01T00:00:00Z"));
        CertifiedKey key = sub.issue("deep.test", List.of("deep.test"), EC, NOW.minusSeconds(60), NOW.plusSeconds(60), true);
        TlsException e = assertAlert(Alert.CERTIFICATE_EXPIRED, null, () -> verifier.verify(key.chain(), "deep.test", true));
        assertTrue(e.getMessage().startsWith("certificate CN=Old Intermediate expired at 2026-01-01T00:00:00Z"),
                e.getMessage());
    }

    @Test
    void refusesTheWrongNameListingTheCertificatesNames() {
        assertAlert(Alert.BAD_CERTIFICATE, "certificate for localhost, 127.0.0.1, ::1 is not valid for example.com",
                () -> verifier.verify(pki.localhostServer().chain(), "example.com", true));
        assertAlert(Alert.BAD_CERTIFICATE, "certificate for localhost, 127.0.0.1, ::1 is not valid for 127.0.0.2",
                () -> verifier.verify(pki.localhostServer().chain(), "127.0.0.2", true));
        TlsException e = assertAlert(Alert.BAD_CERTIFICATE, null,
                () -> verifier.verify(pki.client().chain(), "client.test", false));
        assertEquals("certificate CN=Tollgate Demo Client has no DNS or IP subjectAltName, so it is not valid for"
                + " client.test (the subject CN is not used to match host names, RFC 9525 §6.3)", e.getMessage());
    }

    @Test
    void refusesACertificateMeantForTheOtherRole() throws Exception {
        TlsException asServer = assertAlert(Alert.UNSUPPORTED_CERTIFICATE, null,
                () -> verifier.verify(pki.client().chain(), null, true));
        assertEquals("certificate CN=Tollgate Demo Client is not meant for TLS servers: its extended key usage"
                + " allows only clientAuth, not serverAuth", asServer.getMessage());
        assertAlert(Alert.UNSUPPORTED_CERTIFICATE, null,
                () -> verifier.verify(pki.localhostServer().chain(), null, false));
        verifier.verify(pki.client().chain(), null, false);
    }

    @Test
    void refusesATamperedSignature() throws Exception {
        byte[] der = pki.localhostServer().leaf().getEncoded();
        der[der.length - 1] ^= 0x01; // inside the signature's s value
        X509Certificate tampered = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der));
        TlsException e = assertAlert(Alert.BAD_CERTIFICATE, null, () -> verifier.verify(List.of(tampered), "localhost", true));
        assertTrue(e.getMessage().startsWith("invalid signature on certificate CN=localhost"), e.getMessage());
    }

    @Test
    void refusesAnEmptyChain() {
        assertAlert(Alert.BAD_CERTIFICATE, "peer sent no certificate", () -> verifier.verify(List.of(), "localhost", true));
        assertAlert(Alert.BAD_CERTIFICATE, "peer sent no certificate",
                () -> CertificateVerifier.insecure().verify(null, "localhost", true));
    }

    @Test
    void trustsASelfSignedLeafThatIsAnAnchor(@TempDir Path dir) throws Exception {
        OpenSsl.run(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "key.pem", "-out", "cert.pem", "-subj", "/CN=self.test", "-days", "2",
                "-addext", "subjectAltName=DNS:self.test");
        List<X509Certificate> chain = PemFiles.readCertificates(dir.resolve("cert.pem"));
        CertificateVerifier.fromPemFile(dir.resolve("cert.pem")).verify(chain, "self.test", true);

        CertificateVerifier demoOnly = CertificateVerifier.trusting(List.of(pki.ca()));
        TlsException e = assertAlert(Alert.UNKNOWN_CA, null, () -> demoOnly.verify(chain, "self.test", true));
        assertTrue(e.getMessage().startsWith("issuer not trusted: CN=self.test (certificate CN=self.test is self-signed"),
                e.getMessage());
    }

    @Test
    void insecureAcceptsAnything() {
        CertifiedKey expired = DemoCertificates.create(CLOCK).issue("x", List.of("x.test"), EC,
                Instant.parse("2020-01-01T00:00:00Z"), Instant.parse("2021-01-01T00:00:00Z"), false);
        assertDoesNotThrow(() -> CertificateVerifier.insecure().verify(expired.chain(), "elsewhere.test", true));
        assertEquals(List.of(), CertificateVerifier.insecure().acceptedIssuers());
    }

    @Test
    void loadsAnchorsFromPemAndListsThem(@TempDir Path dir) throws Exception {
        pki.writeCa(dir.resolve("ca.pem"));
        CertificateVerifier fromFile = CertificateVerifier.fromPemFile(dir.resolve("ca.pem")).withClock(CLOCK);
        fromFile.verify(pki.localhostServer().chain(), "localhost", true);
        assertEquals(List.of(new X500Principal("CN=Tollgate Demo CA")), fromFile.acceptedIssuers());
    }

    @Test
    void systemDefaultTrustsPublicCasButNotTheDemoCa() {
        CertificateVerifier system = CertificateVerifier.systemDefault();
        assertTrue(system.acceptedIssuers().size() > 10, "cacerts looks empty");
        assertAlert(Alert.UNKNOWN_CA, null, () -> system.withClock(CLOCK).verify(pki.localhostServer().chain(), "localhost", true));
    }

    @Test
    void needsAtLeastOneAnchor() {
        assertThrows(IllegalArgumentException.class, () -> CertificateVerifier.trusting(List.of()));
    }

    /** Asserts the alert, and the exact message unless {@code message} is null. */
    private static TlsException assertAlert(Alert alert, String message, Executable call) {
        TlsException e = assertThrows(TlsException.class, call);
        assertEquals(alert, e.alert(), e::getMessage);
        if (message != null) {
            assertEquals(message, e.getMessage());
        }
        return e;
    }
}
