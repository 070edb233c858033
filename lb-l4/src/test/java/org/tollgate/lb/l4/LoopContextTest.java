package org.tollgate.lb.l4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LoopContextTest {

    @Test
    void directionsStartSmallAndTakeFullSizeBuffersUnderBulk() {
        LoopContext c = new LoopContext(null, 64 * 1024);
        ByteBuffer small = c.take(false);
        ByteBuffer large = c.take(true);
        assertEquals(LoopContext.SMALL_BUFFER, small.capacity());
        assertEquals(64 * 1024, large.capacity());
        assertTrue(small.isDirect() && large.isDirect());
        assertTrue(c.isLarge(large) && !c.isLarge(small));
    }

    @Test
    void givenBuffersAreReusedEmptyAndByTheirSize() {
        LoopContext c = new LoopContext(null, 64 * 1024);
        ByteBuffer small = c.take(false);
        small.put((byte) 1).put((byte) 2).flip();
        ByteBuffer large = c.take(true);
        c.give(small);
        c.give(large);
        ByteBuffer again = c.take(false);
        assertSame(small, again);
        assertEquals(0, again.position());
        assertEquals(again.capacity(), again.remaining(), "handed out cleared, in write mode");
        assertSame(large, c.take(true));
        assertNotSame(small, c.take(false), "a buffer is handed out once until given back");
    }

    @Test
    void aSmallBufferSizeIsUsedForBoth() {
        LoopContext c = new LoopContext(null, 4096);
        assertEquals(4096, c.take(false).capacity());
        assertEquals(4096, c.take(true).capacity());
    }

    @Test
    void theSweepRunsAnEighthOfTheShorterTimeoutWithinBounds() {
        assertEquals(Duration.ofMillis(250), LoopContext.sweepPeriod(Duration.ofSeconds(3), Duration.ofSeconds(60)));
        assertEquals(Duration.ofMillis(37), LoopContext.sweepPeriod(Duration.ofSeconds(3), Duration.ofMillis(300)));
        assertEquals(Duration.ofMillis(5), LoopContext.sweepPeriod(Duration.ofMillis(10), Duration.ofSeconds(60)));
    }
}
