package org.tollgate.lb.l7;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code lb-l7 demo} runs to its end by itself, and what it prints is what happened. */
class DemoTest {

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theDemoRunsToTheEndAndShowsEveryAlgorithmAndRoute() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Demo.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("first connection: TLSv1.3 "), out);
        assertTrue(out.contains("alpn=http/1.1 sni=localhost full-handshake"), out);
        // 4 connections x 6 requests, each connection on one lb-l7; lb-l4 alternates them
        assertEquals("{a=8, b=8, c=8}", totals(out, "round-robin"));
        assertEquals("{a=16, b=4, c=4}", totals(out, "weighted-round-robin"));
        String ipHash = totals(out, "ip-hash");
        assertTrue(ipHash.matches("\\{(a=(24|0), b=(24|0), c=(24|0))\\}") && ipHash.split("=24").length == 2,
                "every request comes from lb-l4's one address, so one backend takes all: " + ipHash);
        Matcher roundRobin = Pattern.compile("round-robin +(#\\d) abcabc  (#\\d) abcabc  (#\\d) abcabc  (#\\d) abcabc ").matcher(out);
        assertTrue(roundRobin.find(), out);
        assertTrue(!roundRobin.group(1).equals(roundRobin.group(2)), "lb-l4 spreads connections over both lb-l7s: " + roundRobin.group());
        assertTrue(out.contains("GET /api/users                               -> c"), out);
        assertTrue(out.contains("GET /home  Cookie: channel=beta              -> b"), out);
        assertTrue(out.contains("GET /api/users  Cookie: channel=beta         -> c"), out);
        Matcher resumed = Pattern.compile("connection 1 -> lb-l7 (#\\d): TLSv1.3 .* full-handshake  \\([1-9] tickets received\\)\n"
                + "   connection 2 -> lb-l7 (#\\d): TLSv1.3 .* resumed=psk\n").matcher(out);
        assertTrue(resumed.find(), out);
        assertTrue(!resumed.group(1).equals(resumed.group(2)), "the session crossed to the other lb-l7: " + resumed.group());
        assertTrue(out.trim().endsWith("== done"), out);
    }

    private static String totals(String out, String algorithm) {
        Matcher m = Pattern.compile("\n   " + Pattern.quote(algorithm) + " .*?(\\{.*?\\})\n").matcher(out);
        assertTrue(m.find(), "no line for " + algorithm + ":\n" + out);
        return m.group(1);
    }
}
