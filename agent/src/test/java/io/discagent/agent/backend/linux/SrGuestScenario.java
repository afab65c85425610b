package io.discagent.agent.backend.linux;

import io.discagent.agent.AgentOptions;
import io.discagent.agent.backend.linux.jna.DeviceFd;
import io.discagent.agent.backend.linux.jna.Linux;
import io.discagent.agent.backend.linux.jna.NativeCallException;
import io.discagent.agent.backend.linux.jna.SgIoResult;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.LockState;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
import io.discagent.api.error.HResult;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.event.EjectRequestedEvent;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.MediaChangedEvent;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import io.discagent.api.event.RecorderArrivedEvent;
import io.discagent.api.event.RecorderEvent;
import io.discagent.api.event.RecorderRemovedEvent;
import io.discagent.api.event.TrayUnlockedEvent;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import reactor.core.publisher.Flux;

/**
 * Runs inside the QEMU guest, against the real {@code sr} driver: an agent on the Linux backend holds
 * {@code /dev/sr0} (and its SCSI generic node {@code /dev/sg0}) while the real burning tools try to get at the drive
 * ({@link ToolMatrix}), other processes unlock or open its tray, and the host (through {@link HostSteps}) ejects,
 * changes media, unplugs and replugs the drive. Every outcome is reported through {@link GuestTranscript};
 * {@link SrDriveVmTests} asserts on it.
 */
public final class SrGuestScenario {

    static final RecorderId SR0 = RecorderId.of("sr0");
    private static final Duration BLOCK = LinuxAgentFixture.BLOCK;
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final byte[] START_STOP_UNIT_EJECT = {0x1b, 0, 0, 0, 0x02, 0};
    private static final long CDROMEJECT = 0x5309;

    /** The agent's media poll interval in the guest: the tray watch runs on each poll of a held drive. */
    static final Duration POLL = Duration.ofMillis(500);

    private final LinuxAgentFixture fixture;
    private final GuestTranscript out;
    private final HostSteps host;
    private final Path traces;
    private final Path disc;
    private ClientSession a;
    private RecorderId replugged = SR0;

    private SrGuestScenario(LinuxAgentFixture fixture, GuestTranscript out, HostSteps host, Path traces, Path disc) {
        this.fixture = fixture;
        this.out = out;
        this.host = host;
        this.traces = traces;
        this.disc = disc;
    }

    /** {@code args}: the job share, the directory of the disc images. */
    public static void main(String[] args) {
        GuestTranscript out = new GuestTranscript();
        HostSteps host = new HostSteps(Path.of(args[0]), out);
        Path traces = Path.of(args[0], "traces");
        Path disc = Path.of(args[1], "disc2.iso");
        out.runAndExit("scenario starts", () -> {
            try (LinuxAgentFixture fixture = LinuxAgentFixture.start(AgentOptions.builder()
                    .backend("linux")
                    .backendProperty("linux.kernelEventPollMillis", "500")
                    .mediaPollInterval(POLL)
                    .commandTimeout(Duration.ofSeconds(20))
                    .build(), event -> out.log("EVENT " + event))) {
                out.log("agent started");
                new SrGuestScenario(fixture, out, host, traces, disc).run();
            }
        });
    }

    private void run() {
        discovery();
        a = fixture.session("Burner A");
        kernelHolder();
        genericNode();
        toolHolders();
        outsideHolder();
        tools();
        trayWatch();
        trayLock();
        media();
        unplugWhileHeld();
        replug();
        crashRelease();
    }

    private void discovery() {
        List<RecorderInfo> recorders = fixture.agent.recorders().block(BLOCK);
        RecorderInfo sr0 = recorders.stream().filter(r -> r.id().equals(SR0)).findFirst().orElse(null);
        out.check("discovery.sr0", sr0 != null && sr0.vendor().equals("QEMU") && sr0.product().startsWith("QEMU CD-ROM")
                && sr0.paths().equals(List.of("/dev/sr0", "/dev/sg0")), recorders);
        String polling = Sysfs.read(Path.of("/sys/block/sr0/events_poll_msecs"));
        out.check("discovery.kernel-media-polling", "500".equals(polling), "events_poll_msecs=" + polling);
    }

