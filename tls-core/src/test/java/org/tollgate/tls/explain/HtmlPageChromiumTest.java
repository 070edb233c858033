package org.tollgate.tls.explain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tollgate.testsupport.Chromium;
import org.tollgate.tls.TlsConfig;

/**
 * The illustrated-connection page of a real (deterministic) handshake, rendered by headless
 * Chromium: its DOM must hold every step and message, with the fields of ClientHello, and a
 * screenshot must be a real picture. Needs the {@code chromium} program (Debian package
 * {@code chromium}; {@code .ci/run} installs it); the test fails without it.
 */
class HtmlPageChromiumTest {
    @TempDir
    Path dir;
    @Test
    void chromiumRendersEveryStepAndField() throws Exception {
        HandshakeExplainer explainer = new HandshakeExplainer(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()),
                DeterministicConnection.trust());
        TlsConfig client = HandshakeExplainer.explain(DeterministicConnection.clientConfig(), explainer).build();
        DeterministicConnection.run(client, DeterministicConnection.serverConfig().build(), explainer, null);
        Path page = dir.resolve("connection.html");
        HtmlPage.write(page, explainer.explanations());

        String dom = chromium("--dump-dom", page.toUri().toString());
        for (String expected : List.of("<h1>A TLS connection, byte by byte</h1>", "data-step=\"1\"", "data-step=\"2\"",
                "data-step=\"3\"", "data-step=\"4\"", "data-step=\"5\"", "data-step=\"6\"",
                "data-message=\"ClientHello\"", "data-message=\"ServerHello\"", "data-message=\"EncryptedExtensions\"",
                "data-message=\"Certificate\"", "data-message=\"CertificateVerify\"", "data-message=\"Finished\"",
                "legacy_version", "cipher_suites", "extension key_share", "extension supported_versions",
                "PASSED: server certificate CN=localhost verified for localhost")) {
            assertTrue(dom.contains(expected), "the rendered DOM lacks " + expected);
        }
        // The page's script ran: it is the only thing that adds listeners; check the DOM kept the buttons.
        assertTrue(dom.contains("id=\"expand\""), dom.substring(0, Math.min(400, dom.length())));
        // The ClientHello's bytes in the DOM are the bytes the engine sent: 01 00 00 ...
        Matcher m = Pattern.compile("data-message=\"ClientHello\".*?<pre class=\"hex\">(.*?)</pre>", Pattern.DOTALL).matcher(dom);
        assertTrue(m.find(), "no hex dump for ClientHello");
        assertTrue(m.group(1).replaceAll("<[^>]+>", "").startsWith("01 00 00"), m.group(1).substring(0, 80));

        Path png = dir.resolve("page.png");
        chromium("--screenshot=" + png, "--window-size=1200,2000", page.toUri().toString());
        assertTrue(Files.exists(png), "no screenshot");
        byte[] image = Files.readAllBytes(png);
        assertEquals((byte) 0x89, image[0]);
        assertEquals('P', image[1]);
        assertTrue(image.length > 20_000, "a screenshot of the page is more than a blank image: " + image.length + " bytes");
    }

    private String chromium(String... args) {
        return Chromium.run(dir, Duration.ofSeconds(60), args);
    }
}
