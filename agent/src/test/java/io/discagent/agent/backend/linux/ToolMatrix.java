package io.discagent.agent.backend.linux;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The real burning tools against the drive, inside the VM guest: every invocation that asks for exclusive access, on
 * the block node and on the SCSI generic node, first while nobody holds the drive (the positive control: it works
 * and reaches the drive), then while the agent holds it (it must be refused with nothing of its own reaching the
 * drive); and the non-exclusive invocations, which get through any claim, measured while held. Each run is traced
 * ({@link TracedTool}). Results are {@code CHECK tool.<label>.*} lines and one {@code OBS matrix.<label>} line each.
 */
final class ToolMatrix {

    /** What to do after an invocation that worked, so that the next one finds the drive as before. */
    enum After { NOTHING, UNMOUNT, CLOSE_TRAY }

    /**
     * One invocation.
     *
     * @param label its name in the matrix and in the checks
     * @param path the node it addresses ({@code /dev/sr0}, {@code /dev/sg0}, or a bus address)
     * @param countsCommands whether it talks to the drive from user space (mount does it in the kernel)
     * @param after the clean-up after it worked
     * @param command the command line
     */
    record Invocation(String label, String path, boolean countsCommands, After after, String... command) {
    }

    static final String MOUNT_POINT = "/tmp/tools-mnt";

    /** The invocations that ask for exclusive access: refused while the agent holds the drive. */
    static final List<Invocation> EXCLUSIVE = List.of(
            new Invocation("xorriso.sr", "/dev/sr0", true, After.NOTHING, "xorriso", "-outdev", "/dev/sr0", "-toc"),
            new Invocation("xorriso.sr-as-sg", "/dev/sr0 (sg family)", true, After.NOTHING,
                    "xorriso", "-scsi_dev_family", "sg", "-outdev", "/dev/sr0", "-toc"),
            new Invocation("xorriso.sg", "/dev/sg0", true, After.NOTHING,
                    "xorriso", "-scsi_dev_family", "sg", "-outdev", "/dev/sg0", "-toc"),
            new Invocation("cdrskin.sr", "/dev/sr0", true, After.NOTHING, "cdrskin", "dev=/dev/sr0", "-toc"),
            new Invocation("cdrskin.sr.not-o-excl", "/dev/sr0", true, After.NOTHING,
                    "cdrskin", "--drive_not_o_excl", "dev=/dev/sr0", "-toc"),
            new Invocation("cdrskin.sg", "/dev/sg0", true, After.NOTHING, "cdrskin", "dev=/dev/sg0", "-toc"),
            new Invocation("cdrskin.sg.not-exclusive", "/dev/sg0", true, After.NOTHING,
                    "cdrskin", "--drive_not_exclusive", "dev=/dev/sg0", "-toc"),
            new Invocation("wodim.sr", "/dev/sr0", true, After.NOTHING, "wodim", "dev=/dev/sr0", "-toc"),
            new Invocation("wodim.sg", "/dev/sg0", true, After.NOTHING, "wodim", "dev=/dev/sg0", "-toc"),
            new Invocation("wodim.bus-address", "0,0,0 (= /dev/sg0)", true, After.NOTHING,
                    "wodim", "dev=0,0,0", "-toc"),
            new Invocation("wodim.scanbus", "every /dev/sg*", true, After.NOTHING, "wodim", "-scanbus"),
            new Invocation("sg_inq.sg", "/dev/sg0", true, After.NOTHING, "sg_inq", "/dev/sg0"),
            new Invocation("sg_prevent-allow.sg", "/dev/sg0", true, After.NOTHING, "sg_prevent", "--allow",
                    "/dev/sg0"),
            new Invocation("mount.sr", "/dev/sr0", false, After.UNMOUNT,
                    "mount", "-t", "iso9660", "-o", "ro", "/dev/sr0", MOUNT_POINT),
            new Invocation("eject.sr", "/dev/sr0", true, After.CLOSE_TRAY, "eject", "/dev/sr0"),
            new Invocation("wodim-eject.sg", "/dev/sg0", true, After.CLOSE_TRAY, "wodim", "dev=/dev/sg0", "-eject"));

    /** Non-exclusive invocations: no claim on Linux stops them; measured while the agent holds the drive. */
    static List<Invocation> nonExclusive(Path disc) {
        return List.of(
                new Invocation("xorriso.sr.shared", "/dev/sr0", true, After.NOTHING,
                        "xorriso", "-drive_access", "shared:unrestricted", "-outdev", "/dev/sr0", "-toc"),
                new Invocation("cdrskin.sr.not-exclusive", "/dev/sr0", true, After.NOTHING,
                        "cdrskin", "--drive_not_exclusive", "dev=/dev/sr0", "-toc"),
                new Invocation("growisofs.sr", "/dev/sr0", true, After.NOTHING,
                        "growisofs", "-dry-run", "-Z", "/dev/sr0=" + disc),
                new Invocation("sg_inq.sr", "/dev/sr0", true, After.NOTHING, "sg_inq", "/dev/sr0"),
                new Invocation("dd.sr", "/dev/sr0", false, After.NOTHING,
                        "dd", "if=/dev/sr0", "of=/dev/null", "bs=2048", "count=16"));
    }

