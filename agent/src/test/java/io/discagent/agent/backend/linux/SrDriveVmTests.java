package io.discagent.agent.backend.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Linux backend against a real kernel's {@code sr} driver: a stock Debian kernel under QEMU (TCG) with a CD drive
 * on virtio-scsi runs {@link SrGuestScenario} from the built classes, while this test plays the user through QMP
 * ({@link DriveActions}): eject, change discs, pull the drive, plug it back. One boot serves every test below (about
 * a minute); QEMU runs under {@code timeout}.
 *
 * <p>Prerequisites: root, and what {@code agent/src/test/vm/setup.sh} installs and prepares (in
 * {@code $DISCAGENT_VM_DIR}, default {@code /var/cache/discagent-vm}); without them every test is skipped with the
 * reason.
 */
class SrDriveVmTests {

    private static final Duration VM_LIMIT = Duration.ofSeconds(240);
    private static final Map<String, String> HOST = new LinkedHashMap<>();
    private static final List<String> GUEST = new ArrayList<>();
    private static String guestRc = "?";
    private static int qemuRc = -1;
    private static Duration wall = Duration.ZERO;

    @BeforeAll
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
        GuestJava.writeRunScript(job, SrGuestScenario.class, GuestJava.GUEST_JOB);
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
    void theTrayCannotBeEjectedWhileHeldAndCanAfterRelease() {
        assertGuestChecks("tray.acquire", "tray.second-claim-refused", "tray.owner", "tray.software-eject-refused",
                "tray.release");
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

    private static String read(Path file) {
        return Sysfs.read(file, "?");
    }
}
