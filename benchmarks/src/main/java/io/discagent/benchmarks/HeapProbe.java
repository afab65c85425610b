package io.discagent.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * Heap in use after forced full collections: what is still reachable, nothing else. Calls {@link System#gc()} (a
 * full, stop-the-world collection on G1 unless {@code -XX:+DisableExplicitGC}) until the figure stops dropping.
 */
final class HeapProbe {

    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private HeapProbe() {
    }

    /** Bytes of heap in use after collecting until two collections in a row free less than 64 KiB. */
    static long retainedBytes() {
        long previous = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            System.gc();
            long used = MEMORY.getHeapMemoryUsage().getUsed();
            if (previous - used < 64 * 1024) {
                return Math.min(previous, used);
            }
            previous = used;
        }
        return previous;
    }
}
