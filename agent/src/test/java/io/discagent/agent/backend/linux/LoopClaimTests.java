package io.discagent.agent.backend.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.discagent.agent.backend.linux.jna.DeviceFd;
import io.discagent.agent.backend.linux.jna.Linux;
import io.discagent.agent.backend.linux.jna.NativeCallException;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
import io.discagent.api.error.HResult;
import io.discagent.api.error.NativeDetail;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.error.VolumeMountedException;
import io.discagent.api.event.RecorderRemovedEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Linux backend's claim against a real kernel, on loop devices: {@code O_EXCL}, {@code flock} and POSIX lock
 * conflicts with other processes, mounted volumes with and without {@code force}, owner names, crash release.
 * Needs root; skipped otherwise.
 */
class LoopClaimTests {

    private static final Duration BLOCK = LinuxAgentFixture.BLOCK;

    @TempDir
    Path dir;
    private LoopDevice loop;
    private LinuxAgentFixture fixture;
    private Process helper;

    @BeforeEach
    void attachLoopDevice() {
        LoopDevice.assumeUsable();
        loop = LoopDevice.attach(dir);
    }

    @AfterEach
    void cleanUp() {
        if (helper != null) {
            helper.descendants().forEach(ProcessHandle::destroyForcibly);
            helper.destroyForcibly();
        }
        if (fixture != null) {
            fixture.close();
        }
        if (loop != null) {
            loop.close();
        }
    }

    private RecorderId id() {
        return RecorderId.of(loop.name);
    }

    private ClientSession startAgentAndSession(String clientName) {
        fixture = LinuxAgentFixture.start(loop.node);
        return fixture.session(clientName);
    }

    @Test
    void offersTheConfiguredLoopDevice() {
        fixture = LinuxAgentFixture.start(loop.node);
        List<RecorderInfo> recorders = fixture.agent.recorders().block(BLOCK);
        assertThat(recorders).hasSize(1);
        RecorderInfo info = recorders.get(0);
        assertThat(info.id()).isEqualTo(id());
        assertThat(info.backend()).isEqualTo("linux");
        assertThat(info.vendor()).isEqualTo("Linux");
        assertThat(info.product()).isEqualTo("Loop device");
        assertThat(info.paths()).containsExactly(loop.node.toString());
    }

    @Test
    void aHeldDeviceRefusesOtherClaimsLocksAndMounts() throws IOException {
        loop.format();
        ClientSession session = startAgentAndSession("Burner A");
        assertThat(session.acquire(id()).block(BLOCK).lockCount()).isEqualTo(1);

        NativeCallException exclusive = catchThrowableOfType(NativeCallException.class, () -> DeviceFd.open(
                loop.node.toString(), Linux.O_RDONLY | Linux.O_NONBLOCK | Linux.O_EXCL));
        assertThat(exclusive.errno()).as("a second O_EXCL open").isEqualTo(Linux.EBUSY);
        assertThat(Shell.run("flock", "-n", "-x", loop.node.toString(), "true").exit())
                .as("flock(1) -n while held").isEqualTo(1);
        Path mountPoint = Files.createTempDirectory(dir, "mnt");
        assertThat(Shell.run("mount", loop.node.toString(), mountPoint.toString()).exit())
                .as("mount while held").isNotZero();
        long inode = (Long) Files.getAttribute(loop.node, "unix:ino");
        long self = ProcessHandle.current().pid();
        String locks = Files.readString(Path.of("/proc/locks"));
        assertThat(locks).containsPattern("FLOCK\\s+ADVISORY\\s+WRITE\\s+" + self + "\\s+\\S+:" + inode + " ");
        assertThat(locks).containsPattern("POSIX\\s+ADVISORY\\s+WRITE\\s+" + self + "\\s+\\S+:" + inode + " ");

        assertThat(session.release(id()).block(BLOCK)).isZero();
        DeviceFd.open(loop.node.toString(), Linux.O_RDONLY | Linux.O_NONBLOCK | Linux.O_EXCL).close();
        assertThat(Shell.run("flock", "-n", "-x", loop.node.toString(), "true").exit()).isZero();
        assertThat(Files.readString(Path.of("/proc/locks"))).doesNotContainPattern("\\s" + self + "\\s+\\S+:"
                + inode + " ");
    }

