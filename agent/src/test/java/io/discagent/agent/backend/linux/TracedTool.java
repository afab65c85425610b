package io.discagent.agent.backend.linux;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One run of a real program (xorriso, cdrskin, wodim, eject, ...) under {@code strace -f}, measured from the
 * program's side: its exit code and output, and what of it reached the drive, counted from the system calls that
 * succeeded: {@code SG_IO} ioctls (each one a SCSI command the kernel passed to the drive), CD-ROM ioctls that make
 * the kernel talk to the drive ({@code CDROMEJECT}, {@code CDROM_LOCKDOOR}, {@code CDROM_DRIVE_STATUS}, ...; not
 * {@code CDROM_GET_CAPABILITY}, which the kernel answers itself) and blocking opens of an {@code sr} node (the cdrom
 * layer sends TEST UNIT READY and locks the door on those). The refusals it met are the failed opens, locks and
 * ioctls on drive nodes ({@code EBUSY}, {@code EAGAIN}, {@code EACCES}, {@code EPERM}).
 *
 * @param label the name of the invocation in the matrix
 * @param command the command line
 * @param exit its exit code (124 when {@code timeout} stopped it)
 * @param output standard output and error
 * @param driveCommands the successful calls that reached the drive, by name ({@code SG_IO} = 35)
 * @param opens the successful opens of drive nodes, as {@code /dev/sr0 O_RDWR|O_NONBLOCK|O_EXCL}
 * @param refusals the failed calls on drive nodes, as {@code openat /dev/sr0 EBUSY}
 * @param took how long it ran
 */
