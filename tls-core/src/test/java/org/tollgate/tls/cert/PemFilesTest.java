package org.tollgate.tls.cert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.tls.SignatureScheme;

/** Reads keys and certificates that the openssl command line wrote, and writes files openssl reads. */
class PemFilesTest {

    @TempDir
    Path dir;

    @Test
    void readsPkcs8EcP256KeyAndCertificate() throws Exception {
        OpenSsl.run(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "key.pem");
        assertTrue(read("key.pem").contains("-----BEGIN PRIVATE KEY-----"));
        selfSign("key.pem", "cert.pem", "/CN=p256.test");

        PrivateKey key = PemFiles.readPrivateKey(dir.resolve("key.pem"));
        assertEquals("secp256r1", CertifiedKey.ecCurveName(assertInstanceOf(ECPrivateKey.class, key).getParams()));
        CertifiedKey certified = CertifiedKey.load(dir.resolve("cert.pem"), dir.resolve("key.pem"));
        assertEquals(List.of(SignatureScheme.ECDSA_SECP256R1_SHA256), certified.signatureSchemes());
        assertEquals("CN=p256.test", certified.leaf().getSubjectX500Principal().getName());
    }

    @Test
    void readsPkcs8EcP384Key() throws Exception {
        OpenSsl.run(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "key.pem");
        selfSign("key.pem", "cert.pem", "/CN=p384.test");

        PrivateKey key = PemFiles.readPrivateKey(dir.resolve("key.pem"));
        assertEquals("secp384r1", CertifiedKey.ecCurveName(assertInstanceOf(ECPrivateKey.class, key).getParams()));
        assertEquals(List.of(SignatureScheme.ECDSA_SECP384R1_SHA384),
                CertifiedKey.load(dir.resolve("cert.pem"), dir.resolve("key.pem")).signatureSchemes());
    }

    @Test
    void readsSec1EcKeyAfterEcParametersBlock() throws Exception {
        OpenSsl.run(dir, "ecparam", "-name", "prime256v1", "-genkey", "-out", "key.pem");
        String pem = read("key.pem");
        assertTrue(pem.indexOf("-----BEGIN EC PARAMETERS-----") < pem.indexOf("-----BEGIN EC PRIVATE KEY-----")
                && pem.contains("-----BEGIN EC PARAMETERS-----"), pem);
        selfSign("key.pem", "cert.pem", "/CN=sec1.test");

        assertInstanceOf(ECPrivateKey.class, PemFiles.readPrivateKey(dir.resolve("key.pem")));
        CertifiedKey.load(dir.resolve("cert.pem"), dir.resolve("key.pem"));
    }

    @Test
    void readsSec1EcKeyWithoutParametersBlock() throws Exception {
        OpenSsl.run(dir, "ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", "key.pem");
        assertTrue(read("key.pem").startsWith("-----BEGIN EC PRIVATE KEY-----"));
        selfSign("key.pem", "cert.pem", "/CN=sec1.test");

        PrivateKey key = PemFiles.readPrivateKey(dir.resolve("key.pem"));
        assertEquals("secp384r1", CertifiedKey.ecCurveName(assertInstanceOf(ECPrivateKey.class, key).getParams()));
        CertifiedKey.load(dir.resolve("cert.pem"), dir.resolve("key.pem"));
    }

    /** SEC1 §C.4: the curve may be given only by the EC PARAMETERS block before the key. */
    @Test
    void takesTheCurveFromTheEcParametersBlockWhenTheKeyOmitsIt() throws Exception {
        ECPrivateKey original = (ECPrivateKey) DemoCertificates.create(Clock.systemUTC()).localhostServer().privateKey();
        byte[] sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(256, original.getS()).getEncoded();
        byte[] curve = SECObjectIdentifiers.secp256r1.getEncoded();
        Files.writeString(dir.resolve("key.pem"), pem("EC PARAMETERS", curve) + pem("EC PRIVATE KEY", sec1));

        ECPrivateKey key = (ECPrivateKey) PemFiles.readPrivateKey(dir.resolve("key.pem"));
        assertEquals(original.getS(), key.getS());
        assertEquals("secp256r1", CertifiedKey.ecCurveName(key.getParams()));
    }

