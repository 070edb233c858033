package org.tollgate.tls.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.timeout;
import static org.mockito.Mockito.verify;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class EventLoopTest {
    private EventLoop loop;
    private Pipe pipe;

    @BeforeEach
    void start() throws IOException {
        loop = new EventLoop("test-loop");
        pipe = Pipe.open();
    }

    @AfterEach
    void stop() throws IOException {
        loop.close();
        pipe.sink().close();
        pipe.source().close();
    }

    @Test
    void registeredHandlerRunsOnTheLoopThreadWhenReadable() throws Exception {
        EventLoop.Handler handler = mock(EventLoop.Handler.class);
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        ByteBuffer got = ByteBuffer.allocate(16);
        java.util.concurrent.CountDownLatch answered = new java.util.concurrent.CountDownLatch(1);
        doAnswer(inv -> {
            SelectionKey key = inv.getArgument(0);
            ranOn.set(Thread.currentThread());
            ((Pipe.SourceChannel) key.channel()).read(got);
            answered.countDown();
            return null;
        }).when(handler).ready(any());

        SelectionKey key = loop.register(pipe.source(), SelectionKey.OP_READ, handler).get(5, TimeUnit.SECONDS);
        assertFalse(pipe.source().isBlocking(), "register makes the channel non-blocking");
        assertEquals(SelectionKey.OP_READ, key.interestOps());
        pipe.sink().write(ByteBuffer.wrap("ping".getBytes()));

        verify(handler, timeout(5000)).ready(key);
        // Mockito records the call before the answer runs: wait for the answer itself.
        assertTrue(answered.await(5, TimeUnit.SECONDS));
        assertEquals("test-loop", ranOn.get().getName());
        assertEquals(4, got.position());
    }

    @Test
    void executeRunsTasksInOrderOnTheLoopThread() throws Exception {
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        Set<Boolean> inLoop = Collections.synchronizedSet(new HashSet<>());
        CountDownLatch done = new CountDownLatch(1000);
        for (int i = 0; i < 1000; i++) {
            int n = i;
            loop.execute(() -> {
                order.add(n);
                inLoop.add(loop.inEventLoop());
                done.countDown();
            });
        }
        assertTrue(done.await(5, TimeUnit.SECONDS));
        for (int i = 0; i < 1000; i++) {
            assertEquals(i, order.get(i));
        }
        assertEquals(Set.of(true), inLoop);
        assertFalse(loop.inEventLoop());
    }

    @Test
    void executeFromTheLoopThreadRunsLaterNotInline() throws Exception {
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(1);
        loop.execute(() -> {
            loop.execute(() -> {
                order.add("inner");
                done.countDown();
            });
            order.add("outer");
        });
        assertTrue(done.await(5, TimeUnit.SECONDS));
        assertEquals(List.of("outer", "inner"), order);
    }

    @Test
    void aFailingTaskDoesNotStopTheLoop() throws Exception {
        loop.execute(() -> {
            throw new IllegalStateException("deliberate");
        });
        CountDownLatch after = new CountDownLatch(1);
        loop.execute(after::countDown);
        assertTrue(after.await(5, TimeUnit.SECONDS));
    }

    @Test
    void scheduledTasksRunInDeadlineOrderAndCancelledOnesNever() throws Exception {
        List<String> fired = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch last = new CountDownLatch(1);
        EventLoop.Timer cancelled = loop.schedule(Duration.ofMillis(30), () -> fired.add("cancelled"));
        loop.schedule(Duration.ofMillis(120), () -> {
            fired.add("second");
            last.countDown();
        });
        loop.schedule(Duration.ofMillis(10), () -> fired.add("first"));
        assertTrue(cancelled.cancel());
        assertFalse(cancelled.cancel(), "a second cancel reports nothing to cancel");

        assertTrue(last.await(5, TimeUnit.SECONDS));
        assertEquals(List.of("first", "second"), fired);
    }

    @Test
    void aTimerThatFiredCannotBeCancelled() throws Exception {
        CountDownLatch ran = new CountDownLatch(1);
        EventLoop.Timer t = loop.schedule(Duration.ZERO, ran::countDown);
        assertTrue(ran.await(5, TimeUnit.SECONDS));
        assertFalse(t.cancel());
    }

    @Test
    void aHandlerThatThrowsHasItsChannelClosed() throws Exception {
        CountDownLatch called = new CountDownLatch(1);
        loop.register(pipe.source(), SelectionKey.OP_READ, key -> {
            called.countDown();
            throw new IOException("deliberate");
        }).get(5, TimeUnit.SECONDS);
        pipe.sink().write(ByteBuffer.wrap(new byte[1]));
        assertTrue(called.await(5, TimeUnit.SECONDS));
        // The loop closes the channel right after the handler returns.
        for (int i = 0; i < 500 && pipe.source().isOpen(); i++) {
            Thread.sleep(10);
        }
        assertFalse(pipe.source().isOpen());
        // And keeps running for everyone else.
        CountDownLatch alive = new CountDownLatch(1);
        loop.execute(alive::countDown);
        assertTrue(alive.await(5, TimeUnit.SECONDS));
    }

    @Test
    void closeClosesRegisteredChannelsAndRefusesNewTasks() throws Exception {
        loop.register(pipe.source(), SelectionKey.OP_READ, key -> { }).get(5, TimeUnit.SECONDS);
        assertEquals(1, loop.registeredChannels());
        loop.close();
        assertFalse(pipe.source().isOpen());
        assertThrows(IllegalStateException.class, () -> loop.execute(() -> { }));
    }

    @Test
    void groupHandsOutLoopsRoundRobin() throws Exception {
        try (EventLoopGroup group = new EventLoopGroup(3, "group")) {
            EventLoop a = group.next();
            EventLoop b = group.next();
            EventLoop c = group.next();
            assertNotEquals(a, b);
            assertNotEquals(b, c);
            assertNotEquals(a, c);
            assertEquals(a, group.next());
            assertEquals(3, group.size());
            AtomicBoolean ran = new AtomicBoolean();
            CountDownLatch done = new CountDownLatch(1);
            c.execute(() -> {
                ran.set(Thread.currentThread().getName().equals("group-2"));
                done.countDown();
            });
            assertTrue(done.await(5, TimeUnit.SECONDS));
            assertTrue(ran.get());
        }
        assertThrows(IllegalArgumentException.class, () -> new EventLoopGroup(0, "none"));
    }
}