    @Test
    void aForeignExclusiveHolderIsNamed() {
        try (ChildJvm wodimLike = ChildJvm.hold("excl", loop.node.toString())) {
            ClientSession session = startAgentAndSession("Burner A");

            RecorderLockedException locked = lockedOnAcquire(session, AcquireOptions.DEFAULT);
            assertThat(locked.hresult()).isEqualTo(HResult.E_IMAPI_RECORDER_LOCKED);
            assertThat(locked.owner()).contains(wodimLike.ownerName());
            NativeDetail detail = locked.nativeDetail().orElseThrow();
            assertThat(detail.code()).isEqualTo(Linux.EBUSY);
            assertThat(detail.symbol()).isEqualTo("EBUSY");
            assertThat(detail.source()).contains(loop.node.toString()).contains("O_EXCL");
            assertThat(fixture.agent.exclusiveAccessOwner(id()).block(BLOCK)).isEqualTo(wodimLike.ownerName());

            wodimLike.kill();
            assertThat(session.acquire(id()).block(BLOCK).lockCount()).isEqualTo(1);
            assertThat(fixture.agent.exclusiveAccessOwner(id()).block(BLOCK)).isEqualTo("Burner A");
        }
    }

    @Test
    void aForeignFlockHolderIsNamed() throws IOException {
        // util-linux flock(1) holds LOCK_EX (like a well-behaved tool, or udevd's LOCK_SH) but no O_EXCL claim
        helper = new ProcessBuilder("flock", "-x", "-o", loop.node.toString(), "sleep", "600").start();
        long inode = (Long) Files.getAttribute(loop.node, "unix:ino");
        assertThat(Shell.await(Duration.ofSeconds(10), () -> locksMention(helper.pid(), inode))).isTrue();
        ClientSession session = startAgentAndSession("Burner A");

        RecorderLockedException locked = lockedOnAcquire(session, AcquireOptions.DEFAULT);
        assertThat(locked.owner()).contains("flock (pid " + helper.pid() + ")");
        assertThat(locked.nativeDetail().orElseThrow().symbol()).isEqualTo("EAGAIN");
        assertThat(locked.nativeDetail().orElseThrow().source()).startsWith("flock(");
        // the failed attempt closed its descriptor: nothing of ours still claims the device
        DeviceFd.open(loop.node.toString(), Linux.O_RDONLY | Linux.O_NONBLOCK | Linux.O_EXCL).close();

        helper.destroyForcibly();
        assertThat(Shell.await(Duration.ofSeconds(10), () -> !locksMention(helper.pid(), inode))).isTrue();
        assertThat(session.acquire(id()).block(BLOCK).lockCount()).isEqualTo(1);
    }

    @Test
    void anInheritedFlockIsNamedAfterTheLiveProcessThatCarriesIt() throws IOException {
        // flock(1) without -o: the command inherits the locked descriptor; then flock(1) itself dies
        helper = new ProcessBuilder("flock", "-x", loop.node.toString(), "sleep", "600").start();
        long inode = (Long) Files.getAttribute(loop.node, "unix:ino");
        assertThat(Shell.await(Duration.ofSeconds(10), () -> locksMention(helper.pid(), inode)
                && helper.descendants().findAny().isPresent())).isTrue();
        ProcessHandle sleeper = helper.descendants().findFirst().orElseThrow();
        helper.destroyForcibly();
        assertThat(Shell.await(Duration.ofSeconds(10), () -> !helper.isAlive())).isTrue();
        assertThat(locksMention(helper.pid(), inode)).as("/proc/locks keeps the dead pid").isTrue();
        ClientSession session = startAgentAndSession("Burner A");

        RecorderLockedException locked = lockedOnAcquire(session, AcquireOptions.DEFAULT);
        assertThat(locked.owner()).contains("sleep (pid " + sleeper.pid() + ")");
        assertThat(locked.getMessage()).doesNotContain("pid " + helper.pid() + ")");

        sleeper.destroyForcibly();
        assertThat(Shell.await(Duration.ofSeconds(10), () -> !locksMention(helper.pid(), inode))).isTrue();
        assertThat(session.acquire(id()).block(BLOCK).lockCount()).isEqualTo(1);
    }