    /** A device-mapper target stacked on the drive claims it in the kernel; the owner names it. */
    private void kernelHolder() {
        if (!Shell.exists("dmsetup")) {
            out.observe("owner.kernel-holder", "skipped: dmsetup is not installed");
            return;
        }
        String sectors = Sysfs.read(Path.of("/sys/block/sr0/size"), "0");
        Shell.Result created = Shell.run("env", "DM_DISABLE_UDEV=1", "dmsetup", "create", "--readonly", "--noudevsync",
                "discagent-holder", "--table", "0 " + sectors + " linear /dev/sr0 0");
        if (created.exit() != 0) {
            out.check("owner.kernel-holder", false, "dmsetup create failed: " + created.output());
            return;
        }
        try {
            a.acquire(SR0).block(BLOCK);
            out.check("owner.kernel-holder", false, "the acquire succeeded under a device-mapper target");
            a.release(SR0).block(BLOCK);
        } catch (RecorderLockedException e) {
            String owner = fixture.agent.exclusiveAccessOwner(SR0).block(BLOCK);
            out.check("owner.kernel-holder", e.owner().orElse("").startsWith("used by the kernel (dm-")
                    && e.owner().equals(java.util.Optional.ofNullable(owner)), e.getMessage() + "; owner query: "
                    + owner);
        } finally {
            Shell.run("env", "DM_DISABLE_UDEV=1", "dmsetup", "remove", "--noudevsync", "discagent-holder");
        }
        out.check("owner.kernel-holder-gone", a.acquire(SR0).block(BLOCK).lockCount() == 1
                && a.release(SR0).block(BLOCK) == 0, "acquired and released after dmsetup remove");
    }

    /** The claim holds the drive's SCSI generic node too: nobody else can open it. */
    private void genericNode() {
        LockGrant grant = a.acquire(SR0).block(BLOCK);
        out.check("generic.acquire", grant.lockCount() == 1 && grant.devicePaths().equals(List.of("/dev/sr0",
                "/dev/sg0")), grant);
        for (int flags : new int[] {Linux.O_RDWR | Linux.O_NONBLOCK, Linux.O_RDONLY | Linux.O_NONBLOCK,
                Linux.O_RDWR | Linux.O_NONBLOCK | Linux.O_EXCL}) {
            String name = "generic.open-refused-" + Integer.toHexString(flags);
            try {
                DeviceFd opened = DeviceFd.open("/dev/sg0", flags);
                opened.close(); // (this drops the agent's POSIX lock on sg0: the check has failed anyway)
                out.check(name, false, "opened /dev/sg0 while held");
            } catch (NativeCallException e) {
                out.check(name, e.errno() == Linux.EBUSY, e.getMessage());
            }
        }
        String locks = Sysfs.read(Path.of("/proc/locks"), "");
        String sgKey = lockKey(Path.of("/dev/sg0"));
        long self = ProcessHandle.current().pid();
        out.check("generic.posix-lock", locks.lines().anyMatch(l -> l.contains("POSIX") && l.contains(" " + self + " ")
                && l.contains(" " + sgKey + " ")), "sg0 is " + sgKey + "; /proc/locks: " + locks.replace('\n', ';'));
        out.check("generic.release", a.release(SR0).block(BLOCK) == 0, "released");
        try {
            DeviceFd.open("/dev/sg0", Linux.O_RDWR | Linux.O_NONBLOCK | Linux.O_EXCL).close();
            out.check("generic.free-after-release", true, "an O_EXCL open of /dev/sg0 works again");
        } catch (NativeCallException e) {
            out.check("generic.free-after-release", false, e.getMessage());
        }
    }

