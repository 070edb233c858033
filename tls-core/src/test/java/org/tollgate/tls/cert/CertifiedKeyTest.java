package org.tollgate.tls.cert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.tls.SignatureScheme;

class CertifiedKeyTest {

    @TempDir
    Path dir;

    @Test
    void loadRefusesAKeyOfTheSameTypeThatIsNotTheCertificates() {
        OpenSsl.run(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "right.key", "-out", "cert.pem", "-subj", "/CN=mismatch.test", "-days", "1");
        OpenSsl.run(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "wrong.key");

        var e = assertThrows(IllegalArgumentException.class,
                () -> CertifiedKey.load(dir.resolve("cert.pem"), dir.resolve("wrong.key")));
        assertTrue(e.getMessage().contains("wrong.key does not belong to "), e.getMessage());
        assertTrue(e.getMessage().contains("cert.pem: the private key does not match the certificate CN=mismatch.test"),
                e.getMessage());
    }

    @Test
    void loadRefusesAKeyOfAnotherType() {
        OpenSsl.run(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "ec.key", "-out", "cert.pem", "-subj", "/CN=mismatch.test", "-days", "1");
        OpenSsl.run(dir, "genrsa", "-traditional", "-out", "rsa.key", "2048");

        var e = assertThrows(IllegalArgumentException.class,
                () -> CertifiedKey.load(dir.resolve("cert.pem"), dir.resolve("rsa.key")));
        assertTrue(e.getMessage().contains("the certificate has an EC public key but the private key is RSA"),
                e.getMessage());
    }

    @Test
    void loadRefusesAnotherRsaKey() {
        OpenSsl.run(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                "-keyout", "right.key", "-out", "cert.pem", "-subj", "/CN=rsa.test", "-days", "1");
        OpenSsl.run(dir, "genrsa", "-traditional", "-out", "wrong.key", "2048");

        var e = assertThrows(IllegalArgumentException.class,
                () -> CertifiedKey.load(dir.resolve("cert.pem"), dir.resolve("wrong.key")));
        assertTrue(e.getMessage().contains("(the RSA moduli differ)"), e.getMessage());
    }

    @Test
    void constructorRefusesAMismatchedKeyAndAnEmptyChain() {
        DemoCertificates.Pki pki = DemoCertificates.create(Clock.systemUTC());
        CertifiedKey a = pki.localhostServer();
        CertifiedKey b = pki.client();
        assertThrows(IllegalArgumentException.class, () -> new CertifiedKey(a.chain(), b.privateKey()));
        assertThrows(IllegalArgumentException.class, () -> new CertifiedKey(List.of(), a.privateKey()));
    }

    @Test
    void listsTheTls13SchemesOfEachKeyType() {
        DemoCertificates.Pki pki = DemoCertificates.create(Clock.systemUTC());
        Instant now = Instant.now();
        assertEquals(List.of(SignatureScheme.ECDSA_SECP256R1_SHA256), schemes(pki, DemoCertificates.KeyType.EC_P256, now));
        assertEquals(List.of(SignatureScheme.ECDSA_SECP384R1_SHA384), schemes(pki, DemoCertificates.KeyType.EC_P384, now));
        assertEquals(List.of(SignatureScheme.ED25519), schemes(pki, DemoCertificates.KeyType.ED25519, now));
        assertEquals(List.of(SignatureScheme.RSA_PSS_RSAE_SHA256, SignatureScheme.RSA_PSS_RSAE_SHA384,
                SignatureScheme.RSA_PSS_RSAE_SHA512), schemes(pki, DemoCertificates.KeyType.RSA_2048, now));
    }

    @Test
    void matchesServerNamesAndHidesTheKeyInToString() {
        CertifiedKey server = DemoCertificates.create(Clock.systemUTC()).localhostServer();
        assertTrue(server.matchesServerName("localhost"));
        assertTrue(server.matchesServerName("127.0.0.1"));
        assertFalse(server.matchesServerName("example.com"));
        assertEquals("CertifiedKey[CN=localhost, 1 certificate(s), EC key]", server.toString());
    }

    private static List<SignatureScheme> schemes(DemoCertificates.Pki pki, DemoCertificates.KeyType type, Instant now) {
        return pki.issue("s.test", List.of("s.test"), type, now, now.plusSeconds(60), true).signatureSchemes();
    }
}
