package org.tollgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.Security;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.HandshakeSummary;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.cert.DemoCertificates.KeyType;
import org.tollgate.tls.client.TlsConnection;

/**
 * TLS_RSA_WITH_AES_128_GCM_SHA256 (RSA key exchange) against JSSE. JDK 24 and newer disable
 * the TLS_RSA suites through {@code jdk.tls.disabledAlgorithms} (JDK 17 still allows them), so
 * this test first checks what the running JDK does as shipped, then re-enables the suites in a
 * child JVM ({@link JsseRsaPeer}, {@code Security.setProperty} before JSSE starts) and shakes
 * hands both ways. The child is needed because SunJSSE reads the property once per JVM, and the
 * other tests of this JVM have long started it.
 */
@Timeout(120)
class JsseRsaKeyExchangeTest {
    @TempDir
    Path dir;

    /** Runs {@link JsseRsaPeer} with {@code args} in a new JVM of the running JDK; returns its exit code and output. */
    private static Process peer(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), JsseRsaPeer.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    private static String finish(Process p) throws Exception {
        try {
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), output);
            return p.exitValue() + "\n" + output;
        } finally {
            p.destroyForcibly();
        }
    }

    private static OurServer rsaOnlyServer(Pki pki) throws Exception {
        return OurServer.start(TlsConfig.builder().certificate(pki.server(KeyType.RSA_2048).key())
                .versions(List.of(ProtocolVersion.TLS_1_2))
                .cipherSuites(List.of(CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256)).build(), OurServer.Mode.HTTPS);
    }

    @Test
    void jsseClientAsShippedAndReenabled() throws Exception {
        Pki pki = Pki.create(dir);
        boolean shippedDisabled = Security.getProperty("jdk.tls.disabledAlgorithms").contains("TLS_RSA_");
        try (OurServer server = rsaOnlyServer(pki)) {
            String asShipped = finish(peer("false", "client", String.valueOf(server.port()), pki.caFile().toString()));
            if (shippedDisabled) {
                // JDK 24+: JSSE will not even offer the suite, so it fails before connecting.
                assertTrue(asShipped.startsWith("1\n") && asShipped.contains("FAILED: "), asShipped);
            } else {
                // JDK 17 (up to 23): allowed as shipped.
                assertTrue(asShipped.startsWith("0\n") && asShipped.contains("SUITE " + JsseRsaPeer.SUITE), asShipped);
                assertEquals(CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256, server.nextHandshake().cipherSuite());
            }
            String reenabled = finish(peer("true", "client", String.valueOf(server.port()), pki.caFile().toString()));
            assertTrue(reenabled.startsWith("0\n"), reenabled);
            assertTrue(reenabled.contains("SUITE " + JsseRsaPeer.SUITE), reenabled);
            assertTrue(reenabled.contains("<tr><th>Cipher suite</th><td>TLS_RSA_WITH_AES_128_GCM_SHA256</td></tr>"), reenabled);
            HandshakeSummary s = server.nextHandshake();
            assertEquals(CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256, s.cipherSuite());
            assertEquals(null, s.group(), "RSA key exchange: no (EC)DHE group");
        }
    }

    @Test
    void ourClientAgainstAJsseServerReenabled() throws Exception {
        Pki pki = Pki.create(dir);
        Pki.Cert cert = pki.server(KeyType.RSA_2048);
        Process server = peer("true", "server", pki.caFile().toString(), cert.certFile().toString(), cert.keyFile().toString());
        try {
            BufferedReader lines = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            CompletableFuture<Integer> port = CompletableFuture.supplyAsync(() -> {
                try {
                    for (String line; (line = lines.readLine()) != null; ) {
                        if (line.startsWith("PORT ")) {
                            return Integer.parseInt(line.substring(5));
                        }
                    }
                    throw new AssertionError("the JSSE server ended without a port");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            TlsConfig config = TlsConfig.builder().verifier(pki.verifier()).versions(List.of(ProtocolVersion.TLS_1_2))
                    .cipherSuites(List.of(CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256)).build();
            try (TlsConnection c = OurClient.connect(port.get(60, TimeUnit.SECONDS), "localhost", config)) {
                assertEquals(CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256, c.summary().cipherSuite());
                c.outputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
                c.outputStream().flush();
                assertEquals("hello TLS_RSA_WITH_AES_128_GCM_SHA256\n", OurClient.readUntil(c.inputStream(), "\n"));
            }
            assertTrue(server.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, server.exitValue());
        } finally {
            server.destroyForcibly();
        }
    }
}
