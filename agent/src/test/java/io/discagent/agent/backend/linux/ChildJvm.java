package io.discagent.agent.backend.linux;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Another process for a test: a JVM running {@link ForeignHolder} on the test class path. It prints {@code READY}
 * once it holds what it was asked to hold, and holds it until it is killed or its standard input closes.
 */
final class ChildJvm implements AutoCloseable {

    private final Process process;
    private final Arrivals<String> lines = new Arrivals<>();

    private ChildJvm(Process process) {
        this.process = process;
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "child-jvm-reader-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code ForeignHolder args} and waits (at most 90 s: a JVM starting an agent under TCG emulation on a busy
     * machine has been seen to need more than 30) until it says {@code READY}.
     */
    static ChildJvm hold(String... args) {
        List<String> command = new ArrayList<>(List.of(java(), "-cp", System.getProperty("java.class.path"),
                ForeignHolder.class.getName()));
        command.addAll(List.of(args));
        return start(command);
    }

    /** Starts a prepared command line and waits for {@code READY}. */
    static ChildJvm start(List<String> command) {
        try {
            ChildJvm child = new ChildJvm(new ProcessBuilder(command).redirectErrorStream(true).start());
            child.awaitLine("READY", Duration.ofSeconds(90));
            return child;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Waits for a line starting with {@code prefix}; returns it. */
    String awaitLine(String prefix, Duration limit) {
        String line = lines.next(l -> l.startsWith(prefix), limit);
        if (line == null) {
            process.destroyForcibly();
            throw new AssertionError("the child process did not print '" + prefix + "' within " + limit
                    + "; it printed: " + lines.seen());
        }
        return line;
    }

    long pid() {
        return process.pid();
    }

    /** {@code comm (pid N)}, as the backend names a foreign holder. */
    String ownerName() {
        return "java (pid " + pid() + ")";
    }

    /** Sends SIGKILL and waits for the process to be gone. */
    void kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new AssertionError("child " + pid() + " survived SIGKILL for 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
    }
}
