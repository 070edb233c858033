package org.tollgate.tls.crypto;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import javax.crypto.KeyAgreement;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.SignatureScheme;

/**
 * A rough single-thread speed comparison, JDK providers against the implementations
 * {@link DefaultCrypto} uses, run by hand (not a test, and not JMH: good for ratios
 * within one run, not for absolute figures). Results are recorded in {@link DefaultCrypto}.
 *
 * <pre>
 * mvn -q test-compile -pl tls-core
 * mvn -q dependency:build-classpath -pl tls-core -Dmdep.outputFile=cp.txt
 * java -cp tls-core/target/classes:tls-core/target/test-classes:$(cat tls-core/cp.txt) \
 *     org.tollgate.tls.crypto.CryptoSpeed
 * </pre>
 *
 * System properties {@code speed.warmup} and {@code speed.seconds} (default 2 and 3) set
 * the warm-up and measuring time per operation; {@code speed.only} runs only the rows whose
 * name contains the given text.
 */
public final class CryptoSpeed {

    private static final double WARMUP = Double.parseDouble(System.getProperty("speed.warmup", "2"));
    private static final double SECONDS = Double.parseDouble(System.getProperty("speed.seconds", "3"));
    private static final String ONLY = System.getProperty("speed.only", "");
    private static volatile int sink;

    /** One operation; returns something derived from its result so the JIT cannot drop it. */
    @FunctionalInterface
    private interface Op {
        int run() throws Exception;
    }

    private CryptoSpeed() {
    }

    public static void main(String[] args) throws Exception {
        System.out.printf("java %s (%s), %s, %d cpus%n", System.getProperty("java.version"),
                System.getProperty("java.vm.name"), System.getProperty("os.arch"),
                Runtime.getRuntime().availableProcessors());
        SecureRandom random = new SecureRandom();
        TlsCrypto ours = TlsCrypto.defaultCrypto();
        byte[] message = new byte[130]; // about the size of a TLS 1.3 CertificateVerify input
        random.nextBytes(message);

        // X25519: a fresh key pair and one agreement, as in a handshake.
        KeyPairGenerator xdh = KeyPairGenerator.getInstance("X25519");
        PublicKey xPeer = xdh.generateKeyPair().getPublic();
        byte[] xPeerRaw = ours.generateKeyShare(NamedGroup.X25519, random).publicKey();
        row("x25519 keygen+derive", "JDK", () -> {
            KeyPair kp = xdh.generateKeyPair();
            KeyAgreement ka = KeyAgreement.getInstance("X25519");
            ka.init(kp.getPrivate());
            ka.doPhase(xPeer, true);
            return ka.generateSecret()[0];
        }, "BC rfc7748", () -> ours.generateKeyShare(NamedGroup.X25519, random).agree(xPeerRaw)[0]);

        for (NamedGroup g : new NamedGroup[] {NamedGroup.SECP256R1, NamedGroup.SECP384R1}) {
            KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
            ec.initialize(new ECGenParameterSpec(g.rfcName()));
            PublicKey ecPeer = ec.generateKeyPair().getPublic();
            byte[] ecPeerRaw = ours.generateKeyShare(g, random).publicKey();
            row(g + " ECDH keygen+derive", "JDK", () -> {
                KeyPair kp = ec.generateKeyPair();
                KeyAgreement ka = KeyAgreement.getInstance("ECDH");
                ka.init(kp.getPrivate());
                ka.doPhase(ecPeer, true);
                return ka.generateSecret()[0];
            }, "BC", () -> ours.generateKeyShare(g, random).agree(ecPeerRaw)[0]);
        }

        KeyPairGenerator ecGen = KeyPairGenerator.getInstance("EC");
        ecGen.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair p256 = ecGen.generateKeyPair();
        signatureRows("ECDSA P-256", "SHA256withECDSA", SignatureScheme.ECDSA_SECP256R1_SHA256, p256, message, random);
        ecGen.initialize(new ECGenParameterSpec("secp384r1"));
        KeyPair p384 = ecGen.generateKeyPair();
        signatureRows("ECDSA P-384", "SHA384withECDSA", SignatureScheme.ECDSA_SECP384R1_SHA384, p384, message, random);
        KeyPair ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        signatureRows("Ed25519", "Ed25519", SignatureScheme.ED25519, ed, message, random);

        KeyPairGenerator rsaGen = KeyPairGenerator.getInstance("RSA");
        rsaGen.initialize(2048);
        KeyPair rsa = rsaGen.generateKeyPair();
        byte[] pss = ours.sign(SignatureScheme.RSA_PSS_RSAE_SHA256, rsa.getPrivate(), message, random);
        row("RSA-2048 PSS sign", "ours (JDK)",
                () -> ours.sign(SignatureScheme.RSA_PSS_RSAE_SHA256, rsa.getPrivate(), message, random)[0],
                null, null);
        row("RSA-2048 PSS verify", "ours (JDK)",
                () -> ours.verify(SignatureScheme.RSA_PSS_RSAE_SHA256, rsa.getPublic(), message, pss) ? 1 : 0,
                null, null);

        aeadRows(ours, CipherSuite.TLS_AES_128_GCM_SHA256, 16384, random);
        aeadRows(ours, CipherSuite.TLS_AES_128_GCM_SHA256, 1024, random);
        aeadRows(ours, CipherSuite.TLS_AES_256_GCM_SHA384, 16384, random);
        aeadRows(ours, CipherSuite.TLS_CHACHA20_POLY1305_SHA256, 16384, random);
    }

