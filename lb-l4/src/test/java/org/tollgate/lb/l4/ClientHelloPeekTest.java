package org.tollgate.lb.l4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.tollgate.lb.l4.ClientHelloPeek.Result;
import org.tollgate.lb.l4.ClientHelloPeek.Status;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.TlsEngine;

/** Real ClientHellos from tls-core's client, and hand-built broken ones. */
class ClientHelloPeekTest {

    private static byte[] realClientHello(String host) {
        try {
            TlsEngine client = TlsEngine.client(TlsConfig.builder().build(), host);
            client.beginHandshake();
            return client.drainOutput();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static Result peek(byte[] b) {
        return ClientHelloPeek.peek(b, b.length);
    }

    @Test
    void findsTheNameInARealClientHelloAndNeedsMoreForEveryPrefix() {
        byte[] hello = realClientHello("Www.Example.COM");
        Result r = peek(hello);
        assertEquals(Status.FOUND, r.status(), r.reason());
        assertEquals("www.example.com", r.serverName());
        for (int n = 0; n < hello.length; n++) {
            assertEquals(Status.NEED_MORE, ClientHelloPeek.peek(hello, n).status(), "prefix of " + n + " bytes");
        }
        assertEquals(hello.length, ClientHelloPeek.announcedSize(hello, 9));
    }

    @Test
    void aClientHelloSplitOverThreeRecordsIsJoined() {
        byte[] hello = realClientHello("split.example.org");
        byte[] body = Arrays.copyOfRange(hello, 5, hello.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int[] cuts = {0, 3, 100, body.length};
        for (int i = 0; i + 1 < cuts.length; i++) {
            out.writeBytes(record(22, Arrays.copyOfRange(body, cuts[i], cuts[i + 1])));
        }
        Result r = peek(out.toByteArray());
        assertEquals(Status.FOUND, r.status(), r.reason());
        assertEquals("split.example.org", r.serverName());
    }

    @Test
    void anIpLiteralSendsNoServerName() {
        Result r = peek(realClientHello("127.0.0.1"));
        assertEquals(Status.NO_SERVER_NAME, r.status(), r.reason());
    }

    @Test
    void plainTextAndSslV2AreNotTls() {
        assertEquals(Status.NOT_TLS, peek("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII)).status());
        assertEquals(Status.NOT_TLS, peek(new byte[] {(byte) 0x80, 0x2e, 0x01, 0x00, 0x02}).status());
        assertEquals(Status.NOT_TLS, peek(new byte[] {22, 0x7f}).status());
        assertEquals(Status.NOT_TLS, peek(new byte[] {23, 3, 3, 0, 1, 0}).status());
    }

    @Test
    void brokenClientHellosAreMalformed() {
        // the good one first, built by hand, so each broken one differs from it in one way
        assertEquals(Status.FOUND, peek(record(22, handshake(1, hello(sni(0, "ok.example"))))).status());

        assertMalformed(record(22, handshake(2, hello(sni(0, "a.b")))), "not ClientHello");
        assertMalformed(new byte[] {22, 3, 1, 0, 0}, "length 0");
        assertMalformed(new byte[] {22, 3, 1, 0x40, 1}, "length 16385");
        assertMalformed(concat(record(22, Arrays.copyOf(handshake(1, hello(sni(0, "a.b"))), 10)), record(21, new byte[] {2, 40})), "type 21");
        assertMalformed(record(22, handshake(1, hello(concat(sni(0, "a.b"), sni(0, "c.d"))))), "appears twice");
        assertMalformed(record(22, handshake(1, hello(sni(0, "bad name")))), "0x20");
        assertMalformed(record(22, handshake(1, hello(sni(0, "trailing.dot.")))), "empty label");
        byte[] lying = hello(sni(0, "a.b"));
        lying[lying.length - 8] = 0x7f; // the HostName length now runs past its list
        assertMalformed(record(22, handshake(1, lying)), "past the end");
        byte[] longSession = hello(sni(0, "a.b"));
        longSession[34] = 33;
        assertMalformed(record(22, handshake(1, longSession)), "longer than 32");
    }

    @Test
    void aNameOfAnotherTypeAloneIsMalformedAndWithAHostNameIsSkipped() {
        assertMalformed(record(22, handshake(1, hello(sni(7, "x.y")))), "without a host_name");
    }

    private static void assertMalformed(byte[] flight, String why) {
        Result r = peek(flight);
        assertEquals(Status.MALFORMED, r.status(), r.reason());
        assertTrue(r.reason().contains(why), r.reason());
    }

    static byte[] record(int type, byte[] body) {
        return concat(new byte[] {(byte) type, 3, 1, (byte) (body.length >> 8), (byte) body.length}, body);
    }

    static byte[] handshake(int type, byte[] body) {
        return concat(new byte[] {(byte) type, (byte) (body.length >> 16), (byte) (body.length >> 8), (byte) body.length}, body);
    }

    /** RFC 8446 §4.1.2 layout: version, random, empty session id, one suite, null compression, extensions. */
    static byte[] hello(byte[] extensions) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {3, 3});
        out.writeBytes(new byte[32]);
        out.write(0);
        out.writeBytes(new byte[] {0, 2, 0x13, 0x01});
        out.writeBytes(new byte[] {1, 0});
        out.writeBytes(new byte[] {(byte) (extensions.length >> 8), (byte) extensions.length});
        out.writeBytes(extensions);
        return out.toByteArray();
    }

    /** A server_name extension with one name of {@code nameType}. */
    static byte[] sni(int nameType, String name) {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        byte[] entry = concat(new byte[] {(byte) nameType, (byte) (n.length >> 8), (byte) n.length}, n);
        byte[] list = concat(new byte[] {(byte) (entry.length >> 8), (byte) entry.length}, entry);
        return concat(new byte[] {0, 0, (byte) (list.length >> 8), (byte) list.length}, list);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
