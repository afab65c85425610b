package io.discagent.agent.backend.linux;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A program run by the guest scenario (a burning tool, an intruder), in the background if need be, optionally under
 * {@code strace}, so that what it did to the drive's nodes can be told from its own side: which opens the kernel
 * refused, and which SG_IO commands it sent. (tcm_loop carries every process's commands over one nexus, so the
 * drive's log cannot say whose a command was.)
 */
final class GuestCommand {

    /** How a finished command ended. */
    record Outcome(String label, int exit, String output, Duration took, List<String> sgIo, List<String> refusedOpens,
            List<String> opens) {

        boolean ok() {
            return exit == 0;
        }

        /** The last lines of the output, on one line. */
        String tail(int lines) {
            List<String> all = output.lines().filter(l -> !l.isBlank()).toList();
            return String.join(" | ", all.subList(Math.max(0, all.size() - lines), all.size()));
        }

        String summary() {
            return label + ": exit " + exit + " in " + took.toMillis() + " ms; SG_IO on the drive: " + sgIo.size()
                    + (sgIo.isEmpty() ? "" : " " + sgIo.subList(0, Math.min(3, sgIo.size())))
                    + "; refused opens: " + refusedOpens + "; opens: " + opens + "; " + tail(3);
        }
    }

    private final String label;
    private final Process process;
    private final Path output;
    private final Path trace;
    private final List<String> nodes;
    private final long started = System.nanoTime();

    private GuestCommand(String label, Process process, Path output, Path trace, List<String> nodes) {
        this.label = label;
        this.process = process;
        this.output = output;
        this.trace = trace;
        this.nodes = nodes;
    }

    /**
     * Starts {@code command}; with {@code nodes} (device paths) it runs under {@code strace -f} and the outcome lists
     * the opens of those nodes and the SG_IO calls made on them.
     */
    static GuestCommand start(String label, Path workDir, List<String> nodes, String... command) {
        try {
            String safe = label.replaceAll("[^A-Za-z0-9.-]", "_");
            Path output = workDir.resolve(safe + ".out");
            Path trace = workDir.resolve(safe + ".strace");
            List<String> argv = new ArrayList<>();
            if (!nodes.isEmpty()) {
                argv.addAll(List.of("strace", "-f", "-qq", "-e", "trace=open,openat,close,ioctl", "-o",
                        trace.toString()));
            }
            argv.addAll(List.of(command));
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(output.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
            return new GuestCommand(label, p, output, trace, nodes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Outcome run(String label, Path workDir, List<String> nodes, Duration limit, String... command) {
        return start(label, workDir, nodes, command).await(limit);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for the end (killing it after {@code limit}) and reads what it did. */
    Outcome await(Duration limit) {
        try {
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor();
            }
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            String out = Files.exists(output) ? Files.readString(output) : "";
            List<String> sgIo = new ArrayList<>();
            List<String> refused = new ArrayList<>();
            List<String> opens = new ArrayList<>();
            if (!nodes.isEmpty() && Files.exists(trace)) {
                readTrace(Files.readAllLines(trace), sgIo, refused, opens);
            }
            return new Outcome(label, process.exitValue(), out, took, sgIo, refused, opens);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Follows {@code fd -> node} through the opens and closes of the traced processes and threads (one descriptor
     * table is assumed: libburn opens the drive in one thread and writes from another); collects the SG_IO ioctls on
     * the drive's nodes. strace splits a call that another thread interrupted into "unfinished" and "resumed" lines.
     */
    private void readTrace(List<String> lines, List<String> sgIo, List<String> refused, List<String> opens) {
        Map<String, String> fds = new HashMap<>();
        Map<String, String> pending = new HashMap<>(); // pid -> the call whose result comes on a "resumed" line
        for (String line : lines) {
            String[] head = line.split(" ", 2);
            if (head.length < 2) {
                continue;
            }
            String pid = head[0];
            String call = head[1].trim(); // strace pads the pid column
            if (call.endsWith("<unfinished ...>")) {
                pending.put(pid, call.substring(0, call.length() - "<unfinished ...>".length()));
                continue;
            }
            if (call.startsWith("<... ")) {
                String start = pending.remove(pid);
                if (start == null) {
                    continue;
                }
                call = start + call.substring(call.indexOf("resumed>") + "resumed>".length());
            }
            int eq = call.lastIndexOf(" = ");
            String result = eq < 0 ? "" : call.substring(eq + 3).trim();
            if (call.startsWith("open(") || call.startsWith("openat(")) {
                String quoted = call;
                String node = nodes.stream().filter(n -> quoted.contains("\"" + n + "\"")).findFirst().orElse(null);
                if (node == null) {
                    continue;
                }
                String flags = call.substring(call.indexOf("\"" + node + "\"") + node.length() + 3);
                flags = flags.substring(0, Math.max(0, flags.indexOf(')')));
                if (result.startsWith("-1")) {
                    refused.add(node + " " + flags + " " + result);
                } else if (!result.isEmpty()) {
                    fds.put(result.split(" ")[0], node);
                    opens.add(node + " " + flags);
                }
            } else if (call.startsWith("close(") && call.indexOf(')') > 6) {
                fds.remove(call.substring(6, call.indexOf(')')));
            } else if (call.startsWith("ioctl(") && call.contains("SG_IO") && call.indexOf(',') > 6) {
                String node = fds.get(call.substring(6, call.indexOf(',')));
                if (node != null) {
                    sgIo.add(node + " " + call.substring(0, Math.min(call.length(), 90)) + " = " + result);
                }
            }
        }
    }

    @Override
    public String toString() {
        return label;
    }
}
