package io.discagent.agent.backend.linux;

import io.discagent.agent.backend.linux.jna.DeviceFd;
import io.discagent.agent.backend.linux.jna.Linux;
import io.discagent.agent.backend.linux.jna.NativeCallException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Names who holds a device outside this backend, since the kernel keeps no owner name (reference linux.md 2.7):
 * file systems mounted from it ({@code mountinfo}), kernel holders ({@code /sys/block/X/holders}), processes that hold
 * a {@code flock}/POSIX lock on its node ({@code /proc/locks}) and processes that have it open ({@code /proc/PID/fd}).
 * Results read like {@code mounted at /media/disc} or {@code wodim (pid 4242)}. The backend's own descriptors are
 * left out, so the agent never reports itself.
 *
 * <p>Best effort: without root, other users' {@code /proc/PID/fd} cannot be read. Any thread.
 */
final class OwnerDiscovery {

    /** Which kind of conflict to explain. */
    enum Conflict {
        /** {@code open(O_EXCL)} failed with {@code EBUSY}: mounts, kernel holders, openers. */
        CLAIM,
        /** {@code flock(LOCK_EX|LOCK_NB)} failed: the {@code flock} holders. */
        FLOCK,
        /** {@code fcntl(F_SETLK)} failed: the POSIX lock holders. */
        RECORD_LOCK
    }

    private static final Path PROC = Path.of("/proc");

    private final OwnDescriptors own;
    private final long self = ProcessHandle.current().pid();

    OwnerDiscovery(OwnDescriptors own) {
        this.own = own;
    }

    /** Who causes {@code conflict} on {@code device}, or {@code null} when nobody visible does. */
    @Nullable String explain(LinuxDevice device, Conflict conflict) {
        Set<String> owners = new LinkedHashSet<>();
        switch (conflict) {
            case CLAIM -> {
                owners.addAll(mounts(device));
                owners.addAll(kernelHolders(device));
                if (owners.isEmpty()) {
                    owners.addAll(lockHolders(device, null));
                    owners.addAll(openers(device));
                }
            }
            case FLOCK -> owners.addAll(lockHolders(device, "FLOCK"));
            case RECORD_LOCK -> owners.addAll(lockHolders(device, "POSIX"));
        }
        if (owners.isEmpty() && conflict != Conflict.CLAIM) {
            owners.addAll(openers(device));
        }
        return join(owners);
    }

    /**
     * IMAPI2's owner for a device this backend does not hold: a mount or kernel holder; otherwise, if an exclusive
     * claim exists (a short {@code O_EXCL} probe fails with {@code EBUSY}), the processes that have the node open; and
     * lock holders. {@code null} when free.
     */
    @Nullable String externalOwner(LinuxDevice device) {
        Set<String> owners = new LinkedHashSet<>(mounts(device));
        owners.addAll(kernelHolders(device));
        if (!owners.isEmpty()) {
            return join(owners);
        }
        owners.addAll(lockHolders(device, null));
        if (claimed(device)) {
            owners.addAll(openers(device));
            if (owners.isEmpty()) {
                owners.add("a process this agent cannot see");
            }
        }
        return join(owners);
    }

    /** Whether someone holds an {@code O_EXCL} claim: a probe open fails with {@code EBUSY}. */
    private boolean claimed(LinuxDevice device) {
        DeviceFd probe;
        try {
            probe = own.open(device.node().toString(), Linux.O_RDONLY | Linux.O_NONBLOCK | Linux.O_EXCL
                    | Linux.O_CLOEXEC);
        } catch (NativeCallException e) {
            return e.is(Linux.EBUSY);
        }
        try {
            own.close(probe);
        } catch (NativeCallException ignored) {
            // the probe is gone either way
        }
        return false;
    }

    /** {@code mounted at X} for every mount of the device or its partitions. */
    List<String> mounts(LinuxDevice device) {
        List<String> found = new ArrayList<>();
        for (MountTable.Mount mount : MountTable.on(DeviceScanner.withPartitions(device))) {
            found.add("mounted at " + mount.mountPoint());
        }
        return found;
    }

