package org.tollgate.tls.nio;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A cancelled timer stays in the loop's queue until its deadline; what its task refers to
 * must not stay reachable with it. A server schedules a handshake and an idle timer per
 * connection (the idle one 60 s ahead): before this rule, every closed connection's
 * buffers lived on for a minute after it closed.
 */
class EventLoopTimerRetentionTest {

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aCancelledTimerLetsItsTaskBeCollected() throws Exception {
        try (EventLoop loop = new EventLoop("timer-retention")) {
            WeakReference<byte[]> payload = scheduleAndCancel(loop);
            for (int i = 0; i < 100 && payload.get() != null; i++) {
                System.gc();
                Thread.sleep(20);
            }
            assertNull(payload.get(), "the cancelled timer still holds its task's state");
        }
    }

    /** In its own frame, so no local variable of the test keeps the payload alive. */
    private static WeakReference<byte[]> scheduleAndCancel(EventLoop loop) throws Exception {
        byte[] big = new byte[1 << 20];
        EventLoop.Timer timer = loop.schedule(Duration.ofHours(1), () -> big[0]++);
        // Let the loop queue it (schedule from another thread goes through a task).
        java.util.concurrent.CompletableFuture<Void> queued = new java.util.concurrent.CompletableFuture<>();
        loop.execute(() -> queued.complete(null));
        queued.get(30, TimeUnit.SECONDS);
        assertTrue(timer.cancel());
        return new WeakReference<>(big);
    }
}
