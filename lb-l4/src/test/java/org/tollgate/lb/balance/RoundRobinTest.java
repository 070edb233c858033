package org.tollgate.lb.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.tollgate.lb.balance.Backends.CLIENT;
import static org.tollgate.lb.balance.Backends.named;
import static org.tollgate.lb.balance.Backends.picks;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RoundRobinTest {

    @Test
    void takesEachBackendInTurn() {
        RoundRobin rr = new RoundRobin(named("a", "b", "c"));
        assertEquals("a b c a b c a b c", picks(rr, 9));
    }

    @Test
    void ignoresWeights() {
        List<Backend> list = named("a", "b");
        list.get(0).setWeight(5);
        assertEquals("a b a b", picks(new RoundRobin(list), 4));
    }

    @Test
    void skipsDownAndDrainingAndTakesThemBackWhenUp() {
        List<Backend> list = named("a", "b", "c", "d");
        RoundRobin rr = new RoundRobin(list);
        assertEquals("a b c d", picks(rr, 4));
        list.get(1).setState(Backend.State.DOWN);
        list.get(2).setState(Backend.State.DRAINING);
        assertEquals("a d a d", picks(rr, 4));
        list.get(1).setState(Backend.State.UP);
        String next = picks(rr, 6);
        assertEquals(2, next.split("b", -1).length - 1, next);
        assertEquals(0, next.split("c", -1).length - 1, next);
    }

    @Test
    void noneWhenAllAreDownOrExcluded() {
        List<Backend> list = named("a", "b");
        RoundRobin rr = new RoundRobin(list);
        assertEquals("b", rr.choose(CLIENT, Set.of(list.get(0))).orElseThrow().name());
        assertEquals("-", picks(() -> rr.choose(CLIENT, Set.copyOf(list)), 1));
        list.forEach(b -> b.setState(Backend.State.DOWN));
        assertEquals("- -", picks(rr, 2));
        assertEquals("-", picks(new RoundRobin(List.of()), 1));
    }

    @Test
    void followsMembershipChanges() {
        RoundRobin rr = new RoundRobin(named("a", "b"));
        assertEquals("a b", picks(rr, 2));
        rr.setBackends(named("x", "y", "z"));
        String s = picks(rr, 3);
        assertEquals(Set.of("x", "y", "z"), Set.of(s.split(" ")));
    }
}