    @Test
    void aForcedAcquireLooksForOtherHoldersBeforeItDismounts() throws IOException {
        loop.format();
        Path mountPoint = loop.mount(dir);
        helper = new ProcessBuilder("flock", "-x", "-o", loop.node.toString(), "sleep", "600").start();
        long inode = (Long) Files.getAttribute(loop.node, "unix:ino");
        assertThat(Shell.await(Duration.ofSeconds(10), () -> locksMention(helper.pid(), inode))).isTrue();
        ClientSession session = startAgentAndSession("Burner A");

        RecorderLockedException locked = lockedOnAcquire(session, AcquireOptions.DEFAULT.withForce(true));
        assertThat(locked.owner()).contains("flock (pid " + helper.pid() + ")");
        assertThat(locked.getMessage()).contains("left mounted");
        assertThat(loop.isMounted()).as("not dismounted for a claim that would fail").isTrue();

        helper.destroyForcibly();
        assertThat(Shell.await(Duration.ofSeconds(10), () -> !locksMention(helper.pid(), inode))).isTrue();
        assertThat(session.acquire(id(), AcquireOptions.DEFAULT.withForce(true)).block(BLOCK).lockCount())
                .isEqualTo(1);
        assertThat(loop.isMounted()).isFalse();
    }

    @Test
    void aForeignPosixLockHolderIsNamed() {
        try (ChildJvm libburnLike = ChildJvm.hold("posix", loop.node.toString())) {
            ClientSession session = startAgentAndSession("Burner A");
            RecorderLockedException locked = lockedOnAcquire(session, AcquireOptions.DEFAULT);
            assertThat(locked.owner()).contains(libburnLike.ownerName());
            assertThat(locked.nativeDetail().orElseThrow().source()).contains("F_SETLK");
            assertThat(locked.nativeDetail().orElseThrow().symbol()).isIn("EAGAIN", "EACCES"); // POSIX allows both
            libburnLike.kill();
            assertThat(session.acquire(id()).block(BLOCK).lockCount()).isEqualTo(1);
        }
    }

    @Test
    void aMountedVolumeNeedsForce() {
        loop.format();
        Path mountPoint = loop.mount(dir);
        ClientSession session = startAgentAndSession("Burner A");

        VolumeMountedException mounted = catchThrowableOfType(VolumeMountedException.class,
                () -> session.acquire(id()).block(BLOCK));
        assertThat(mounted.hresult().code()).isEqualTo(0x80070016);
        assertThat(mounted.owner()).contains("mounted at " + mountPoint);
        assertThat(loop.isMounted()).isTrue();
        assertThat(fixture.agent.exclusiveAccessOwner(id()).block(BLOCK)).isEqualTo("mounted at " + mountPoint);

        assertThat(session.acquire(id(), AcquireOptions.DEFAULT.withForce(true)).block(BLOCK).lockCount())
                .isEqualTo(1);
        assertThat(loop.isMounted()).as("dismounted by the forced acquire").isFalse();
        assertThat(Shell.run("mount", loop.node.toString(), mountPoint.toString()).exit())
                .as("mount while held").isNotZero();
    }

