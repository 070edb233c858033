package org.tollgate.tls.nio;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One thread running one {@link Selector}: it waits for channels to become ready, runs
 * their {@link Handler}s, runs tasks handed to it from other threads, and fires timers.
 * Everything a handler does happens on this one thread, so per-connection state needs no
 * locks.
 *
 * <pre>{@code
 * EventLoop loop = new EventLoop("io-1");
 * loop.register(socketChannel, SelectionKey.OP_READ, key -> { ... });
 * EventLoop.Timer t = loop.schedule(Duration.ofSeconds(10), () -> ...);
 * t.cancel();
 * loop.close();   // stops the thread and closes every registered channel
 * }</pre>
 */
public final class EventLoop implements Executor, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EventLoop.class.getName());

    /** Called on the loop thread when a registered channel is ready for its interest ops. */
    @FunctionalInterface
    public interface Handler {
        /**
         * {@code key.readyOps()} says what is ready; {@code key.interestOps(...)} changes what
         * to wait for. An exception escaping here is logged and the channel closed.
         * @param key the ready key
         * @throws IOException to have the channel closed
         */
        void ready(SelectionKey key) throws IOException;
    }

    /** A scheduled task that has not run yet can be cancelled. */
    public interface Timer {
        /**
         * Stops the task from running; false if it already ran or was cancelled.
         * @return whether this call cancelled it
         */
        boolean cancel();
    }

    private final Selector selector;
    private final Thread thread;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final PriorityQueue<ScheduledTask> timers = new PriorityQueue<>(); // loop thread only
    /** True when the loop is (or is about to be) awake: callers need not wake it. */
    private final AtomicBoolean awake = new AtomicBoolean(true);
    private volatile boolean running = true;
    private long timerSequence;

    /**
     * Opens a selector and starts the loop thread (a daemon thread named {@code name}).
     * @param name the thread's name
     * @throws IOException when no selector can be opened
     */
    public EventLoop(String name) throws IOException {
        this.selector = Selector.open();
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** {@return true when called from this loop's thread} */
    public boolean inEventLoop() {
        return Thread.currentThread() == thread;
    }

    /**
     * Registers {@code channel} (made non-blocking) for {@code ops} with {@code handler}.
     * Safe from any thread; the future completes on the loop thread with the key, or
     * exceptionally if the channel could not be registered (then it is closed). Called on
     * the loop thread, it registers at once and the future is already complete.
     * @param channel the channel
     * @param ops the interest set, e.g. {@code OP_READ}
     * @param handler called when the channel is ready
     * @return the key, once registered
     */
    public CompletableFuture<SelectionKey> register(SelectableChannel channel, int ops, Handler handler) {
        Objects.requireNonNull(handler);
        CompletableFuture<SelectionKey> result = new CompletableFuture<>();
        Runnable registration = () -> {
            try {
                channel.configureBlocking(false);
                result.complete(channel.register(selector, ops, handler));
            } catch (IOException | RuntimeException e) {
                closeQuietly(channel);
                result.completeExceptionally(e);
            }
        };
        if (inEventLoop()) {
            registration.run(); // the future is complete on return
        } else {
            execute(registration);
        }
        return result;
    }

    /**
     * Runs {@code task} on the loop thread soon, never inline: called from the loop thread
     * it runs after the current handler or task returns (so it can be used to come back
     * later without recursion). Tasks run in the order they were given; after
     * {@link #close()} they are refused.
     */
    @Override
    public void execute(Runnable task) {
        Objects.requireNonNull(task);
        if (!running) {
            throw new IllegalStateException("event loop " + thread.getName() + " is closed");
        }
        tasks.add(task);
        if (!inEventLoop()) {
            wakeUp();
        }
    }

    /**
     * Runs {@code task} on the loop thread after {@code delay}, unless cancelled first. Safe from any thread.
     * @param delay how long to wait
     * @param task what to run
     * @return a handle to cancel it
     */
    public Timer schedule(Duration delay, Runnable task) {
        Objects.requireNonNull(task);
        long deadline = System.nanoTime() + Math.max(0, delay.toNanos());
        ScheduledTask t = new ScheduledTask(deadline, task);
        if (inEventLoop()) {
            t.sequence = timerSequence++;
            timers.add(t);
        } else {
            execute(() -> {
                t.sequence = timerSequence++;
                timers.add(t);
            });
        }
        return t;
    }

    /** {@return the number of channels registered with this loop (approximate when called from another thread)} */
    public int registeredChannels() {
        try {
            return selector.keys().size();
        } catch (ClosedSelectorException e) {
            return 0;
        }
    }

    /**
     * Stops the loop, closes every registered channel and the selector. From another thread
     * it waits for the loop thread to finish.
     */
    @Override
    public void close() {
        running = false;
        selector.wakeup();
        if (!inEventLoop()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void wakeUp() {
        if (awake.compareAndSet(false, true)) {
            selector.wakeup();
        }
    }

    private void run() {
        try {
            while (running) {
                runTasks(); // first: a task may add a timer
                long waitMillis = runTimers();
                if (!running) {
                    break;
                }
                awake.set(false);
                if (!tasks.isEmpty()) {
                    selector.selectNow(this::dispatch);
                } else {
                    selector.select(this::dispatch, waitMillis);
                }
                awake.set(true);
            }
        } catch (IOException | ClosedSelectorException e) {
            LOG.log(Level.ERROR, "event loop " + thread.getName() + " failed", e);
        } finally {
            running = false;
            shutdown();
        }
    }

    private void dispatch(SelectionKey key) {
        Handler handler = (Handler) key.attachment();
        try {
            if (key.isValid()) {
                handler.ready(key);
            }
        } catch (Throwable t) {
            LOG.log(Level.WARNING, "handler failed, closing its channel: " + t, t);
            key.cancel();
            closeQuietly(key.channel());
        }
    }

    /** Runs due timers; returns milliseconds until the next one (0 = none: wait for I/O). */
    private long runTimers() {
        long now = System.nanoTime();
        ScheduledTask t;
        while ((t = timers.peek()) != null) {
            if (t.cancelled) {
                timers.poll();
                continue;
            }
            long left = t.deadline - now;
            if (left > 0) {
                return Math.max(1, (left + 999_999) / 1_000_000);
            }
            timers.poll();
            if (t.fire()) {
                runTask(t.task);
            }
            now = System.nanoTime();
        }
        return 0;
    }

    private void runTasks() {
        // Only the tasks present now: a task that queues another does not starve I/O.
        for (int n = tasks.size(); n > 0; n--) {
            Runnable task = tasks.poll();
            if (task == null) {
                break;
            }
            runTask(task);
        }
    }

    private static void runTask(Runnable task) {
        try {
            task.run();
        } catch (Throwable t) {
            LOG.log(Level.WARNING, "event loop task failed: " + t, t);
        }
    }

    private void shutdown() {
        tasks.clear();
        timers.clear();
        try {
            for (SelectionKey key : selector.keys()) {
                closeQuietly(key.channel());
            }
            selector.close();
        } catch (IOException | ClosedSelectorException e) {
            LOG.log(Level.DEBUG, "closing selector", e);
        }
    }

    private static void closeQuietly(java.nio.channels.Channel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "closing channel", e);
        }
    }

    private static final class ScheduledTask implements Timer, Comparable<ScheduledTask> {
        final long deadline;
        /**
         * Dropped on cancel: a cancelled timer stays queued until its deadline, and must not
         * keep what its task refers to (a closed connection, its buffers) alive until then.
         */
        volatile Runnable task;
        long sequence;
        volatile boolean cancelled;
        private final AtomicBoolean done = new AtomicBoolean();

        ScheduledTask(long deadline, Runnable task) {
            this.deadline = deadline;
            this.task = task;
        }

        @Override
        public boolean cancel() {
            if (done.compareAndSet(false, true)) {
                cancelled = true;
                task = null;
                return true;
            }
            return false;
        }

        boolean fire() {
            return done.compareAndSet(false, true);
        }

        @Override
        public int compareTo(ScheduledTask o) {
            int c = Long.compare(deadline - o.deadline, 0); // nanoTime may wrap: compare differences
            return c != 0 ? c : Long.compare(sequence, o.sequence);
        }
    }
}