    @Test
    void readsPkcs1RsaKey() throws Exception {
        OpenSsl.run(dir, "genrsa", "-traditional", "-out", "key.pem", "2048");
        assertTrue(read("key.pem").contains("-----BEGIN RSA PRIVATE KEY-----"));
        selfSign("key.pem", "cert.pem", "/CN=rsa.test");

        RSAPrivateCrtKey key = assertInstanceOf(RSAPrivateCrtKey.class, PemFiles.readPrivateKey(dir.resolve("key.pem")));
        assertEquals(2048, key.getModulus().bitLength());
        assertEquals(List.of(SignatureScheme.RSA_PSS_RSAE_SHA256, SignatureScheme.RSA_PSS_RSAE_SHA384,
                        SignatureScheme.RSA_PSS_RSAE_SHA512),
                CertifiedKey.load(dir.resolve("cert.pem"), dir.resolve("key.pem")).signatureSchemes());
    }

    @Test
    void readsPkcs8RsaKey() throws Exception {
        OpenSsl.run(dir, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "key.pem");
        assertTrue(read("key.pem").contains("-----BEGIN PRIVATE KEY-----"));
        assertInstanceOf(RSAPrivateCrtKey.class, PemFiles.readPrivateKey(dir.resolve("key.pem")));
    }

    @Test
    void readsEd25519Key() throws Exception {
        OpenSsl.run(dir, "genpkey", "-algorithm", "ed25519", "-out", "key.pem");
        selfSign("key.pem", "cert.pem", "/CN=ed25519.test");

        EdECPrivateKey key = assertInstanceOf(EdECPrivateKey.class, PemFiles.readPrivateKey(dir.resolve("key.pem")));
        assertEquals("Ed25519", key.getParams().getName());
        assertEquals(List.of(SignatureScheme.ED25519),
                CertifiedKey.load(dir.resolve("cert.pem"), dir.resolve("key.pem")).signatureSchemes());
    }

