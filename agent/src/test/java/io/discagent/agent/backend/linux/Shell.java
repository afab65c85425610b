package io.discagent.agent.backend.linux;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs system commands (losetup, mount, mkfs, flock) for the tests, with a time limit. */
final class Shell {

    /** What a command did. */
    record Result(int exit, String output) {
        Result requireSuccess(List<String> command) {
            if (exit != 0) {
                throw new IllegalStateException(command + " exited " + exit + ": " + output);
            }
            return this;
        }
    }

    private Shell() {
    }

    /** Runs a command to its end (at most 60 s), stderr merged into the output. */
    static Result run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(List.of(command) + " did not finish within 60 s");
            }
            return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                    .trim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs a command that must succeed; returns its output. */
    static String ok(String... command) {
        return run(command).requireSuccess(List.of(command)).output();
    }

    /** Whether a command exists on the PATH. */
    static boolean exists(String command) {
        return run("sh", "-c", "command -v " + command).exit() == 0;
    }

    /** Polls {@code condition} every 10 ms until it holds or {@code limit} passes; returns whether it held. */
    static boolean await(Duration limit, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            try {
                TimeUnit.MILLISECONDS.sleep(10); // polling a kernel or process condition, bounded by the limit
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return condition.getAsBoolean();
    }
}
