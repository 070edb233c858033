package org.tollgate.lb.l4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.balance.RoundRobin;
import org.tollgate.testsupport.Curl;
import org.tollgate.testsupport.OpenSslServer;
import org.tollgate.tls.cert.CertifiedKey;
import org.tollgate.tls.cert.DemoCertificates;
import org.tollgate.tls.cert.PemFiles;

/**
 * L4 never decrypts: curl talks TLS 1.3 through the forwarder to a real
 * {@code openssl s_server} and verifies the backend's certificate end to end.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TlsPassthroughTest {
    private OpenSslServer server;
    private TcpForwarder forwarder;

    @AfterEach
    void stop() {
        if (forwarder != null) {
            forwarder.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void curlThroughTheForwarderReachesOpenSslUntouched(@TempDir Path dir) throws Exception {
        DemoCertificates.Pki pki = DemoCertificates.create(Clock.systemUTC());
        CertifiedKey key = pki.localhostServer();
        Path cert = dir.resolve("server.pem");
        Path privateKey = dir.resolve("server-key.pem");
        Path ca = dir.resolve("ca.pem");
        PemFiles.writeCertificates(cert, key.chain());
        PemFiles.writePrivateKey(privateKey, key.privateKey());
        pki.writeCa(ca);

        server = OpenSslServer.builder(cert, privateKey).www().start(dir);
        InetSocketAddress backendAddress = server.address();

        Backend backend = new Backend("openssl", backendAddress);
        forwarder = TcpForwarder.start(ForwarderConfig.builder(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .eventLoops(1).build(), new RoundRobin(List.of(backend)));
        int lbPort = forwarder.localAddress().getPort();

        Curl.Result curl = Curl.https(lbPort).versions("1.3", "1.3").caFile(ca).run(dir, Duration.ofSeconds(16));
        assertEquals(0, curl.exit(), curl::output);
        assertTrue(curl.err().contains("SSL connection using TLSv1.3"), curl::output);
        assertTrue(curl.out().contains("s_server"), () -> "the page openssl s_server -www serves: " + curl.output());
        assertTrue(forwarder.bytesToBackends() > 0 && forwarder.bytesToClients() > 0);
        assertEquals(1, backend.totalConnections());
        assertTrue(Files.size(ca) > 0);
    }
}