    @Test
    void refusesEncryptedPkcs8Key() {
        OpenSsl.run(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-aes256", "-pass", "pass:secret", "-out", "key.pem");
        assertTrue(read("key.pem").contains("-----BEGIN ENCRYPTED PRIVATE KEY-----"));

        var e = assertThrows(IllegalArgumentException.class, () -> PemFiles.readPrivateKey(dir.resolve("key.pem")));
        assertTrue(e.getMessage().startsWith("encrypted private keys are not supported"), e.getMessage());
        assertTrue(e.getMessage().contains("key.pem"), e.getMessage());
    }

    @Test
    void refusesEncryptedTraditionalKey() {
        OpenSsl.run(dir, "genrsa", "-traditional", "-out", "plain.pem", "2048");
        OpenSsl.run(dir, "rsa", "-in", "plain.pem", "-traditional", "-aes256", "-passout", "pass:secret",
                "-out", "key.pem");
        assertTrue(read("key.pem").contains("Proc-Type: 4,ENCRYPTED"));

        var e = assertThrows(IllegalArgumentException.class, () -> PemFiles.readPrivateKey(dir.resolve("key.pem")));
        assertTrue(e.getMessage().startsWith("encrypted private keys are not supported"), e.getMessage());
    }

    @Test
    void readsAChainLeafFirstAndSkipsOtherBlocks() throws Exception {
        OpenSsl.run(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=OpenSSL Test CA", "-days", "2");
        OpenSsl.run(dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=leaf.test");
        Files.writeString(dir.resolve("ext.cnf"), "subjectAltName=DNS:leaf.test\n");
        OpenSsl.run(dir, "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "1", "-extfile", "ext.cnf", "-out", "leaf.pem");
        Files.writeString(dir.resolve("chain.pem"), read("leaf.pem") + read("leaf.key") + read("ca.pem"));

        List<X509Certificate> chain = PemFiles.readCertificates(dir.resolve("chain.pem"));
        assertEquals(2, chain.size());
        assertEquals("CN=leaf.test", chain.get(0).getSubjectX500Principal().getName());
        assertEquals("CN=OpenSSL Test CA", chain.get(1).getSubjectX500Principal().getName());
        // The same combined file also yields the key, and our verifier accepts openssl's chain.
        assertInstanceOf(ECPrivateKey.class, PemFiles.readPrivateKey(dir.resolve("chain.pem")));
        CertificateVerifier.fromPemFile(dir.resolve("ca.pem")).verify(chain, "leaf.test", true);
    }

    @Test
    void namesTheFileWhenNothingUsableIsInIt() throws Exception {
        OpenSsl.run(dir, "genpkey", "-algorithm", "ed25519", "-out", "key.pem");
        selfSign("key.pem", "cert.pem", "/CN=x.test");

        var noCert = assertThrows(IOException.class, () -> PemFiles.readCertificates(dir.resolve("key.pem")));
        assertTrue(noCert.getMessage().startsWith("no certificate found in "), noCert.getMessage());
        assertTrue(noCert.getMessage().contains("key.pem"), noCert.getMessage());

        var noKey = assertThrows(IOException.class, () -> PemFiles.readPrivateKey(dir.resolve("cert.pem")));
        assertTrue(noKey.getMessage().startsWith("no private key found in "), noKey.getMessage());
        assertTrue(noKey.getMessage().contains("cert.pem"), noKey.getMessage());

        var missing = assertThrows(IOException.class, () -> PemFiles.readCertificates(dir.resolve("absent.pem")));
        assertTrue(missing.getMessage().contains("absent.pem"), missing.getMessage());

        Files.writeString(dir.resolve("broken.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        var broken = assertThrows(IOException.class, () -> PemFiles.readCertificates(dir.resolve("broken.pem")));
        assertTrue(broken.getMessage().contains("broken.pem"), broken.getMessage());
    }

    @Test
    void writesFilesOpenSslReads() throws Exception {
        DemoCertificates.Pki pki = DemoCertificates.create(Clock.systemUTC());
        for (DemoCertificates.KeyType type : DemoCertificates.KeyType.values()) {
            var now = java.time.Instant.now();
            CertifiedKey key = pki.issue("w.test", List.of("w.test"), type, now.minusSeconds(60), now.plusSeconds(3600), true);
            String name = type.name().toLowerCase();
            PemFiles.writeCertificates(dir.resolve(name + ".crt"), key.chain());
            PemFiles.writePrivateKey(dir.resolve(name + ".key"), key.privateKey());

            assertTrue(read(name + ".key").startsWith("-----BEGIN PRIVATE KEY-----"));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(name + ".key"))));
            // openssl agrees that the written key is the certificate's key.
            String fromCert = OpenSsl.run(dir, "x509", "-in", name + ".crt", "-noout", "-pubkey");
            String fromKey = OpenSsl.run(dir, "pkey", "-in", name + ".key", "-pubout");
            assertEquals(fromCert, fromKey, type.name());

            PrivateKey back = PemFiles.readPrivateKey(dir.resolve(name + ".key"));
            if (back instanceof ECPrivateKey ec) { // written with its public point, so encoded differently
                assertEquals(((ECPrivateKey) key.privateKey()).getS(), ec.getS());
            } else {
                assertArrayEquals(key.privateKey().getEncoded(), back.getEncoded());
            }
            assertEquals(key.chain(), PemFiles.readCertificates(dir.resolve(name + ".crt")));
        }
    }

    private void selfSign(String keyFile, String certFile, String subject) {
        OpenSsl.run(dir, "req", "-x509", "-new", "-key", keyFile, "-out", certFile, "-subj", subject, "-days", "1");
    }

    private String read(String file) {
        try {
            return Files.readString(dir.resolve(file), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }

    @Test
    void writtenEcKeysCarryTheirPublicPointForGnutls() throws Exception {
        CertifiedKey key = DemoCertificates.create(Clock.systemUTC()).client();
        Path file = dir.resolve("client.key");
        PemFiles.writePrivateKey(file, key.privateKey());
        // RFC 5915 §3: publicKey is optional in ECPrivateKey, but GnuTLS cannot import a key without it.
        org.bouncycastle.asn1.pkcs.PrivateKeyInfo info = org.bouncycastle.asn1.pkcs.PrivateKeyInfo.getInstance(
                Base64.getMimeDecoder().decode(Files.readString(file).replaceAll("-----[A-Z ]+-----", "")));
        org.bouncycastle.asn1.sec.ECPrivateKey inner = org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(info.parsePrivateKey());
        org.bouncycastle.asn1.x509.SubjectPublicKeyInfo spki = org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(
                key.leaf().getPublicKey().getEncoded());
        assertArrayEquals(spki.getPublicKeyData().getBytes(), inner.getPublicKey().getBytes());
        assertEquals(((ECPrivateKey) key.privateKey()).getS(), ((ECPrivateKey) PemFiles.readPrivateKey(file)).getS());
    }
}
