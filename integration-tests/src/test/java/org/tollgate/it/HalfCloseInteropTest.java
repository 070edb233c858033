package org.tollgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.testsupport.Processes;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.cert.DemoCertificates.KeyType;

/**
 * A request followed at once by the client's close_notify: {@code printf 'GET / ...' | gnutls-cli ...}
 * sends exactly that when its stdin ends. In TLS 1.3 a close_notify closes only the client's
 * direction (RFC 8446 §6.1), so tls-server must still answer, then send its own close_notify.
 *
 * <p>openssl s_client without {@code -ign_eof} is not tested here: on the end of its stdin it
 * sends close_notify and exits at once without waiting for the response, so whether it prints one
 * is a race, lost about half the time against {@code openssl s_server -www} itself.
 */
@Timeout(120)
class HalfCloseInteropTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private OurServer start(Pki pki) throws Exception {
        TlsConfig config = TlsConfig.builder().certificate(pki.server(KeyType.EC_P256).key()).build();
        return OurServer.start(config, OurServer.Mode.HTTPS);
    }

    private void gnutlsPipesARequestThenEof(String priority, String request, ProtocolVersion expected)
            throws Exception {
        Processes.require("gnutls-cli");
        Pki pki = Pki.create(dir);
        try (OurServer server = start(pki)) {
            PeerResult r = GnutlsCli.to(server.port()).caFile(pki.caFile()).priority(priority)
                    .run(dir, request, TIMEOUT);
            assertEquals(0, r.exitCode(), r.output());
            r.assertOurPage();
            assertEquals(expected, server.nextHandshake().version());
        }
    }

    @Test
    void gnutlsTls13Http10() throws Exception {
        gnutlsPipesARequestThenEof(GnutlsCli.TLS13_ONLY, "GET / HTTP/1.0\r\n\r\n", ProtocolVersion.TLS_1_3);
    }

    /** A persistent HTTP/1.1 connection: only the client's close_notify ends it, after the response. */
    @Test
    void gnutlsTls13KeepAlive() throws Exception {
        gnutlsPipesARequestThenEof(GnutlsCli.TLS13_ONLY, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
                ProtocolVersion.TLS_1_3);
    }

    /** gnutls-cli 3.7 waits for the server's close in TLS 1.2 before it sends close_notify. */
    @Test
    void gnutlsTls12Http10() throws Exception {
        gnutlsPipesARequestThenEof("NORMAL:-VERS-ALL:+VERS-TLS1.2", "GET / HTTP/1.0\r\n\r\n",
                ProtocolVersion.TLS_1_2);
    }
}
