package io.discagent.agent.backend.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Linux backend against a real kernel's {@code sr} driver: a stock Debian kernel under QEMU (TCG) with a CD drive
 * on virtio-scsi runs {@link SrGuestScenario} from the built classes, with the real burning tools of the host root
 * ({@link ToolMatrix}), while this test plays the user through QMP ({@link DriveActions}): eject, change discs, pull
 * the drive, plug it back. One boot serves every test below (about three and a half minutes); QEMU runs under
 * {@code timeout}.
 *
 * <p>Prerequisites: root, and what {@code agent/src/test/vm/setup.sh} installs and prepares (in
 * {@code $DISCAGENT_VM_DIR}, default {@code /var/cache/discagent-vm}); without them every test is skipped with the
 * reason.
 */
class SrDriveVmTests {

    private static final Duration VM_LIMIT = Duration.ofSeconds(480);
    private static final String GUEST_JOB = "/tmp/job";
    /**
     * Guest JVMs start about twice as fast under TCG without bytecode verification (the classes are our own build)
     * and without Vert.x's DNS resolver (the agent resolves no names).
     */
    private static final String GUEST_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx192m "
            + "-XX:+UnlockDiagnosticVMOptions -XX:-BytecodeVerificationRemote -Dvertx.disableDnsResolver=true";

    private static final Map<String, String> HOST = new LinkedHashMap<>();
    private static final List<String> GUEST = new ArrayList<>();
    private static String guestRc = "?";
    private static int qemuRc = -1;
    private static Duration wall = Duration.ZERO;

    @BeforeAll
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // the VM's own limit is VM_LIMIT
    static void runTheScenarioInAVm() throws IOException {
        assumeTrue(System.getProperty("os.name", "").toLowerCase().startsWith("linux"), "VM tests run on Linux");
        assumeTrue(LoopDevice.uid() == 0, "VM tests need root (the guest reads the host's root file system "
                + "over 9p, including root's Maven repository)");
        QemuVm.Images images = QemuVm.Images.in(Path.of(System.getenv().getOrDefault("DISCAGENT_VM_DIR",
                "/var/cache/discagent-vm")));
        String missing = images.missing();
        assumeTrue(missing == null, () -> "VM tests skipped: " + missing);

        Path job = Path.of(System.getProperty("basedir", System.getProperty("user.dir")), "target", "vm-jobs",
                "sr-drive").toAbsolutePath();
        TestFiles.deleteTree(job);
        Files.createDirectories(job);
        Files.writeString(job.resolve("run.sh"), "#!/bin/sh\n"
                + "export JAVA_TOOL_OPTIONS='" + GUEST_JVM_OPTIONS + "'\n"
                + "exec " + ChildJvm.java() + " -cp " + guestClasspath(job) + " "
                + SrGuestScenario.class.getName() + " " + GUEST_JOB + " " + images.dir() + "\n");
        Path qmpDir = Files.createTempDirectory("discagent-qmp");
        Path socket = qmpDir.resolve("qmp.sock");
        long started = System.nanoTime();
        try (QemuVm vm = QemuVm.boot(images, job, socket, VM_LIMIT);
                QmpClient qmp = QmpClient.connect(socket, Duration.ofSeconds(30))) {
            DriveActions drive = new DriveActions(qmp, images);
            long deadline = started + VM_LIMIT.toNanos();
            while (vm.isAlive() && System.nanoTime() < deadline) {
                serve(job, drive);
                Shell.await(Duration.ofMillis(200), () -> hasRequest(job) || !vm.isAlive()); // the guest's pace
            }
            qemuRc = vm.exitCode(Duration.ofSeconds(30));
        } finally {
            wall = Duration.ofNanos(System.nanoTime() - started);
            TestFiles.deleteTree(qmpDir);
        }
        guestRc = Files.exists(job.resolve("rc")) ? Files.readString(job.resolve("rc")).trim() : "none";
        if (Files.exists(job.resolve("out.log"))) {
            GUEST.addAll(Files.readAllLines(job.resolve("out.log")));
        }
        System.out.println("=== VM: qemu rc " + qemuRc + ", guest rc " + guestRc + ", wall " + wall.toMillis()
                + " ms, guest uptime at start/end " + read(job.resolve("uptime-at-start")) + "/"
                + read(job.resolve("uptime-at-end")) + " s; job " + job);
        HOST.forEach((step, answer) -> System.out.println("HOST " + step + " -> " + answer));
        GUEST.forEach(System.out::println);
    }