    /** A tool that holds the drive (on sr or on sg) makes the acquire fail, naming it and its pid. */
    private void toolHolders() {
        toolHolder("holder.xorriso-on-sr", Path.of("/dev/sr0"), "xorriso", "-outdev", "/dev/sr0", "-dialog", "on");
        toolHolder("holder.xorriso-on-sg", Path.of("/dev/sg0"), "xorriso", "-scsi_dev_family", "sg", "-outdev",
                "/dev/sg0", "-dialog", "on");
    }

    private void toolHolder(String check, Path node, String... command) {
        Process tool;
        try {
            tool = startDialog(check, command);
        } catch (IOException e) {
            out.check(check, false, "cannot start " + List.of(command) + ": " + e);
            return;
        }
        try {
            boolean holding = holds(check);
            String expected = "xorriso (pid " + tool.pid() + ")";
            try {
                a.acquire(SR0).block(BLOCK);
                a.release(SR0).block(BLOCK);
                out.check(check, false, "acquired while " + expected + " held " + node + " (holding: " + holding
                        + ")");
            } catch (RecorderLockedException e) {
                LockState state = fixture.agent.recorder(SR0).block(BLOCK).lockState();
                out.check(check + ".external", state.isExternal() && state.owner().contains(expected), state);
                String owner = fixture.agent.exclusiveAccessOwner(SR0).block(BLOCK);
                out.check(check, e.hresult().equals(HResult.E_IMAPI_RECORDER_LOCKED)
                        && e.owner().orElse("").contains(expected) && owner != null && owner.contains(expected),
                        e.getMessage() + "; owner query: " + owner);
            }
            if (node.toString().equals("/dev/sg0")) {
                // the acquire failed at the generic node, after claiming sr0: it must have let go of sr0
                try {
                    DeviceFd.open("/dev/sr0", Linux.O_RDONLY | Linux.O_NONBLOCK | Linux.O_EXCL).close();
                    out.check(check + ".nothing-held", true, "/dev/sr0 can be claimed while the tool holds sg0");
                } catch (NativeCallException e) {
                    out.check(check + ".nothing-held", false, e.getMessage());
                }
            }
        } finally {
            endDialog(tool);
        }
        boolean acquired = a.acquire(SR0).block(BLOCK).lockCount() == 1;
        out.check(check + ".gone", acquired && a.release(SR0).block(BLOCK) == 0, "acquired and released after the "
                + "tool ended");
    }

    /**
     * A tool that takes the drive while nobody acquires it appears in the lock state by the agent's own owner refresh
     * (the fixture watches every event, so the agent asks every 2 s), and goes from it when the tool ends.
     */
    private void outsideHolder() {
        fixture.drain();
        Process tool;
        try {
            tool = startDialog("outside", "xorriso", "-outdev", "/dev/sr0", "-dialog", "on");
        } catch (IOException e) {
            out.check("outside.appeared", false, "cannot start xorriso: " + e);
            return;
        }
        String expected = "xorriso (pid " + tool.pid() + ")";
        try {
            boolean holding = holds("outside");
            long held = System.nanoTime();
            LockTransition appeared = fixture.awaitEvent(LockTransition.class, t -> t.recorder().equals(SR0)
                    && t.cause() == LockTransition.Cause.EXTERNAL_ACQUIRED, WAIT);
            long seenMillis = (System.nanoTime() - held) / 1_000_000;
            out.check("outside.appeared", holding && appeared.to().isExternal()
                    && appeared.to().owner().contains(expected) && seenMillis <= 5000,
                    appeared + " " + seenMillis + " ms after the tool held the drive");
            out.observe("outside.seen-after-ms", seenMillis);
            LockState listed = fixture.agent.recorder(SR0).block(BLOCK).lockState();
            out.check("outside.listed", listed.isExternal() && listed.owner().contains(expected), listed);
        } catch (AssertionError e) {
            out.check("outside.appeared", false, e.getMessage());
        } finally {
            endDialog(tool);
        }
        try {
            LockTransition went = fixture.awaitEvent(LockTransition.class, t -> t.recorder().equals(SR0)
                    && t.cause() == LockTransition.Cause.EXTERNAL_RELEASED, WAIT);
            out.check("outside.went", went.to().isFree() && went.from().owner().contains(expected), went);
        } catch (AssertionError e) {
            out.check("outside.went", false, e.getMessage());
        }
    }

