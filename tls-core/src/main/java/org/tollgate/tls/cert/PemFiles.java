package org.tollgate.tls.cert;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reads and writes certificates and private keys in PEM files (RFC 7468), the format
 * OpenSSL, nginx and most servers use.
 *
 * <p>Keys may be PKCS#8 ({@code PRIVATE KEY}), PKCS#1 ({@code RSA PRIVATE KEY}) or SEC1
 * ({@code EC PRIVATE KEY}, with or without an {@code EC PARAMETERS} block before it), for
 * RSA, EC (P-256, P-384, P-521) and Ed25519. Keys come back as the JDK's own key objects,
 * so callers can rely on {@code java.security.interfaces.*}.
 *
 * <p>Errors: an {@link IOException} when the file cannot be read, is malformed, or holds
 * nothing of the wanted kind; an {@link IllegalArgumentException} when it is well formed
 * but asks for something this class does not support (an encrypted key, an unknown key
 * algorithm). Every message names the file.
 */
public final class PemFiles {

    // The key algorithms a TLS 1.3 certificate key can have here, by PKCS#8 algorithm OID.
    private static final ASN1ObjectIdentifier RSA = PKCSObjectIdentifiers.rsaEncryption;
    private static final ASN1ObjectIdentifier EC = X9ObjectIdentifiers.id_ecPublicKey;
    private static final ASN1ObjectIdentifier ED25519 = EdECObjectIdentifiers.id_Ed25519;

    private PemFiles() {
    }

    /**
     * The certificates in {@code file}, in file order: for a chain file, leaf first. Other
     * PEM blocks (a private key in a combined file) are skipped.
     * @param file a PEM file
     * @return the certificates
     * @throws IOException when the file cannot be read or holds no certificate
     */
    public static List<X509Certificate> readCertificates(Path file) throws IOException {
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        List<X509Certificate> certificates = new ArrayList<>();
        for (Object object : readObjects(file)) {
            if (object instanceof X509CertificateHolder holder) {
                try {
                    certificates.add(converter.getCertificate(holder));
                } catch (CertificateException e) {
                    throw new IOException("malformed certificate in " + file + ": " + e.getMessage(), e);
                }
            }
        }
        if (certificates.isEmpty()) {
            throw new IOException("no certificate found in " + file
                    + " (expected a -----BEGIN CERTIFICATE----- block)");
        }
        return List.copyOf(certificates);
    }

    /**
     * The first private key in {@code file}, as a JDK key object.
     * @param file a PEM file
     * @return the key
     * @throws IOException when the file cannot be read or holds no supported key
     */
    public static PrivateKey readPrivateKey(Path file) throws IOException {
        // SEC1 §C.4: an EC key may leave its curve out and rely on a separate EC PARAMETERS
        // block (OpenSSL's "ecparam -genkey" writes one before the key).
        ASN1ObjectIdentifier curveFromParameters = null;
        for (Object object : readObjects(file)) {
            if (object instanceof ASN1ObjectIdentifier curve) {
                curveFromParameters = curve;
            } else if (object instanceof PEMEncryptedKeyPair || object instanceof PKCS8EncryptedPrivateKeyInfo) {
                throw new IllegalArgumentException("encrypted private keys are not supported: " + file
                        + " (decrypt it first, e.g. openssl pkey -in " + file.getFileName() + " -out plain.pem)");
            } else if (object instanceof PEMKeyPair pair) {
                return toJdkKey(withCurve(pair.getPrivateKeyInfo(), curveFromParameters), file);
            } else if (object instanceof PrivateKeyInfo info) {
                return toJdkKey(info, file);
            }
        }
        throw new IOException("no private key found in " + file
                + " (expected a PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block)");
    }

