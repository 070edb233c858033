package org.tollgate.lb.l4;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import org.tollgate.lb.balance.Backend;
import org.tollgate.tls.nio.EventLoop;

/**
 * One active health check of one backend, as a {@link HealthChecker} runs it every interval.
 * The default is {@link #tcpConnect()} (the backend accepts a TCP connection); lb-l7 plugs
 * in an HTTP check ({@code GET /health} and an expected status) through the same rise and
 * fall rules.
 */
@FunctionalInterface
public interface HealthProbe {

    /** How a check ends; the probe calls exactly one of these, once, on the loop thread. */
    interface Outcome {
        /** The backend is healthy. */
        void passed();

        /**
         * The backend is not healthy, and why (a person reads it in the log).
         * @param why the reason
         */
        void failed(String why);
    }

    /**
     * Starts checking {@code backend} (called on {@code loop}'s thread). The checker bounds
     * the check by its timeout: when that expires first it closes the returned handle and
     * counts a failure, so the handle must release whatever the check holds.
     * @param backend the backend to check
     * @param loop the event loop to run the check on
     * @param outcome where to report the result, once
     * @return a handle that cancels the check and releases its resources
     * @throws IOException when the check cannot even start (counted as a failure)
     */
    AutoCloseable start(Backend backend, EventLoop loop, Outcome outcome) throws IOException;

    /**
     * The L4 check: a TCP connect that succeeds; the socket is closed as soon as it is connected.
     * @return the TCP connect probe
     */
    static HealthProbe tcpConnect() {
        return (backend, loop, outcome) -> {
            SocketChannel channel = SocketChannel.open();
            try {
                channel.configureBlocking(false);
                if (channel.connect(backend.address())) {
                    channel.close();
                    outcome.passed();
                    return channel;
                }
            } catch (IOException | RuntimeException e) {
                Connection.closeQuietly(channel);
                outcome.failed(e.toString());
                return channel;
            }
            loop.register(channel, SelectionKey.OP_CONNECT, key -> {
                try {
                    if (channel.finishConnect()) {
                        channel.close();
                        outcome.passed();
                    }
                } catch (IOException e) {
                    Connection.closeQuietly(channel);
                    outcome.failed(e.getMessage());
                }
            }).whenComplete((key, failure) -> {
                if (failure != null) {
                    Connection.closeQuietly(channel);
                    outcome.failed(failure.toString());
                }
            });
            return channel;
        };
    }
}
