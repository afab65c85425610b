package io.discagent.service;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The {@code discagent} command in a JVM of its own, as a user runs it (its child processes, signals and exit status
 * are those of a real process): {@code java -cp <test class path> io.discagent.service.cli.Main ARGS}.
 */
public final class CliProcess implements AutoCloseable {

    private final Process process;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private CliProcess(Process process) {
        this.process = process;
        copy(process.getInputStream(), out, "out");
        copy(process.getErrorStream(), err, "err");
    }

    /** Starts {@code discagent ARGS}. */
    public static CliProcess start(String... args) {
        return start(java.util.Map.of(), args);
    }

    /** Starts {@code discagent ARGS} with {@code environment} added to the test's own. */
    public static CliProcess start(java.util.Map<String, String> environment, String... args) {
        return startUnder(List.of(), environment, args);
    }

    /** Starts {@code discagent ARGS} under {@code prefix} (such as {@code ip netns exec NAME}). */
    public static CliProcess startUnder(List<String> prefix, java.util.Map<String, String> environment,
            String... args) {
        List<String> command = new ArrayList<>(prefix);
        if (Files.isExecutable(Path.of("/usr/bin/env"))) {
            // SIGINT as a user's terminal delivers it: a test run from a script's background job inherits SIGINT
            // ignored, and a JVM that starts with it ignored never sees the Ctrl-C the tests send
            command.addAll(List.of("/usr/bin/env", "--default-signal=INT"));
        }
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                "io.discagent.service.cli.Main"));
        command.addAll(List.of(args));
        try {
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().putAll(environment);
            Process process = builder.start();
            process.getOutputStream().close();
            return new CliProcess(process);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void copy(InputStream in, ByteArrayOutputStream to, String name) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[4096];
            try {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    synchronized (to) {
                        to.write(buffer, 0, n);
                    }
                }
            } catch (IOException ignored) {
                // ended
            }
        }, "cli-" + name + "-" + process.pid());
        t.setDaemon(true);
        t.start();
    }

    public long pid() {
        return process.pid();
    }

    public ProcessHandle handle() {
        return process.toHandle();
    }

    /** Its exit status, waiting at most {@code limit}. */
    public int exitStatus(Duration limit) {
        try {
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("discagent did not end within " + limit + "; stderr: " + err());
            }
            Thread.sleep(50); // the copy threads drain what is left in the pipes
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The first descendant whose command ends with {@code program}, if there is one now. */
    public Optional<ProcessHandle> descendant(String program) {
        return process.descendants().filter(p -> p.info().command().map(c -> c.endsWith("/" + program))
                .orElse(false)).findFirst();
    }

    public String out() {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    public String err() {
        synchronized (err) {
            return err.toString(StandardCharsets.UTF_8);
        }
    }

    /** Sends a signal with kill(1). */
    public void signal(String name) {
        try {
            new ProcessBuilder("kill", "-s", name, Long.toString(pid())).start().waitFor();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }
}