    /** {@code used by the kernel (dm-0)} for every kernel holder of the device or its partitions. */
    List<String> kernelHolders(LinuxDevice device) {
        List<Path> dirs = new ArrayList<>();
        dirs.add(device.sysfs());
        dirs.addAll(DeviceScanner.partitions(device));
        List<String> found = new ArrayList<>();
        for (Path dir : dirs) {
            try (DirectoryStream<Path> holders = Files.newDirectoryStream(dir.resolve("holders"))) {
                for (Path holder : holders) {
                    found.add("used by the kernel (" + holder.getFileName() + ")");
                }
            } catch (IOException | SecurityException e) {
                // none visible
            }
        }
        return found;
    }

    /** Processes holding a {@code type} lock ({@code FLOCK}, {@code POSIX}, or any when null) on the device node. */
    List<String> lockHolders(LinuxDevice device, @Nullable String type) {
        long dev;
        long inode;
        try {
            dev = (Long) Files.getAttribute(device.node(), "unix:dev");
            inode = (Long) Files.getAttribute(device.node(), "unix:ino");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return List.of();
        }
        DeviceNumber fs = DeviceNumber.fromDevT(dev);
        String key = String.format("%02x:%02x:%d", fs.major(), fs.minor(), inode);
        List<String> found = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(PROC.resolve("locks"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return found;
        }
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            // "1: FLOCK  ADVISORY  WRITE 4242 00:06:94 0 EOF"; waiters have "->" after the number
            if (f.length < 6 || f[1].equals("->") || !f[5].equals(key) || (type != null && !f[1].equals(type))) {
                continue;
            }
            try {
                long pid = Long.parseLong(f[4]);
                if (pid > 0) {
                    found.add(describeProcess(pid));
                }
            } catch (NumberFormatException e) {
                // an OFD lock (pid -1) has no process to name
            }
        }
        return found;
    }

    /** Processes with a descriptor open on the device or one of its partitions, except this backend's own. */
    List<String> openers(LinuxDevice device) {
        Set<DeviceNumber> numbers = DeviceScanner.withPartitions(device);
        List<String> found = new ArrayList<>();
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(PROC, "[0-9]*")) {
            for (Path process : processes) {
                long pid = Long.parseLong(process.getFileName().toString());
                if (holdsOpen(process, pid, numbers)) {
                    found.add(describeProcess(pid));
                }
            }
        } catch (IOException | SecurityException e) {
            // procfs not readable
        }
        return found;
    }

    private boolean holdsOpen(Path process, long pid, Set<DeviceNumber> numbers) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(process.resolve("fd"))) {
            for (Path fd : fds) {
                if (pid == self && own.contains(Integer.parseInt(fd.getFileName().toString()))) {
                    continue;
                }
                if (isBlockNodeOf(fd, numbers)) {
                    return true;
                }
            }
        } catch (IOException | SecurityException | NumberFormatException e) {
            // gone, or not ours to read
        }
        return false;
    }

    private static boolean isBlockNodeOf(Path fd, Set<DeviceNumber> numbers) {
        try {
            if (!Files.readSymbolicLink(fd).toString().startsWith("/")) {
                return false; // socket:[..], pipe:[..], anon_inode:..
            }
            int mode = (Integer) Files.getAttribute(fd, "unix:mode");
            if ((mode & 0170000) != 0060000) {
                return false;
            }
            return numbers.contains(DeviceNumber.fromDevT((Long) Files.getAttribute(fd, "unix:rdev")));
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    /** {@code comm (pid N)}. */
    static String describeProcess(long pid) {
        String comm = Sysfs.read(PROC.resolve(Long.toString(pid)).resolve("comm"));
        return (comm == null || comm.isEmpty() ? "process" : comm) + " (pid " + pid + ")";
    }

    private static @Nullable String join(Set<String> owners) {
        return owners.isEmpty() ? null : String.join(", ", owners);
    }
}
