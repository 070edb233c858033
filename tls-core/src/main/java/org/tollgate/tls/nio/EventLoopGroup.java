package org.tollgate.tls.nio;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed set of {@link EventLoop}s handed out round robin, so connections spread over
 * one loop per core (the usual shape of NIO servers: nginx workers, Netty's groups).
 */
public final class EventLoopGroup implements AutoCloseable {
    private final List<EventLoop> loops;
    private final AtomicInteger next = new AtomicInteger();

    /**
     * One loop per available processor.
     * @param namePrefix the prefix of the thread names
     * @throws IOException when a selector cannot be opened
     */
    public EventLoopGroup(String namePrefix) throws IOException {
        this(Runtime.getRuntime().availableProcessors(), namePrefix);
    }

    /**
     * {@code size} loops whose threads are named {@code namePrefix-0}, {@code namePrefix-1}, ...
     * @param size the number of loops
     * @param namePrefix the prefix of the thread names
     * @throws IOException when a selector cannot be opened
     */
    public EventLoopGroup(int size, String namePrefix) throws IOException {
        if (size < 1) {
            throw new IllegalArgumentException("an event loop group needs at least one loop, not " + size);
        }
        List<EventLoop> list = new ArrayList<>(size);
        try {
            for (int i = 0; i < size; i++) {
                list.add(new EventLoop(namePrefix + "-" + i));
            }
        } catch (IOException | RuntimeException e) {
            list.forEach(EventLoop::close);
            throw e;
        }
        this.loops = List.copyOf(list);
    }

    /** {@return the next loop, round robin} */
    public EventLoop next() {
        return loops.get(Math.floorMod(next.getAndIncrement(), loops.size()));
    }

    /** {@return the number of loops} */
    public int size() {
        return loops.size();
    }

    /** {@return every loop, in order} */
    public List<EventLoop> loops() {
        return loops;
    }

    /** Closes every loop and its channels. */
    @Override
    public void close() {
        loops.forEach(EventLoop::close);
    }
}