    /**
     * Writes {@code certificates} to {@code file} as PEM {@code CERTIFICATE} blocks, in order.
     * @param file where to write
     * @param certificates the certificates, leaf first
     * @throws IOException when the file cannot be written
     */
    public static void writeCertificates(Path file, List<X509Certificate> certificates) throws IOException {
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException("no certificates to write to " + file);
        }
        try (JcaPEMWriter pem = new JcaPEMWriter(Files.newBufferedWriter(file, StandardCharsets.US_ASCII))) {
            for (X509Certificate certificate : certificates) {
                pem.writeObject(certificate);
            }
        }
    }

    /**
     * Writes {@code key} to {@code file} as an unencrypted PKCS#8 {@code PRIVATE KEY} block.
     * On POSIX file systems a new file is created readable by its owner only.
     * @param file where to write
     * @param key the private key
     * @throws IOException when the file cannot be written
     */
    public static void writePrivateKey(Path file, PrivateKey key) throws IOException {
        byte[] der = key.getEncoded();
        if (der == null || !"PKCS#8".equals(key.getFormat())) {
            throw new IllegalArgumentException("cannot write " + key.getAlgorithm()
                    + " key to " + file + ": it has no PKCS#8 encoding");
        }
        byte[] encoded = key instanceof java.security.interfaces.ECPrivateKey ec ? withPublicPoint(der, ec) : der;
        try (Writer out = ownerOnlyWriter(file); JcaPEMWriter pem = new JcaPEMWriter(out)) {
            pem.writeObject(new org.bouncycastle.util.io.pem.PemObject("PRIVATE KEY", encoded));
        }
    }

    private static List<Object> readObjects(Path file) throws IOException {
        List<Object> objects = new ArrayList<>();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
             PEMParser parser = new PEMParser(reader)) {
            Object object;
            while ((object = parser.readObject()) != null) {
                objects.add(object);
            }
        } catch (java.nio.charset.MalformedInputException e) {
            throw new IOException(file + " is not a PEM file (it contains non-ASCII bytes; DER is not supported)", e);
        } catch (IOException e) {
            if (e instanceof java.nio.file.NoSuchFileException) {
                throw new IOException("file not found: " + file, e);
            }
            throw new IOException("malformed PEM in " + file + ": " + e.getMessage(), e);
        }
        return objects;
    }

    private static PrivateKeyInfo withCurve(PrivateKeyInfo info, ASN1ObjectIdentifier curve) throws IOException {
        AlgorithmIdentifier algorithm = info.getPrivateKeyAlgorithm();
        if (curve != null && EC.equals(algorithm.getAlgorithm()) && algorithm.getParameters() == null) {
            return new PrivateKeyInfo(new AlgorithmIdentifier(EC, curve), info.parsePrivateKey());
        }
        return info;
    }

    /**
     * BouncyCastle parses; the JDK's own KeyFactory builds the key from its PKCS#8 encoding,
     * so the result is the same kind of object whichever providers are installed.
     */
    private static PrivateKey toJdkKey(PrivateKeyInfo info, Path file) throws IOException {
        ASN1ObjectIdentifier oid = info.getPrivateKeyAlgorithm().getAlgorithm();
        String jdkAlgorithm;
        if (RSA.equals(oid)) {
            jdkAlgorithm = "RSA";
        } else if (EC.equals(oid)) {
            jdkAlgorithm = "EC";
        } else if (ED25519.equals(oid)) {
            jdkAlgorithm = "Ed25519";
        } else {
            throw new IllegalArgumentException("unsupported private key algorithm " + oid + " in " + file
                    + " (supported: RSA, EC P-256/P-384/P-521, Ed25519)");
        }
        try {
            PrivateKey parsed = new JcaPEMKeyConverter().getPrivateKey(info);
            return KeyFactory.getInstance(jdkAlgorithm).generatePrivate(new PKCS8EncodedKeySpec(parsed.getEncoded()));
        } catch (GeneralSecurityException | IOException e) {
            throw new IOException("malformed " + jdkAlgorithm + " private key in " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The JDK encodes an EC private key without its public point, which SEC1 (RFC 5915 §3)
     * makes optional but GnuTLS requires ("ASN1 parser: Element was not found"); this adds it.
     */
    private static byte[] withPublicPoint(byte[] pkcs8, java.security.interfaces.ECPrivateKey key) throws IOException {
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(pkcs8);
        org.bouncycastle.asn1.sec.ECPrivateKey inner = org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(info.parsePrivateKey());
        if (inner.getPublicKey() != null || !(info.getPrivateKeyAlgorithm().getParameters() instanceof ASN1ObjectIdentifier curve)) {
            return pkcs8;
        }
        org.bouncycastle.asn1.x9.X9ECParameters x9 = org.bouncycastle.asn1.x9.ECNamedCurveTable.getByOID(curve);
        if (x9 == null) {
            return pkcs8;
        }
        org.bouncycastle.math.ec.ECPoint q = new org.bouncycastle.math.ec.FixedPointCombMultiplier()
                .multiply(x9.getG(), key.getS()).normalize();
        org.bouncycastle.asn1.sec.ECPrivateKey full = new org.bouncycastle.asn1.sec.ECPrivateKey(x9.getN().bitLength(),
                key.getS(), new org.bouncycastle.asn1.DERBitString(q.getEncoded(false)), null);
        return new PrivateKeyInfo(info.getPrivateKeyAlgorithm(), full).getEncoded();
    }

    private static Writer ownerOnlyWriter(Path file) throws IOException {
        if (!file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return Files.newBufferedWriter(file, StandardCharsets.US_ASCII);
        }
        Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
        FileAttribute<Set<PosixFilePermission>> attribute = PosixFilePermissions.asFileAttribute(ownerOnly);
        var channel = Files.newByteChannel(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING), attribute);
        return new java.io.BufferedWriter(java.nio.channels.Channels.newWriter(channel, StandardCharsets.US_ASCII));
    }
}