    /**
     * Starts a tool in a dialog (xorriso {@code -dialog on}): it keeps the drive while its input stays open. Its output
     * goes to {@code traces/NAME.out}.
     */
    private Process startDialog(String name, String... command) throws IOException {
        java.nio.file.Files.createDirectories(traces);
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(traces.resolve(name + ".out").toFile()).start();
    }

    /** Whether the tool {@link #startDialog started} as {@code name} reports the drive it holds, within 30 s. */
    private boolean holds(String name) {
        return Shell.await(Duration.ofSeconds(30), () -> Sysfs.read(traces.resolve(name + ".out"), "")
                .contains("Drive current"));
    }

    /** Ends a tool's dialog (its input closes), and kills it if it does not end in time. */
    private static void endDialog(Process tool) {
        try {
            tool.getOutputStream().close();
        } catch (IOException ignored) {
            // it is gone
        }
        Shell.await(Duration.ofSeconds(15), () -> !tool.isAlive());
        tool.destroyForcibly();
        Shell.await(Duration.ofSeconds(5), () -> !tool.isAlive());
    }

    /** The tool matrix: every exclusive invocation refused while held, the non-exclusive ones measured. */
    private void tools() {
        List<String> missing = ToolMatrix.missingTools();
        if (!missing.isEmpty()) {
            out.check("tools.installed", false, "missing: " + missing + " (agent/src/test/vm/setup.sh installs them)");
            return;
        }
        ToolMatrix matrix = new ToolMatrix(out, traces);
        long started = System.nanoTime();
        matrix.runWhileFree();
        out.observe("tools.free-phase-ms", Duration.ofNanos(System.nanoTime() - started).toMillis());
        out.check("tools.acquire", a.acquire(SR0).block(BLOCK).lockCount() == 1, "Burner A holds sr0");
        fixture.drain();
        started = System.nanoTime();
        matrix.runWhileHeld();
        out.observe("tools.held-phase-ms", Duration.ofNanos(System.nanoTime() - started).toMillis());
        TrayUnlockedEvent slipped = awaitEvent(TrayUnlockedEvent.class, e -> true, POLL.multipliedBy(3));
        out.check("tools.tray-never-unlocked-while-refusing", slipped == null, slipped == null
                ? "no TrayUnlockedEvent" : slipped);
        String state = host.ask("query.tools-held");
        out.check("tools.qmp-locked-while-held", state.contains("locked=true") && state.contains("tray_open=false"),
                state);
        fixture.drain();
        matrix.runNonExclusiveWhileHeld(disc);
        // libburn's release sends ALLOW MEDIUM REMOVAL: the watch sees the unlocked tray and locks it again
        TrayUnlockedEvent unlocked = awaitEvent(TrayUnlockedEvent.class, e -> true, POLL.multipliedBy(4));
        out.observe("tools.non-exclusive-tray-unlock", unlocked == null ? "none" : unlocked);
        Shell.await(POLL.multipliedBy(3), () -> false); // a few polls, so that a late unlock is locked again too
        String after = host.ask("query.after-non-exclusive-tools");
        out.check("tools.qmp-locked-after-non-exclusive-tools", after.contains("locked=true")
                && after.contains("tray_open=false"), after);
        out.check("tools.release", a.release(SR0).block(BLOCK) == 0, "released");
        matrix.report();
    }