public record TracedTool(String label, List<String> command, int exit, String output, Map<String, Integer> driveCommands,
        List<String> opens, List<String> refusals, Duration took) {

    private static final Pattern CALL = Pattern.compile("^(?:\\d+\\s+)?(\\w+)\\((.*)\\)\\s+=\\s+(-?\\d+|\\?)(?:\\s+(\\w+))?.*$");
    private static final Pattern PATH = Pattern.compile("\"(/dev/(?:sr|sg)\\d+)\"");
    private static final Pattern IOCTL_NAME = Pattern.compile("^\\d+,\\s+([^,]+?)(?:,|$)");
    /** CD-ROM ioctls the kernel answers from what it knows, without a command to the drive. */
    private static final Set<String> LOCAL_IOCTLS = Set.of("CDROM_GET_CAPABILITY", "CDROM_SET_OPTIONS",
            "CDROM_CLEAR_OPTIONS", "CDROM_DEBUG");
    /** The errnos that mean "someone else holds it" (a missing node, ENOENT, is not a refusal). */
    private static final Set<String> REFUSALS = Set.of("EBUSY", "EAGAIN", "EWOULDBLOCK", "EACCES", "EPERM");

    /** The traced command line: {@code timeout} around {@code strace -f} around {@code command}. */
    private static List<String> traced(Path trace, Duration limit, List<String> command) {
        List<String> traced = new ArrayList<>(List.of("timeout", "--signal=KILL", Long.toString(limit.toSeconds()),
                "strace", "-f", "-qq", "-e", "trace=open,openat,ioctl,flock,fcntl", "-e", "status=successful,failed",
                "-o", trace.toString()));
        traced.addAll(command);
        return traced;
    }

    /**
     * A shell command that runs {@code command} traced as {@link #run} does and leaves its trace, output and exit
     * code in {@code dir}, for a script that runs where this JVM cannot (under {@code discagent exec}); read the
     * outcome with {@link #read}.
     */
    public static String shellLine(String label, Path dir, Duration limit, List<String> command) {
        StringBuilder line = new StringBuilder();
        for (String word : traced(dir.resolve(label + ".strace"), limit, command)) {
            line.append('\'').append(word.replace("'", "'\\''")).append("' ");
        }
        return line.append("> ").append(dir.resolve(label + ".out")).append(" 2>&1 </dev/null; echo $? > ")
                .append(dir.resolve(label + ".rc")).toString();
    }

    /** The outcome of a {@link #shellLine} that ran. */
    public static TracedTool read(String label, Path dir, List<String> command) {
        try {
            Path rc = dir.resolve(label + ".rc");
            Path out = dir.resolve(label + ".out");
            Path trace = dir.resolve(label + ".strace");
            return parse(label, command, Files.exists(rc) ? Integer.parseInt(Files.readString(rc).trim()) : -1,
                    Files.exists(out) ? Files.readString(out) : "", Files.exists(trace) ? Files.readAllLines(trace)
                    : List.of(), Duration.ZERO);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs {@code command} under strace (bounded by {@code limit}), writing the trace and output beside {@code dir}. */
    public static TracedTool run(String label, Path dir, Duration limit, String... command) {
        try {
            Files.createDirectories(dir);
            Path trace = dir.resolve(label + ".strace");
            Path out = dir.resolve(label + ".out");
            List<String> traced = traced(trace, limit, List.of(command));

            long started = System.nanoTime();
            Process p = new ProcessBuilder(traced).redirectErrorStream(true).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
            if (!p.waitFor(limit.toSeconds() + 10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            int exit = p.waitFor();
            String output = Files.exists(out) ? Files.readString(out, StandardCharsets.UTF_8) : "";
            List<String> lines = Files.exists(trace) ? Files.readAllLines(trace, StandardCharsets.UTF_8) : List.of();
            return parse(label, List.of(command), exit, output, lines, took);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Reads a trace (one call per line, as {@code strace -f -e status=...} writes it once the call returned). */
    public static TracedTool parse(String label, List<String> command, int exit, String output, List<String> trace,
            Duration took) {
        Map<String, Integer> drive = new LinkedHashMap<>();
        List<String> opens = new ArrayList<>();
        List<String> refusals = new ArrayList<>();
        Map<String, String> fdPaths = new LinkedHashMap<>();
        for (String line : trace) {
            Matcher m = CALL.matcher(line.trim());
            if (!m.matches()) {
                continue;
            }
            String call = m.group(1);
            String args = m.group(2);
            boolean ok = !m.group(3).startsWith("-");
            String errno = m.group(4);
            String pid = line.trim().split("\\s+")[0];
            if (call.equals("open") || call.equals("openat")) {
                Matcher path = PATH.matcher(args);
                if (!path.find()) {
                    continue;
                }
                String flags = args.substring(path.end()).replaceFirst("^,\\s*", "").split(",")[0].trim();
                if (ok) {
                    opens.add(path.group(1) + " " + flags);
                    fdPaths.put(pid + ":" + m.group(3), path.group(1));
                    if (path.group(1).startsWith("/dev/sr") && !flags.contains("O_NONBLOCK")) {
                        drive.merge("blocking open of " + path.group(1), 1, Integer::sum);
                    }
                } else if (REFUSALS.contains(errno)) {
                    refusals.add(call + " " + path.group(1) + " " + errno);
                }
            } else if (call.equals("ioctl")) {
                Matcher name = IOCTL_NAME.matcher(args);
                if (!name.find()) {
                    continue;
                }
                String request = name.group(1).trim();
                if (ok && reachesTheDrive(request)) {
                    drive.merge(request, 1, Integer::sum);
                } else if (!ok && REFUSALS.contains(errno) && (request.equals("SG_IO")
                        || request.startsWith("CDROM"))) {
                    refusals.add("ioctl " + request + " " + errno);
                }
            } else if (!ok && (call.equals("flock") || call.equals("fcntl")) && (args.contains("LOCK_")
                    || args.contains("F_SETLK"))) {
                String fd = args.split(",")[0].trim();
                String path = fdPaths.getOrDefault(pid + ":" + fd, "fd " + fd);
                if (path.startsWith("/dev/") && REFUSALS.contains(errno)) {
                    refusals.add(call + " " + path + " " + errno);
                }
            }
        }
        return new TracedTool(label, command, exit, output, drive, opens, refusals, took);
    }

    private static boolean reachesTheDrive(String request) {
        if (request.equals("SG_IO") || request.equals("SCSI_IOCTL_SEND_COMMAND")) {
            return true;
        }
        return request.startsWith("CDROM") && !request.contains(" or ") && !LOCAL_IOCTLS.contains(request);
    }

    /** How many calls reached the drive. */
    public int commandsReachingTheDrive() {
        return driveCommands.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Whether it failed, met a refusal on a drive node or said it found the drive busy, and reached nothing. */
    public boolean refusedWithoutReachingTheDrive() {
        return exit != 0 && commandsReachingTheDrive() == 0 && (!refusals.isEmpty() || saysBusy());
    }

    /** Whether its output says the drive is busy, in any of the tools' words. */
    public boolean saysBusy() {
        String text = output.toLowerCase(java.util.Locale.ROOT);
        return text.contains("busy") || text.contains("cannot open") || text.contains("could not grab");
    }

    /** The last line of its output that says something. */
    public String lastWords() {
        String[] lines = output.strip().split("\n");
        String last = lines.length == 0 ? "" : lines[lines.length - 1].strip();
        return last.length() > 160 ? last.substring(0, 160) + "..." : last;
    }

    /** One line for the transcript. */
    public String summary() {
        return "rc=" + exit + " reached=" + commandsReachingTheDrive() + " " + driveCommands + " opens=" + opens
                + " refusals=" + refusals + " took=" + took.toMillis() + "ms last: " + lastWords();
    }
}
