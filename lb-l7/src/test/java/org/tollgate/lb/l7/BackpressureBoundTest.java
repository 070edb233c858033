package org.tollgate.lb.l7;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.tollgate.lb.balance.Algorithm;
import org.tollgate.testsupport.Closer;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The backpressure bound, measured: a backend streams 256 MiB to a client that first does
 * not read at all, then reads; the proxy never holds more than 64 KiB for that connection
 * (its queue towards the client plus the backend read buffer), and the heap does not grow
 * with the body.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class BackpressureBoundTest {
    private static final int BODY = 256 * 1024 * 1024;
    @RegisterExtension
    final Closer closer = new Closer();


    private static long usedHeapAfterGc() {
        Runtime r = Runtime.getRuntime();
        System.gc();
        System.gc();
        return r.totalMemory() - r.freeMemory();
    }

    @Test
    void aSlowReaderOfA256MiBBodyNeverMakesTheProxyHoldMoreThan64KiB() throws Exception {
        TestBackend a = new TestBackend("a");
        closer.add(a);
        L7Proxy p = L7Proxy.start(L7ProxyTest.config(BackendPool.of("web", Algorithm.ROUND_ROBIN, List.of(a.backend()))).build());
        closer.add(p);
        long heapBefore = usedHeapAfterGc();

        Socket client = new Socket();
        closer.add(client);
        client.setReceiveBufferSize(16 * 1024); // so the kernel holds little and the proxy feels the stall soon
        client.connect(p.localAddress(), 3000);
        client.setSoTimeout(30_000);
        client.getOutputStream().write(("GET /big?n=" + BODY + " HTTP/1.1\r\nHost: h\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        HealthCheckTest.waitFor(() -> p.connectionSet().size() == 1
                && p.connectionSet().iterator().next().peakBufferedToClient() > 0, "the response starts");
        ClientConnection c = p.connectionSet().iterator().next();

        // not reading at all: the queue fills to the bound and stays there; the backend waits
        Thread.sleep(1500); // a window in which nothing may grow, not a wait for an event
        int stalledPeak = c.peakBufferedToClient();
        assertTrue(stalledPeak <= ClientConnection.HIGH_WATER, "held " + stalledPeak + " bytes while the client read nothing");

        // now reading (8 KiB at a time) all of it, chunked framing included
        InputStream in = client.getInputStream();
        byte[] buf = new byte[8192];
        long received = 0;
        long heapMidway = -1;
        byte[] tail = new byte[5];
        while (true) {
            int n = in.read(buf);
            if (n < 0) {
                break;
            }
            received += n;
            for (int i = Math.max(0, n - 5); i < n; i++) {
                System.arraycopy(tail, 1, tail, 0, 4);
                tail[4] = buf[i];
            }
            if (heapMidway < 0 && received > BODY / 2) {
                heapMidway = usedHeapAfterGc();
            }
            if (received > BODY && new String(tail, StandardCharsets.ISO_8859_1).equals("0\r\n\r\n")) {
                break; // the last chunk
            }
        }
        assertTrue(received > BODY, "the whole body came through: " + received);
        int peak = c.peakBufferedToClient();
        assertTrue(peak <= ClientConnection.HIGH_WATER, "held at most " + peak + " bytes for the connection");
        long heapAfter = usedHeapAfterGc();
        long growth = Math.max(heapMidway, heapAfter) - heapBefore;
        assertTrue(growth < 32L * 1024 * 1024, "heap grew " + (growth >> 20) + " MiB over a 256 MiB body (before "
                + (heapBefore >> 20) + " MiB, midway " + (heapMidway >> 20) + ", after " + (heapAfter >> 20) + ")");
        System.out.println("backpressure: peak held " + peak + " bytes (bound " + ClientConnection.HIGH_WATER
                + "), stalled peak " + stalledPeak + ", heap before/midway/after " + (heapBefore >> 20) + "/"
                + (heapMidway >> 20) + "/" + (heapAfter >> 20) + " MiB, received " + received + " bytes");
    }
}
