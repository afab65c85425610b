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
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Names who holds a device outside this backend, since the kernel keeps no owner name (reference linux.md 2.7):
 * file systems mounted from it ({@code mountinfo}), kernel holders ({@code /sys/block/X/holders}), processes that hold
 * a {@code flock}/POSIX lock on its node or on its SCSI generic sibling ({@code /proc/locks}) and processes that have
 * either node open ({@code /proc/PID/fd}). Results read like {@code mounted at /media/disc} or
 * {@code wodim (pid 4242)}. The backend's own descriptors are left out, so the agent never reports itself.
 *
 * <p>A {@code flock} belongs to an open file description, which a process hands down to its children: the pid in
 * {@code /proc/locks} is the one that took it, possibly long dead. Such a lock is named after the live processes whose
 * descriptor carries it ({@code /proc/PID/fdinfo/FD} lists the locks of that descriptor).
 *
 * <p>Best effort: without root, other users' {@code /proc/PID/fd} cannot be read. Any thread.
 */
final class OwnerDiscovery {

    /** Which kind of conflict to explain. */
    enum Conflict {
        /** {@code open(O_EXCL)} of the block node failed with {@code EBUSY}: mounts, kernel holders, openers. */
        CLAIM,
        /** {@code flock(LOCK_EX|LOCK_NB)} failed: the {@code flock} holders. */
        FLOCK,
        /** {@code fcntl(F_SETLK)} on the block node failed: the POSIX lock holders. */
        RECORD_LOCK,
        /**
         * {@code open(O_EXCL)} of the SCSI generic node failed with {@code EBUSY}: the sg driver refuses an exclusive
         * open while anyone has the node open, so every opener of it.
         */
        GENERIC_CLAIM,
        /** {@code fcntl(F_SETLK)} on the SCSI generic node failed: its POSIX lock holders. */
        GENERIC_RECORD_LOCK
    }

    private static final Path PROC = Path.of("/proc");
    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;
    private static final int S_IFCHR = 0020000;

    private final OwnDescriptors own;
    private final long self = ProcessHandle.current().pid();

    OwnerDiscovery(OwnDescriptors own) {
        this.own = own;
    }

    /** Who causes {@code conflict} on {@code device}, or {@code null} when nobody visible does. */
    @Nullable String explain(LinuxDevice device, Conflict conflict) {
        Set<String> owners = new LinkedHashSet<>();
        Optional<GenericNode> generic = device.generic();
        switch (conflict) {
            case CLAIM -> {
                owners.addAll(mounts(device));
                owners.addAll(kernelHolders(device));
                if (owners.isEmpty()) {
                    owners.addAll(lockHolders(blockNode(device), null));
                    owners.addAll(openers(blockNode(device)));
                }
            }
            case FLOCK -> owners.addAll(lockHolders(blockNode(device), "FLOCK"));
            case RECORD_LOCK -> owners.addAll(lockHolders(blockNode(device), "POSIX"));
            case GENERIC_CLAIM -> generic.ifPresent(g -> {
                owners.addAll(openers(genericNode(g)));
                owners.addAll(lockHolders(genericNode(g), null));
            });
            case GENERIC_RECORD_LOCK -> generic.ifPresent(g -> owners.addAll(lockHolders(genericNode(g), "POSIX")));
        }
        if (owners.isEmpty()) {
            switch (conflict) {
                case FLOCK, RECORD_LOCK -> owners.addAll(openers(blockNode(device)));
                case GENERIC_RECORD_LOCK -> generic.ifPresent(g -> owners.addAll(openers(genericNode(g))));
                default -> {
                }
            }
        }
        return join(owners);
    }

