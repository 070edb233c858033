package org.tollgate.lb.l4;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.tollgate.lb.balance.Backend;
import org.tollgate.lb.balance.Balancer;
import org.tollgate.tls.nio.EventLoop;

/**
 * An L4 UDP load balancer. UDP has no connections, so the forwarder makes "flows": the
 * first datagram from a client address and port picks a backend with the
 * {@link Balancer}, and every later datagram of that flow goes to the same backend, as
 * nginx's {@code stream} module and LVS do. Each flow has its own socket connected to its
 * backend, so a reply arriving on it belongs to that client and is sent back to it from
 * the listening address (the client sees answers from the address it wrote to).
 *
 * <ul>
 * <li>A flow with no datagram either way for {@link UdpConfig#flowIdleTimeout()} ends; the
 *     client's next datagram starts a new flow (and may land elsewhere).</li>
 * <li>The flow table is bounded ({@link UdpConfig#maxFlows()}): when full, datagrams that
 *     would start a new flow are dropped and counted, as is any datagram the kernel cannot
 *     take at once. Dropping is what UDP does under load; queueing would only add delay.</li>
 * <li>A backend that answers with ICMP port unreachable (seen as
 *     {@link PortUnreachableException} on the connected socket) ends the flow.</li>
 * </ul>
 * Everything runs on one event loop thread, so the flow table needs no locks. Backends
 * count a flow as a connection ({@link Backend#connectionOpened()}), so least connections
 * balances flows. No PROXY header is sent: the protocol's v2 UDP form would have to
 * prefix every datagram, which few backends expect.
 */
