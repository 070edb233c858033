package org.tollgate.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * CPU time of the calling thread. The machines these benchmarks run on are shared, so wall
 * time mixes in other processes' work; the benchmark thread's own CPU time does not (JIT
 * and GC threads are left out too, which is why allocation is reported beside it).
 */
final class CpuClock {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    static {
        if (!THREADS.isCurrentThreadCpuTimeSupported()) {
            throw new IllegalStateException("this JVM cannot measure thread CPU time");
        }
        THREADS.setThreadCpuTimeEnabled(true);
    }

    private CpuClock() {
    }

    /** Nanoseconds of CPU the current thread has used. */
    static long now() {
        return THREADS.getCurrentThreadCpuTime();
    }
}