    /**
     * IMAPI2's owner for a device this backend does not hold: a mount or kernel holder; otherwise the lock holders of
     * both nodes, every process that has the SCSI generic node open (each one makes a claim fail), and, if an
     * exclusive claim on the block node exists (a short {@code O_EXCL} probe fails with {@code EBUSY}), the processes
     * that have the block node open. {@code null} when free.
     */
    @Nullable String externalOwner(LinuxDevice device) {
        Set<String> owners = new LinkedHashSet<>(mounts(device));
        owners.addAll(kernelHolders(device));
        if (!owners.isEmpty()) {
            return join(owners);
        }
        owners.addAll(lockHolders(blockNode(device), null));
        device.generic().ifPresent(g -> {
            owners.addAll(lockHolders(genericNode(g), null));
            owners.addAll(openers(genericNode(g)));
        });
        if (claimed(device)) {
            owners.addAll(openers(blockNode(device)));
            if (owners.isEmpty()) {
                owners.add("a process this agent cannot see");
            }
        }
        return join(owners);
    }

    /**
     * What stands in the way of a claim besides the file systems mounted from the device: kernel holders, lock
     * holders of either node, openers of the SCSI generic node. A forced acquire checks these before it dismounts
     * anything, so that it never dismounts for a claim that would fail anyway. {@code null} when nothing does.
     */
    @Nullable String blockersBesidesMounts(LinuxDevice device) {
        Set<String> owners = new LinkedHashSet<>(kernelHolders(device));
        owners.addAll(lockHolders(blockNode(device), null));
        device.generic().ifPresent(g -> {
            owners.addAll(lockHolders(genericNode(g), null));
            owners.addAll(openers(genericNode(g)));
        });
        return join(owners);
    }

