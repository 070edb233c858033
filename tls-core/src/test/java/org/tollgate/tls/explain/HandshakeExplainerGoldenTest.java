package org.tollgate.tls.explain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import java.time.Duration;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.SessionCache;
import org.tollgate.tls.TicketKeys;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.cert.CertificateVerifier;
import org.tollgate.tls.cert.DemoCertificates;

/**
 * The explainer's text for fixed, deterministic TLS 1.3 and TLS 1.2 connections, compared line by line
 * with golden files in {@code src/test/resources/explain}. After an intended change,
 * regenerate them from the tls-core directory with
 * {@code mvn test -Dtest=HandshakeExplainerGoldenTest -Dexplain.regenerate=true}
 * and read the diff before committing.
 */
class HandshakeExplainerGoldenTest {

    @Test
    void tls13ClientSide() throws Exception {
        String text = DeterministicConnection.capture(out -> {
            HandshakeExplainer e = new HandshakeExplainer(out, DeterministicConnection.trust());
            TlsConfig client = HandshakeExplainer.explain(DeterministicConnection.clientConfig(), e).build();
            DeterministicConnection.run(client, DeterministicConnection.serverConfig().build(), e, null);
        });
        compare("tls13-client.txt", text);
    }

    @Test
    void tls13ServerSide() throws Exception {
        String text = DeterministicConnection.capture(out -> {
            HandshakeExplainer e = new HandshakeExplainer(out);
            TlsConfig server = HandshakeExplainer.explain(DeterministicConnection.serverConfig(), e).build();
            DeterministicConnection.run(DeterministicConnection.clientConfig().build(), server, null, e);
        });
        compare("tls13-server.txt", text);
    }

    @Test
    void helloRetryRequestClientSide() throws Exception {
        String text = DeterministicConnection.capture(out -> {
            HandshakeExplainer e = new HandshakeExplainer(out, DeterministicConnection.trust());
            // The client offers a key share for x25519 only; the server insists on P-256 first.
            TlsConfig client = HandshakeExplainer.explain(DeterministicConnection.clientConfig()
                    .groups(List.of(NamedGroup.X25519, NamedGroup.SECP256R1)).keyShareGroups(List.of(NamedGroup.X25519)), e).build();
            TlsConfig server = DeterministicConnection.serverConfig().groups(List.of(NamedGroup.SECP256R1, NamedGroup.X25519)).build();
            DeterministicConnection.run(client, server, e, null);
        });
        assertTrue(text.contains("HelloRetryRequest"), text);
        compare("hrr-client.txt", text);
    }

    @Test
    void tls12EcdheClientSide() throws Exception {
        String text = DeterministicConnection.capture(out -> {
            HandshakeExplainer e = new HandshakeExplainer(out, DeterministicConnection.trust());
            TlsConfig client = HandshakeExplainer.explain(DeterministicConnection.tls12ClientConfig(), e).build();
            DeterministicConnection.run(client, DeterministicConnection.tls12EcdheServerConfig().build(), e, null);
        });
        assertTrue(text.contains("ServerKeyExchange"), text);
        assertFullyDecoded(text);
        compare("tls12-ecdhe-client.txt", text);
    }

    @Test
    void tls12EcdheServerSide() throws Exception {
        String text = DeterministicConnection.capture(out -> {
            HandshakeExplainer e = new HandshakeExplainer(out);
            TlsConfig server = HandshakeExplainer.explain(DeterministicConnection.tls12EcdheServerConfig(), e).build();
            DeterministicConnection.run(DeterministicConnection.tls12ClientConfig().build(), server, null, e);
        });
        assertFullyDecoded(text);
        compare("tls12-ecdhe-server.txt", text);
    }

    @Test
    void tls12RsaKeyExchangeClientSide() throws Exception {
        String text = DeterministicConnection.capture(out -> {
            HandshakeExplainer e = new HandshakeExplainer(out, DeterministicConnection.trust());
            TlsConfig client = HandshakeExplainer.explain(DeterministicConnection.tls12RsaClientConfig(), e).build();
            DeterministicConnection.run(client, DeterministicConnection.tls12RsaServerConfig().build(), e, null);
        });
        assertTrue(text.contains("EncryptedPreMasterSecret"), text);
        assertFullyDecoded(text);
        compare("tls12-rsa-client.txt", text);
    }

    @Test
    void tls12RsaKeyExchangeServerSide() throws Exception {
        String text = DeterministicConnection.capture(out -> {
            HandshakeExplainer e = new HandshakeExplainer(out);
            TlsConfig server = HandshakeExplainer.explain(DeterministicConnection.tls12RsaServerConfig(), e).build();
            DeterministicConnection.run(DeterministicConnection.tls12RsaClientConfig().build(), server, null, e);
        });
        assertFullyDecoded(text);
        compare("tls12-rsa-server.txt", text);
    }