    @Test
    void theVmRanTheWholeScenario() {
        assertThat(qemuRc).as("QEMU exit code (137: killed by timeout after %s)", VM_LIMIT).isZero();
        assertThat(guestRc).as("scenario exit code; transcript:%n%s", String.join("\n", GUEST)).isEqualTo("0");
        assertThat(GUEST).anyMatch(l -> l.endsWith("DONE failures=0"));
        assertThat(wall).isLessThan(Duration.ofMinutes(5));
    }

    @Test
    void theDriveIsFoundInSysfs() {
        assertGuestChecks("discovery.sr0", "discovery.kernel-media-polling");
    }

    @Test
    void aKernelHolderIsNamedAsTheOwner() {
        assumeTrue(Shell.exists("dmsetup"), "dmsetup is not installed: no device-mapper target to stack on the drive");
        assertGuestChecks("owner.kernel-holder", "owner.kernel-holder-gone");
    }

    @Test
    void theGenericNodeIsHeldWithTheBlockNode() {
        assertGuestChecks("generic.acquire", "generic.open-refused-802", "generic.open-refused-800",
                "generic.open-refused-882", "generic.posix-lock", "generic.release", "generic.free-after-release");
    }

    @Test
    void aToolHoldingEitherNodeIsNamedWithItsPid() {
        assertGuestChecks("holder.xorriso-on-sr", "holder.xorriso-on-sr.gone", "holder.xorriso-on-sg",
                "holder.xorriso-on-sg.nothing-held", "holder.xorriso-on-sg.gone");
    }

    @Test
    void everyExclusiveToolIsRefusedOnBothNodesWithoutReachingTheDrive() {
        for (ToolMatrix.Invocation invocation : ToolMatrix.EXCLUSIVE) {
            assertGuestChecks("tool." + invocation.label() + ".works-when-free",
                    "tool." + invocation.label() + ".refused-while-held");
        }
        assertGuestChecks("tools.acquire", "tools.tray-never-unlocked-while-refusing", "tools.qmp-locked-while-held");
        assertThat(HOST.get("query.tools-held")).contains("locked=true").contains("tray_open=false");
    }

    @Test
    void nonExclusiveToolsGetThroughAndTheTrayIsLockedAgainAfterThem() {
        for (ToolMatrix.Invocation invocation : ToolMatrix.nonExclusive(Path.of("disc"))) {
            assertGuestChecks("tool." + invocation.label() + ".gets-through-while-held");
        }
        assertGuestChecks("tools.qmp-locked-after-non-exclusive-tools", "tools.release");
        assertThat(HOST.get("query.after-non-exclusive-tools")).contains("locked=true");
    }

    @Test
    void aTrayUnlockedOrOpenedByAnotherProcessIsLockedAgainWithAnEvent() {
        assertGuestChecks("watch.acquire", "watch.sg_prevent-allow", "watch.locked-again-after-allow",
                "watch.culprit-named", "watch.eject-i-off", "watch.eject-F", "watch.locked-again-after-eject-F",
                "watch.tray-closed", "watch.eject-F-as-cdrom-user", "watch.tray-closed-again", "watch.release");
        assertThat(HOST.get("query.after-allow")).contains("locked=true").contains("tray_open=false");
        assertThat(HOST.get("query.after-eject-F")).contains("locked=true").contains("tray_open=true");
    }

    @Test
    void theTrayCannotBeEjectedWhileHeldAndCanAfterRelease() {
        assertGuestChecks("tray.acquire", "tray.second-claim-refused", "tray.owner", "tray.software-eject-refused",
                "tray.eject-request-published", "tray.release");
        assertThat(HOST.get("eject.while-held")).startsWith("error:").contains("is locked")
                .contains("locked=true").contains("tray_open=false");
        assertThat(HOST.get("eject.after-release")).startsWith("ok").contains("locked=false")
                .contains("tray_open=true");
    }

