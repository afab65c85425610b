package io.discagent.benchmarks.peers;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the operating system counted for this whole process: context switches (the sum over every thread in
 * {@code /proc/self/task/<tid>/status}, voluntary and involuntary apart) and CPU time (user + system, all threads).
 * Threads that ended between two readings take their switches with them (the kernel folds them into nothing the
 * process can read), so the measured sections keep their threads alive.
 */
record OsCounters(long voluntary, long involuntary, long cpuNanos) {

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    static OsCounters now() {
        long voluntary = 0;
        long involuntary = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                try {
                    for (String line : Files.readAllLines(task.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:")) {
                            voluntary += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
                            involuntary += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                } catch (IOException gone) {
                    // the thread ended while we listed them
                }
            }
        } catch (IOException e) {
            return new OsCounters(-1, -1, OS.getProcessCpuTime());
        }
        return new OsCounters(voluntary, involuntary, OS.getProcessCpuTime());
    }

    /** Per operation since {@code start}: voluntary switches, involuntary switches, CPU nanoseconds. */
    double[] perOp(OsCounters start, long ops) {
        return new double[] {(voluntary - start.voluntary) / (double) ops,
                (involuntary - start.involuntary) / (double) ops, (cpuNanos - start.cpuNanos) / (double) ops};
    }
}
