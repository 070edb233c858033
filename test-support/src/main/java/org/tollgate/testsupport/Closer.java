package org.tollgate.testsupport;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Closes what a test opened (servers, proxies, sockets, programs) after each test, the last
 * opened first, every one of them even when one fails to close. Register it on a field:
 *
 * <pre>{@code
 * @RegisterExtension
 * final Closer closer = new Closer();
 *
 * TcpForwarder f = closer.add(TcpForwarder.start(...));
 * }</pre>
 */
public final class Closer implements AfterEachCallback, AutoCloseable {
    private final List<AutoCloseable> open = new ArrayList<>();

    /** A closer with nothing to close yet. */
    public Closer() {
    }

    /**
     * Closes {@code resource} after the test (before the ones added earlier).
     *
     * @param resource what to close
     * @param <T>      its type
     * @return {@code resource}
     */
    public synchronized <T extends AutoCloseable> T add(T resource) {
        open.add(resource);
        return resource;
    }

    /**
     * Closes everything added so far, last first; rethrows the first failure with the later ones suppressed.
     *
     * @throws Exception the first exception a close threw
     */
    @Override
    public void close() throws Exception {
        List<AutoCloseable> toClose;
        synchronized (this) {
            toClose = new ArrayList<>(open);
            open.clear();
        }
        Exception first = null;
        for (int i = toClose.size() - 1; i >= 0; i--) {
            try {
                toClose.get(i).close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /**
     * Closes everything after each test (JUnit calls it after the test's own {@code @AfterEach} methods).
     *
     * @param context the test that ended
     * @throws Exception the first exception a close threw
     */
    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        close();
    }
}