public final class UdpForwarder implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(UdpForwarder.class.getName());
    private static final int MAX_DATAGRAM = 65535;
    private static final int SPINS = 64;

    private final UdpConfig config;
    private final Balancer balancer;
    private final EventLoop loop;
    private final boolean ownsLoop;
    private final DatagramChannel listener;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(MAX_DATAGRAM); // loop thread only
    private final Map<InetSocketAddress, Flow> flows = new HashMap<>();       // loop thread only
    private final AtomicInteger flowCount = new AtomicInteger();
    private final AtomicLong flowsStarted = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong datagramsToBackends = new AtomicLong();
    private final AtomicLong datagramsToClients = new AtomicLong();
    private final AtomicLong backendFailures = new AtomicLong();
    private EventLoop.Timer sweep;
    private volatile boolean closed;

    /** One client's flow: its address, its backend and the socket connected to that backend. */
    private final class Flow {
        final InetSocketAddress client;
        final Backend backend;
        final DatagramChannel channel;
        SelectionKey key;
        long lastActivity = System.nanoTime();

        Flow(InetSocketAddress client, Backend backend, DatagramChannel channel) {
            this.client = client;
            this.backend = backend;
            this.channel = channel;
        }
    }

    private UdpForwarder(UdpConfig config, Balancer balancer, EventLoop loop, boolean ownsLoop) throws IOException {
        this.config = config;
        this.balancer = balancer;
        this.loop = loop;
        this.ownsLoop = ownsLoop;
        try {
            listener = DatagramChannel.open();
            listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            listener.bind(config.listen());
            loop.register(listener, SelectionKey.OP_READ, k -> listenerReady()).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            if (ownsLoop) {
                loop.close();
            }
            if (e instanceof IOException) {
                throw (IOException) e;
            }
            throw new IOException("could not listen for UDP on " + config.listen() + ": " + e, e);
        }
        Duration every = config.flowIdleTimeout().dividedBy(4);
        Duration period = every.compareTo(Duration.ofMillis(10)) < 0 ? Duration.ofMillis(10) : every;
        loop.execute(() -> sweep = loop.schedule(period, () -> sweep(period)));
        LOG.log(Level.INFO, "forwarding UDP " + localAddress() + " over " + balancer.backends().size() + " backends");
    }

    /**
     * Binds the listening socket and runs on an event loop thread of its own.
     * @param config the configuration
     * @param balancer chooses a backend per flow
     * @return the running forwarder
     * @throws IOException when the address cannot be bound
     */
    public static UdpForwarder start(UdpConfig config, Balancer balancer) throws IOException {
        return new UdpForwarder(Objects.requireNonNull(config), Objects.requireNonNull(balancer), new EventLoop("lb-l4-udp"), true);
    }

    /**
     * Binds the listening socket and runs on {@code loop} ({@link #close()} leaves it running).
     * @param config the configuration
     * @param balancer chooses a backend per flow
     * @param loop the event loop to run on
     * @return the running forwarder
     * @throws IOException when the address cannot be bound
     */
    public static UdpForwarder start(UdpConfig config, Balancer balancer, EventLoop loop) throws IOException {
        return new UdpForwarder(Objects.requireNonNull(config), Objects.requireNonNull(balancer), Objects.requireNonNull(loop), false);
    }

    /** {@return the address actually bound} */
    public InetSocketAddress localAddress() {
        try {
            return (InetSocketAddress) listener.getLocalAddress();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@return the balancer that picks each flow's backend} */
    public Balancer balancer() {
        return balancer;
    }

    /** {@return the number of flows open now} */
    public int flows() {
        return flowCount.get();
    }

    /** {@return the number of flows started since start} */
    public long flowsStarted() {
        return flowsStarted.get();
    }

    /** {@return the datagrams dropped: flow table full, no backend available, or a socket buffer full} */
    public long droppedDatagrams() {
        return dropped.get();
    }

    /** {@return the datagrams sent to backends since start} */
    public long datagramsToBackends() {
        return datagramsToBackends.get();
    }

    /** {@return the datagrams sent back to clients since start} */
    public long datagramsToClients() {
        return datagramsToClients.get();
    }

    /** {@return the flows ended because their backend was unreachable (ICMP port unreachable or a send error)} */
    public long backendFailures() {
        return backendFailures.get();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            loop.execute(() -> {
                if (sweep != null) {
                    sweep.cancel();
                }
                for (Flow f : new ArrayList<>(flows.values())) {
                    endFlow(f, null);
                }
                Connection.closeQuietly(listener);
                done.complete(null);
            });
            done.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            Connection.closeQuietly(listener);
        }
        if (ownsLoop) {
            loop.close();
        }
    }

    /** Datagrams from clients. */
    private void listenerReady() throws IOException {
        for (int i = 0; i < SPINS && !closed; i++) {
            buffer.clear();
            InetSocketAddress from = (InetSocketAddress) listener.receive(buffer);
            if (from == null) {
                return;
            }
            buffer.flip();
            Flow flow = flows.get(from);
            if (flow == null) {
                flow = startFlow(from);
                if (flow == null) {
                    dropped.incrementAndGet();
                    continue;
                }
            }
            flow.lastActivity = System.nanoTime();
            int size = buffer.remaining();
            try {
                if (flow.channel.write(buffer) == 0) {
                    dropped.incrementAndGet(); // the kernel's send buffer is full
                } else {
                    datagramsToBackends.incrementAndGet();
                    flow.backend.addBytesToBackend(size);
                }
            } catch (IOException e) {
                endFlow(flow, e);
            }
        }
    }

    private Flow startFlow(InetSocketAddress client) {
        if (flows.size() >= config.maxFlows()) {
            LOG.log(Level.DEBUG, "flow table full (" + config.maxFlows() + "): dropping a datagram from " + client);
            return null;
        }
        Optional<Backend> choice = balancer.choose(client.getAddress());
        if (choice.isEmpty()) {
            LOG.log(Level.WARNING, "no backend for UDP from " + client);
            return null;
        }
        Backend backend = choice.get();
        DatagramChannel ch = null;
        try {
            ch = DatagramChannel.open();
            ch.configureBlocking(false);
            ch.connect(backend.address());
            Flow flow = new Flow(client, backend, ch);
            // On the loop thread the registration happens at once, so the future is complete.
            flow.key = loop.register(ch, SelectionKey.OP_READ, k -> flowReady(flow)).join();
            backend.connectionOpened();
            flows.put(client, flow);
            flowCount.incrementAndGet();
            flowsStarted.incrementAndGet();
            return flow;
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "could not open a UDP flow to " + backend.name() + ": " + e);
            if (ch != null) {
                Connection.closeQuietly(ch);
            }
            return null;
        }
    }

    /** Replies from a backend, back to the flow's client. */
    private void flowReady(Flow flow) {
        for (int i = 0; i < SPINS && !closed; i++) {
            buffer.clear();
            int n;
            try {
                n = flow.channel.read(buffer);
            } catch (IOException e) {
                endFlow(flow, e);
                return;
            }
            if (n <= 0) {
                return;
            }
            buffer.flip();
            flow.lastActivity = System.nanoTime();
            try {
                if (listener.send(buffer, flow.client) == 0) {
                    dropped.incrementAndGet();
                } else {
                    datagramsToClients.incrementAndGet();
                    flow.backend.addBytesFromBackend(n);
                }
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "reply to " + flow.client + " failed: " + e);
            }
        }
    }

    private void endFlow(Flow flow, IOException failure) {
        if (flows.remove(flow.client) != flow) {
            return;
        }
        if (flow.key != null) {
            flow.key.cancel();
        }
        Connection.closeQuietly(flow.channel);
        flow.backend.connectionClosed();
        flowCount.decrementAndGet();
        if (failure != null) {
            LOG.log(Level.INFO, "UDP flow " + flow.client + " -> " + flow.backend.name() + " ended: "
                    + (failure instanceof PortUnreachableException ? "port unreachable" : failure.toString()));
            backendFailures.incrementAndGet();
        }
    }

    private void sweep(Duration period) {
        if (closed) {
            return;
        }
        long now = System.nanoTime();
        long idle = config.flowIdleTimeout().toNanos();
        for (Flow f : new ArrayList<>(flows.values())) {
            if (now - f.lastActivity >= idle) {
                endFlow(f, null);
            }
        }
        sweep = loop.schedule(period, () -> sweep(period));
    }
}
