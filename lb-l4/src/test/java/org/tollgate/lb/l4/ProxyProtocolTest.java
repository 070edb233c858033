package org.tollgate.lb.l4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.tollgate.lb.l4.HealthTest.readLine;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.tollgate.lb.balance.RoundRobin;
import org.tollgate.testsupport.Closer;

/**
 * The backend reads the PROXY header with its own parser (written from the spec, apart
 * from {@link ProxyProtocol}) and says what it learnt, then echoes the rest.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ProxyProtocolTest {
    @RegisterExtension
    final Closer closer = new Closer();

    private <T extends AutoCloseable> T closing(T t) {
        return closer.add(t);
    }

    /** Parses a v1 or v2 header, answers "FAMILY src dst sport dport\n", then echoes. */
    private static final TestBackend.Behaviour PROXY_AWARE = (name, s) -> {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        String said;
        int first = in.read();
        if (first == 'P') {
            String line = "P" + readLine(in);
            if (!line.endsWith("\r") || line.length() > 107) {
                throw new IOException("bad v1 line " + line);
            }
            String[] f = line.substring(0, line.length() - 1).split(" ");
            said = f[0].equals("PROXY") && f.length == 6 ? f[1] + " " + f[2] + " " + f[3] + " " + f[4] + " " + f[5] : "BAD " + line;
        } else if (first == 0x0d) {
            DataInputStream d = new DataInputStream(in);
            byte[] head = new byte[15];
            d.readFully(head);
            byte[] sig = new byte[12];
            sig[0] = 0x0d;
            System.arraycopy(head, 0, sig, 1, 11);
            if (!java.util.Arrays.equals(sig, new byte[] {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 'Q', 'U', 'I', 'T', 0x0a})) {
                throw new IOException("bad v2 signature");
            }
            int verCmd = head[11] & 0xff;
            int fam = head[12] & 0xff;
            int len = (head[13] & 0xff) << 8 | (head[14] & 0xff);
            byte[] block = new byte[len];
            d.readFully(block);
            int alen = fam == 0x11 ? 4 : fam == 0x21 ? 16 : -1;
            if (verCmd != 0x21 || alen < 0 || len != 2 * alen + 4) {
                throw new IOException("unexpected v2 header " + verCmd + " " + fam + " " + len);
            }
            InetAddress src = InetAddress.getByAddress(java.util.Arrays.copyOfRange(block, 0, alen));
            InetAddress dst = InetAddress.getByAddress(java.util.Arrays.copyOfRange(block, alen, 2 * alen));
            int sport = (block[2 * alen] & 0xff) << 8 | (block[2 * alen + 1] & 0xff);
            int dport = (block[2 * alen + 2] & 0xff) << 8 | (block[2 * alen + 3] & 0xff);
            said = (alen == 4 ? "TCP4 " : "TCP6 ") + plain(src) + " " + plain(dst) + " " + sport + " " + dport;
        } else {
            throw new IOException("no PROXY header, first byte " + first);
        }
        out.write((said + "\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        in.transferTo(out);
    };

    private static String plain(InetAddress a) {
        String s = a.getHostAddress();
        return s.contains("%") ? s.substring(0, s.indexOf('%')) : s;
    }

    private String through(ProxyProtocol version, InetAddress listenOn) throws Exception {
        TestBackend backend = closing(new TestBackend("p", PROXY_AWARE));
        TcpForwarder f = closing(TcpForwarder.start(ForwarderConfig.builder(new InetSocketAddress(listenOn, 0))
                .eventLoops(1).proxyProtocol(version).build(), new RoundRobin(List.of(backend.backend(1)))));
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(listenOn, 0));
            s.connect(f.localAddress(), 5000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
            String said = readLine(s.getInputStream());
            assertEquals("hello", readLine(s.getInputStream()), "client bytes follow the header intact");
            String expected = " " + plain(listenOn) + " " + plain(listenOn) + " " + s.getLocalPort() + " " + f.localAddress().getPort();
            assertEquals((listenOn instanceof Inet6Address ? "TCP6" : "TCP4") + expected, said);
            assertEquals(0, backend.failures.size(), backend.failures.toString());
            return said;
        }
    }

    @Test
    void v1OverIpv4() throws Exception {
        through(ProxyProtocol.V1, InetAddress.getByName("127.0.0.1"));
    }

    @Test
    void v2OverIpv4() throws Exception {
        through(ProxyProtocol.V2, InetAddress.getByName("127.0.0.1"));
    }

    @Test
    void v1OverIpv6() throws Exception {
        through(ProxyProtocol.V1, InetAddress.getByName("::1"));
    }

    @Test
    void v2OverIpv6() throws Exception {
        through(ProxyProtocol.V2, InetAddress.getByName("::1"));
    }

    @Test
    void withSniRoutingTheHeaderGoesBeforeThePeekedBytes() throws Exception {
        TestBackend backend = closing(new TestBackend("p", PROXY_AWARE));
        TcpForwarder f = closing(TcpForwarder.start(ForwarderConfig.builder(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .eventLoops(1).proxyProtocol(ProxyProtocol.V2).sniRoutes(SniRoutes.builder().build()).build(),
                new RoundRobin(List.of(backend.backend(1)))));
        try (Socket s = new Socket()) {
            s.connect(f.localAddress(), 5000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write("plain text first\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("TCP4 127.0.0.1 127.0.0.1 " + s.getLocalPort() + " " + f.localAddress().getPort(), readLine(s.getInputStream()));
            assertEquals("plain text first", readLine(s.getInputStream()));
        }
    }

    @Test
    void knownBytesAndTheUnknownForms() throws Exception {
        InetSocketAddress src = new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 56324);
        InetSocketAddress dst = new InetSocketAddress(InetAddress.getByName("198.51.100.7"), 443);
        assertEquals("PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n",
                new String(ProxyProtocol.V1.header(src, dst), StandardCharsets.US_ASCII));
        assertArrayEquals(new byte[] {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
            0x21, 0x11, 0x00, 0x0c, (byte) 192, 0, 2, 1, (byte) 198, 51, 100, 7, (byte) 0xdc, 0x04, 0x01, (byte) 0xbb},
                ProxyProtocol.V2.header(src, dst));
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 1);
        assertEquals("PROXY UNKNOWN\r\n", new String(ProxyProtocol.V1.header(v6, dst), StandardCharsets.US_ASCII));
        byte[] unspec = ProxyProtocol.V2.header(null, null);
        assertEquals(16, unspec.length);
        assertEquals(0x00, unspec[13]);
        assertEquals(ProxyProtocol.V2, ProxyProtocol.parse("v2"));
        assertThrows(IllegalArgumentException.class, () -> ProxyProtocol.parse("v3"));
    }
}
