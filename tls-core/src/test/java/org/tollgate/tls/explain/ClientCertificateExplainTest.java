package org.tollgate.tls.explain;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tollgate.tls.ClientAuth;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.TlsEngine;
import org.tollgate.tls.cert.CertificateVerifier;
import org.tollgate.tls.cert.DemoCertificates;

/** Step 2 tells the optional CertificateRequest and the client's answer, on both sides, in TLS 1.3 and 1.2. */
class ClientCertificateExplainTest {
    private static final DemoCertificates.Pki PKI = DemoCertificates.create(Clock.systemUTC());

    @ParameterizedTest
    @EnumSource(value = ProtocolVersion.class, names = {"TLS_1_3", "TLS_1_2"})
    void stepTwoTellsTheRequestAndTheClientCertificate(ProtocolVersion version) throws Exception {
        ByteArrayOutputStream clientText = new ByteArrayOutputStream();
        ByteArrayOutputStream serverText = new ByteArrayOutputStream();
        CertificateVerifier trust = CertificateVerifier.trusting(List.of(PKI.ca()));
        TlsConfig client = HandshakeExplainer.wire(TlsConfig.builder().versions(List.of(version)).verifier(trust)
                .certificate(PKI.client()).build(), new HandshakeExplainer(new PrintStream(clientText, true, StandardCharsets.UTF_8)));
        TlsConfig server = HandshakeExplainer.wire(TlsConfig.builder().certificate(PKI.localhostServer())
                .clientAuth(ClientAuth.NEED).clientVerifier(trust).build(),
                new HandshakeExplainer(new PrintStream(serverText, true, StandardCharsets.UTF_8)));
        TlsEngine c = TlsEngine.client(client, "localhost");
        TlsEngine s = TlsEngine.server(server);
        c.beginHandshake();
        while (c.hasPendingOutput() || s.hasPendingOutput()) {
            s.receive(ByteBuffer.wrap(c.drainOutput()));
            c.receive(ByteBuffer.wrap(s.drainOutput()));
        }
        assertTrue(s.isHandshakeComplete() && c.isHandshakeComplete());
        String tls = version == ProtocolVersion.TLS_1_3 ? "RFC 8446" : "RFC 5246";
        for (String text : List.of(clientText.toString(StandardCharsets.UTF_8), serverText.toString(StandardCharsets.UTF_8))) {
            assertTrue(text.contains("=== Step 2: Optional: CertificateRequest   [" + tls), text);
            assertTrue(text.contains("the names of the CAs it trusts for clients"), text);
            assertTrue(text.contains("=== Step 2: Optional: the client's certificate (mutual TLS)   [" + tls), text);
            assertTrue(text.contains("[0] subject CN=Tollgate Demo Client; issuer CN=Tollgate Demo CA"), text);
            assertTrue(text.contains(version == ProtocolVersion.TLS_1_3 ? "\"TLS 1.3, client CertificateVerify\""
                    : "all handshake messages so far"), text);
            assertTrue(!text.contains("undecodable"), text);
        }
        assertTrue(serverText.toString(StandardCharsets.UTF_8).contains("client certificate CN=Tollgate Demo Client verified"),
                serverText.toString(StandardCharsets.UTF_8));
    }
}
