package org.tollgate.lb.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;
import static org.tollgate.lb.balance.Backends.CLIENT;
import static org.tollgate.lb.balance.Backends.backend;
import static org.tollgate.lb.balance.Backends.named;
import static org.tollgate.lb.balance.Backends.picks;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TwoRandomChoicesTest {

    @Test
    void keepsTheLessLoadedOfTheTwoDrawn() {
        List<Backend> list = named("a", "b", "c");
        list.get(0).connectionOpened();
        list.get(0).connectionOpened();
        list.get(2).connectionOpened();
        Random random = mock(Random.class);
        when(random.nextInt(3)).thenReturn(0, 2, 2, 0, 1, 1, 0, 0, 2, 1);
        TwoRandomChoices lb = new TwoRandomChoices(list, random);
        // (a=2, c=1) -> c; (c, a) -> c; (b=0, b) -> b; (a, a) -> a; (c=1, b=0) -> b
        assertEquals("c c b a b", picks(lb, 5));
    }

    @Test
    void tieGoesToTheFirstDrawnAndWeightsCount() {
        Backend a = backend("a", 1);
        Backend b = backend("b", 3);
        a.connectionOpened();
        b.connectionOpened();
        b.connectionOpened();
        b.connectionOpened();
        Random random = mock(Random.class);
        when(random.nextInt(2)).thenReturn(1, 0, 0, 1);
        TwoRandomChoices lb = new TwoRandomChoices(List.of(a, b), random);
        assertEquals("b a", picks(lb, 2)); // 1/1 and 3/3 are equal loads
        b.connectionClosed();
        when(random.nextInt(2)).thenReturn(0, 1);
        assertEquals("b", picks(lb, 1)); // 2/3 < 1/1
    }

    @Test
    void seededRunKeepsLoadsCloseWhereOneRandomChoiceWouldNot() {
        int n = 10;
        int connections = 2000;
        List<Backend> two = named("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
        TwoRandomChoices lb = new TwoRandomChoices(two, new Random(20240601L));
        for (int i = 0; i < connections; i++) {
            lb.choose(CLIENT).orElseThrow().connectionOpened();
        }
        int spreadTwo = spread(two);

        Random one = new Random(20240601L);
        int[] load = new int[n];
        for (int i = 0; i < connections; i++) {
            load[one.nextInt(n)]++;
        }
        int max = 0;
        int min = Integer.MAX_VALUE;
        for (int l : load) {
            max = Math.max(max, l);
            min = Math.min(min, l);
        }
        // Two choices keeps the gap to a couple of connections; one random choice lets it
        // grow like the square root of the count (tens here).
        assertTrue(spreadTwo <= 3, "two choices spread " + spreadTwo);
        assertTrue(max - min > 10 * spreadTwo, "one choice spread " + (max - min) + " vs " + spreadTwo);
    }

    @Test
    void drawsOnlyAmongAvailableAndNotExcluded() {
        List<Backend> list = named("a", "b", "c", "d");
        list.get(0).setState(Backend.State.DOWN);
        list.get(1).setState(Backend.State.DRAINING);
        TwoRandomChoices lb = new TwoRandomChoices(list, new Random(1));
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            seen.add(lb.choose(CLIENT).orElseThrow().name());
        }
        assertTrue(seen.contains("c") && seen.contains("d") && !seen.contains("a") && !seen.contains("b"), seen.toString());
        assertEquals("d d d", picks(() -> lb.choose(CLIENT, Set.of(list.get(2))), 3));
        assertEquals("-", picks(() -> lb.choose(CLIENT, Set.of(list.get(2), list.get(3))), 1));
    }

    private static int spread(List<Backend> list) {
        int max = list.stream().mapToInt(Backend::activeConnections).max().orElseThrow();
        int min = list.stream().mapToInt(Backend::activeConnections).min().orElseThrow();
        return max - min;
    }
}