    /**
     * The processes other than this backend that have the drive open now, through its block node or its generic
     * node: whoever could have unlocked or opened the tray of a held drive. {@code null} when none.
     */
    @Nullable String drivePeers(LinuxDevice device) {
        Set<String> owners = new LinkedHashSet<>(openers(blockNode(device)));
        device.generic().ifPresent(g -> owners.addAll(openers(genericNode(g))));
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

    /**
     * A device node as owner discovery sees it: the path whose inode carries the locks, and the device numbers
     * (with the node type) whose descriptors count as open on it.
     */
    record Node(Path path, int type, Set<DeviceNumber> numbers) {
    }

    /** The block node, with its partitions (a mounted or opened partition holds the whole disk). */
    static Node blockNode(LinuxDevice device) {
        return new Node(device.node(), S_IFBLK, DeviceScanner.withPartitions(device));
    }

    /** The SCSI generic node. */
    static Node genericNode(GenericNode generic) {
        return new Node(generic.node(), S_IFCHR, Set.of(generic.number()));
    }

    /**
     * Processes holding a {@code type} lock ({@code FLOCK}, {@code POSIX}, or any when null) on the node, named after
     * live processes: the pid of {@code /proc/locks} when that process still has the locked descriptor, otherwise
     * every live process whose descriptor on the node carries such a lock (an inherited {@code flock}).
     */
    List<String> lockHolders(Node node, @Nullable String type) {
        String key = lockKey(node.path());
        if (key == null) {
            return List.of();
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(PROC.resolve("locks"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return List.of();
        }
        Set<String> found = new LinkedHashSet<>();
        List<Long> orphaned = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            // "1: FLOCK  ADVISORY  WRITE 4242 00:06:94 0 EOF"; waiters have "->" after the number
            if (f.length < 6 || f[1].equals("->") || !f[5].equals(key) || (type != null && !f[1].equals(type))) {
                continue;
            }
            long pid;
            try {
                pid = Long.parseLong(f[4]);
            } catch (NumberFormatException e) {
                continue;
            }
            if (pid <= 0) {
                continue; // an OFD lock (pid -1) has no process to name
            }
            if (carriesLock(pid, node, key, f[1])) {
                found.add(describeProcess(pid));
            } else {
                orphaned.add(pid);
                found.addAll(liveLockCarriers(node, key, f[1]));
            }
        }
        if (found.isEmpty()) {
            for (long pid : orphaned) {
                found.add("a process that inherited the lock of pid " + pid);
            }
        }
        return new ArrayList<>(found);
    }

    /** {@code MAJ:MIN:INODE} of the node's inode, as {@code /proc/locks} prints it; {@code null} if not readable. */
    private static @Nullable String lockKey(Path node) {
        try {
            long dev = (Long) Files.getAttribute(node, "unix:dev");
            long inode = (Long) Files.getAttribute(node, "unix:ino");
            DeviceNumber fs = DeviceNumber.fromDevT(dev);
            return String.format("%02x:%02x:%d", fs.major(), fs.minor(), inode);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return null;
        }
    }

    /** Whether process {@code pid} has a descriptor on the node whose fdinfo lists a {@code type} lock on it. */
    private boolean carriesLock(long pid, Node node, String key, String type) {
        for (Path fd : descriptorsOn(PROC.resolve(Long.toString(pid)), pid, node)) {
            if (fdinfoLists(pid, fd, key, type)) {
                return true;
            }
        }
        return false;
    }

    /** The live processes whose descriptor on the node carries a {@code type} lock on it. */
    private List<String> liveLockCarriers(Node node, String key, String type) {
        List<String> found = new ArrayList<>();
        forEachProcess((process, pid) -> {
            for (Path fd : descriptorsOn(process, pid, node)) {
                if (fdinfoLists(pid, fd, key, type)) {
                    found.add(describeProcess(pid));
                    return;
                }
            }
        });
        return found;
    }

    private static boolean fdinfoLists(long pid, Path fd, String key, String type) {
        String info = Sysfs.read(PROC.resolve(Long.toString(pid)).resolve("fdinfo").resolve(fd.getFileName()));
        if (info == null) {
            return false;
        }
        // "lock:\t1: FLOCK  ADVISORY  WRITE 4242 00:06:94 0 EOF"
        return info.lines().anyMatch(l -> l.startsWith("lock:") && l.contains(" " + key + " ")
                && l.contains(type));
    }

    /** Processes with a descriptor open on the node (or a partition of it), except this backend's own. */
    List<String> openers(Node node) {
        List<String> found = new ArrayList<>();
        forEachProcess((process, pid) -> {
            if (!descriptorsOn(process, pid, node).isEmpty()) {
                found.add(describeProcess(pid));
            }
        });
        return found;
    }

    private interface ProcessVisitor {
        void visit(Path process, long pid);
    }

    private static void forEachProcess(ProcessVisitor visitor) {
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(PROC, "[0-9]*")) {
            for (Path process : processes) {
                visitor.visit(process, Long.parseLong(process.getFileName().toString()));
            }
        } catch (IOException | SecurityException | NumberFormatException e) {
            // procfs not readable
        }
    }

    /** The process's descriptors ({@code /proc/PID/fd/N}) on the node, except this backend's own. */
    private List<Path> descriptorsOn(Path process, long pid, Node node) {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(process.resolve("fd"))) {
            for (Path fd : fds) {
                if (pid == self && own.contains(Integer.parseInt(fd.getFileName().toString()))) {
                    continue;
                }
                if (isNodeOf(fd, node)) {
                    found.add(fd);
                }
            }
        } catch (IOException | SecurityException | NumberFormatException e) {
            // gone, or not ours to read
        }
        return found;
    }

    private static boolean isNodeOf(Path fd, Node node) {
        try {
            if (!Files.readSymbolicLink(fd).toString().startsWith("/")) {
                return false; // socket:[..], pipe:[..], anon_inode:..
            }
            int mode = (Integer) Files.getAttribute(fd, "unix:mode");
            if ((mode & S_IFMT) != node.type()) {
                return false;
            }
            return node.numbers().contains(DeviceNumber.fromDevT((Long) Files.getAttribute(fd, "unix:rdev")));
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
