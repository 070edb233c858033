package org.tollgate.tls.server;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.tollgate.tls.explain.HandshakeExplainer;

/**
 * {@code --explain} for one connection: its own {@link HandshakeExplainer} writes into a
 * buffer, and the whole explanation is printed as one block when the connection ends, so
 * concurrent connections never interleave their lines. It also tells step 6: the application
 * data the connection received and sent, and our close_notify. Consecutive chunks in one
 * direction are told as one (a request that came in two reads, a response written in several
 * calls), in the order they happened. Used on the connection's event loop thread only.
 */
final class ExplainReport {
    /** As tls-client: the first bytes of each direction are kept for the first line. */
    private static final int EXCERPT = 256;
    /**
     * A long-lived connection (keep-alive) is printed in parts of about this size, so its
     * buffer stays bounded; a handshake's explanation is about 20 KB.
     */
    private static final int MAX_BUFFERED = 256 * 1024;

    private final PrintStream target;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private final HandshakeExplainer explainer;
    private final Tally received = new Tally();
    private final Tally sent = new Tally();
    private boolean finished;

    /**
     * @param connection the connection's number, shown in its heading ("server side: connection 7")
     * @param target where the blocks go; shared by all connections
     */
    ExplainReport(long connection, PrintStream target) {
        this.target = target;
        this.explainer = new HandshakeExplainer(new PrintStream(buffer, false, StandardCharsets.UTF_8), null,
                connection);
    }

    /** {@return this connection's explainer, to wire into its TLS configuration} */
    HandshakeExplainer explainer() {
        return explainer;
    }

    /** The client's bytes from {@code from} (inclusive) to {@code to} (exclusive) of {@code buffer}. */
    void received(ByteBuffer buffer, int from, int to) {
        sent.tell(true);
        received.add(buffer, from, to);
    }

    /** We are about to send {@code data}'s remaining bytes. */
    void sending(ByteBuffer data) {
        received.tell(false);
        sent.add(data, data.position(), data.limit());
    }

    /** The handler returned: what it sent in answer is told now, before a close_notify that may follow. */
    void delivered() {
        sent.tell(true);
        if (buffer.size() > MAX_BUFFERED) {
            print();
        }
    }

    /** We send close_notify: tells what is still untold, then the close. */
    void closing() {
        received.tell(false);
        sent.tell(true);
        explainer.closed();
    }

    /** The connection has ended (closed, failed or timed out): prints its explanation as one block. */
    void finish() {
        if (finished) {
            return;
        }
        finished = true;
        explainer.finish();
        print();
    }

    /** Prints what is buffered in one call, which PrintStream makes atomic, and empties the buffer. */
    private void print() {
        if (buffer.size() > 0) {
            target.print(buffer.toString(StandardCharsets.UTF_8));
            target.flush();
            buffer.reset();
        }
    }

    private final class Tally {
        private final byte[] start = new byte[EXCERPT];
        private long count;

        void add(ByteBuffer buffer, int from, int to) {
            int n = to - from;
            if (count < EXCERPT) {
                buffer.duplicate().position(from).get(start, (int) count, (int) Math.min(n, EXCERPT - count));
            }
            count += n;
        }

        void tell(boolean outbound) {
            if (count > 0) {
                explainer.applicationData(outbound, Arrays.copyOf(start, (int) Math.min(count, EXCERPT)), count);
                count = 0;
            }
        }
    }
}
