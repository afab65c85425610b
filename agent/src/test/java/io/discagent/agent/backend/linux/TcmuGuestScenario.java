package io.discagent.agent.backend.linux;

import io.discagent.agent.AgentOptions;
import io.discagent.agent.backend.linux.jna.DeviceFd;
import io.discagent.agent.backend.linux.jna.Linux;
import io.discagent.agent.backend.linux.jna.NativeCallException;
import io.discagent.agent.backend.linux.jna.NetlinkSocket;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.DiscState;
import io.discagent.api.LockGrant;
import io.discagent.api.MediaInfo;
import io.discagent.api.MediaProfile;
import io.discagent.api.RecorderId;
import io.discagent.api.burn.BurnPhase;
import io.discagent.api.burn.BurnProgress;
import io.discagent.api.burn.BurnRequest;
import io.discagent.api.burn.BurnResult;
import io.discagent.api.error.CommandTimeoutException;
import io.discagent.api.error.HResult;
import io.discagent.api.error.MediumErrorException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.event.CommandTimedOutEvent;
import io.discagent.api.event.MediaChangedEvent;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import io.discagent.api.event.RecorderArrivedEvent;
import io.discagent.api.event.RecorderEvent;
import io.discagent.api.event.RecorderRemovedEvent;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/**
 * Runs inside the QEMU guest against a recordable drive: {@link TcmuDrive} (a DVD+RW in user space, behind the
 * kernel's own {@code sr} and {@code sg} drivers through TCMU and {@code tcm_loop}). The kernel binds it, the agent
 * finds and claims it, real tools (xorriso, cdrskin, growisofs) burn ISO images to it that are read back from
 * {@code /dev/srN} and compared, tools burn through the agent's lock while other tools try to get in, and the drive's
 * faults (a hung WRITE, MEDIUM ERROR, a medium swap, the LUN removed mid-burn) meet the agent. Every outcome goes to
 * {@link GuestTranscript}; {@link TcmuDriveVmTests} asserts on it.
 *
 * <p>Arguments: the job directory (the 9p share with {@code tcmu-mmc} and the ISO images).
 */
public final class TcmuGuestScenario {

    static final RecorderId SR0 = RecorderId.of("sr0");
    static final long DISC_BLOCKS = 32768; // a 64 MiB DVD+RW
    private static final Duration BLOCK = LinuxAgentFixture.BLOCK;
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Duration TOOL_LIMIT = Duration.ofSeconds(90);
    /** Short, so that a command held by the drive outlasts it by far. */
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(2);
    /** How long the drive holds the hung WRITE: well past the command timeout, short of the kernel's SG_IO timeout. */
    static final int HOLD_SECONDS = 8;
    /** How long an agent burn may make no progress before it fails as a hung write. */
    static final Duration BURN_STALL = Duration.ofSeconds(5);
    /** Where the agent's burns keep the raw output of xorriso (the parser's tests read copies of these). */
    static final String TRANSCRIPTS = "work/transcripts";

    private final LinuxAgentFixture fixture;
    private final GuestTranscript out;
    private final Path job;
    private final Path work;
    private final List<Uevent> uevents = new CopyOnWriteArrayList<>();
    private TcmuDrive drive;
    private RecorderId id;
    private String sr;
    private String sg;
    private ClientSession a;
    private ClientSession b;

    private TcmuGuestScenario(LinuxAgentFixture fixture, GuestTranscript out, Path job) {
        this.fixture = fixture;
        this.out = out;
        this.job = job;
        this.work = job.resolve("work"); // the tools' output and traces, kept on the share for a look afterwards
    }

    public static void main(String[] args) {
        GuestTranscript out = new GuestTranscript();
        Path job = Path.of(args[0]);
        System.setProperty("discagent.linux.burnTranscripts", job.resolve(TRANSCRIPTS).toString());
        out.runAndExit("scenario starts", () -> {
            try (LinuxAgentFixture fixture = LinuxAgentFixture.start(AgentOptions.builder()
                    .backend("linux")
                    .backendProperty("linux.kernelEventPollMillis", "500")
                    // longer than the drive's hold: the agent's own command timeout must end the wait, not the kernel's
                    .backendProperty("linux.scsiTimeoutMillis", "30000")
                    .mediaPollInterval(Duration.ofMillis(500))
                    .commandTimeout(COMMAND_TIMEOUT)
                    .burnStallTimeout(BURN_STALL)
                    .build(), event -> out.log("EVENT " + event))) {
                out.log("agent started");
                new TcmuGuestScenario(fixture, out, job).run();
            }
        });
    }

