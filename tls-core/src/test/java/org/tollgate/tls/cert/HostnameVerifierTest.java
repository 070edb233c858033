package org.tollgate.tls.cert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** RFC 9525 host name matching, as a table. */
class HostnameVerifierTest {

    private static X509Certificate cert;

    @BeforeAll
    static void issue() {
        DemoCertificates.Pki pki = DemoCertificates.create(Clock.systemUTC());
        Instant now = Instant.now();
        cert = pki.issue("cn-only.example", List.of(
                        "example.com", "*.wild.example.com", "f*.partial.example.com", "*.com",
                        "*.*.double.example", "xn--bcher-kva.example",
                        "127.0.0.1", "::1", "2001:db8::5"),
                DemoCertificates.KeyType.EC_P256, now, now.plus(Duration.ofDays(1)), true).leaf();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            // exact, case-insensitive, trailing dot
            "example.com,               true",
            "EXAMPLE.Com,               true",
            "example.com.,              true",
            "www.example.com,           false",
            "example.co,                false",
            "'',                        false",
            ".,                         false",
            // wildcard: whole left-most label, exactly one label
            "a.wild.example.com,        true",
            "A.WILD.example.com.,       true",
            "wild.example.com,          false",
            "a.b.wild.example.com,      false",
            ".wild.example.com,         false",
            // no partial wildcards, no wildcard over a single label, no second wildcard
            "foo.partial.example.com,   false",
            "f.partial.example.com,     false",
            "anything.com,              false",
            "a.b.double.example,        false",
            // IDN: A-labels compare as ASCII; U-labels must be converted first
            "xn--bcher-kva.example,     true",
            "XN--BCHER-KVA.example,     true",
            "bücher.example,            false",
            // IP addresses match iPAddress entries only, byte for byte
            "127.0.0.1,                 true",
            "127.0.0.2,                 false",
            "127.000.000.001,           false",
            "::1,                       true",
            "[::1],                     true",
            "0:0:0:0:0:0:0:1,           true",
            "2001:DB8:0:0:0:0:0:5,      true",
            "2001:db8::0.0.0.5,         true",
            "::ffff:127.0.0.1,          false",
            "fe80::1%eth0,              false",
            // no fallback to the subject common name
            "cn-only.example,           false",
    })
    void matchesLikeRfc9525(String host, boolean expected) {
        assertEquals(expected, HostnameVerifier.matches(cert, host));
    }

    @Test
    void aDnsNameThatLooksLikeAnIpDoesNotMatchTheIp(@TempDir Path dir) throws Exception {
        OpenSsl.run(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "key.pem", "-out", "cert.pem", "-subj", "/CN=10.0.0.1", "-days", "1",
                "-addext", "subjectAltName=DNS:10.0.0.1");
        X509Certificate dnsOnly = PemFiles.readCertificates(dir.resolve("cert.pem")).get(0);
        assertFalse(HostnameVerifier.matches(dnsOnly, "10.0.0.1"));
    }

    @Test
    void openSslCertificateWithOnlyACommonNameMatchesNothing(@TempDir Path dir) throws Exception {
        OpenSsl.run(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "key.pem", "-out", "cert.pem", "-subj", "/CN=example.com", "-days", "1");
        X509Certificate cnOnly = PemFiles.readCertificates(dir.resolve("cert.pem")).get(0);
        assertFalse(HostnameVerifier.matches(cnOnly, "example.com"));
        assertEquals(List.of(), HostnameVerifier.describeNames(cnOnly));
    }

    @Test
    void openSslSubjectAltNamesMatch(@TempDir Path dir) throws Exception {
        OpenSsl.run(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "key.pem", "-out", "cert.pem", "-subj", "/CN=ignored", "-days", "1",
                "-addext", "subjectAltName=DNS:*.svc.example,IP:10.1.2.3,IP:2001:db8:0:0:1:0:0:1");
        X509Certificate fromOpenSsl = PemFiles.readCertificates(dir.resolve("cert.pem")).get(0);
        assertTrue(HostnameVerifier.matches(fromOpenSsl, "api.svc.example"));
        assertTrue(HostnameVerifier.matches(fromOpenSsl, "10.1.2.3"));
        assertTrue(HostnameVerifier.matches(fromOpenSsl, "[2001:db8::1:0:0:1]"));
        assertFalse(HostnameVerifier.matches(fromOpenSsl, "ignored"));
        assertEquals(List.of("*.svc.example", "10.1.2.3", "2001:db8::1:0:0:1"), HostnameVerifier.describeNames(fromOpenSsl));
    }

    @ParameterizedTest
    @CsvSource({
            "::1,                     ::1",
            "::,                      ::",
            "2001:db8:0:0:1:0:0:1,    2001:db8::1:0:0:1",
            "2001:db8:0:1:1:1:1:1,    2001:db8:0:1:1:1:1:1",
            "fe80:0:0:0:0:0:0:0,      fe80::",
            "1:0:0:2:0:0:0:3,         1:0:0:2::3",
            "192.168.0.1,             192.168.0.1",
    })
    void formatsAddressesLikeRfc5952(String input, String expected) {
        assertEquals(expected, HostnameVerifier.formatIpAddress(HostnameVerifier.parseIpAddress(input)));
    }
}