    private static void signatureRows(String name, String jcaName, SignatureScheme scheme, KeyPair kp,
            byte[] message, SecureRandom random) throws Exception {
        TlsCrypto ours = TlsCrypto.defaultCrypto();
        PrivateKey priv = kp.getPrivate();
        PublicKey pub = kp.getPublic();
        row(name + " sign", "JDK", () -> {
            Signature s = Signature.getInstance(jcaName);
            s.initSign(priv, random);
            s.update(message);
            return s.sign()[0];
        }, "ours", () -> ours.sign(scheme, priv, message, random)[0]);
        byte[] sig = ours.sign(scheme, priv, message, random);
        row(name + " verify", "JDK", () -> {
            Signature s = Signature.getInstance(jcaName);
            s.initVerify(pub);
            s.update(message);
            return s.verify(sig) ? 1 : 0;
        }, "ours", () -> ours.verify(scheme, pub, message, sig) ? 1 : 0);
    }

    private static void aeadRows(TlsCrypto ours, CipherSuite suite, int size, SecureRandom random) throws Exception {
        byte[] key = new byte[suite.keyLength()];
        random.nextBytes(key);
        byte[] aad = {23, 3, 3, 0, 0};
        byte[] buffer = new byte[size + Aead.TAG_LENGTH];
        byte[] out = new byte[size + Aead.TAG_LENGTH];
        long[] counter = {0};
        Aead seal = ours.aead(suite, key);
        String label = suite + " seal " + size + " B";
        double[] sealed = measurePair(() -> {
            byte[] nonce = nonce(counter[0]++);
            return seal.seal(nonce, aad, buffer, 0, size, buffer, 0);
        }, () -> {
            byte[] nonce = nonce(counter[0]++);
            return seal.seal(nonce, aad, buffer, 0, size, out, 0);
        });
        System.out.printf("%-46s in place %8.1f MB/s   separate out %8.1f MB/s%n", label,
                sealed[0] * size / 1e6, sealed[1] * size / 1e6);
        // Open the same record again and again (decryption has no nonce-reuse guard).
        byte[] nonce = nonce(1L << 40);
        Aead sealer = ours.aead(suite, key);
        byte[] record = new byte[size + Aead.TAG_LENGTH];
        sealer.seal(nonce, aad, new byte[size], 0, size, record, 0);
        Aead opener = ours.aead(suite, key);
        double open = measure(() -> opener.open(nonce, aad, record, 0, record.length, out, 0));
        System.out.printf("%-46s          %8.1f MB/s%n", suite + " open " + size + " B", open * size / 1e6);
        if (!suite.isAesGcm()) {
            // For comparison only: BouncyCastle's pure-Java ChaCha20-Poly1305.
            org.bouncycastle.crypto.modes.ChaCha20Poly1305 bc = new org.bouncycastle.crypto.modes.ChaCha20Poly1305();
            double bcRate = measure(() -> {
                bc.init(true, new org.bouncycastle.crypto.params.AEADParameters(
                        new org.bouncycastle.crypto.params.KeyParameter(key), 128, nonce(counter[0]++), aad));
                int n = bc.processBytes(buffer, 0, size, out, 0);
                return n + bc.doFinal(out, n);
            });
            System.out.printf("%-46s          %8.1f MB/s%n", "BouncyCastle ChaCha20Poly1305 seal " + size + " B",
                    bcRate * size / 1e6);
        }
    }

    private static byte[] nonce(long n) {
        byte[] nonce = new byte[12];
        for (int i = 0; i < 8; i++) {
            nonce[11 - i] = (byte) (n >>> (8 * i));
        }
        return nonce;
    }

    private static void row(String name, String aName, Op a, String bName, Op b) throws Exception {
        if (!name.contains(ONLY)) {
            return;
        }
        if (b == null) {
            System.out.printf("%-30s %-12s %9.0f ops/s%n", name, aName, measure(a));
            return;
        }
        double[] r = measurePair(a, b);
        System.out.printf("%-30s %-12s %9.0f ops/s   %-12s %9.0f ops/s   ratio %.1fx%n",
                name, aName, r[0], bName, r[1], r[1] / r[0]);
    }

    /**
     * Both contenders warmed up, then measured in alternating windows so that the load of a
     * shared machine falls on both alike; the medians of the windows, in operations per second.
     */
    private static double[] measurePair(Op a, Op b) throws Exception {
        run(a, WARMUP);
        run(b, WARMUP);
        double[] ra = new double[5];
        double[] rb = new double[5];
        for (int i = 0; i < ra.length; i++) {
            ra[i] = run(a, SECONDS / ra.length);
            rb[i] = run(b, SECONDS / rb.length);
        }
        Arrays.sort(ra);
        Arrays.sort(rb);
        return new double[] {ra[2], rb[2]};
    }

    /** Median of five measuring windows after a warm-up, in operations per second. */
    private static double measure(Op op) throws Exception {
        run(op, WARMUP);
        double[] rates = new double[5];
        for (int i = 0; i < rates.length; i++) {
            rates[i] = run(op, SECONDS / rates.length);
        }
        Arrays.sort(rates);
        return rates[2];
    }

    private static double run(Op op, double seconds) throws Exception {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long start = System.nanoTime();
        long n = 0;
        int acc = 0;
        long now;
        do {
            for (int i = 0; i < 8; i++) {
                acc += op.run();
            }
            n += 8;
            now = System.nanoTime();
        } while (now < end);
        sink += acc;
        return n / ((now - start) / 1e9);
    }
}
