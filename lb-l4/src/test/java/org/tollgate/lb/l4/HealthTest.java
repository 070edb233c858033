package org.tollgate.lb.l4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tollgate.lb.l4.TcpForwarderTest.waitFor;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.balance.RoundRobin;
import org.tollgate.testsupport.Closer;

/** Active checks, passive ejection, draining and graceful shutdown, with real sockets on loopback. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HealthTest {
    @RegisterExtension
    final Closer closer = new Closer();

    private <T extends AutoCloseable> T closing(T t) {
        return closer.add(t);
    }

    private TestBackend backend(String name) throws IOException {
        return closing(new TestBackend(name, TestBackend.WHO_AM_I_ECHO));
    }

    private TcpForwarder forwarder(HealthConfig health, Backend... backends) throws IOException {
        ForwarderConfig.Builder config = ForwarderConfig.builder(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .eventLoops(2).connectTimeout(Duration.ofSeconds(2));
        if (health != null) {
            config.health(health);
        }
        return closing(TcpForwarder.start(config.build(), new RoundRobin(List.of(backends))));
    }

    private Socket connect(TcpForwarder f) throws IOException {
        Socket s = closing(new Socket());
        s.connect(f.localAddress(), 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    /** Connects, reads which backend answered, closes. */
    private String who(TcpForwarder f) throws IOException {
        try (Socket s = connect(f)) {
            return readLine(s.getInputStream());
        }
    }

    @Test
    void activeChecksTakeAStoppedBackendDownAndBringItBackWhenItReturns() throws Exception {
        TestBackend a = backend("a");
        TestBackend b = backend("b");
        Backend ba = a.backend(1);
        Backend bb = b.backend(1);
        TcpForwarder f = forwarder(HealthConfig.builder().interval(Duration.ofMillis(50)).rise(2).fall(2).ejectAfter(0).build(), ba, bb);
        HealthChecker checker = f.health().orElseThrow();

        waitFor(() -> checker.checks(ba) >= 3 && checker.checks(bb) >= 3);
        assertEquals(Backend.State.UP, ba.state(), "a healthy backend stays UP");

        int port = a.address().getPort();
        a.close();
        waitFor(() -> ba.state() == Backend.State.DOWN);
        assertEquals(Backend.State.UP, bb.state());
        for (int i = 0; i < 4; i++) {
            assertEquals("b", who(f), "a DOWN backend gets no connections");
        }
        assertEquals(0, f.connectFailures(), "the balancer never even tried the DOWN backend");

        closing(new TestBackend("a", TestBackend.WHO_AM_I_ECHO, port));
        waitFor(() -> ba.state() == Backend.State.UP);
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            seen.add(who(f));
        }
        assertTrue(seen.contains("a") && seen.contains("b"), "back in the rotation: " + seen);
    }

    @Test
    void passiveEjectionAfterFailedConnectsAndReturnAfterTheCooldown() throws Exception {
        InetSocketAddress refusing = TestBackend.refusingAddress();
        Backend bx = new Backend("x", refusing);
        Backend bb = backend("b").backend(1);
        TcpForwarder f = forwarder(HealthConfig.builder().ejectAfter(2).cooldown(Duration.ofMillis(300)).build(), bx, bb);

        // Round robin offers x first to each client; its refusal sends the client on to b.
        assertEquals("b", who(f));
        assertEquals(Backend.State.UP, bx.state(), "one failure is not enough");
        assertEquals("b", who(f));
        waitFor(() -> bx.state() == Backend.State.DOWN);
        assertEquals(2, f.connectFailures());
        for (int i = 0; i < 3; i++) {
            assertEquals("b", who(f));
        }
        assertEquals(2, f.connectFailures(), "an ejected backend is not tried");

        closing(new TestBackend("x", TestBackend.WHO_AM_I_ECHO, refusing.getPort()));
        waitFor(() -> bx.state() == Backend.State.UP);
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            seen.add(who(f));
        }
        assertTrue(seen.contains("x"), "x serves again after the cool-down: " + seen);
        assertEquals(2, f.connectFailures());
    }

    @Test
    void anEjectedBackendReturnsThroughTheActiveChecks() throws Exception {
        InetSocketAddress refusing = TestBackend.refusingAddress();
        Backend bx = new Backend("x", refusing);
        Backend bb = backend("b").backend(1);
        // fall is high so only passive ejection can take x down; the checks bring it back.
        TcpForwarder f = forwarder(HealthConfig.builder().interval(Duration.ofMillis(50)).rise(3).fall(1000)
                .ejectAfter(1).cooldown(Duration.ofHours(1)).build(), bx, bb);
        assertEquals("b", who(f));
        waitFor(() -> bx.state() == Backend.State.DOWN);
        closing(new TestBackend("x", TestBackend.WHO_AM_I_ECHO, refusing.getPort()));
        waitFor(() -> bx.state() == Backend.State.UP);
    }

    @Test
    void aDrainingBackendFinishesItsConnectionsWhileNewOnesGoElsewhere() throws Exception {
        Backend ba = backend("a").backend(1);
        Backend bb = backend("b").backend(1);
        TcpForwarder f = forwarder(null, ba, bb);
        Socket held = connect(f);
        assertEquals("a", readLine(held.getInputStream()));
        waitFor(() -> ba.activeConnections() == 1);

        CompletableFuture<Void> drained = ba.drain();
        assertEquals(Backend.State.DRAINING, ba.state());
        assertFalse(drained.isDone(), "a connection is still open");
        for (int i = 0; i < 4; i++) {
            assertEquals("b", who(f), "new connections avoid the draining backend");
        }

        // The old connection still flows both ways, to its natural end.
        held.getOutputStream().write("still here\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals("still here", readLine(held.getInputStream()));
        assertFalse(drained.isDone());
        held.shutdownOutput();
        assertEquals(-1, held.getInputStream().read());
        held.close();
        drained.get(5, TimeUnit.SECONDS);
        assertEquals(0, ba.activeConnections());
        assertEquals(1, ba.totalConnections());
    }

    @Test
    void drainingWithNothingOpenIsDoneAtOnceAndUndoingItCancels() throws Exception {
        Backend idle = new Backend("idle", TestBackend.refusingAddress());
        assertTrue(idle.drain().isDone());
        Backend busy = new Backend("busy", TestBackend.refusingAddress());
        busy.connectionOpened();
        CompletableFuture<Void> d = busy.drain();
        busy.setState(Backend.State.UP);
        assertTrue(d.isCompletedExceptionally());
        assertThrows(CancellationException.class, () -> d.get(1, TimeUnit.SECONDS));
        Throwable why = d.handle((v, t) -> t).join(); // the exception itself: get() may wrap it (JDK 23+)
        assertTrue(why instanceof CancellationException && why.getMessage().contains("left DRAINING"), String.valueOf(why));
    }

    @Test
    void gracefulShutdownStopsAcceptingAndLetsOpenConnectionsFinish() throws Exception {
        Backend ba = backend("a").backend(1);
        TcpForwarder f = forwarder(null, ba);
        InetSocketAddress listen = f.localAddress();
        Socket held = connect(f);
        assertEquals("a", readLine(held.getInputStream()));

        CompletableFuture<Boolean> finished = CompletableFuture.supplyAsync(() -> f.shutdown(Duration.ofSeconds(20)));
        waitFor(() -> {
            try (Socket s = new Socket()) {
                s.connect(listen, 1000);
                return false;
            } catch (ConnectException e) {
                return true; // refused: the listening socket is closed
            }
        });
        assertFalse(finished.isDone());
        held.getOutputStream().write("last words\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals("last words", readLine(held.getInputStream()));
        held.shutdownOutput();
        assertEquals(-1, held.getInputStream().read());
        held.close();
        assertTrue(finished.get(10, TimeUnit.SECONDS), "every connection ended by itself");
        assertEquals(0, ba.activeConnections());
    }

    @Test
    void gracefulShutdownClosesWhatIsStillOpenAtTheDeadline() throws Exception {
        Backend ba = backend("a").backend(1);
        TcpForwarder f = forwarder(null, ba);
        Socket held = connect(f);
        assertEquals("a", readLine(held.getInputStream()));
        assertFalse(f.shutdown(Duration.ofMillis(200)));
        try {
            assertEquals(-1, held.getInputStream().read(), "the forwarder closed the connection");
        } catch (SocketException e) {
            // a reset is a close too
        }
        assertEquals(0, ba.activeConnections());
        assertEquals(0, f.openConnections());
    }

    static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            sb.append((char) c);
        }
        return sb.toString();
    }
}
