package org.tollgate.lb.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tollgate.lb.balance.Backends.address;
import static org.tollgate.lb.balance.Backends.backend;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class MaglevHashTest {
    private static final int M = MaglevHash.DEFAULT_TABLE_SIZE;

    private static List<Backend> backends(int n) {
        List<Backend> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(backend("backend-" + i, 1));
        }
        return list;
    }

    private static Map<String, Integer> entriesPerBackend(Backend[] table) {
        Map<String, Integer> count = new HashMap<>();
        for (Backend b : table) {
            count.merge(b.name(), 1, Integer::sum);
        }
        return count;
    }

    /** Entries whose owner differs, ignoring entries that belonged to {@code removed}. */
    private static int moved(Backend[] before, Backend[] after, Backend removed) {
        int moved = 0;
        for (int i = 0; i < before.length; i++) {
            if (before[i] != removed && before[i] != after[i]) {
                moved++;
            }
        }
        return moved;
    }

    private static int changed(Backend[] before, Backend[] after) {
        int changed = 0;
        for (int i = 0; i < before.length; i++) {
            if (before[i] != after[i]) {
                changed++;
            }
        }
        return changed;
    }

    @ParameterizedTest
    @EnumSource(MaglevHash.Fill.class)
    void thousandBackendsShareTheTableWithinOnePercent(MaglevHash.Fill fill) {
        MaglevHash maglev = new MaglevHash(backends(1000), M, fill);
        Backend[] table = maglev.lookupTable();
        assertEquals(M, table.length);
        Map<String, Integer> count = entriesPerBackend(table);
        assertEquals(1000, count.size(), "every backend owns entries");
        double average = (double) M / 1000;
        int max = count.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
        int min = count.values().stream().mapToInt(Integer::intValue).min().orElseThrow();
        System.out.printf("maglev (%s) 1000 backends, M=%d: entries per backend min %d max %d average %.3f, max/average %.4f%n",
                fill, M, min, max, average, max / average);
        assertTrue(max <= 1.01 * average, "max " + max + " vs average " + average);
        assertTrue(max - min <= 1, "each backend owns the floor or ceiling of M/N: " + min + ".." + max);
    }

    /**
     * The issue asks for at most 0.7% of entries changed when one of 1000 backends goes,
     * measured and asserted: the default fill (best score) stays under it for each of
     * twenty removals (over all 1000 removals, measured once by hand: see the README).
     */
    @Test
    void removingOneOfAThousandChangesAtMostSevenTenthsOfAPercent() {
        double[] percent = removals(MaglevHash.Fill.BEST_SCORE, 20);
        for (double p : percent) {
            assertTrue(p <= 0.7, "removing one of 1000 changed " + p + "% of the entries");
        }
    }

    /**
     * The paper's fill (turns) keeps the same balance but its cascade is longer: about
     * 0.7% on average, up to 0.78% for single removals. Asserted with that slack, so a
     * change that makes it worse is noticed; kept for comparison and teaching.
     */
    @Test
    void thePapersTurnsMoveAboutSevenTenthsOfAPercent() {
        double[] percent = removals(MaglevHash.Fill.TURNS, 10);
        double mean = java.util.Arrays.stream(percent).average().orElseThrow();
        assertTrue(mean <= 0.72, "mean " + mean + "%");
        assertTrue(java.util.Arrays.stream(percent).max().orElseThrow() <= 0.8, java.util.Arrays.toString(percent));
        double best = java.util.Arrays.stream(removals(MaglevHash.Fill.BEST_SCORE, 10)).average().orElseThrow();
        assertTrue(best < mean * 0.8, "best score (" + best + "%) moves clearly fewer entries than turns (" + mean + "%)");
    }

    /** Removes each of {@code count} backends of 1000 in turn, checks the table, returns % of entries changed. */
    private static double[] removals(MaglevHash.Fill fill, int count) {
        List<Backend> list = backends(1000);
        MaglevHash maglev = new MaglevHash(list, M, fill);
        Backend[] before = maglev.lookupTable();
        double[] percent = new double[count];
        for (int k = 0; k < count; k++) {
            Backend removed = list.get(25 + k * (1000 / count));
            List<Backend> fewer = new ArrayList<>(list);
            fewer.remove(removed);
            maglev.setBackends(fewer);
            Backend[] after = maglev.lookupTable();
            int changed = changed(before, after);
            int ownedByRemoved = entriesPerBackend(before).get(removed.name());
            assertEquals(ownedByRemoved, changed - moved(before, after, removed), "every entry of the removed backend changes");
            for (Backend b : after) {
                assertNotEquals(removed, b);
            }
            int max = entriesPerBackend(after).values().stream().mapToInt(Integer::intValue).max().orElseThrow();
            assertTrue(max <= 1.01 * M / 999, "after the removal the most loaded owns " + max);
            percent[k] = 100.0 * changed / M;
        }
        System.out.printf("maglev (%s) remove 1 of 1000, M=%d, %d removals: entries changed min %.3f%% mean %.3f%% max %.3f%% (minimum possible 0.1%%)%n",
                fill, M, count, java.util.Arrays.stream(percent).min().orElseThrow(),
                java.util.Arrays.stream(percent).average().orElseThrow(), java.util.Arrays.stream(percent).max().orElseThrow());
        maglev.setBackends(list);
        assertEquals(0, changed(before, maglev.lookupTable()), "putting it back restores the table");
        return percent;
    }

    @Test
    void downBackendLeavesTheTableLikeRemovalAndComesBackToTheSameEntries() {
        List<Backend> list = backends(100);
        MaglevHash maglev = new MaglevHash(list);
        Backend[] before = maglev.lookupTable();
        list.get(3).setState(Backend.State.DOWN);
        list.get(4).setState(Backend.State.DRAINING);
        Backend[] during = maglev.lookupTable();
        for (Backend b : during) {
            assertTrue(b.isAvailable(), b.toString());
        }
        list.get(3).setState(Backend.State.UP);
        list.get(4).setState(Backend.State.UP);
        assertEquals(0, changed(before, maglev.lookupTable()), "the table depends only on the set of backends");
    }

    @Test
    void moduloHashMovesAlmostEveryKeyWhereMaglevMovesFew() {
        List<Backend> list = backends(1000);
        MaglevHash maglev = new MaglevHash(list);
        List<InetAddress> clients = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            clients.add(address(10, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff));
        }
        Map<InetAddress, Backend> before = new IdentityHashMap<>();
        for (InetAddress c : clients) {
            before.put(c, maglev.choose(c).orElseThrow());
        }
        Backend removed = list.get(999);
        maglev.setBackends(list.subList(0, 999));
        int maglevMoved = 0;
        int moduloMoved = 0;
        for (InetAddress c : clients) {
            Backend was = before.get(c);
            Backend now = maglev.choose(c).orElseThrow();
            if (was != removed && was != now) {
                maglevMoved++;
            }
            long h = MaglevHash.hash(c.getAddress(), 0);
            if (Long.remainderUnsigned(h, 1000) != Long.remainderUnsigned(h, 999)) {
                moduloMoved++;
            }
        }
        System.out.printf("remove 1 of 1000 backends, 100000 clients: maglev moved %d clients of surviving backends (%.2f%%), hash mod N moved %d (%.2f%%)%n",
                maglevMoved, maglevMoved / 1000.0, moduloMoved, moduloMoved / 1000.0);
        assertTrue(maglevMoved < 500, "maglev moved " + maglevMoved);
        assertTrue(moduloMoved > 99_000, "modulo moved " + moduloMoved);
    }

    @Test
    void sameClientSameBackendWhileTheSetIsStable() {
        List<Backend> list = backends(50);
        MaglevHash one = new MaglevHash(list);
        MaglevHash other = new MaglevHash(backends(50)); // another balancer, same names
        Set<String> used = new java.util.HashSet<>();
        for (int i = 0; i < 2000; i++) {
            InetAddress c = address(198, 51, i >> 8, i & 0xff);
            String first = one.choose(c).orElseThrow().name();
            for (int k = 0; k < 3; k++) {
                assertEquals(first, one.choose(c).orElseThrow().name());
            }
            assertEquals(first, other.choose(c).orElseThrow().name(), "the table depends only on names");
            used.add(first);
        }
        assertEquals(50, used.size(), "2000 clients reach every one of 50 backends");
    }

    @Test
    void aWholeSlash24DoesNotLandOnOneBackendAsWithNginxIpHash() {
        MaglevHash maglev = new MaglevHash(backends(10));
        Set<String> used = new java.util.HashSet<>();
        for (int i = 0; i < 256; i++) {
            used.add(maglev.choose(address(203, 0, 113, i)).orElseThrow().name());
        }
        assertEquals(10, used.size());
    }

    @Test
    void weightsGiveProportionalShares() {
        List<Backend> list = List.of(backend("a", 1), backend("b", 2), backend("c", 4));
        MaglevHash maglev = new MaglevHash(list);
        Map<String, Integer> count = entriesPerBackend(maglev.lookupTable());
        double unit = M / 7.0;
        assertEquals(1 * unit, count.get("a"), 2);
        assertEquals(2 * unit, count.get("b"), 2);
        assertEquals(4 * unit, count.get("c"), 2);
        list.get(2).setWeight(1);
        count = entriesPerBackend(maglev.lookupTable());
        assertEquals(M / 4.0, count.get("a"), 2);
        assertEquals(M / 4.0, count.get("c"), 2);
    }

    @Test
    void excludedBackendIsPassedOverTheSameWayEachTime() {
        List<Backend> list = backends(5);
        MaglevHash maglev = new MaglevHash(list);
        InetAddress c = address(192, 0, 2, 77);
        Backend first = maglev.choose(c).orElseThrow();
        Backend second = maglev.choose(c, Set.of(first)).orElseThrow();
        assertNotEquals(first, second);
        assertEquals(second, maglev.choose(c, Set.of(first)).orElseThrow());
        assertTrue(maglev.choose(c, Set.copyOf(list)).isEmpty());
    }

    @Test
    void tableSizeMustBePrimeAndHoldTheBackends() {
        assertThrows(IllegalArgumentException.class, () -> new MaglevHash(backends(3), 65536, MaglevHash.Fill.BEST_SCORE));
        assertThrows(IllegalArgumentException.class, () -> new MaglevHash(backends(8), 7, MaglevHash.Fill.BEST_SCORE));
        MaglevHash small = new MaglevHash(backends(3), 7, MaglevHash.Fill.BEST_SCORE);
        assertEquals(7, small.lookupTable().length);
        assertTrue(new MaglevHash(List.of()).choose(address(1, 2, 3, 4)).isEmpty());
    }
}