    private void run() throws IOException {
        Files.createDirectories(work);
        Thread listener = listenToUevents();
        try {
            bind();
            a = fixture.session("Burner A");
            b = fixture.session("Burner B");
            out.phase("claim", this::claim);
            for (String tool : List.of("xorriso", "cdrskin", "growisofs")) {
                out.phase("burn." + tool, () -> plainBurn(tool));
            }
            out.phase("burn-through-the-lock", this::burnThroughTheLock);
            out.phase("hang", this::hungWrite);
            out.phase("medium-error", this::mediumError);
            out.phase("swap", this::mediumSwap);
            out.phase("not-ready", this::notReady);
            out.phase("agentburn", this::agentBurns);
            out.phase("removal", this::removalMidBurn);
        } finally {
            listener.interrupt();
            if (drive != null) {
                out.log("drive status at the end: " + drive.order("status"));
                drive.close();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ the drive

    private void bind() {
        long started = System.nanoTime();
        drive = TcmuDrive.start(job.resolve("tcmu-mmc"), job.resolve("disc.img"), DISC_BLOCKS,
                job.resolve("cdb.log"), Path.of("/run/tcmu-mmc.sock"), Duration.ofSeconds(60));
        sr = drive.sr();
        sg = drive.sg();
        id = RecorderId.of(sr);
        out.observe("bind.ready-ms", Duration.ofNanos(System.nanoTime() - started).toMillis());
        String vendor = Sysfs.read(Path.of("/sys/block/" + sr + "/device/vendor"), "?");
        String type = Sysfs.read(Path.of("/sys/block/" + sr + "/device/type"), "?");
        out.check("bind.sr-and-sg", sr.startsWith("sr") && sg.startsWith("sg") && vendor.equals("DISCAGNT")
                && type.equals("5") && Files.exists(Path.of("/dev/" + sr)) && Files.exists(Path.of("/dev/" + sg)),
                "/dev/" + sr + " /dev/" + sg + " vendor " + vendor + " type " + type);
        boolean both = Shell.await(Duration.ofSeconds(5), () -> sawUevent("add", "block", sr)
                && sawUevent("add", "scsi_generic", sg));
        out.check("bind.uevents", both, uevents.stream().filter(u -> u.action().equals("add")).map(this::describe)
                .toList());
        RecorderArrivedEvent arrived = awaitEvent(RecorderArrivedEvent.class, e -> e.recorder().equals(id));
        out.check("agent.arrived", arrived != null && arrived.info().vendor().equals("DISCAGNT")
                && arrived.info().product().equals("TCMU DVD+RW")
                && arrived.info().paths().get(0).equals("/dev/" + sr)
                && arrived.info().paths().stream().anyMatch(p -> p.startsWith("/dev/sg")),
                arrived == null ? "no RecorderArrivedEvent("
                + id + ")" : arrived.info());
        out.observe("bind.commands", TcmuDrive.opcodes(drive.log()));
        out.log("kernel: " + Shell.run("sh", "-c", "dmesg | grep -E 'TCM|DISCAGNT|" + sr + "' | tail -4").output());
    }

    private void claim() {
        out.check("claim.acquire", a.acquire(id).block(BLOCK).lockCount() == 1, "Burner A holds " + id);
        // the agent reads the medium when the kernel reports it (uevent and probe) or, at the latest, when it claims
        // the drive (the state read right after the claim): either way, since the arrival
        MediaChangedEvent media = awaitEvent(MediaChangedEvent.class, e -> e.recorder().equals(id),
                Duration.ofSeconds(5));
        out.check("agent.media-state", media != null && media.state() == MediaState.MEDIA_PRESENT, media);
        out.check("claim.tray-locked", drive.status("prevented") == 1, "the drive saw PREVENT: "
                + drive.order("status"));
        try {
            DeviceFd.open("/dev/" + sr, Linux.O_RDONLY | Linux.O_NONBLOCK | Linux.O_EXCL).close();
            out.check("claim.second-claim-refused", false, "a second O_EXCL open succeeded");
        } catch (NativeCallException e) {
            out.check("claim.second-claim-refused", e.errno() == Linux.EBUSY, e.getMessage());
        }
        String owner = fixture.agent.exclusiveAccessOwner(id).block(BLOCK);
        out.check("claim.owner", "Burner A".equals(owner), owner);
        out.check("claim.release", a.release(id).block(BLOCK) == 0 && drive.status("prevented") == 0,
                "released; " + drive.order("status"));
    }

    // ------------------------------------------------------------------------------------------------ burning

    private void plainBurn(String tool) {
        Path iso = job.resolve("burn-" + tool + ".iso");
        String step = "burn." + tool;
        drive.note(step);
        GuestCommand.Outcome burn = GuestCommand.run(step, work, List.of(), TOOL_LIMIT, burnCommand(tool, iso, false));
        List<String> lines = drive.logSince(step);
        out.observe(step + ".commands", TcmuDrive.opcodes(lines));
        out.observe(step + ".speed", speed(lines) + "; the tool's run took " + burn.took().toMillis() + " ms");
        String readBack = readBack(iso);
        String expected = sha256(iso);
        out.check(step, burn.ok() && expected.equals(readBack), "exit " + burn.exit() + ", image " + expected
                + ", read back from /dev/" + sr + " " + readBack + "; " + burn.tail(4));
    }

    private String[] burnCommand(String tool, Path iso, boolean cooperating) {
        String dev = "/dev/" + sr;
        return switch (tool) {
            case "xorriso" -> cooperating
                    ? new String[] {"xorriso", "-drive_access", "shared:unrestricted", "-as", "cdrecord", "-v",
                        "dev=" + dev, iso.toString()}
                    : new String[] {"xorriso", "-as", "cdrecord", "-v", "dev=" + dev, iso.toString()};
            case "cdrskin" -> cooperating
                    ? new String[] {"cdrskin", "--drive_not_exclusive", "-v", "dev=" + dev, iso.toString()}
                    : new String[] {"cdrskin", "-v", "dev=" + dev, iso.toString()};
            // "tty": the disc carries an ISO file system from the burn before, which growisofs overwrites only after
            // asking on a terminal; the guest's tools run without one
            case "growisofs" -> new String[] {"growisofs", "-use-the-force-luke=tty", "-Z", dev + "=" + iso};
            default -> throw new IllegalArgumentException(tool);
        };
    }

    /**
     * While Burner A holds the drive (O_EXCL + flock + POSIX lock + PREVENT on the sr node), the cooperating
     * invocations burn through the lock, while the other tools' attempts run against it.
     */
    private void burnThroughTheLock() {
        out.check("lock.acquire", a.acquire(id).block(BLOCK).lockCount() == 1, "Burner A holds " + id);
        List<String> nodes = List.of("/dev/" + sr, "/dev/" + sg);
        Path iso = job.resolve("lock-xorriso.iso");
        drive.order("slow 150"); // a burn of ~20 s, long enough for every intruder to try
        drive.note("lock.xorriso");
        long writesBefore = drive.status("writes");
        GuestCommand burn = GuestCommand.start("lock.xorriso", work, nodes, burnCommand("xorriso", iso, true));
        boolean writing = Shell.await(TOOL_LIMIT, () -> drive.status("writes") > writesBefore || !burn.isAlive());
        out.log("the cooperating xorriso writes: " + writing + "; intruders start");
        String dev = "/dev/" + sr;
        String gen = "/dev/" + sg;
        List<GuestCommand> intruders = new ArrayList<>();
        intruders.add(GuestCommand.start("intruder.xorriso-sr", work, nodes, "xorriso", "-outdev", dev, "-toc"));
        intruders.add(GuestCommand.start("intruder.cdrskin-sr", work, nodes, "cdrskin", "dev=" + dev, "-toc"));
        intruders.add(GuestCommand.start("intruder.wodim-sr", work, nodes, "wodim", "dev=" + dev, "-toc"));
        intruders.add(GuestCommand.start("intruder.growisofs-sr", work, nodes, burnCommand("growisofs",
                job.resolve("burn-growisofs.iso"), false)));
        // the sg intruders one after the other: an O_EXCL open of sg (wodim's) refuses every other open of sg
        GuestCommand cdrskinSg = GuestCommand.start("intruder.cdrskin-sg", work, nodes, "cdrskin", "dev=" + gen,
                "-toc");
        List<GuestCommand.Outcome> tried = new ArrayList<>();
        tried.add(cdrskinSg.await(Duration.ofSeconds(60)));
        intruders.add(GuestCommand.start("intruder.wodim-sg", work, nodes, "wodim", "dev=" + gen, "-toc"));
        for (GuestCommand intruder : intruders) {
            tried.add(intruder.await(Duration.ofSeconds(60)));
        }
        boolean stillBurning = burn.isAlive();
        GuestCommand.Outcome burned = burn.await(TOOL_LIMIT);
        drive.order("slow 0");
        List<String> lines = drive.logSince("lock.xorriso");
        out.observe("lock.xorriso.commands", TcmuDrive.opcodes(lines));
        out.observe("lock.xorriso.speed", speed(lines) + " (the drive slowed to 150 ms per WRITE)");
        out.observe("lock.intruders-done-while-burning", stillBurning);
        String readBack = readBack(iso);
        out.check("lock.xorriso", writing && burned.ok() && sha256(iso).equals(readBack), "exit " + burned.exit()
                + ", image " + sha256(iso) + ", read back " + readBack + "; SG_IO calls " + burned.sgIo().size()
                + ", opens " + burned.opens() + "; " + burned.tail(3));
        for (GuestCommand.Outcome intruder : tried) {
            boolean refused = !intruder.ok() && intruder.sgIo().isEmpty();
            if (!intruder.label().contains("growisofs")) {
                // the claim covers the drive's sg node too: tools addressing sg are refused like those on sr
                out.check(intruder.label(), refused, intruder.summary());
            } else {
                // growisofs works on a plain descriptor before it asks for O_EXCL: what it did is recorded
                out.observe(intruder.label(), (refused ? "refused, nothing reached the drive: " : "NOT refused: ")
                        + intruder.summary());
            }
        }
        out.observe("lock.tray-after-xorriso", "prevented=" + drive.status("prevented")
                + " (the agent's PREVENT; the tool sends its own PREVENT/ALLOW)");

        drive.note("lock.cdrskin");
        Path iso2 = job.resolve("lock-cdrskin.iso");
        GuestCommand.Outcome cdrskin = GuestCommand.run("lock.cdrskin", work, nodes, TOOL_LIMIT,
                burnCommand("cdrskin", iso2, true));
        String readBack2 = readBack(iso2);
        out.check("lock.cdrskin", cdrskin.ok() && sha256(iso2).equals(readBack2), "exit " + cdrskin.exit()
                + ", image " + sha256(iso2) + ", read back " + readBack2 + "; " + cdrskin.tail(3));
        out.observe("lock.cdrskin.commands", TcmuDrive.opcodes(drive.logSince("lock.cdrskin")));

        drive.note("lock.growisofs");
        long before = drive.status("writes");
        GuestCommand.Outcome growisofs = GuestCommand.run("lock.growisofs", work, nodes, TOOL_LIMIT,
                burnCommand("growisofs", job.resolve("burn-growisofs.iso"), true));
        out.observe("lock.growisofs", "exit " + growisofs.exit() + ", WRITEs that reached the drive: "
                + (drive.status("writes") - before) + "; " + growisofs.summary());
        out.check("lock.release", a.release(id).block(BLOCK) == 0, "released");
    }

    // ------------------------------------------------------------------------------------------------ faults

    /** The drive holds a WRITE of the cooperating burn for {@value #HOLD_SECONDS} s, like a hung drive. */
    private void hungWrite() {
        out.check("hang.acquire", a.acquire(id).block(BLOCK).lockCount() == 1, "Burner A holds " + id);
        drive.order("hold 2a " + HOLD_SECONDS);
        drive.note("hang");
        fixture.drain();
        GuestCommand burn = GuestCommand.start("hang.xorriso", work, List.of(), burnCommand("xorriso",
                job.resolve("burn-xorriso.iso"), true));
        boolean held = Shell.await(TOOL_LIMIT, () -> drive.logSince("hang").stream().anyMatch(l -> l.contains(
                " HOLD ")) || !burn.isAlive());
        out.check("hang.write-held", held && drive.status("holding") == 1, drive.logSince("hang").stream()
                .filter(l -> l.contains("HOLD")).toList());

        long started = System.nanoTime();
        Throwable failure = null;
        try {
            a.release(id).block(BLOCK);
        } catch (RuntimeException e) {
            failure = e;
        }
        long tookMs = Duration.ofNanos(System.nanoTime() - started).toMillis();
        out.check("hang.release-times-out", failure instanceof CommandTimeoutException
                && ((RecorderException) failure).hresult().equals(HResult.E_IMAPI_RECORDER_COMMAND_TIMEOUT)
                && tookMs < HOLD_SECONDS * 1000L, failure + " after " + tookMs + " ms");
        CommandTimedOutEvent timedOut = awaitEvent(CommandTimedOutEvent.class, e -> e.recorder().equals(id),
                Duration.ofSeconds(1));
        out.check("hang.timeout-event", timedOut != null, timedOut);

        try {
            b.acquire(id).block(BLOCK);
            out.observe("hang.other-session-acquire", "succeeded");
            b.release(id).block(BLOCK);
        } catch (RuntimeException e) {
            out.observe("hang.other-session-acquire", e);
        }
        long other = System.nanoTime();
        boolean carriesOn = b.acquire(SR0).block(BLOCK).lockCount() == 1 && b.release(SR0).block(BLOCK) == 0;
        long otherMs = Duration.ofNanos(System.nanoTime() - other).toMillis();
        out.check("hang.other-recorder-carries-on", carriesOn && drive.status("holding") == 1
                && otherMs < COMMAND_TIMEOUT.toMillis(), "Burner B acquired and released sr0 in " + otherMs
                + " ms while " + id + " still held the WRITE");

        GuestCommand.Outcome burned = burn.await(TOOL_LIMIT);
        out.observe("hang.xorriso-after-the-hold", burned.summary());
        boolean settled = Shell.await(Duration.ofSeconds(30), () -> fixture.agent.activity().block(BLOCK)
                .nativeCallsInFlight() == 0);
        int count = a.lockCount(id).block(BLOCK);
        out.observe("hang.after", "native calls settled: " + settled + "; Burner A's count " + count + "; "
                + fixture.agent.activity().block(BLOCK));
        if (count > 0) {
            a.release(id).block(BLOCK);
        }
        out.check("hang.recovers", acquireAndRelease(b), "a clean acquire and release once the drive answers");
    }

    private void mediumError() {
        out.check("medium-error.acquire", a.acquire(id).block(BLOCK).lockCount() == 1, "Burner A holds " + id);
        drive.order("medium-error 300");
        drive.note("medium-error.write");
        GuestCommand.Outcome burn = GuestCommand.run("medium-error.xorriso", work, List.of(), TOOL_LIMIT,
                burnCommand("xorriso", job.resolve("burn-cdrskin.iso"), true));
        out.check("medium-error.write", !burn.ok() && burn.output().contains("[3 0C 00]"), burn.output().lines()
                .filter(l -> l.contains("SCSI error") || l.contains("CDB")).toList());
        drive.note("medium-error.read");
        GuestCommand.Outcome read = GuestCommand.run("medium-error.read", work, List.of(), Duration.ofSeconds(30),
                "dd", "if=/dev/" + sr, "of=/dev/null", "bs=2048", "skip=296", "count=8", "iflag=direct");
        String kernel = Shell.run("sh", "-c", "dmesg | grep -E 'Medium Error|Unrecovered read error|critical "
                + "medium error' | tail -3").output();
        // the block layer turns the sense into ENODATA ("No data available") for a direct read
        out.check("medium-error.read", !read.ok() && read.output().contains("error reading")
                && kernel.contains("Unrecovered read error"), read.tail(4) + "; kernel: " + kernel.replace('\n', ' '));
        drive.order("clear");
        out.check("medium-error.release", a.release(id).block(BLOCK) == 0, "the agent is unaffected");
    }

    private void mediumSwap() {
        out.check("swap.acquire", a.acquire(id).block(BLOCK).lockCount() == 1, "Burner A holds " + id);
        awaitEvent(MediaChangedEvent.class, e -> false, Duration.ofMillis(1200)); // the agent's polls settle
        fixture.drain();
        int before = uevents.size();
        long asked = System.nanoTime();
        out.log("swap: " + drive.order("swap " + job.resolve("disc2.img") + " 1.5"));
        MediaChangedEvent gone = awaitEvent(MediaChangedEvent.class, e -> e.recorder().equals(id)
                && e.state() != MediaState.MEDIA_PRESENT);
        long goneMs = Duration.ofNanos(System.nanoTime() - asked).toMillis();
        MediaChangedEvent in = awaitEvent(MediaChangedEvent.class, e -> e.recorder().equals(id)
                && e.state() == MediaState.MEDIA_PRESENT);
        long inMs = Duration.ofNanos(System.nanoTime() - asked).toMillis();
        out.check("swap.media-events", gone != null && in != null, (gone == null ? "no removal event"
                : gone.state() + " after " + goneMs + " ms") + "; " + (in == null ? "no MEDIA_PRESENT event"
                : "MEDIA_PRESENT after " + inMs + " ms") + " (the new disc went in 1.5 s after the old one left)");
        Shell.await(Duration.ofSeconds(2), () -> false); // the kernel's own polls (500 ms) report meanwhile
        out.observe("swap.kernel-uevents", uevents.subList(before, uevents.size()).stream()
                .filter(u -> sr.equals(u.properties().get("DEVNAME"))).map(this::describe).toList());
        List<String> log = drive.log();
        out.observe("swap.commands", TcmuDrive.opcodes(log.subList(Math.max(0, log.size() - 40), log.size())));

        fixture.drain();
        drive.note("swap.without-gap");
        out.log("swap without a gap: " + drive.order("swap " + job.resolve("disc3.img")));
        MediaChangedEvent instant = awaitEvent(MediaChangedEvent.class, e -> e.recorder().equals(id),
                Duration.ofSeconds(3));
        List<String> attention = drive.logSince("swap.without-gap").stream().filter(l -> l.contains("6/28/00"))
                .toList();
        out.observe("swap.without-gap", (instant == null ? "no MediaChangedEvent within 3 s" : instant.state())
                + "; the unit attention went to: " + attention);
        out.check("swap.release", a.release(id).block(BLOCK) == 0, "released");
    }

    private void notReady() {
        drive.order("not-ready 3");
        drive.note("not-ready");
        fixture.drain();
        try {
            int count = a.acquire(id).block(BLOCK).lockCount();
            MediaChangedEvent media = awaitEvent(MediaChangedEvent.class, e -> e.recorder().equals(id),
                    Duration.ofSeconds(6));
            out.observe("not-ready.acquire", "count " + count + ", tray locked: " + (drive.status("prevented") == 1)
                    + ", then " + (media == null ? "no MediaChangedEvent" : media.state() + " event"));
            a.release(id).block(BLOCK);
        } catch (RuntimeException e) {
            out.observe("not-ready.acquire", e);
        }
        drive.order("clear");
    }

    /**
     * The LUN leaves the SCSI host while Burner A's burn writes through the agent's lock (the agent's cooperating
     * xorriso), with Burner B waiting: 0x80070037 to the burn and to the waiter, and xorriso fails and is reaped.
     * (Until the agent burned itself this was an external cooperating xorriso under a plain hold; one removal cycle
     * now covers both, to keep the VM's time down.)
     */
    private void removalMidBurn() {
        drive.order("slow 60");
        drive.note("removal");
        long writesBefore = drive.status("writes");
        AtomicReference<BurnProgress> latest = new AtomicReference<>();
        AtomicReference<Throwable> holderFailure = new AtomicReference<>();
        a.burn(id, AcquireOptions.DEFAULT, BurnRequest.builder(job.resolve("agent-burn.iso")).build())
                .subscribe(latest::set, holderFailure::set);
        Shell.await(BLOCK, () -> a.lockCount(id).block(BLOCK) == 1);
        AtomicReference<Throwable> waiterFailure = new AtomicReference<>();
        b.acquire(id, AcquireOptions.waitUpTo(Duration.ofSeconds(90))).subscribe(g -> { }, waiterFailure::set);
        Shell.await(BLOCK, () -> fixture.agent.activity().block(BLOCK).waiting() == 1);
        out.check("removal.setup", a.lockCount(id).block(BLOCK) == 1
                && fixture.agent.activity().block(BLOCK).waiting() == 1, fixture.agent.activity().block(BLOCK));
        boolean writing = Shell.await(TOOL_LIMIT, () -> drive.status("writes") >= writesBefore + 10
                && latest.get() != null && latest.get().bytesDone() > 0 || holderFailure.get() != null);
        fixture.drain();
        int before = uevents.size();
        long asked = System.nanoTime();
        out.log("removal: " + drive.order("remove"));
        RecorderRemovedEvent removed = awaitEvent(RecorderRemovedEvent.class, e -> e.recorder().equals(id));
        out.check("removal.removed-event", writing && removed != null && "Burner A".equals(removed.lastOwner())
                && removed.failedWaiters() == 1, removed == null ? "none within " + WAIT : removed + " after "
                + Duration.ofNanos(System.nanoTime() - asked).toMillis() + " ms");
        Shell.await(BLOCK, () -> holderFailure.get() != null && waiterFailure.get() != null);
        out.check("removal.holder-failed", LinuxAgentFixture.isDevNotExist(holderFailure.get()), holderFailure.get());
        out.check("removal.waiter-failed", LinuxAgentFixture.isDevNotExist(waiterFailure.get()), waiterFailure.get());
        boolean reaped = Shell.await(Duration.ofSeconds(20), () -> !xorrisoRunning());
        out.check("removal.burn-failed", holderFailure.get() instanceof RecorderRemovedException && reaped,
                "the burn: " + holderFailure.get() + "; the agent's xorriso reaped: " + reaped + "; its transcript: "
                + lastTranscriptTail());
        Shell.await(Duration.ofSeconds(3), () -> sawUeventSince(before, "remove", "block", sr)
                && sawUeventSince(before, "remove", "scsi_generic", sg));
        out.check("removal.uevents", sawUeventSince(before, "remove", "block", sr)
                && sawUeventSince(before, "remove", "scsi_generic", sg) && !Files.exists(Path.of("/dev/" + sr)),
                uevents.subList(before, uevents.size()).stream().filter(u -> u.action().equals("remove"))
                        .map(this::describe).toList());
        Shell.await(BLOCK, () -> fixture.agent.activity().block(BLOCK).nativeCallsInFlight() == 0);
        out.check("removal.count-zero", a.lockCount(id).block(BLOCK) == 0 && b.lockCount(id).block(BLOCK) == 0,
                fixture.agent.activity().block(BLOCK));
        drive.order("slow 0");

        fixture.drain();
        out.log("re-adding: " + drive.order("add"));
        RecorderArrivedEvent arrived = awaitEvent(RecorderArrivedEvent.class, e -> e.info().vendor()
                .equals("DISCAGNT"));
        out.check("removal.re-added", arrived != null, arrived == null ? "no RecorderArrivedEvent" : arrived.info());
        if (arrived != null) {
            RecorderId again = arrived.recorder();
            out.check("removal.clean-acquire", a.acquire(again).block(BLOCK).lockCount() == 1
                    && a.release(again).block(BLOCK) == 0, again + " acquired and released");
        }
    }

    // ------------------------------------------------------------------------------------------------ agent burns

    /**
     * The agent burns through its own lock ({@code ClientSession.burn}): xorriso in its cooperating mode under the
     * agent's claim, fed the image the agent opened; then the cancel, hung-write and medium-error variants.
     */
    private void agentBurns() {
        // the drive has just come out of the not-ready phase: read until the medium is back (or WAIT has passed)
        AtomicReference<Object> read = new AtomicReference<>();
        Shell.await(WAIT, () -> {
            try {
                MediaInfo info = fixture.agent.media(id).block(BLOCK);
                read.set(info);
                return info != null && info.profile() == MediaProfile.DVD_PLUS_RW;
            } catch (RuntimeException e) {
                read.set(e);
                return false;
            }
        });
        MediaInfo media = read.get() instanceof MediaInfo info ? info : null;
        out.check("agentburn.media", media != null && media.profile() == MediaProfile.DVD_PLUS_RW
                && media.disc() == DiscState.OVERWRITABLE && media.writable()
                && media.capacityBytes() == DISC_BLOCKS * 2048 && media.freeBytes() == DISC_BLOCKS * 2048
                && media.writeProfiles().contains(MediaProfile.DVD_PLUS_RW), read.get());
        agentBurnCompletes();
        agentBurnCancelled();
        agentBurnHangs();
        agentBurnMediumError();
    }

    private void agentBurnCompletes() {
        Path iso = job.resolve("agent-burn.iso");
        drive.note("agentburn.ok");
        List<BurnProgress> seen = new CopyOnWriteArrayList<>();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        AtomicReference<BurnProgress> done = new AtomicReference<>();
        long started = System.nanoTime();
        Disposable burn = a.burn(id, AcquireOptions.DEFAULT, BurnRequest.builder(iso).verify(true).build())
                .subscribe(seen::add, failed::set, () -> done.set(seen.get(seen.size() - 1)));
        boolean writing = Shell.await(TOOL_LIMIT, () -> seen.stream().anyMatch(p -> p.bytesDone() > 0)
                || failed.get() != null || done.get() != null);
        Shell.await(TOOL_LIMIT, () -> failed.get() != null || done.get() != null);
        burn.dispose();
        long tookMs = Duration.ofNanos(System.nanoTime() - started).toMillis();
        BurnResult result = done.get() == null ? null : done.get().result();
        String readBack = readBack(iso);
        String expected = sha256(iso);
        out.check("agentburn.ok", writing && result != null && result.sha256().equals(expected)
                && result.verified() && expected.equals(readBack) && a.lockCount(id).block(BLOCK) == 0,
                (result == null ? "failed: " + failed.get() : result) + "; image " + expected + ", read back "
                + readBack + "; phases " + seen.stream().map(BurnProgress::phase).distinct().toList());
        if (result != null) {
            double mb = result.bytesWritten() / 1e6;
            out.observe("agentburn.ok.figures", String.format(Locale.ROOT, "%.2f MB written and verified in %d ms "
                    + "(%.2f MB/s overall, the Flux ended after %d ms); %d progress updates, highest write speed "
                    + "reported %d B/s; %s", mb, result.duration().toMillis(), mb / (result.duration().toMillis()
                    / 1000.0), tookMs, seen.size(), seen.stream().filter(p -> p.phase() == BurnPhase.WRITING)
                    .mapToLong(BurnProgress::bytesPerSecond).max().orElse(0), speed(drive.logSince(
                    "agentburn.ok"))));
        }
        out.observe("agentburn.ok.commands", TcmuDrive.opcodes(drive.logSince("agentburn.ok")));
    }

    /** Cancelling the burn stops xorriso and reaps it before the waiting session gets the drive. */
    private void agentBurnCancelled() {
        drive.order("slow 100");
        drive.note("agentburn.cancel");
        AtomicReference<BurnProgress> latest = new AtomicReference<>();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Disposable burn = a.burn(id, AcquireOptions.DEFAULT, BurnRequest.builder(job.resolve("agent-burn.iso"))
                .build()).subscribe(latest::set, failed::set);
        AtomicReference<String> atGrant = new AtomicReference<>();
        AtomicReference<LockGrant> granted = new AtomicReference<>();
        b.acquire(id, AcquireOptions.waitUpTo(TOOL_LIMIT)).subscribe(g -> {
            atGrant.set("xorriso running at the grant: " + xorrisoRunning());
            granted.set(g);
        }, e -> atGrant.set("the waiter failed: " + e));
        boolean midway = Shell.await(TOOL_LIMIT, () -> latest.get() != null && latest.get().bytesDone() >= 1 << 20
                || failed.get() != null);
        // while the agent burns, an exclusive open of either node (what every burning tool does first) is refused
        String srOpen = exclusiveOpen("/dev/" + sr);
        String sgOpen = exclusiveOpen("/dev/" + sg); // O_RDWR: sg refuses O_EXCL with O_RDONLY (EPERM)
        out.check("agentburn.intruder-refused", srOpen.equals("EBUSY") && sgOpen.equals("EBUSY")
                && xorrisoRunning(), "O_EXCL open of /dev/" + sr + ": " + srOpen + ", of /dev/" + sg + ": " + sgOpen
                + " while the agent's xorriso writes");
        long cancelled = System.nanoTime();
        burn.dispose();
        boolean handedOver = Shell.await(TOOL_LIMIT, () -> atGrant.get() != null);
        long handoverMs = Duration.ofNanos(System.nanoTime() - cancelled).toMillis();
        out.check("agentburn.cancel", midway && handedOver && granted.get() != null
                && "xorriso running at the grant: false".equals(atGrant.get()) && !xorrisoRunning(),
                "cancelled at " + (latest.get() == null ? "?" : latest.get().bytesDone()) + " bytes; " + atGrant.get()
                + " " + handoverMs + " ms after the cancellation");
        if (granted.get() != null) {
            b.release(granted.get()).block(BLOCK);
        }
        drive.order("slow 0");
    }

    /** {@code EBUSY} when an {@code O_EXCL|O_NONBLOCK} open of the node is refused, else what happened. */
    private static String exclusiveOpen(String node) {
        int access = node.contains("/sg") ? Linux.O_RDWR : Linux.O_RDONLY;
        try {
            DeviceFd.open(node, access | Linux.O_NONBLOCK | Linux.O_EXCL).close();
            return "opened";
        } catch (NativeCallException e) {
            return e.is(Linux.EBUSY) ? "EBUSY" : e.getMessage();
        }
    }

    /**
     * A WRITE the drive holds past the burn stall timeout: the burn fails at once with 0xC0AA020D, and the drive
     * passes on (the release completes, the waiter is granted) only once xorriso has exited.
     */
    private void agentBurnHangs() {
        drive.order("hold 2a 8");
        drive.note("agentburn.hang");
        long started = System.nanoTime();
        LockGrant grant = a.acquire(id).block(BLOCK);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        AtomicReference<String> runningAtFailure = new AtomicReference<>();
        a.burn(grant, BurnRequest.builder(job.resolve("agent-burn.iso")).build()).subscribe(p -> { }, e -> {
            runningAtFailure.set("xorriso running when the error came: " + xorrisoRunning());
            failed.set(e);
        });
        Shell.await(TOOL_LIMIT, () -> drive.status("holding") == 1 || failed.get() != null);
        AtomicReference<String> atGrant = new AtomicReference<>();
        AtomicReference<LockGrant> granted = new AtomicReference<>();
        b.acquire(id, AcquireOptions.waitUpTo(TOOL_LIMIT)).subscribe(g -> {
            atGrant.set("xorriso running at the grant: " + xorrisoRunning());
            granted.set(g);
        }, e -> atGrant.set("the waiter failed: " + e));
        Shell.await(Duration.ofSeconds(30), () -> failed.get() != null);
        long failedMs = Duration.ofNanos(System.nanoTime() - started).toMillis();
        a.release(grant).block(TOOL_LIMIT); // completes once the writer has stopped
        long releasedMs = Duration.ofNanos(System.nanoTime() - started).toMillis();
        Shell.await(TOOL_LIMIT, () -> atGrant.get() != null);
        Throwable error = failed.get();
        out.check("agentburn.hang", error instanceof CommandTimeoutException
                && ((RecorderException) error).hresult().equals(HResult.E_IMAPI_RECORDER_COMMAND_TIMEOUT)
                && ("xorriso running when the error came: true").equals(runningAtFailure.get())
                && "xorriso running at the grant: false".equals(atGrant.get()), error + " after " + failedMs
                + " ms (" + runningAtFailure.get() + "); released after " + releasedMs + " ms; the waiter: "
                + atGrant.get());
        if (granted.get() != null) {
            b.release(granted.get()).block(BLOCK);
        }
        drive.order("clear");
    }

    private void agentBurnMediumError() {
        drive.order("medium-error 300");
        drive.note("agentburn.medium-error");
        Throwable error = null;
        try {
            a.burn(id, AcquireOptions.DEFAULT, BurnRequest.builder(job.resolve("agent-burn.iso")).build())
                    .blockLast(TOOL_LIMIT);
        } catch (RuntimeException e) {
            error = e;
        }
        drive.order("clear");
        out.check("agentburn.medium-error", error instanceof MediumErrorException
                && ((RecorderException) error).nativeDetail().map(d -> d.senseData().equals("03 0c 00"))
                .orElse(false) && a.lockCount(id).block(BLOCK) == 0, error);
    }

    /** The last lines of the newest transcript of the agent's xorriso. */
    private String lastTranscriptTail() {
        try (var files = Files.list(job.resolve(TRANSCRIPTS))) {
            Path newest = files.max(java.util.Comparator.comparingLong(f -> f.toFile().lastModified())).orElse(null);
            if (newest == null) {
                return "none";
            }
            List<String> lines = Files.readAllLines(newest).stream().filter(l -> !l.isBlank()).toList();
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
        } catch (IOException e) {
            return "unreadable: " + e;
        }
    }

    /** Whether a cooperating xorriso (the agent's burn) runs in the guest now. */
    private static boolean xorrisoRunning() {
        return ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine().orElse("")
                .contains("shared:unrestricted") && p.info().command().orElse("").endsWith("xorriso"));
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private boolean acquireAndRelease(ClientSession session) {
        try {
            return session.acquire(id).block(BLOCK).lockCount() == 1 && session.release(id).block(BLOCK) == 0;
        } catch (RuntimeException e) {
            out.log("acquire/release failed: " + e);
            return false;
        }
    }

    /** The SHA-256 of the image's length read back from the drive's block node, bypassing the page cache. */
    private String readBack(Path iso) {
        try {
            Path copy = Path.of("/tmp/readback.bin");
            Process dd = new ProcessBuilder("dd", "if=/dev/" + sr, "of=" + copy, "bs=65536", "count="
                    + Files.size(iso), "iflag=direct,count_bytes", "status=none").redirectErrorStream(true).start();
            String errors = new String(dd.getInputStream().readAllBytes());
            if (dd.waitFor() != 0) {
                return "dd failed: " + errors.trim();
            }
            return sha256(copy);
        } catch (IOException e) {
            return "read back failed: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The write rate seen by the drive: bytes of the WRITEs in {@code lines} over their first-to-last time span. */
    static String speed(List<String> lines) {
        double first = -1;
        double last = -1;
        long bytes = 0;
        for (String line : lines) {
            String[] w = line.split(" ");
            if (w.length >= 8 && w[4].equals("GOOD") && w[7].equals("WRITE")) {
                double t = Double.parseDouble(w[0].substring(2));
                first = first < 0 ? t : first;
                last = t;
                bytes += Long.parseLong(w[6]);
            }
        }
        if (bytes == 0 || last <= first) {
            return "no WRITE timing";
        }
        double mb = bytes / 1e6;
        return String.format(Locale.ROOT, "%.1f MB in %.2f s = %.2f MB/s (%.1fx DVD)", mb, last - first,
                mb / (last - first), mb / (last - first) / 1.385);
    }

    private Thread listenToUevents() {
        NetlinkSocket socket = NetlinkSocket.openUevents();
        Thread t = new Thread(() -> {
            try (socket) {
                while (!Thread.currentThread().isInterrupted()) {
                    byte[] datagram = socket.receive();
                    if (datagram == null) {
                        Thread.sleep(20); // non-blocking socket: poll, bounded by the scenario
                        continue;
                    }
                    Uevent event = Uevent.parse(datagram);
                    if (event != null) {
                        uevents.add(event);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "uevent-recorder");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private boolean sawUevent(String action, String subsystem, String devname) {
        return sawUeventSince(0, action, subsystem, devname);
    }

    private boolean sawUeventSince(int from, String action, String subsystem, String devname) {
        return uevents.subList(from, uevents.size()).stream().anyMatch(u -> u.action().equals(action)
                && subsystem.equals(u.properties().get("SUBSYSTEM")) && devname.equals(u.properties().get("DEVNAME")));
    }

    private String describe(Uevent u) {
        return u.action() + " " + u.properties().get("SUBSYSTEM") + " " + u.properties().getOrDefault("DEVNAME", "")
                + (u.properties().containsKey("DISK_MEDIA_CHANGE") ? " DISK_MEDIA_CHANGE=1" : "");
    }

    private <T extends RecorderEvent> T awaitEvent(Class<T> type, Predicate<T> condition) {
        return awaitEvent(type, condition, WAIT);
    }

    private <T extends RecorderEvent> T awaitEvent(Class<T> type, Predicate<T> condition, Duration limit) {
        return fixture.findEvent(type, condition, limit, out);
    }

}