    @Test
    void tls12UntrustedServerFailsInStep3() throws Exception {
        // The client trusts only a CA that did not issue the server's certificate.
        CertificateVerifier other = CertificateVerifier.trusting(List.of(
                DemoCertificates.create(DeterministicConnection.CLOCK).ca())).withClock(DeterministicConnection.CLOCK);
        String text = DeterministicConnection.capture(out -> {
            HandshakeExplainer e = new HandshakeExplainer(out, other);
            TlsConfig client = HandshakeExplainer.explain(DeterministicConnection.tls12ClientConfig().verifier(other), e).build();
            assertThrows(TlsException.class, () ->
                    DeterministicConnection.run(client, DeterministicConnection.tls12EcdheServerConfig().build(), e, null));
        });
        int step3 = text.indexOf("=== Step 3: Certificate check against the trusted CAs");
        assertTrue(step3 > 0, text);
        assertTrue(text.indexOf("FAILED: ", step3) > step3, text);
        assertTrue(text.indexOf("unknown_ca", step3) > step3, text);
        assertTrue(text.indexOf("  chain           : CN=localhost", step3) > step3, text);
        assertFalse(text.contains("=== Step 4"), text);
    }

    /**
     * A resumed connection: a first, unexplained connection gives the client a ticket (the
     * server's ticket keys come from a deterministic random); the second is explained.
     */
    private static String resumed(boolean tls12, boolean clientSide) throws Exception {
        SessionCache cache = SessionCache.create(10, Duration.ofHours(1));
        TicketKeys keys = TicketKeys.generate(Duration.ofHours(12), DeterministicConnection.CLOCK,
                new DeterministicConnection.CounterRandom("ticket-keys"));
        TlsConfig.Builder client = (tls12 ? DeterministicConnection.tls12ClientConfig() : DeterministicConnection.clientConfig())
                .sessionCache(cache);
        TlsConfig.Builder server = (tls12 ? DeterministicConnection.tls12EcdheServerConfig() : DeterministicConnection.serverConfig())
                .ticketKeys(keys);
        DeterministicConnection.run(client.build(), server.build(), null, null, 443);
        return DeterministicConnection.capture(out -> {
            HandshakeExplainer e = clientSide ? new HandshakeExplainer(out, DeterministicConnection.trust()) : new HandshakeExplainer(out);
            if (clientSide) {
                DeterministicConnection.run(HandshakeExplainer.explain(client, e).build(), server.build(), e, null, 443);
            } else {
                DeterministicConnection.run(client.build(), HandshakeExplainer.explain(server, e).build(), null, e, 443);
            }
        });
    }

    @Test
    void tls13PskResumptionClientSide() throws Exception {
        String text = resumed(false, true);
        assertTrue(text.contains("=== Resumption: the client offers a ticket as a pre-shared key"), text);
        assertTrue(text.contains("=== Resumption: the server accepted a pre-shared key"), text);
        assertFalse(text.contains("<<< received Certificate"), text);
        compare("tls13-psk-client.txt", text);
    }

    @Test
    void tls13PskResumptionServerSide() throws Exception {
        String text = resumed(false, false);
        assertTrue(text.contains("binder verified"), text);
        assertFalse(text.contains(">>> sent Certificate"), text);
        compare("tls13-psk-server.txt", text);
    }

    @Test
    void tls12TicketResumptionClientSide() throws Exception {
        String text = resumed(true, true);
        assertTrue(text.contains("=== Resumption: the client offers a session ticket"), text);
        assertTrue(text.contains("=== Resumption: the abbreviated handshake"), text);
        assertTrue(text.contains("there is no premaster secret this time"), text);
        assertFalse(text.contains("=== Step 4"), text);
        assertFullyDecoded(text);
        compare("tls12-ticket-client.txt", text);
    }

    @Test
    void tls12TicketResumptionServerSide() throws Exception {
        String text = resumed(true, false);
        assertTrue(text.contains("client presents a session ticket that opens"), text);
        assertFullyDecoded(text);
        compare("tls12-ticket-server.txt", text);
    }

    /** Every byte of every TLS 1.2 message falls into a field of its structure. */
    private static void assertFullyDecoded(String text) {
        assertFalse(text.contains("undecodable"), text);
    }

    static void compare(String golden, String actual) throws IOException {
        if (Boolean.getBoolean("explain.regenerate")) {
            Path file = Path.of("src/test/resources/explain", golden);
            Files.writeString(file, actual, StandardCharsets.UTF_8);
            System.out.println("regenerated " + file.toAbsolutePath());
            return;
        }
        String expected;
        try (InputStream in = HandshakeExplainerGoldenTest.class.getResourceAsStream("/explain/" + golden)) {
            if (in == null) {
                throw new AssertionError("no golden file explain/" + golden + ": run with -Dexplain.regenerate=true once");
            }
            expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        String[] want = expected.split("\n", -1);
        String[] got = actual.split("\n", -1);
        for (int i = 0; i < Math.min(want.length, got.length); i++) {
            assertEquals(want[i], got[i], golden + " differs at line " + (i + 1));
        }
        assertEquals(want.length, got.length, golden + ": number of lines");
    }
}
