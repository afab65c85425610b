package io.discagent.service.cli;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The command {@code discagent exec} runs while it holds a drive. It is started through
 * {@code setpriv --pdeathsig KILL}, so the kernel kills it the moment the thread that started it ends, however
 * {@code exec} ends (even by {@code SIGKILL}): the command can never outlive the hold it runs under. Processes the
 * command starts itself do not inherit the parent-death signal: {@code exec} watches the command's descendants while it
 * runs and kills those still running when it ends; if {@code exec} itself is killed with {@code SIGKILL}, they are
 * left running (run the tool directly, or {@code exec} it from a shell). Standard input and output are the command's
 * own; standard error passes through {@code exec}, which keeps its end to recognise a drive the command found busy.
 *
 * <p>Start it on a thread that lives until it has ended (the main thread): the kernel's parent-death signal is tied
 * to the thread that forked it, not to the process.
 */
final class ExecChild {

    /** The signal numbers of Linux (x86-64 and arm64 agree on these). */
    static final int SIGHUP = 1;
    static final int SIGINT = 2;
    static final int SIGQUIT = 3;
    static final int SIGKILL = 9;
    static final int SIGTERM = 15;

    private static final int TAIL = 64 * 1024;

    /** The C library calls this needs (JNA comes with the agent). */
    interface CLib extends Library {
        CLib INSTANCE = Native.load("c", CLib.class);

        int kill(int pid, int signal) throws LastErrorException;

        int getpgrp();

        int tcgetpgrp(int fd) throws LastErrorException;

        int open(String path, int flags) throws LastErrorException;

        int close(int fd) throws LastErrorException;
    }

    private final Process process;
    private final java.util.Set<ProcessHandle> descendants = new java.util.LinkedHashSet<>();
    private final Thread errorPump;
    private final StringBuilder errorTail = new StringBuilder();

    private ExecChild(Process process, PrintWriter err) {
        this.process = process;
        this.errorPump = new Thread(() -> pump(new InputStreamReader(process.getErrorStream(),
                StandardCharsets.UTF_8), err), "discagent-exec-stderr");
        errorPump.setDaemon(true);
        errorPump.start();
    }

    /** Whether {@code setpriv} (util-linux), which ties the command's life to {@code exec}'s, is installed. */
    static boolean canStart() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (new java.io.File(dir, "setpriv").canExecute()) {
                return true;
            }
        }
        return false;
    }

    /** Starts {@code command} with {@code environment} added to {@code exec}'s own. */
    static ExecChild start(List<String> command, Map<String, String> environment, PrintWriter err)
            throws IOException {
        List<String> line = new ArrayList<>(List.of("setpriv", "--pdeathsig", "KILL", "--"));
        line.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(line).redirectInput(ProcessBuilder.Redirect.INHERIT)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT);
        builder.environment().putAll(environment);
        return new ExecChild(builder.start(), err);
    }

    private void pump(Reader in, PrintWriter err) {
        char[] buffer = new char[8192];
        try {
            int n;
            while ((n = in.read(buffer)) > 0) {
                err.write(buffer, 0, n);
                err.flush();
                synchronized (errorTail) {
                    errorTail.append(buffer, 0, n);
                    if (errorTail.length() > TAIL) {
                        errorTail.delete(0, errorTail.length() - TAIL);
                    }
                }
            }
        } catch (IOException ignored) {
            // the command closed its standard error
        }
    }

    long pid() {
        return process.pid();
    }

    /** Waits up to {@code limit}; returns whether the command has ended. */
    boolean waitFor(Duration limit) throws InterruptedException {
        return process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** The command's exit status once it has ended: its exit code, or 128 + the signal that killed it. */
    int exitStatus() throws InterruptedException {
        int status = process.waitFor();
        errorPump.join(2000);
        return status;
    }

    /** What the command wrote to standard error (its last 64 KiB). */
    String errorOutput() {
        synchronized (errorTail) {
            return errorTail.toString();
        }
    }

    /** Sends {@code signal} to the command. */
    void signal(int signal) {
        try {
            CLib.INSTANCE.kill((int) process.pid(), signal);
        } catch (LastErrorException e) {
            // it has ended meanwhile
        }
    }

    /** SIGTERM, then SIGKILL if it is still there after {@code grace}. */
    void stop(Duration grace) throws InterruptedException {
        signal(SIGTERM);
        if (!waitFor(grace)) {
            signal(SIGKILL);
            process.waitFor();
        }
    }

    /** Notes the command's descendants now (call it while the command runs, regularly). */
    void watchDescendants() {
        process.descendants().forEach(descendants::add);
    }

    /** Kills the descendants seen while the command ran that are still running; returns how many. */
    int killLeftovers() {
        watchDescendants();
        int killed = 0;
        for (ProcessHandle leftover : descendants) {
            if (leftover.isAlive() && leftover.destroyForcibly()) {
                killed++;
            }
        }
        return killed;
    }

    /**
     * Whether {@code exec} runs in the terminal's foreground process group: then a Ctrl-C or Ctrl-\ from the
     * terminal has reached the command already (it shares the group), and forwarding it would deliver it twice.
     */
    static boolean inTerminalForeground() {
        int tty;
        try {
            tty = CLib.INSTANCE.open("/dev/tty", 0 /* O_RDONLY */ | 0400 /* O_NOCTTY */);
        } catch (LastErrorException | UnsatisfiedLinkError e) {
            return false; // no controlling terminal
        }
        try {
            return CLib.INSTANCE.tcgetpgrp(tty) == CLib.INSTANCE.getpgrp();
        } catch (LastErrorException e) {
            return false;
        } finally {
            try {
                CLib.INSTANCE.close(tty);
            } catch (LastErrorException ignored) {
                // closed either way
            }
        }
    }
}