    @Test
    void mediaChangesAreSeenWhileHeld() {
        assertGuestChecks("media.acquire", "media.inserted-seen", "media.forced-eject-seen", "media.reinserted-seen",
                "media.release");
        assertThat(HOST.get("change-medium.disc2")).startsWith("ok").contains("medium=disc2.iso");
        assertThat(HOST.get("force-eject.while-held")).startsWith("ok").contains("tray_open=true");
    }

    @Test
    void unpluggingAHeldDriveFailsTheHolderAndTheWaitersAndLeaksNothing() {
        assertGuestChecks("unplug.setup", "unplug.removed-event", "unplug.holder-failed", "unplug.waiter-failed",
                "unplug.nothing-held", "unplug.no-descriptor-left", "unplug.count-zero");
        assertThat(HOST.get("unplug.while-held")).startsWith("ok").endsWith("absent");
    }

    @Test
    void aReplugArrivesAndAcquiresCleanly() {
        assertGuestChecks("replug.arrived", "replug.clean-acquire", "replug.release");
        assertThat(HOST.get("plug.disc1")).startsWith("ok, ok").contains("medium=disc1.iso");
        assertThat(HOST.get("eject.after-replug-held")).startsWith("error:").contains("locked=true");
    }

    @Test
    void aKilledHolderLeavesTheTrayUnlocked() {
        assertGuestChecks("crash.locked-by-child", "crash.acquire-after-kill");
        assertThat(HOST.get("query.crash-holder-alive")).contains("locked=true");
        assertThat(HOST.get("query.after-kill")).contains("locked=false");
        assertThat(HOST.get("eject.after-kill")).startsWith("ok").contains("tray_open=true");
    }

    private static void assertGuestChecks(String... names) {
        for (String name : names) {
            List<String> lines = GUEST.stream().filter(l -> l.startsWith("CHECK " + name + " "))
                    .collect(Collectors.toList());
            assertThat(lines).as("guest check %s; transcript:%n%s", name, String.join("\n", GUEST)).hasSize(1);
            assertThat(lines.get(0)).as("guest check").startsWith("CHECK " + name + " PASS");
        }
    }

    /** Answers every request the guest has made and the host has not answered yet. */
    private static void serve(Path job, DriveActions drive) throws IOException {
        List<Path> requests = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(job, "req-*")) {
            entries.forEach(requests::add);
        }
        requests.sort(null);
        for (Path request : requests) {
            String name = request.getFileName().toString().substring("req-".length());
            Path ack = job.resolve("ack-" + name);
            if (Files.exists(ack)) {
                continue;
            }
            String step = name.substring(name.indexOf('-') + 1);
            int dot = step.indexOf('.');
            String answer = drive.perform(dot < 0 ? step : step.substring(0, dot), dot < 0 ? "" : step.substring(dot
                    + 1));
            HOST.put(step, answer);
            Path tmp = job.resolve("tmp-" + name);
            Files.writeString(tmp, answer + "\n");
            Files.move(tmp, ack);
        }
    }

    private static boolean hasRequest(Path job) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(job, "req-*")) {
            for (Path request : entries) {
                if (!Files.exists(job.resolve("ack-" + request.getFileName().toString().substring(4)))) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The guest's class path: class directories are packed into jars in the job share, jars under /tmp (which the
     * guest cannot see) copied there; other jars are read from the host root the guest mounts.
     */
    private static String guestClasspath(Path job) throws IOException {
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path source = Path.of(entry).toAbsolutePath();
            if (!Files.exists(source)) {
                continue;
            }
            if (Files.isDirectory(source)) {
                String name = "cp/" + (n++) + "-" + source.getFileName() + ".jar";
                TestFiles.jar(source, job.resolve(name)); // one file: no 9p lookup per class
                entries.add(GUEST_JOB + "/" + name);
            } else if (source.startsWith("/tmp")) {
                String name = "cp/" + (n++) + "-" + source.getFileName();
                TestFiles.copyTree(source, job.resolve(name));
                entries.add(GUEST_JOB + "/" + name);
            } else {
                entries.add(source.toString());
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    private static String read(Path file) {
        return Sysfs.read(file, "?");
    }
}
