package io.discagent.agent.backend.linux;

import java.nio.file.Path;

/**
 * What the scenario inside the VM guest reports, one line each on standard output (which the guest's init writes to
 * {@code out.log} in the job share): {@code CHECK name PASS|FAIL detail}, {@code OBS key value} and timestamped log
 * lines. The host test reads the lines back and asserts on them.
 */
public final class GuestTranscript {

    private int failures;

    public GuestTranscript() {
    }

    /** Seconds since the guest booted ({@code /proc/uptime}). */
    public static String uptime() {
        String uptime = Sysfs.read(Path.of("/proc/uptime"), "?");
        return uptime.split(" ")[0];
    }

    public synchronized void log(String message) {
        System.out.println("[" + uptime() + "] " + message);
        System.out.flush();
    }

    public synchronized void check(String name, boolean passed, Object detail) {
        if (!passed) {
            failures++;
        }
        System.out.println("CHECK " + name + " " + (passed ? "PASS" : "FAIL") + " " + detail);
        System.out.flush();
    }

    public synchronized void observe(String key, Object value) {
        System.out.println("OBS " + key + " " + value);
        System.out.flush();
    }

    public synchronized int failures() {
        return failures;
    }

    /** A scenario's body. */
    @FunctionalInterface
    public interface Scenario {
        void run() throws Exception;
    }

    /**
     * Runs one phase of a scenario: a phase that throws is reported ({@code PHASE name ABORTED} and its stack trace)
     * and counted as a failure, and the scenario goes on with the next phase, so that one slow or failing step does
     * not hide what the others would show.
     */
    public void phase(String name, Scenario body) {
        try {
            body.run();
        } catch (Throwable t) {
            synchronized (this) {
                failures++;
                log("PHASE " + name + " ABORTED " + t);
                t.printStackTrace(System.out);
                System.out.flush();
            }
        }
    }

    /**
     * Runs a guest scenario's main: logs {@code title} with the kernel release, runs {@code scenario}, then exits the
     * guest JVM with 0 (every check passed), 1 (a check failed) or 2 (the scenario aborted), after a {@code DONE} line.
     */
    public void runAndExit(String title, Scenario scenario) {
        int rc = 0;
        log(title + "; kernel " + Sysfs.read(Path.of("/proc/sys/kernel/osrelease"), "?"));
        try {
            scenario.run();
        } catch (Throwable t) {
            log("ABORTED " + t);
            t.printStackTrace(System.out);
            rc = 2;
        }
        log("DONE failures=" + failures());
        System.exit(rc != 0 ? rc : failures() == 0 ? 0 : 1);
    }
}