    @Test
    void aForcedDismountOfABusyVolumeIsRefused() throws IOException {
        loop.format();
        Path mountPoint = loop.mount(dir);
        helper = new ProcessBuilder("sleep", "600").directory(mountPoint.toFile()).start();
        ClientSession session = startAgentAndSession("Burner A");

        RecorderLockedException busy = lockedOnAcquire(session, AcquireOptions.DEFAULT.withForce(true));
        assertThat(busy.owner()).contains("mounted at " + mountPoint);
        assertThat(busy.nativeDetail().orElseThrow().source()).startsWith("umount2(" + mountPoint);
        assertThat(busy.nativeDetail().orElseThrow().symbol()).isEqualTo("EBUSY");
        assertThat(loop.isMounted()).isTrue();

        helper.destroyForcibly();
        assertThat(Shell.await(Duration.ofSeconds(10), () -> !helper.isAlive())).isTrue();
        assertThat(session.acquire(id(), AcquireOptions.DEFAULT.withForce(true)).block(BLOCK).lockCount())
                .isEqualTo(1);
    }

    @Test
    void aCrashedHolderFreesTheDeviceAtOnce() {
        try (ChildJvm crashing = ChildJvm.hold("agent", loop.node.toString(), "Crashing Burner")) {
            ClientSession session = startAgentAndSession("Burner B");
            RecorderLockedException locked = lockedOnAcquire(session, AcquireOptions.DEFAULT);
            assertThat(locked.owner()).contains(crashing.ownerName());

            crashing.kill(); // SIGKILL: no shutdown hook, no release
            long killed = System.nanoTime();
            assertThat(session.acquire(id()).block(BLOCK).lockCount()).isEqualTo(1);
            Duration free = Duration.ofNanos(System.nanoTime() - killed);
            System.out.println("crash release on " + loop.node + ": acquired " + free.toMillis()
                    + " ms after the SIGKILLed holder was reaped");
            assertThat(free).isLessThan(Duration.ofSeconds(2));
        }
    }

    @Test
    void detachingAHeldLoopDeviceWaitsForTheRelease() {
        ClientSession session = startAgentAndSession("Burner A");
        session.acquire(id()).block(BLOCK);

        assertThat(Shell.run("losetup", "-d", loop.node.toString()).exit()).isZero();
        assertThat(Sysfs.read(Path.of("/sys/class/block", loop.name, "loop", "autoclear")))
                .as("the kernel defers the detach while the device is open").isEqualTo("1");
        assertThat(loop.isAttached()).isTrue();

        session.release(id()).block(BLOCK);
        RecorderRemovedEvent removed = fixture.awaitEvent(RecorderRemovedEvent.class,
                e -> e.recorder().equals(id()), Duration.ofSeconds(10));
        assertThat(removed.failedWaiters()).isZero();
        assertThat(loop.isAttached()).isFalse();
        assertThatThrownBy(() -> session.acquire(id()).block(BLOCK)).hasMessageContaining("no recorder");
    }

    /** Acquires, expecting {@code E_IMAPI_RECORDER_LOCKED}. */
    private RecorderLockedException lockedOnAcquire(ClientSession session, AcquireOptions options) {
        RecorderLockedException locked = catchThrowableOfType(RecorderLockedException.class,
                () -> session.acquire(id(), options).block(BLOCK));
        assertThat(locked).as("acquire while another process holds %s", loop.node).isNotNull();
        assertThat(locked.hresult()).isEqualTo(HResult.E_IMAPI_RECORDER_LOCKED);
        return locked;
    }

    private static boolean locksMention(long pid, long inode) {
        try {
            return Files.readString(Path.of("/proc/locks")).matches("(?s).*FLOCK\\s+ADVISORY\\s+WRITE\\s+" + pid
                    + "\\s+\\S+:" + inode + " .*");
        } catch (IOException e) {
            return false;
        }
    }
}
