package org.tollgate.tls.cert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCertificatesTest {

    @TempDir
    Path dir;

    private final DemoCertificates.Pki pki = DemoCertificates.create(Clock.systemUTC());

    @Test
    void openSslVerifiesTheServerAndClientCertificates() throws Exception {
        pki.writeCa(dir.resolve("ca.pem"));
        PemFiles.writeCertificates(dir.resolve("server.pem"), pki.localhostServer().chain());
        PemFiles.writeCertificates(dir.resolve("client.pem"), pki.client().chain());

        assertEquals("server.pem: OK\n", OpenSsl.run(dir, "verify", "-CAfile", "ca.pem", "-purpose", "sslserver",
                "-verify_hostname", "localhost", "server.pem"));
        OpenSsl.run(dir, "verify", "-CAfile", "ca.pem", "-purpose", "sslserver", "-verify_ip", "127.0.0.1", "server.pem");
        OpenSsl.run(dir, "verify", "-CAfile", "ca.pem", "-purpose", "sslserver", "-verify_ip", "::1", "server.pem");
        assertEquals("client.pem: OK\n", OpenSsl.run(dir, "verify", "-CAfile", "ca.pem", "-purpose", "sslclient", "client.pem"));

        // openssl refuses what our verifier refuses.
        assertNotEquals(0, OpenSsl.tryRun(dir, "verify", "-CAfile", "ca.pem", "-verify_hostname", "example.com",
                "server.pem").exitCode());
        assertNotEquals(0, OpenSsl.tryRun(dir, "verify", "-CAfile", "ca.pem", "-purpose", "sslserver",
                "client.pem").exitCode());
    }

    @Test
    void openSslVerifiesEveryKeyTypeAndAnIntermediateChain() throws Exception {
        pki.writeCa(dir.resolve("ca.pem"));
        Instant now = Instant.now();
        for (DemoCertificates.KeyType type : DemoCertificates.KeyType.values()) {
            CertifiedKey key = pki.issue("k.test", List.of("k.test", "10.0.0.7"), type, now.minusSeconds(60),
                    now.plus(Duration.ofDays(1)), true);
            PemFiles.writeCertificates(dir.resolve("leaf.pem"), key.chain());
            OpenSsl.run(dir, "verify", "-CAfile", "ca.pem", "-purpose", "sslserver", "-verify_hostname", "k.test",
                    "-verify_ip", "10.0.0.7", "leaf.pem");
        }

        DemoCertificates.Pki sub = pki.intermediate("Tollgate Demo Intermediate", now.minusSeconds(60), now.plus(Duration.ofDays(1)));
        CertifiedKey deep = sub.issue("deep.test", List.of("deep.test"), DemoCertificates.KeyType.EC_P256,
                now.minusSeconds(60), now.plus(Duration.ofDays(1)), true);
        PemFiles.writeCertificates(dir.resolve("leaf.pem"), List.of(deep.leaf()));
        PemFiles.writeCertificates(dir.resolve("intermediate.pem"), deep.chain().subList(1, 2));
        OpenSsl.run(dir, "verify", "-CAfile", "ca.pem", "-untrusted", "intermediate.pem", "-purpose", "sslserver",
                "leaf.pem");
    }

    @Test
    void theCaIsAnEcP256CaValidForTenYearsFromYesterday() throws Exception {
        Instant now = Instant.parse("2026-03-01T12:00:00.123Z");
        X509Certificate ca = DemoCertificates.create(Clock.fixed(now, ZoneOffset.UTC)).ca();
        assertEquals("CN=Tollgate Demo CA", ca.getSubjectX500Principal().getName());
        assertEquals(ca.getSubjectX500Principal(), ca.getIssuerX500Principal());
        assertTrue(ca.getBasicConstraints() >= 0, "basicConstraints CA=true");
        assertTrue(ca.getKeyUsage()[5], "keyCertSign");
        Instant notBefore = now.truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofDays(1));
        assertEquals(notBefore, ca.getNotBefore().toInstant());
        assertTrue(ca.getNotAfter().toInstant().isAfter(notBefore.plus(Duration.ofDays(3650))));
        assertEquals("secp256r1", CertifiedKey.ecCurveName(((java.security.interfaces.ECKey) ca.getPublicKey()).getParams()));
        ca.verify(ca.getPublicKey());
    }

    @Test
    void theLocalhostServerHasTheDocumentedNamesAndUsage() throws Exception {
        CertifiedKey server = pki.localhostServer();
        assertEquals(List.of(server.leaf()), server.chain());
        assertEquals(List.of("localhost", "127.0.0.1", "::1"), HostnameVerifier.describeNames(server.leaf()));
        assertEquals(List.of("1.3.6.1.5.5.7.3.1"), server.leaf().getExtendedKeyUsage());
        assertEquals(-1, server.leaf().getBasicConstraints());
        assertInstanceOf(ECPrivateKey.class, server.privateKey());
        assertTrue(server.privateKey().getClass().getName().startsWith("sun."), "a JDK key object");
        server.leaf().verify(pki.ca().getPublicKey());
        assertEquals(server, pki.localhostServer());
        assertNotEquals(server.leaf().getSerialNumber(), pki.client().leaf().getSerialNumber());
        assertEquals(List.of("1.3.6.1.5.5.7.3.2"), pki.client().leaf().getExtendedKeyUsage());
    }
}