    /**
     * Any process with write access may unlock the tray of the held drive; the agent notices on its next poll, locks it
     * again and publishes a TrayUnlockedEvent naming whoever still has the drive open.
     */
    private void trayWatch() {
        out.check("watch.acquire", a.acquire(SR0).block(BLOCK).lockCount() == 1, "Burner A holds sr0");
        unlockBy("watch.sg_prevent-allow", false, "sg_prevent", "--allow", "/dev/sr0");
        out.check("watch.locked-again-after-allow", host.ask("query.after-allow").contains("locked=true"),
                "QMP after the watch");

        fixture.drain();
        Process culprit;
        try {
            culprit = new ProcessBuilder("sh", "-c", "exec 3</dev/sr0; sg_prevent --allow /dev/sr0; exec sleep 60")
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        TrayUnlockedEvent named = awaitEvent(TrayUnlockedEvent.class, e -> true, Duration.ofSeconds(10));
        out.check("watch.culprit-named", named != null && named.relocked() && named.culprit() != null
                && named.culprit().contains("sleep (pid " + culprit.pid() + ")"), named);
        culprit.destroyForcibly();
        Shell.await(Duration.ofSeconds(5), () -> !culprit.isAlive());

        unlockBy("watch.eject-i-off", false, "eject", "-i", "off", "/dev/sr0");
        unlockBy("watch.eject-F", true, "eject", "-F", "/dev/sr0");
        out.check("watch.locked-again-after-eject-F", host.ask("query.after-eject-F").contains("locked=true"),
                "QMP after the watch");
        expectMedia("watch.tray-closed", "close-tray.after-eject-F", s -> s == MediaState.MEDIA_PRESENT);

        // an ordinary user of group cdrom does it too (the node as udev makes it: root:cdrom 0660)
        Shell.run("chgrp", "cdrom", "/dev/sr0");
        Shell.run("chmod", "660", "/dev/sr0");
        unlockBy("watch.eject-F-as-cdrom-user", true, "setpriv", "--reuid=65534", "--regid=cdrom", "--clear-groups",
                "eject", "-F", "/dev/sr0");
        Shell.run("chmod", "600", "/dev/sr0");
        Shell.run("chgrp", "root", "/dev/sr0");
        expectMedia("watch.tray-closed-again", "close-tray.after-user-eject-F", s -> s == MediaState.MEDIA_PRESENT);
        out.check("watch.release", a.release(SR0).block(BLOCK) == 0, "released");
    }

    /** Runs {@code command} (traced) against the held drive and expects the watch to lock the tray again. */
    private void unlockBy(String check, boolean opensTheTray, String... command) {
        fixture.drain();
        TracedTool run = TracedTool.run(check.substring(check.indexOf('.') + 1), traces, Duration.ofSeconds(30),
                command);
        long done = System.nanoTime();
        out.observe(check + ".run", run.summary());
        TrayUnlockedEvent event = awaitEvent(TrayUnlockedEvent.class, e -> true, Duration.ofSeconds(10));
        long after = Duration.ofNanos(System.nanoTime() - done).toMillis();
        out.check(check, event != null && event.recorder().equals(SR0) && event.relocked()
                && event.trayOpened() == opensTheTray && run.commandsReachingTheDrive() > 0
                && after < POLL.multipliedBy(6).toMillis(), event + " " + after + " ms after it ended (poll "
                + POLL.toMillis() + " ms)");
    }

    /** {@code MAJ:MIN:INODE} of a node, as /proc/locks prints it. */
    private static String lockKey(Path node) {
        try {
            DeviceNumber fs = DeviceNumber.fromDevT((Long) Files.getAttribute(node, "unix:dev"));
            return String.format("%02x:%02x:%d", fs.major(), fs.minor(), (Long) Files.getAttribute(node,
                    "unix:ino"));
        } catch (IOException e) {
            return "?";
        }
    }

    private void trayLock() {
        out.check("tray.acquire", a.acquire(SR0).block(BLOCK).lockCount() == 1, "Burner A holds sr0");
        try {
            DeviceFd.open("/dev/sr0", Linux.O_RDONLY | Linux.O_NONBLOCK | Linux.O_EXCL).close();
            out.check("tray.second-claim-refused", false, "a second O_EXCL open succeeded");
        } catch (NativeCallException e) {
            out.check("tray.second-claim-refused", e.errno() == Linux.EBUSY, e.getMessage());
        }
        String owner = fixture.agent.exclusiveAccessOwner(SR0).block(BLOCK);
        out.check("tray.owner", "Burner A".equals(owner), owner);
        softwareEjectWhileHeld();
        fixture.drain();
        host.ask("eject.while-held");
        // QEMU tells the guest that the button was pressed; the kernel's polling turns it into DISK_EJECT_REQUEST
        EjectRequestedEvent button = awaitEvent(EjectRequestedEvent.class, e -> e.recorder().equals(SR0),
                Duration.ofSeconds(5));
        out.check("tray.eject-request-published", button != null && "Burner A".equals(button.holder()), button);
        out.check("tray.release", a.release(SR0).block(BLOCK) == 0, "released");
        fixture.drain();
        long asked = System.nanoTime();
        host.ask("eject.after-release");
        // nobody holds the drive now: only the kernel's media uevent (and the backend's probe) can tell
        MediaChangedEvent unheld = awaitEvent(MediaChangedEvent.class, e -> e.recorder().equals(SR0)
                && e.state() != MediaState.MEDIA_PRESENT, Duration.ofSeconds(3));
        out.observe("tray.eject-of-a-free-drive-seen-through-uevents", unheld == null ? "no (within 3 s)"
                : unheld.state() + " after " + Duration.ofNanos(System.nanoTime() - asked).toMillis() + " ms");
    }

    /** Another program tries to eject through a plain descriptor, as eject(1) or a file manager would. */
    private void softwareEjectWhileHeld() {
        DeviceFd plain = DeviceFd.open("/dev/sr0", Linux.O_RDONLY | Linux.O_NONBLOCK);
        try {
            SgIoResult startStop = plain.sgIo("START STOP UNIT (eject)", START_STOP_UNIT_EJECT, 0, 5000);
            out.check("tray.software-eject-refused", !startStop.ok() && startStop.senseKey() == 5
                    && startStop.asc() == 0x53, startStop.detail());
            try {
                out.observe("tray.CDROMEJECT-while-held", "returned " + plain.ioctl(CDROMEJECT, 0, "CDROMEJECT"));
            } catch (NativeCallException e) {
                out.observe("tray.CDROMEJECT-while-held", e.getMessage());
            }
        } finally {
            plain.close();
        }
    }

    private void media() {
        // the tray is open and empty now; holding the drive makes the agent poll it
        out.check("media.acquire", a.acquire(SR0).block(BLOCK).lockCount() == 1, "held with the tray open");
        expectMedia("media.inserted-seen", "change-medium.disc2", s -> s == MediaState.MEDIA_PRESENT);
        expectMedia("media.forced-eject-seen", "force-eject.while-held",
                s -> s == MediaState.TRAY_OPEN || s == MediaState.NO_MEDIA);
        expectMedia("media.reinserted-seen", "change-medium.disc1", s -> s == MediaState.MEDIA_PRESENT);
        out.check("media.release", a.release(SR0).block(BLOCK) == 0, "released");
    }

    private void expectMedia(String check, String step, Predicate<MediaState> expected) {
        fixture.drain();
        long asked = System.nanoTime();
        host.ask(step);
        MediaChangedEvent event = awaitEvent(MediaChangedEvent.class, e -> e.recorder().equals(SR0)
                && expected.test(e.state()));
        out.check(check, event != null, event == null ? "no such MediaChangedEvent within " + WAIT
                : event.state() + " after " + Duration.ofNanos(System.nanoTime() - asked).toMillis() + " ms");
    }

    private void unplugWhileHeld() {
        AtomicReference<Throwable> holderFailure = new AtomicReference<>();
        a.withLock(SR0, AcquireOptions.DEFAULT, grant -> Flux.never()).subscribe(v -> { }, holderFailure::set);
        Shell.await(BLOCK, () -> a.lockCount(SR0).block(BLOCK) == 1);
        ClientSession b = fixture.session("Burner B");
        AtomicReference<Throwable> waiterFailure = new AtomicReference<>();
        b.acquire(SR0, AcquireOptions.waitUpTo(Duration.ofSeconds(90))).subscribe(g -> { }, waiterFailure::set);
        Shell.await(BLOCK, () -> fixture.agent.activity().block(BLOCK).waiting() == 1);
        var before = fixture.agent.activity().block(BLOCK);
        out.check("unplug.setup", a.lockCount(SR0).block(BLOCK) == 1 && before.waiting() == 1, before);

        DeviceFd observer = DeviceFd.open("/dev/sr0", Linux.O_RDONLY | Linux.O_NONBLOCK); // not the agent's
        fixture.drain();
        long asked = System.nanoTime();
        host.ask("unplug.while-held");
        RecorderRemovedEvent removed = awaitEvent(RecorderRemovedEvent.class, e -> e.recorder().equals(SR0));
        out.check("unplug.removed-event", removed != null && "Burner A".equals(removed.lastOwner())
                && removed.failedWaiters() == 1, removed == null ? "none within " + WAIT : removed + " after "
                + Duration.ofNanos(System.nanoTime() - asked).toMillis() + " ms");
        Shell.await(BLOCK, () -> holderFailure.get() != null && waiterFailure.get() != null);
        out.check("unplug.holder-failed", LinuxAgentFixture.isDevNotExist(holderFailure.get()), holderFailure.get());
        out.check("unplug.waiter-failed", LinuxAgentFixture.isDevNotExist(waiterFailure.get()), waiterFailure.get());

        observeDeadDescriptor(observer);
        try {
            DeviceFd.open("/dev/sr0", Linux.O_RDONLY | Linux.O_NONBLOCK).close();
            out.observe("unplug.open-after", "succeeded");
        } catch (NativeCallException e) {
            out.observe("unplug.open-after", e.getMessage());
        }
        Shell.await(BLOCK, () -> fixture.agent.activity().block(BLOCK).nativeCallsInFlight() == 0);
        var activity = fixture.agent.activity().block(BLOCK);
        out.check("unplug.nothing-held", activity.recorders() == 0 && activity.held() == 0
                && activity.waiting() == 0 && activity.nativeCallsInFlight() == 0, activity);
        List<String> left = descriptorsOn("sr0");
        if (!left.isEmpty()) {
            out.log("still open on the removed sr0: " + left + "; native threads: " + nativeThreads());
        }
        long closing = System.nanoTime();
        boolean closed = Shell.await(Duration.ofSeconds(40), () -> descriptorsOn("sr0").isEmpty());
        out.check("unplug.no-descriptor-left", closed, "open on sr0 right after the removal event: " + left
                + (left.isEmpty() ? "" : "; all closed " + Duration.ofNanos(System.nanoTime() - closing).toMillis()
                + " ms later"));
        out.check("unplug.count-zero", a.lockCount(SR0).block(BLOCK) == 0 && b.lockCount(SR0).block(BLOCK) == 0,
                "lock counts after removal");
        b.close().block(BLOCK);
    }

    /** What the kernel does to a descriptor of an unplugged drive: the ioctls' errnos (reference open question 2). */
    private void observeDeadDescriptor(DeviceFd observer) {
        for (int i = 1; i <= 2; i++) {
            try {
                int status = observer.ioctl(Linux.CDROM_DRIVE_STATUS, Linux.CDSL_CURRENT, "CDROM_DRIVE_STATUS");
                out.observe("unplug.held-fd.CDROM_DRIVE_STATUS#" + i, "returned " + status);
            } catch (NativeCallException e) {
                out.observe("unplug.held-fd.CDROM_DRIVE_STATUS#" + i, e.getMessage());
            }
            try {
                SgIoResult tur = observer.sgIo("TEST UNIT READY", ScsiCommands.testUnitReady(), 0, 2000);
                out.observe("unplug.held-fd.SG_IO-TUR#" + i, tur.detail());
            } catch (NativeCallException e) {
                out.observe("unplug.held-fd.SG_IO-TUR#" + i, e.getMessage());
            }
        }
        observer.close();
    }

    private void replug() {
        fixture.drain();
        long asked = System.nanoTime();
        host.ask("plug.disc1");
        RecorderArrivedEvent arrived = awaitEvent(RecorderArrivedEvent.class,
                e -> e.recorder().value().startsWith("sr"));
        out.check("replug.arrived", arrived != null, arrived == null ? "none within " + WAIT : arrived.info()
                + " after " + Duration.ofNanos(System.nanoTime() - asked).toMillis() + " ms");
        if (arrived == null) {
            return;
        }
        replugged = arrived.recorder();
        out.observe("replug.name", replugged + (replugged.equals(SR0) ? " (the name was free again)"
                : " (the old sr0 was still open somewhere)"));
        out.check("replug.clean-acquire", a.acquire(replugged).block(BLOCK).lockCount() == 1, "Burner A holds "
                + replugged);
        host.ask("eject.after-replug-held");
        out.check("replug.release", a.release(replugged).block(BLOCK) == 0, "released");
    }

    private void crashRelease() {
        RecorderId drive = replugged;
        String node = "/dev/" + drive;
        long started = System.nanoTime();
        try (ChildJvm crashing = ChildJvm.hold("agent", node, "Crashing Burner")) {
            out.observe("crash.child-agent-ready-ms", Duration.ofNanos(System.nanoTime() - started).toMillis());
            try {
                a.acquire(drive).block(BLOCK);
                out.check("crash.locked-by-child", false, "the acquire succeeded while the child held " + node);
            } catch (RecorderLockedException e) {
                out.check("crash.locked-by-child", e.owner().orElse("").equals(crashing.ownerName()), e.getMessage());
            }
            host.ask("query.crash-holder-alive");
            crashing.kill();
            out.log("child " + crashing.pid() + " killed with SIGKILL");
            host.ask("query.after-kill");
            host.ask("eject.after-kill");
            out.check("crash.acquire-after-kill", a.acquire(drive).block(BLOCK).lockCount() == 1, "Burner A holds "
                    + drive);
            a.release(drive).block(BLOCK);
        }
    }

    private <T extends RecorderEvent> T awaitEvent(Class<T> type, Predicate<T> condition) {
        return awaitEvent(type, condition, WAIT);
    }

    private <T extends RecorderEvent> T awaitEvent(Class<T> type, Predicate<T> condition, Duration limit) {
        return fixture.findEvent(type, condition, limit, out);
    }


    /** The agent's native worker threads and what they are doing. */
    private static String nativeThreads() {
        StringBuilder b = new StringBuilder();
        Thread.getAllStackTraces().forEach((thread, stack) -> {
            if (thread.getName().startsWith("discagent-native")) {
                b.append(thread.getName()).append(' ').append(thread.getState());
                for (int i = 0; i < Math.min(6, stack.length); i++) {
                    b.append(" <- ").append(stack[i]);
                }
                b.append("; ");
            }
        });
        return b.toString();
    }

    /** This process's descriptors whose target names {@code device}. */
    private static List<String> descriptorsOn(String device) {
        List<String> found = new ArrayList<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : fds) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.contains(device)) {
                        String flags = Sysfs.read(Path.of("/proc/self/fdinfo", fd.getFileName().toString()), "")
                                .lines().filter(l -> l.startsWith("flags:")).findFirst().orElse("");
                        found.add(fd.getFileName() + " -> " + target + " (" + flags + ")");
                    }
                } catch (IOException ignored) {
                    // closed meanwhile
                }
            }
        } catch (IOException e) {
            found.add("cannot read /proc/self/fd: " + e);
        }
        return found;
    }
}
