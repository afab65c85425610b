package io.discagent.agent.backend.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A recordable drive for the real kernel: the same QEMU guest as {@link SrDriveVmTests}, plus a DVD+RW drive served
 * from user space ({@code agent/src/test/tcmu/tcmu-mmc.c}, built here with gcc) through the kernel's SCSI target
 * (TCMU over UIO) and {@code tcm_loop}, which the unmodified {@code sr} and {@code sg} drivers bind as
 * {@code /dev/srN} and {@code /dev/sgN}. {@link TcmuGuestScenario} runs in the guest: real tools burn ISO images made
 * here, with and without the agent's lock, and the drive's faults meet the agent. One boot serves every test below
 * (about two minutes under TCG).
 *
 * <p>Prerequisites: root, what {@code agent/src/test/vm/setup.sh} installs and prepares (the pinned kernel with the
 * target modules, gcc, xorriso, cdrskin, growisofs, wodim, strace); without them every test is skipped with the reason.
 */
class TcmuDriveVmTests {

    private static final Duration VM_LIMIT = Duration.ofSeconds(360);
    private static final List<String> IMAGES = List.of("burn-xorriso", "burn-cdrskin", "burn-growisofs",
            "lock-xorriso", "lock-cdrskin", "agent-burn");

    private static final List<String> GUEST = new ArrayList<>();
    private static String guestRc = "?";
    private static int qemuRc = -1;
    private static Duration wall = Duration.ZERO;

    @BeforeAll
    @Timeout(value = 420, unit = TimeUnit.SECONDS) // the VM's own limit plus compiling and packing
    static void runTheScenarioInAVm() throws IOException {
        assumeTrue(System.getProperty("os.name", "").toLowerCase().startsWith("linux"), "VM tests run on Linux");
        assumeTrue(LoopDevice.uid() == 0, "VM tests need root (the guest reads the host's root file system "
                + "over 9p, including root's Maven repository)");
        QemuVm.Images images = QemuVm.Images.in(Path.of(System.getenv().getOrDefault("DISCAGENT_VM_DIR",
                "/var/cache/discagent-vm")));
        String missing = images.missing();
        assumeTrue(missing == null, () -> "VM tests skipped: " + missing);
        for (String tool : List.of("gcc", "genisoimage", "xorriso", "cdrskin", "growisofs", "wodim", "strace")) {
            assumeTrue(Shell.exists(tool), () -> tool + " is not installed: run agent/src/test/vm/setup.sh (as root)");
        }
        Path basedir = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        Path job = basedir.resolve("target/vm-jobs/tcmu-drive");
        TestFiles.deleteTree(job);
        Files.createDirectories(job);
        Shell.ok("gcc", "-O2", "-Wall", "-pthread", "-o", job.resolve("tcmu-mmc").toString(),
                basedir.resolve("src/test/tcmu/tcmu-mmc.c").toString());
        for (String name : IMAGES) {
            makeIso(job, name);
        }
        GuestJava.writeRunScript(job, TcmuGuestScenario.class, GuestJava.GUEST_JOB);
        Path qmpDir = Files.createTempDirectory("discagent-qmp");
        long started = System.nanoTime();
        try (QemuVm vm = QemuVm.boot(images, job, qmpDir.resolve("qmp.sock"), VM_LIMIT)) {
            qemuRc = vm.exitCode(VM_LIMIT.plusSeconds(10));
        } finally {
            wall = Duration.ofNanos(System.nanoTime() - started);
            TestFiles.deleteTree(qmpDir);
        }
        guestRc = Files.exists(job.resolve("rc")) ? Files.readString(job.resolve("rc")).trim() : "none";
        if (Files.exists(job.resolve("out.log"))) {
            GUEST.addAll(Files.readAllLines(job.resolve("out.log")));
        }
        System.out.println("=== VM: qemu rc " + qemuRc + ", guest rc " + guestRc + ", wall " + wall.toMillis()
                + " ms, guest uptime at start/end " + Sysfs.read(job.resolve("uptime-at-start"), "?") + "/"
                + Sysfs.read(job.resolve("uptime-at-end"), "?") + " s; job " + job + " (the drive's command log: "
                + job.resolve("cdb.log") + ")");
        GUEST.forEach(System.out::println);
    }

