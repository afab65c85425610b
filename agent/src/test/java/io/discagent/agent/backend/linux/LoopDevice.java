package io.discagent.agent.backend.linux;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A real loop device for a test: a sparse backing file attached with {@code losetup}, optionally formatted and
 * mounted. {@link #close()} unmounts and detaches whatever is left.
 */
final class LoopDevice implements AutoCloseable {

    final Path backing;
    final Path node;
    final String name;
    private final List<Path> mounts = new ArrayList<>();

    private LoopDevice(Path backing, Path node) {
        this.backing = backing;
        this.node = node;
        this.name = node.getFileName().toString();
    }

    /** Skips the calling test unless loop devices can be made here (Linux, root, loop support, losetup). */
    static void assumeUsable() {
        assumeTrue(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux"),
                "loop-device tests run on Linux only");
        assumeTrue(uid() == 0, "loop-device tests need root (they attach loop devices, mount and unmount): "
                + "skipped for uid " + uid());
        assumeTrue(Files.exists(Path.of("/dev/loop-control")), "no loop support (/dev/loop-control missing)");
        assumeTrue(Shell.exists("losetup"), "losetup (util-linux) is not installed");
    }

    static long uid() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        } catch (IOException | UnsupportedOperationException e) {
            return -1;
        }
    }

    /** A new backing file of 16 MiB in {@code dir}, attached to the first free loop device. */
    static LoopDevice attach(Path dir) {
        Path backing = backingFile(dir);
        return new LoopDevice(backing, Path.of(Shell.ok("losetup", "-f", "--show", backing.toString())));
    }

    /** A sparse 16 MiB file to attach. */
    static Path backingFile(Path dir) {
        try {
            Path backing = Files.createTempFile(dir, "disc", ".img");
            Shell.ok("truncate", "-s", "16M", backing.toString());
            return backing;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Makes an ext4 file system on it. */
    LoopDevice format() {
        Shell.ok("mkfs.ext4", "-q", "-F", node.toString());
        return this;
    }

    /** Mounts it at a new directory in {@code dir}; returns the mount point. */
    Path mount(Path dir) {
        try {
            Path mountPoint = Files.createTempDirectory(dir, "mnt");
            Shell.ok("mount", node.toString(), mountPoint.toString());
            mounts.add(mountPoint);
            return mountPoint;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether a file system of this device is mounted (per mountinfo). */
    boolean isMounted() {
        DeviceNumber number = number();
        return MountTable.read().stream().anyMatch(m -> m.device().equals(number));
    }

    DeviceNumber number() {
        try {
            return DeviceNumber.fromDevT((Long) Files.getAttribute(node, "unix:rdev"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether the loop device still has a backing file. */
    boolean isAttached() {
        return Files.isDirectory(Path.of("/sys/class/block", name, "loop"));
    }

    @Override
    public void close() {
        for (Path mountPoint : mounts) {
            Shell.run("umount", mountPoint.toString());
        }
        if (isAttached() && backing.toString().equals(
                Sysfs.read(Path.of("/sys/class/block", name, "loop", "backing_file")))) {
            Shell.run("losetup", "-d", node.toString());
        }
    }
}