    private static final Duration LIMIT = Duration.ofSeconds(60);

    private final GuestTranscript out;
    private final Path traces;
    private final Map<String, TracedTool> free = new LinkedHashMap<>();
    private final Map<String, TracedTool> held = new LinkedHashMap<>();

    ToolMatrix(GuestTranscript out, Path traces) {
        this.out = out;
        this.traces = traces;
    }

    /** Which of the tools are installed; the matrix needs all of them. */
    static List<String> missingTools() {
        List<String> missing = new ArrayList<>();
        for (String tool : List.of("strace", "xorriso", "cdrskin", "wodim", "growisofs", "eject", "sg_inq",
                "sg_prevent", "sg_turs", "dd", "timeout")) {
            if (!Shell.exists(tool)) {
                missing.add(tool);
            }
        }
        return missing;
    }

    /** The positive controls, one after the other (they use the drive), while nobody holds it. */
    void runWhileFree() {
        Shell.run("mkdir", "-p", MOUNT_POINT);
        for (Invocation invocation : EXCLUSIVE) {
            TracedTool run = TracedTool.run(invocation.label() + ".free", traces, LIMIT, invocation.command());
            free.put(invocation.label(), run);
            boolean works = run.exit() == 0 && (!invocation.countsCommands() || run.commandsReachingTheDrive() > 0);
            out.check("tool." + invocation.label() + ".works-when-free", works, run.summary());
            cleanUp(invocation.after());
        }
    }

    /** The same invocations while the agent holds the drive, all at once (each one waits in its own retries). */
    void runWhileHeld() {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            Map<String, Future<TracedTool>> running = new LinkedHashMap<>();
            for (Invocation invocation : EXCLUSIVE) {
                running.put(invocation.label(), pool.submit(() -> TracedTool.run(invocation.label() + ".held",
                        traces, LIMIT, invocation.command())));
            }
            for (Invocation invocation : EXCLUSIVE) {
                TracedTool run = running.get(invocation.label()).get();
                held.put(invocation.label(), run);
                out.check("tool." + invocation.label() + ".refused-while-held", run.refusedWithoutReachingTheDrive(),
                        run.summary());
                cleanUp(run.exit() == 0 ? invocation.after() : After.NOTHING);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** The non-exclusive invocations while the agent holds the drive: they get through (and are measured). */
    void runNonExclusiveWhileHeld(Path disc) {
        for (Invocation invocation : nonExclusive(disc)) {
            TracedTool run = TracedTool.run(invocation.label() + ".held", traces, LIMIT, invocation.command());
            held.put(invocation.label(), run);
            boolean through = invocation.label().equals("growisofs.sr")
                    // growisofs talks to the drive through a plain descriptor, then stops: the disc is no DVD
                    ? run.commandsReachingTheDrive() > 0 && run.output().contains("not recognized as recordable")
                    : run.exit() == 0;
            out.check("tool." + invocation.label() + ".gets-through-while-held", through, run.summary());
            out.observe("matrix." + invocation.label(), row(invocation, run, null));
        }
    }

    /** One {@code OBS matrix.<label>} line per exclusive invocation, for the documentation. */
    void report() {
        for (Invocation invocation : EXCLUSIVE) {
            out.observe("matrix." + invocation.label(), row(invocation, held.get(invocation.label()),
                    free.get(invocation.label())));
        }
    }

    private static String row(Invocation invocation, TracedTool whileHeld, TracedTool whileFree) {
        String refused = whileHeld.refusedWithoutReachingTheDrive() ? "refused" : "NOT refused";
        return "| `" + String.join(" ", invocation.command()) + "` | " + invocation.path() + " | " + refused + " (rc "
                + whileHeld.exit() + ", " + String.join(", ", whileHeld.refusals().stream().distinct().toList())
                + ") | " + whileHeld.commandsReachingTheDrive() + " " + whileHeld.driveCommands() + " | "
                + (whileFree == null ? "-" : whileFree.commandsReachingTheDrive() + " (rc " + whileFree.exit() + ")")
                + " |";
    }

    private static void cleanUp(After after) {
        switch (after) {
            case UNMOUNT -> Shell.run("umount", MOUNT_POINT);
            case CLOSE_TRAY -> {
                Shell.run("eject", "-t", "/dev/sr0");
                Shell.await(Duration.ofSeconds(15), () -> Shell.run("sg_turs", "/dev/sr0").exit() == 0);
            }
            case NOTHING -> {
            }
        }
    }
}
