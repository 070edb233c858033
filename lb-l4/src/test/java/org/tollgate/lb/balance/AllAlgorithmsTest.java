package org.tollgate.lb.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tollgate.lb.balance.Backends.address;
import static org.tollgate.lb.balance.Backends.named;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** What every algorithm promises, checked on each. */
class AllAlgorithmsTest {

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void neverPicksDownOrDrainingBackends(Algorithm algorithm) {
        List<Backend> list = named("a", "b", "c", "d");
        Balancer lb = algorithm.create(list, new Random(7));
        list.get(0).setState(Backend.State.DOWN);
        list.get(2).setState(Backend.State.DRAINING);
        for (int i = 0; i < 500; i++) {
            String name = lb.choose(address(10, 0, i >> 8, i & 0xff)).orElseThrow().name();
            assertTrue(name.equals("b") || name.equals("d"), algorithm + " chose " + name);
        }
        list.get(1).setState(Backend.State.DOWN);
        list.get(3).setState(Backend.State.DOWN);
        assertTrue(lb.choose(address(10, 0, 0, 1)).isEmpty());
        list.get(2).setState(Backend.State.UP);
        assertEquals("c", lb.choose(address(10, 0, 0, 1)).orElseThrow().name());
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void manyThreadsPickWhileStatesChange(Algorithm algorithm) throws Exception {
        List<Backend> list = named("a", "b", "c", "d", "e");
        Balancer lb = algorithm.create(list, new Random(3));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        ConcurrentHashMap<String, Boolean> seen = new ConcurrentHashMap<>();
        CountDownLatch done = new CountDownLatch(4);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int id = t;
            threads.add(new Thread(() -> {
                try {
                    for (int i = 0; i < 20_000; i++) {
                        InetAddress c = address(10, id, i >> 8, i & 0xff);
                        lb.choose(c).ifPresent(b -> {
                            seen.put(b.name(), true);
                            b.connectionOpened();
                            b.connectionClosed();
                        });
                    }
                } catch (Throwable e) {
                    failure.set(e);
                } finally {
                    done.countDown();
                }
            }));
        }
        threads.forEach(Thread::start);
        for (int i = 0; done.getCount() > 0; i++) {
            Backend b = list.get(i % list.size());
            b.setState(b.isAvailable() ? Backend.State.DOWN : Backend.State.UP);
            b.setWeight(1 + i % 4);
            Thread.onSpinWait();
            if (i % 64 == 0) {
                Thread.sleep(1);
            }
        }
        assertEquals(null, failure.get());
        list.forEach(b -> assertEquals(0, b.activeConnections()));
        assertTrue(seen.size() >= 2, seen.toString());
    }

    @Test
    void cliNames() {
        assertEquals(Algorithm.WEIGHTED_ROUND_ROBIN, Algorithm.parse("weighted-round-robin"));
        assertEquals(Algorithm.IP_HASH, Algorithm.parse(" IP-Hash "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Algorithm.parse("random"));
        assertTrue(e.getMessage().contains("two-choices"), e.getMessage());
        assertTrue(Algorithm.IP_HASH.create(named("a")) instanceof MaglevHash);
    }

    @Test
    void backendNamesMustBeUniqueAndCountsBalanced() {
        assertThrows(IllegalArgumentException.class, () -> new RoundRobin(named("a", "a")));
        Backend a = named("a").get(0);
        assertThrows(IllegalStateException.class, a::connectionClosed);
        a.connectionOpened();
        a.connectionClosed();
        assertEquals(1, a.totalConnections());
        assertEquals(0, a.activeConnections());
    }
}
