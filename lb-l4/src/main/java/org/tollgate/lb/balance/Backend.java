package org.tollgate.lb.balance;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One server behind the balancer: a name, an address, a weight, a state and counters.
 *
 * <p>Thread-safe without locks: weight and state are volatile fields, the counters are
 * atomics, so many event loops can pick and count at once. Whoever changes weight or state
 * tells the registered listeners, which is how balancers that precompute a table (smooth
 * weighted round robin's schedule, Maglev's lookup table) know to rebuild it.
 *
 * <p>Balancers never count connections themselves: the forwarder calls
 * {@link #connectionOpened()} when it commits a client to this backend and
 * {@link #connectionClosed()} when that connection ends.
 */
public final class Backend {
    /** Largest weight accepted; nginx and HAProxy use similar small ranges (HAProxy: 256). */
    public static final int MAX_WEIGHT = 1000;

    /** What a backend may be asked to do. */
    public enum State {
        /** Takes new connections. */
        UP,
        /** Failed its health checks or was ejected: takes nothing new. */
        DOWN,
        /** Being taken out of service: existing connections finish, new ones go elsewhere. */
        DRAINING
    }

    private final String name;
    private final InetSocketAddress address;
    private volatile int weight;
    private volatile State state = State.UP;
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong total = new AtomicLong();
    private final CopyOnWriteArrayList<Runnable> listeners = new CopyOnWriteArrayList<>();
    private volatile CompletableFuture<Void> drained;
    /** LongAdder: many loops add at once, a stats reader sums now and then. */
    private final LongAdder bytesToBackend = new LongAdder();
    private final LongAdder bytesFromBackend = new LongAdder();

    /**
     * A backend of weight 1.
     * @param name a unique name, for logs and stats
     * @param address where to connect
     */
    public Backend(String name, InetSocketAddress address) {
        this(name, address, 1);
    }

    /**
     * A backend with a weight.
     * @param name a unique name, for logs and stats
     * @param address where to connect
     * @param weight 1 to {@link #MAX_WEIGHT}
     */
    public Backend(String name, InetSocketAddress address, int weight) {
        this.name = Objects.requireNonNull(name, "name");
        this.address = Objects.requireNonNull(address, "address");
        this.weight = checkWeight(weight);
    }

    /** {@return the backend's name, unique among its balancer's backends} */
    public String name() {
        return name;
    }

    /** {@return the address connections go to} */
    public InetSocketAddress address() {
        return address;
    }

    /** {@return the weight, 1 to {@link #MAX_WEIGHT}: its share relative to the others} */
    public int weight() {
        return weight;
    }

    /** {@return the state: {@code UP}, {@code DOWN} or {@code DRAINING}} */
    public State state() {
        return state;
    }

    /** {@return true when the backend may be given new connections: it is {@link State#UP}} */
    public boolean isAvailable() {
        return state == State.UP;
    }

    /** {@return the number of connections open to this backend now} */
    public int activeConnections() {
        return active.get();
    }

    /** {@return the number of connections ever opened to this backend} */
    public long totalConnections() {
        return total.get();
    }

    /** {@return the bytes forwarded to this backend (client to server), over all its connections} */
    public long bytesToBackend() {
        return bytesToBackend.sum();
    }

    /** {@return the bytes forwarded from this backend (server to client)} */
    public long bytesFromBackend() {
        return bytesFromBackend.sum();
    }

    /**
     * Counts bytes written to this backend.
     * @param n the number of bytes
     */
    public void addBytesToBackend(long n) {
        bytesToBackend.add(n);
    }

    /**
     * Counts bytes read from this backend and passed on.
     * @param n the number of bytes
     */
    public void addBytesFromBackend(long n) {
        bytesFromBackend.add(n);
    }

    /**
     * Changes the weight (1 to {@link #MAX_WEIGHT}); balancers use it from their next pick.
     * @param weight the new weight
     */
    public void setWeight(int weight) {
        int w = checkWeight(weight);
        if (this.weight != w) {
            this.weight = w;
            fireChanged();
        }
    }

    /**
     * Changes the state; balancers skip a backend that is not {@link State#UP} from their next pick.
     * @param state the new state
     */
    public void setState(State state) {
        Objects.requireNonNull(state, "state");
        if (this.state != state) {
            this.state = state;
            CompletableFuture<Void> d = drained;
            if (state != State.DRAINING && d != null) {
                drained = null;
                d.completeExceptionally(new CancellationException(name + " left DRAINING for " + state + " before it drained"));
            }
            fireChanged();
        }
    }

    /**
     * Takes the backend out of service gently: it becomes {@link State#DRAINING}, so no new
     * connection comes to it, while the connections it has go on to their natural end. The
     * future completes when the last of them has closed (at once if none is open), or
     * completes exceptionally if the state is changed away from {@code DRAINING} first.
     * @return a future completed when the last connection has closed
     */
    public synchronized CompletableFuture<Void> drain() {
        CompletableFuture<Void> d = drained;
        if (d == null || state != State.DRAINING) {
            setState(State.DRAINING);
            d = new CompletableFuture<>();
            drained = d;
        }
        completeDrainIfIdle();
        return d;
    }

    private void completeDrainIfIdle() {
        CompletableFuture<Void> d = drained;
        if (d != null && active.get() == 0 && state == State.DRAINING) {
            d.complete(null);
        }
    }

    /** Counts a connection committed to this backend. */
    public void connectionOpened() {
        active.incrementAndGet();
        total.incrementAndGet();
    }

    /** Counts the end of a connection counted by {@link #connectionOpened()}. */
    public void connectionClosed() {
        if (active.decrementAndGet() < 0) {
            active.incrementAndGet();
            throw new IllegalStateException("connectionClosed() without connectionOpened() on " + name);
        }
        if (drained != null) {
            completeDrainIfIdle();
        }
    }

    /**
     * Runs {@code listener} (on the changing thread) after each weight or state change.
     * @param listener the listener
     */
    public void addChangeListener(Runnable listener) {
        listeners.add(Objects.requireNonNull(listener));
    }

    /**
     * Stops running {@code listener} on changes.
     * @param listener a listener added before
     */
    public void removeChangeListener(Runnable listener) {
        listeners.remove(listener);
    }

    private void fireChanged() {
        for (Runnable l : listeners) {
            l.run();
        }
    }

    private static int checkWeight(int weight) {
        if (weight < 1 || weight > MAX_WEIGHT) {
            throw new IllegalArgumentException("weight must be between 1 and " + MAX_WEIGHT + ", not " + weight);
        }
        return weight;
    }

    @Override
    public String toString() {
        return name + "(" + address.getHostString() + ":" + address.getPort() + ", weight=" + weight + ", " + state + ")";
    }
}
