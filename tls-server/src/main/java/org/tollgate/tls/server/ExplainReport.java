package org.tollgate.tls.server;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.tollgate.tls.explain.HandshakeExplainer;

/**
 * Step 6 of {@code --explain} for one connection: the application data it received and sent,
 * and our close_notify. Consecutive chunks in one direction are told as one (a request that
 * came in two reads, a response written in several calls), in the order they happened.
 * Used on the connection's event loop thread only.
 */
final class ExplainReport {
    /** As tls-client: the first bytes of each direction are kept for the first line. */
    private static final int EXCERPT = 256;

    private final HandshakeExplainer explainer;
    private final Tally received = new Tally();
    private final Tally sent = new Tally();

    ExplainReport(HandshakeExplainer explainer) {
        this.explainer = explainer;
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
    }

    /** We send close_notify: tells what is still untold, then the close. */
    void closing() {
        received.tell(false);
        sent.tell(true);
        explainer.closed();
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
