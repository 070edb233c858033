package org.tollgate.lb.l4;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import org.tollgate.tls.nio.EventLoop;

/**
 * What one forwarder keeps per event loop, touched only on that loop's thread: the pools
 * of direction buffers and the list of the connections living there, swept now and then
 * for connect and idle timeouts.
 *
 * <p>Buffers: a direction holds a buffer only while bytes wait in it; an empty one goes
 * back to the pool at once, so an idle or quiet connection holds none and a new connection
 * allocates nothing (allocating and zeroing fresh direct memory costs page faults, which
 * dominated a new connection's cost). A direction starts with a small buffer and takes a
 * {@code bufferSize} one only after a read filled a small one (bulk traffic).
 *
 * <p>Timeouts: one repeating sweep per loop instead of a timer per connection; a
 * cancelled per-connection timer stayed queued (with its connection) until its deadline,
 * 60 s for the idle timeout.
 */
final class LoopContext {
    /** The size of the buffer a direction starts with (or {@code bufferSize}, if smaller). */
    static final int SMALL_BUFFER = 16 * 1024;
    /** Free buffers kept per pool; more are left to the garbage collector. */
    private static final int POOL_LIMIT = 64;

    final EventLoop loop;
    private final int smallSize;
    private final int largeSize;
    private final ArrayDeque<ByteBuffer> small = new ArrayDeque<>();
    private final ArrayDeque<ByteBuffer> large = new ArrayDeque<>();
    /** The connections on this loop, an intrusive doubly linked list (no allocation to add or remove). */
    private Connection first;
    /** Channels whose keys were cancelled this turn, and those whose keys a select has dropped since. */
    private final ArrayList<SocketChannel> toClose = new ArrayList<>();
    private final ArrayDeque<ArrayList<SocketChannel>> closing = new ArrayDeque<>();

    LoopContext(EventLoop loop, int bufferSize) {
        this.loop = loop;
        this.largeSize = bufferSize;
        this.smallSize = Math.min(SMALL_BUFFER, bufferSize);
    }

    /** An empty buffer in write mode: {@code bufferSize} bytes if {@code bulk}, else the small size. */
    ByteBuffer take(boolean bulk) {
        boolean big = bulk || smallSize == largeSize;
        ByteBuffer b = (big ? large : small).pollFirst();
        if (b == null) {
            b = ByteBuffer.allocateDirect(big ? largeSize : smallSize);
        }
        return b.clear();
    }

    /** Gives a buffer back; its bytes are forgotten. */
    void give(ByteBuffer b) {
        ArrayDeque<ByteBuffer> pool = b.capacity() == largeSize ? large : small;
        if (pool.size() < POOL_LIMIT) {
            pool.addFirst(b); // last in, first out: the buffer most likely still in the CPU's caches
        }
    }

    /** True for a buffer of the largest size. */
    boolean isLarge(ByteBuffer b) {
        return b.capacity() == largeSize;
    }

    void add(Connection c) {
        c.nextOnLoop = first;
        c.previousOnLoop = null;
        if (first != null) {
            first.previousOnLoop = c;
        }
        first = c;
    }

    void remove(Connection c) {
        if (c.previousOnLoop != null) {
            c.previousOnLoop.nextOnLoop = c.nextOnLoop;
        } else if (first == c) {
            first = c.nextOnLoop;
        }
        if (c.nextOnLoop != null) {
            c.nextOnLoop.previousOnLoop = c.previousOnLoop;
        }
        c.nextOnLoop = null;
        c.previousOnLoop = null;
    }

    /**
     * Closes {@code channel} once the selector has dropped {@code key}. A socket closed
     * while still registered is only half closed by the JDK (it asks for SO_LINGER and
     * shuts the output down, two system calls) and really closed at deregistration; so the
     * key is cancelled now and the channel closed two loop turns later, after a select has
     * deregistered it. With {@code now} (the forwarder is closing), or no key, it closes at once.
     */
    void closeSoon(SocketChannel channel, SelectionKey key, boolean now) {
        if (key == null || now) {
            Connection.closeQuietly(channel);
            return;
        }
        key.cancel();
        toClose.add(channel);
        if (toClose.size() > 1) {
            return; // the batch is already on its way
        }
        try {
            loop.execute(() -> { // next turn: take the batch, whose keys the coming select drops
                closing.addLast(new ArrayList<>(toClose));
                toClose.clear();
                loop.execute(() -> { // the turn after: closed without the JDK's extra calls (batches in order)
                    ArrayList<SocketChannel> batch = closing.pollFirst();
                    if (batch != null) {
                        for (SocketChannel ch : batch) {
                            Connection.closeQuietly(ch);
                        }
                    }
                });
            });
        } catch (IllegalStateException e) { // the loop has stopped
            closeAllNow();
        }
    }

    /** Closes every channel still waiting for {@link #closeSoon}. Loop thread only, or after the loop stopped. */
    void closeAllNow() {
        for (SocketChannel ch : toClose) {
            Connection.closeQuietly(ch);
        }
        for (ArrayList<SocketChannel> batch : closing) {
            for (SocketChannel ch : batch) {
                Connection.closeQuietly(ch);
            }
        }
        toClose.clear();
        closing.clear();
    }

    /** Starts the sweep: every {@code period} each connection checks its own deadlines, until {@code stop} says so. */
    void startSweeping(Duration period, java.util.function.BooleanSupplier stop) {
        loop.schedule(period, () -> {
            if (stop.getAsBoolean()) {
                return;
            }
            long now = System.nanoTime();
            Connection c = first;
            while (c != null) {
                Connection next = c.nextOnLoop; // c may remove itself
                c.checkDeadlines(now);
                c = next;
            }
            startSweeping(period, stop);
        });
    }

    /** The sweep period for these timeouts: an eighth of the shorter, between 5 ms and 250 ms. */
    static Duration sweepPeriod(Duration connectTimeout, Duration idleTimeout) {
        long shorter = Math.min(connectTimeout.toMillis(), idleTimeout.toMillis());
        return Duration.ofMillis(Math.max(5, Math.min(250, shorter / 8)));
    }
}
