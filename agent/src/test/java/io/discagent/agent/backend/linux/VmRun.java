package io.discagent.agent.backend.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;

/**
 * One boot of the test VM ({@link QemuVm}: a stock Debian kernel with a CD drive on virtio-scsi and the host's root
 * over 9p) that runs a guest program from this JVM's class path and answers its {@link HostSteps} through QMP
 * ({@link DriveActions}) until it powers off. Shared by the VM tests of every module (the agent's test jar).
 *
 * <p>Prerequisites: Linux, root, and what {@code agent/src/test/vm/setup.sh} prepares in {@code $DISCAGENT_VM_DIR}
 * (default {@code /var/cache/discagent-vm}); {@link #skipReason()} says what is missing.
 */
public final class VmRun {

    /** Where the guest sees the job share (results, host-step requests). */
    public static final String GUEST_JOB = GuestJava.GUEST_JOB;

    /**
     * What one boot did.
     *
     * @param qemuRc QEMU's exit code (137: killed by its time limit)
     * @param guestRc the guest program's exit code ({@code none} when it did not end)
     * @param guest the guest's transcript ({@link GuestTranscript} lines)
     * @param host each host step the guest asked for, with QEMU's answer
     * @param wall how long the boot took
     * @param job the job share on the host
     */
    public record Result(int qemuRc, String guestRc, List<String> guest, Map<String, String> host, Duration wall,
            Path job) {

        /** Asserts that each named {@code CHECK} line appears once and passed. */
        public void assertChecks(String... names) {
            for (String name : names) {
                List<String> lines = guest.stream().filter(l -> l.startsWith("CHECK " + name + " "))
                        .collect(Collectors.toList());
                assertThat(lines).as("guest check %s; transcript:%n%s", name, String.join("\n", guest)).hasSize(1);
                assertThat(lines.get(0)).as("guest check").startsWith("CHECK " + name + " PASS");
            }
        }

        /** Asserts that QEMU and the guest program ended cleanly and the transcript reports no failed check. */
        public void assertCompleted() {
            assertThat(qemuRc).as("QEMU exit code (137: killed by its time limit)").isZero();
            assertThat(guestRc).as("guest exit code; transcript:%n%s", String.join("\n", guest)).isEqualTo("0");
            assertThat(guest).anyMatch(l -> l.endsWith("DONE failures=0"));
        }

        /** QEMU's answer to a host step, or {@code null} if the guest never asked for it. */
        public String host(String step) {
            return host.get(step);
        }
    }

    private VmRun() {
    }

    /** Where {@code setup.sh} put the kernel, the initramfs and the discs ({@code disc1.iso}, {@code disc2.iso}). */
    public static Path imagesDir() {
        return images().dir();
    }

    /** The images {@code setup.sh} prepared. */
    static QemuVm.Images images() {
        return QemuVm.Images.in(Path.of(System.getenv().getOrDefault("DISCAGENT_VM_DIR", "/var/cache/discagent-vm")));
    }

    /** Why the VM cannot run here, or {@code null} when it can. */
    public static String skipReason() {
        if (!System.getProperty("os.name", "").toLowerCase().startsWith("linux")) {
            return "VM tests run on Linux";
        }
        if (LoopDevice.uid() != 0) {
            return "VM tests need root (the guest reads the host's root file system over 9p, including root's Maven "
                    + "repository)";
        }
        String missing = images().missing();
        return missing == null ? null : "VM tests skipped: " + missing;
    }

    /** {@link #run}, after skipping the calling test (a JUnit assumption) when {@link #skipReason} says so. */
    public static Result runOrSkip(String name, Duration limit, String prelude, Class<?> main, String... args)
            throws IOException {
        String skip = skipReason();
        Assumptions.assumeTrue(skip == null, skip);
        return run(name, limit, prelude, main, args);
    }

    /**
     * Boots the VM, runs {@code main} with {@code args} in the guest (after the shell lines of {@code prelude}) and
     * serves its host steps until it powers off or {@code limit} passes. Prints the transcript.
     *
     * @param name the job's name (its directory under {@code target/vm-jobs})
     */
    public static Result run(String name, Duration limit, String prelude, Class<?> main, String... args)
            throws IOException {
        QemuVm.Images images = images();
        Path job = Path.of(System.getProperty("basedir", System.getProperty("user.dir")), "target", "vm-jobs", name)
                .toAbsolutePath();
        TestFiles.deleteTree(job);
        Files.createDirectories(job);
        GuestJava.writeRunScript(job, prelude, main, args);
        Path qmpDir = Files.createTempDirectory("discagent-qmp");
        Path socket = qmpDir.resolve("qmp.sock");
        Map<String, String> host = Collections.synchronizedMap(new LinkedHashMap<>());
        long started = System.nanoTime();
        int qemuRc;
        Duration wall;
        try (QemuVm vm = QemuVm.boot(images, job, socket, limit);
                QmpClient qmp = QmpClient.connect(socket, Duration.ofSeconds(30))) {
            DriveActions drive = new DriveActions(qmp, images);
            long deadline = started + limit.toNanos();
            while (vm.isAlive() && System.nanoTime() < deadline) {
                serve(job, drive, host);
                Shell.await(Duration.ofMillis(200), () -> hasRequest(job) || !vm.isAlive()); // the guest's pace
            }
            qemuRc = vm.exitCode(Duration.ofSeconds(30));
        } finally {
            TestFiles.deleteTree(qmpDir);
        }
        wall = Duration.ofNanos(System.nanoTime() - started);
        String guestRc = Files.exists(job.resolve("rc")) ? Files.readString(job.resolve("rc")).trim() : "none";
        List<String> guest = Files.exists(job.resolve("out.log")) ? Files.readAllLines(job.resolve("out.log"))
                : List.of();
        System.out.println("=== VM " + name + ": qemu rc " + qemuRc + ", guest rc " + guestRc + ", wall "
                + wall.toMillis() + " ms, guest uptime at start/end " + Sysfs.read(job.resolve("uptime-at-start"),
                "?") + "/" + Sysfs.read(job.resolve("uptime-at-end"), "?") + " s; job " + job);
        host.forEach((step, answer) -> System.out.println("HOST " + step + " -> " + answer));
        guest.forEach(System.out::println);
        return new Result(qemuRc, guestRc, List.copyOf(guest), Map.copyOf(host), wall, job);
    }

    /** Answers every request the guest has made and the host has not answered yet. */
    private static void serve(Path job, DriveActions drive, Map<String, String> host) throws IOException {
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
            host.put(step, answer);
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
}
