package org.tollgate.lb.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.tollgate.lb.balance.Backends.CLIENT;
import static org.tollgate.lb.balance.Backends.backend;
import static org.tollgate.lb.balance.Backends.named;
import static org.tollgate.lb.balance.Backends.picks;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LeastConnectionsTest {

    /** A pick that opens a long-lived connection on the chosen backend, as the forwarder does. */
    private static Optional<Backend> open(Balancer lb) {
        Optional<Backend> b = lb.choose(CLIENT);
        b.ifPresent(Backend::connectionOpened);
        return b;
    }

    @Test
    void heldConnectionsSpreadEvenlyAndTiesRotate() {
        List<Backend> list = named("a", "b", "c");
        LeastConnections lc = new LeastConnections(list);
        assertEquals("a b c a b c a b c", picks(() -> open(lc), 9));
        assertEquals(List.of(3, 3, 3), list.stream().map(Backend::activeConnections).toList());
    }

    @Test
    void aClosedConnectionMakesItsBackendTheNextChoice() {
        List<Backend> list = named("a", "b", "c");
        LeastConnections lc = new LeastConnections(list);
        picks(() -> open(lc), 6); // two each, held open
        list.get(1).connectionClosed();
        assertEquals("b", open(lc).orElseThrow().name());
        list.get(2).connectionClosed();
        list.get(2).connectionClosed();
        assertEquals("c c a b c", picks(() -> open(lc), 5));
    }

    @Test
    void withoutHeldConnectionsEveryoneIsTiedAndTakesTurns() {
        LeastConnections lc = new LeastConnections(named("a", "b", "c"));
        assertEquals("a b c a b c", picks(lc, 6));
    }

    @Test
    void weightedByActivePerWeight() {
        Backend a = backend("a", 2);
        Backend b = backend("b", 1);
        LeastConnections lc = new LeastConnections(List.of(a, b));
        // a: 0/2 b: 0/1 tie -> a; b 0 < a 1/2 -> b; a 1/2 < 1 -> a; 2/2 = 1/1 tie, rotation -> b; ...
        assertEquals("a b a b a a", picks(() -> open(lc), 6));
        picks(() -> open(lc), 24);
        assertEquals(20, a.activeConnections());
        assertEquals(10, b.activeConnections());
    }

    @Test
    void weightChangeMidStream() {
        Backend a = backend("a", 1);
        Backend b = backend("b", 1);
        LeastConnections lc = new LeastConnections(List.of(a, b));
        picks(() -> open(lc), 10);
        assertEquals(5, a.activeConnections());
        b.setWeight(4);
        // b now counts 5/4 against a's 5/1: the next 15 go to b until it holds 20 (20/4 = 5/1)
        String next = picks(() -> open(lc), 15);
        assertEquals("b ".repeat(14) + "b", next);
        assertEquals(20, b.activeConnections());
    }

    @Test
    void skipsDownAndDrainingEvenWhenTheyAreIdle() {
        List<Backend> list = named("a", "b", "c");
        LeastConnections lc = new LeastConnections(list);
        list.get(0).connectionOpened();
        list.get(0).connectionOpened();
        list.get(1).setState(Backend.State.DRAINING);
        list.get(2).setState(Backend.State.DOWN);
        assertEquals("a a", picks(() -> open(lc), 2));
        assertEquals("-", picks(() -> lc.choose(CLIENT, Set.of(list.get(0))), 1));
    }
}
