package org.tollgate.lb.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.tollgate.lb.balance.Backends.CLIENT;
import static org.tollgate.lb.balance.Backends.backend;
import static org.tollgate.lb.balance.Backends.picks;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SmoothWeightedRoundRobinTest {

    @Test
    void nginxSequenceForWeightsFiveOneOne() {
        // The example in nginx's commit introducing smooth weighted round robin (2012).
        SmoothWeightedRoundRobin swrr = new SmoothWeightedRoundRobin(
                List.of(backend("a", 5), backend("b", 1), backend("c", 1)));
        assertEquals("a a b a c a a", picks(swrr, 7));
        assertEquals("a a b a c a a a a b a c a a", picks(swrr, 14)); // and again, period 7
    }

    @Test
    void otherWeightsSpreadTheHeavyBackend() {
        // Worked by hand with nginx's rule: current += weight, max wins, winner -= total.
        SmoothWeightedRoundRobin swrr = new SmoothWeightedRoundRobin(
                List.of(backend("a", 4), backend("b", 2), backend("c", 1)));
        assertEquals("a b a c a b a", picks(swrr, 7));
        SmoothWeightedRoundRobin equal = new SmoothWeightedRoundRobin(
                List.of(backend("a", 3), backend("b", 3)));
        assertEquals("a b a b", picks(equal, 4)); // gcd 3: same as weights 1,1
    }

    @Test
    void weightChangeMidStreamTakesEffectAtOnce() {
        Backend a = backend("a", 1);
        Backend b = backend("b", 1);
        SmoothWeightedRoundRobin swrr = new SmoothWeightedRoundRobin(List.of(a, b));
        assertEquals("a b a", picks(swrr, 3));
        a.setWeight(3);
        assertEquals("a a b a a a b a", picks(swrr, 8)); // weights 3,1: a a b a, restarted
        a.setWeight(1);
        b.setWeight(2);
        assertEquals("b a b b a b", picks(swrr, 6));
    }

    @Test
    void skipsDownAndDraining() {
        Backend a = backend("a", 5);
        Backend b = backend("b", 1);
        Backend c = backend("c", 1);
        SmoothWeightedRoundRobin swrr = new SmoothWeightedRoundRobin(List.of(a, b, c));
        a.setState(Backend.State.DRAINING);
        assertEquals("b c b c", picks(swrr, 4));
        b.setState(Backend.State.DOWN);
        assertEquals("c c c", picks(swrr, 3));
        c.setState(Backend.State.DOWN);
        assertEquals("- -", picks(swrr, 2));
        a.setState(Backend.State.UP);
        b.setState(Backend.State.UP);
        c.setState(Backend.State.UP);
        assertEquals("a a b a c a a", picks(swrr, 7));
    }

    @Test
    void excludedBackendIsPassedOver() {
        Backend a = backend("a", 5);
        Backend b = backend("b", 1);
        SmoothWeightedRoundRobin swrr = new SmoothWeightedRoundRobin(List.of(a, b));
        assertEquals("b b b", picks(() -> swrr.choose(CLIENT, Set.of(a)), 3));
        assertEquals("-", picks(() -> swrr.choose(CLIENT, Set.of(a, b)), 1));
    }

    @Test
    void sharesFollowWeightsOverManyPeriods() {
        List<Backend> list = List.of(backend("a", 7), backend("b", 3), backend("c", 13), backend("d", 1));
        SmoothWeightedRoundRobin swrr = new SmoothWeightedRoundRobin(list);
        Map<String, Integer> count = new HashMap<>();
        for (int i = 0; i < 24 * 100; i++) {
            count.merge(swrr.choose(CLIENT).orElseThrow().name(), 1, Integer::sum);
        }
        assertEquals(Map.of("a", 700, "b", 300, "c", 1300, "d", 100), count);
    }

    @Test
    void refusesWeightsOutOfRange() {
        assertThrows(IllegalArgumentException.class, () -> backend("a", 0));
        Backend a = backend("a", 1);
        assertThrows(IllegalArgumentException.class, () -> a.setWeight(Backend.MAX_WEIGHT + 1));
        assertEquals(1, a.weight());
    }
}
