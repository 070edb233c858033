package org.tollgate.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.tollgate.testsupport.Curl;

/**
 * What an external TLS client reported about one connection, parsed from its output.
 * Fields the tool did not print are null.
 *
 * @param tool     the program, for messages
 * @param exitCode its exit status
 * @param output   stdout and stderr together
 * @param protocol e.g. {@code TLSv1.3}
 * @param cipher   the IANA suite name, e.g. {@code TLS_AES_128_GCM_SHA256}
 * @param group    the key exchange group in RFC 8446 spelling ({@code x25519}, {@code secp256r1}, ...)
 * @param alpn     the negotiated application protocol, or null when none
 * @param verified whether the tool said the server certificate verified
 */
record PeerResult(String tool, int exitCode, String output, String protocol, String cipher, String group,
                  String alpn, boolean verified) {

    /**
     * The title of tls-server's HTTPS page: only its response contains it (unlike "Tollgate" alone,
     * which the demo CA's name on the certificate also carries).
     */
    static final String OUR_PAGE = "<title>Tollgate TLS connection</title>";

    /** What {@code curl -v} reported (it does not print the group). */
    static PeerResult curl(Curl.Result r) {
        return new PeerResult("curl", r.exit(), r.output(), r.protocol(), r.cipher(), null, r.alpn(), r.verified());
    }

    /** Asserts the tool printed tls-server's HTTP response: its status line and its page. */
    PeerResult assertOurPage() {
        return assertOutputContains("HTTP/1.1 200 OK").assertOutputContains(OUR_PAGE);
    }

    /** Asserts the handshake was TLS 1.3 with a verified certificate, and that the body contains {@code text}. */
    PeerResult assertTls13(String bodyText) {
        assertEquals("TLSv1.3", protocol, () -> tool + " did not report TLSv1.3:\n" + output);
        assertTrue(verified, () -> tool + " did not verify the certificate:\n" + output);
        if (bodyText != null) {
            assertTrue(output.contains(bodyText), () -> tool + " output lacks '" + bodyText + "':\n" + output);
        }
        return this;
    }

    PeerResult assertCipher(String expected) {
        assertEquals(expected, cipher, () -> tool + " cipher:\n" + output);
        return this;
    }

    PeerResult assertGroup(String expected) {
        assertEquals(expected, group, () -> tool + " group:\n" + output);
        return this;
    }

    PeerResult assertAlpn(String expected) {
        assertEquals(expected, alpn, () -> tool + " ALPN:\n" + output);
        return this;
    }

    PeerResult assertOutputContains(String text) {
        assertTrue(output.contains(text), () -> tool + " output lacks '" + text + "':\n" + output);
        return this;
    }

    /** Maps the names OpenSSL and GnuTLS print for groups to the RFC 8446 names Tollgate uses. */
    static String rfcGroupName(String toolName) {
        if (toolName == null) {
            return null;
        }
        return switch (toolName.trim().toUpperCase(java.util.Locale.ROOT)) {
            case "X25519" -> "x25519";
            case "PRIME256V1", "SECP256R1", "SECP256R1 ", "P-256" -> "secp256r1";
            case "SECP384R1", "P-384" -> "secp384r1";
            case "SECP521R1", "P-521" -> "secp521r1";
            case "X448" -> "x448";
            default -> toolName.trim();
        };
    }
}
