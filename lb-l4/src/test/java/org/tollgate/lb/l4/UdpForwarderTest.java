package org.tollgate.lb.l4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tollgate.lb.l4.TcpForwarderTest.waitFor;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.balance.RoundRobin;
import org.tollgate.testsupport.Closer;

/** Real DatagramChannels on 127.0.0.1: backends that answer "name:payload", clients that wait with a bound. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class UdpForwarderTest {
    @RegisterExtension
    final Closer closer = new Closer();

    private <T extends AutoCloseable> T closing(T t) {
        return closer.add(t);
    }

    /** A UDP backend on its own thread: answers each datagram with "name:" + the datagram. */
    private final class UdpBackend implements AutoCloseable {
        final DatagramChannel channel;
        final AtomicInteger received = new AtomicInteger();
        final Thread thread;

        UdpBackend(String name) throws IOException {
            channel = DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            thread = new Thread(() -> {
                ByteBuffer b = ByteBuffer.allocate(65535);
                while (channel.isOpen()) {
                    try {
                        b.clear();
                        SocketAddress from = channel.receive(b);
                        received.incrementAndGet();
                        b.flip();
                        ByteBuffer reply = ByteBuffer.allocate(name.length() + 1 + b.remaining());
                        reply.put((name + ":").getBytes(StandardCharsets.US_ASCII)).put(b).flip();
                        channel.send(reply, from);
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "udp-backend-" + name);
            thread.setDaemon(true);
            thread.start();
            closing(this);
        }

        Backend backend(String name) throws IOException {
            return new Backend(name, (InetSocketAddress) channel.getLocalAddress());
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    private DatagramChannel client() throws IOException {
        DatagramChannel c = closing(DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
        c.configureBlocking(false);
        return c;
    }

    /** Sends {@code text} to the forwarder and waits (at most 5 s) for one reply. */
    private static String exchange(DatagramChannel c, UdpForwarder f, String text) throws IOException {
        c.send(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)), f.localAddress());
        return receive(c, 5000);
    }

    private static String receive(DatagramChannel c, long millis) throws IOException {
        try (Selector s = Selector.open()) {
            c.register(s, SelectionKey.OP_READ);
            if (s.select(millis) == 0) {
                return null;
            }
            ByteBuffer b = ByteBuffer.allocate(65535);
            SocketAddress from = c.receive(b);
            b.flip();
            return new String(b.array(), 0, b.limit(), StandardCharsets.US_ASCII) + "@" + ((InetSocketAddress) from).getPort();
        }
    }

    private UdpForwarder forwarder(UdpConfig.Builder config, Backend... backends) throws IOException {
        return closing(UdpForwarder.start(config.build(), new RoundRobin(List.of(backends))));
    }

    private static UdpConfig.Builder config() {
        return UdpConfig.builder(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @Test
    void eachClientFlowSticksToOneBackendAndRepliesComeBackToIt() throws Exception {
        Backend a = new UdpBackend("a").backend("a");
        Backend b = new UdpBackend("b").backend("b");
        UdpForwarder f = forwarder(config(), a, b);
        int port = f.localAddress().getPort();
        List<DatagramChannel> clients = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            clients.add(client());
        }
        String[] expected = {"a", "b", "a", "b"};
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 4; i++) {
                String reply = exchange(clients.get(i), f, "client" + i + "-" + round);
                assertEquals(expected[i] + ":client" + i + "-" + round + "@" + port, reply,
                        "the same backend for the whole flow, answered from the address the client wrote to");
            }
        }
        assertEquals(4, f.flows());
        assertEquals(2, a.activeConnections());
        assertEquals(2, b.activeConnections());
        // counted just after each send, so the last reply may arrive a moment before its count
        waitFor(() -> f.datagramsToClients() == 12 && a.bytesFromBackend() == 6 * "a:client0-0".length());
        assertEquals(12, f.datagramsToBackends());
        assertEquals(6 * "client0-0".length(), a.bytesToBackend());
    }

    @Test
    void idleFlowsExpireAndTheNextDatagramStartsANewOne() throws Exception {
        Backend a = new UdpBackend("a").backend("a");
        Backend b = new UdpBackend("b").backend("b");
        UdpForwarder f = forwarder(config().flowIdleTimeout(Duration.ofMillis(200)), a, b);
        DatagramChannel c = client();
        assertTrue(exchange(c, f, "one").startsWith("a:one"));
        assertEquals(1, f.flows());
        waitFor(() -> f.flows() == 0);
        assertEquals(0, a.activeConnections(), "the expired flow no longer counts on its backend");
        assertTrue(exchange(c, f, "two").startsWith("b:two"), "a new flow, so round robin moves on");
        assertEquals(2, f.flowsStarted());
    }

    @Test
    void theFlowTableIsBounded() throws Exception {
        Backend a = new UdpBackend("a").backend("a");
        UdpForwarder f = forwarder(config().maxFlows(2), a);
        assertTrue(exchange(client(), f, "1").startsWith("a:1"));
        assertTrue(exchange(client(), f, "2").startsWith("a:2"));
        DatagramChannel third = client();
        third.send(ByteBuffer.wrap(new byte[] {3}), f.localAddress());
        waitFor(() -> f.droppedDatagrams() == 1);
        assertEquals(2, f.flows());
        assertEquals(2, f.flowsStarted());
    }

    @Test
    void aBackendThatIsGoneEndsTheFlow() throws Exception {
        Backend gone = new Backend("gone", TestBackend.refusingAddress()); // nothing listens on that UDP port either
        UdpForwarder f = forwarder(config(), gone);
        DatagramChannel c = client();
        c.send(ByteBuffer.wrap(new byte[] {1}), f.localAddress());
        // Linux answers with ICMP port unreachable, which the connected flow socket reports.
        waitFor(() -> f.backendFailures() == 1);
        assertEquals(0, f.flows());
        assertEquals(0, gone.activeConnections());
    }
}