    /** An ISO image of its own random content (a stale disc cannot match it), about 2.5 MB. */
    private static void makeIso(Path job, String name) throws IOException {
        Path dir = job.resolve("iso-" + name);
        Files.createDirectories(dir);
        byte[] data = new byte[2_500_000];
        new Random(name.hashCode()).nextBytes(data);
        Files.write(dir.resolve("data.bin"), data);
        Files.writeString(dir.resolve("README.txt"), "burned by " + name + "\n");
        Shell.ok("genisoimage", "-quiet", "-V", name.toUpperCase().replace('-', '_'), "-o",
                job.resolve(name + ".iso").toString(), dir.toString());
        TestFiles.deleteTree(dir);
    }

    @Test
    void theVmRanTheWholeScenario() {
        assertThat(qemuRc).as("QEMU exit code (137: killed by timeout after %s)", VM_LIMIT).isZero();
        assertThat(guestRc).as("scenario exit code; transcript:%n%s", String.join("\n", GUEST)).isEqualTo("0");
        assertThat(GUEST).anyMatch(l -> l.endsWith("DONE failures=0"));
        assertThat(wall).as("the scenario finished inside the VM's own limit").isLessThan(VM_LIMIT);
    }

    @Test
    void theKernelBindsSrAndSgToTheDriveWithUevents() {
        assertGuestChecks("bind.sr-and-sg", "bind.uevents");
    }

    @Test
    void theAgentFindsClaimsAndReadsTheMediaOfTheDrive() {
        assertGuestChecks("agent.arrived", "agent.media-state", "claim.acquire", "claim.tray-locked",
                "claim.second-claim-refused", "claim.owner", "claim.release");
    }

    @Test
    void realToolsBurnAnImageThatReadsBackIdentical() {
        assertGuestChecks("burn.xorriso", "burn.cdrskin", "burn.growisofs");
    }

    @Test
    void cooperatingToolsBurnThroughTheAgentsLockWhileOtherToolsAreRefused() {
        assertGuestChecks("lock.acquire", "lock.xorriso", "lock.cdrskin", "lock.release", "intruder.xorriso-sr",
                "intruder.cdrskin-sr", "intruder.wodim-sr");
    }

    @Test
    void aHungWriteTimesOutTheCallerWhileOtherRecordersCarryOn() {
        assertGuestChecks("hang.acquire", "hang.write-held", "hang.release-times-out", "hang.timeout-event",
                "hang.other-recorder-carries-on", "hang.recovers");
    }

    @Test
    void aMediumErrorSurfacesWithItsSense() {
        assertGuestChecks("medium-error.acquire", "medium-error.write", "medium-error.read", "medium-error.release");
    }

    @Test
    void aMediumSwapGivesMediaEvents() {
        assertGuestChecks("swap.acquire", "swap.media-events", "swap.release");
    }

    @Test
    void removingTheDriveMidBurnFailsTheHolderAndTheWaiters() {
        assertGuestChecks("removal.setup", "removal.removed-event", "removal.holder-failed", "removal.waiter-failed",
                "removal.burn-failed", "removal.uevents", "removal.count-zero", "removal.re-added",
                "removal.clean-acquire");
    }

    @Test
    void theAgentReadsTheMediumAndBurnsThroughItsOwnLockReadBackIdentical() {
        assertGuestChecks("agentburn.media", "agentburn.ok", "agentburn.intruder-refused");
    }

    @Test
    void aCancelledAgentBurnStopsAndReapsXorrisoBeforeTheDrivePassesOn() {
        assertGuestChecks("agentburn.cancel");
    }

    @Test
    void aHungWriteFailsTheAgentBurnWithTheCommandTimeoutAndTheDrivePassesOnOnceXorrisoExited() {
        assertGuestChecks("agentburn.hang");
    }

    @Test
    void aMediumErrorFailsTheAgentBurnWithItsSense() {
        assertGuestChecks("agentburn.medium-error");
    }

    private static void assertGuestChecks(String... names) {
        for (String name : names) {
            List<String> lines = GUEST.stream().filter(l -> l.startsWith("CHECK " + name + " "))
                    .collect(Collectors.toList());
            assertThat(lines).as("guest check %s; transcript:%n%s", name, String.join("\n", GUEST)).hasSize(1);
            assertThat(lines.get(0)).as("guest check").startsWith("CHECK " + name + " PASS");
        }
    }
}
