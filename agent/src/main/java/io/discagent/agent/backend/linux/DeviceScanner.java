package io.discagent.agent.backend.linux;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Finds the devices the backend offers, from sysfs: every optical drive ({@code /sys/class/block/X/device/type} =
 * 5, SCSI peripheral type "MMC") and every device node named in {@code linux.devices}. A configured loop device counts
 * as present only while it is attached to a backing file, so attaching and detaching it arrive and leave like a
 * plugged drive.
 *
 * <p>Stateless; any thread (the control worker in practice).
 */
final class DeviceScanner {

    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;

    private final boolean scanOptical;
    private final List<Path> configured;

    DeviceScanner(boolean scanOptical, List<Path> configured) {
        this.scanOptical = scanOptical;
        this.configured = List.copyOf(configured);
    }

    /** Every device present now, optical drives first, by kernel name. */
    List<LinuxDevice> scan() {
        Map<String, LinuxDevice> found = new LinkedHashMap<>();
        if (scanOptical) {
            for (String name : blockDeviceNames()) {
                optical(name).ifPresent(d -> found.put(d.name(), d));
            }
        }
        for (Path path : configured) {
            configured(path).ifPresent(d -> found.putIfAbsent(d.name(), d));
        }
        return List.copyOf(found.values());
    }

    /** The device with this kernel name, if it is one the backend offers and it is present now. */
    Optional<LinuxDevice> find(String name) {
        if (scanOptical) {
            Optional<LinuxDevice> optical = optical(name);
            if (optical.isPresent()) {
                return optical;
            }
        }
        for (Path path : configured) {
            Optional<LinuxDevice> device = configured(path);
            if (device.isPresent() && device.get().name().equals(name)) {
                return device;
            }
        }
        return Optional.empty();
    }

    /** Whether a device of this kernel name could be one of ours (an optical drive, or a configured node's name). */
    boolean mayConcern(String name) {
        return scanOptical && name.startsWith("sr") || !configured.isEmpty();
    }

    /** The device numbers of the device and of its partitions (a mounted partition blocks the whole disk). */
    static Set<DeviceNumber> withPartitions(LinuxDevice device) {
        Set<DeviceNumber> numbers = new LinkedHashSet<>();
        numbers.add(device.number());
        for (Path partition : partitions(device)) {
            String dev = Sysfs.read(partition.resolve("dev"));
            if (dev != null) {
                numbers.add(DeviceNumber.parse(dev));
            }
        }
        return numbers;
    }

    /** The sysfs directories of the device's partitions. */
    static List<Path> partitions(LinuxDevice device) {
        List<Path> partitions = new ArrayList<>();
        try (DirectoryStream<Path> children = Files.newDirectoryStream(device.sysfs(), device.name() + "*")) {
            for (Path child : children) {
                if (Files.exists(child.resolve("partition"))) {
                    partitions.add(child);
                }
            }
        } catch (IOException | SecurityException e) {
            // no partitions visible
        }
        return partitions;
    }

    private static Set<String> blockDeviceNames() {
        Set<String> names = new TreeSet<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(Sysfs.CLASS_BLOCK)) {
            for (Path entry : entries) {
                names.add(entry.getFileName().toString());
            }
        } catch (IOException | SecurityException e) {
            // no sysfs: no devices
        }
        return names;
    }

    private static Optional<LinuxDevice> optical(String name) {
        Path dir = Sysfs.CLASS_BLOCK.resolve(name);
        if (Files.exists(dir.resolve("partition")) || !"5".equals(Sysfs.read(dir.resolve("device/type")))) {
            return Optional.empty();
        }
        String dev = Sysfs.read(dir.resolve("dev"));
        Path node = Path.of("/dev", name);
        if (dev == null || !Files.exists(node)) {
            return Optional.empty();
        }
        return Optional.of(device(name, node, DeviceNumber.parse(dev), true));
    }

    private static Optional<LinuxDevice> configured(Path node) {
        DeviceNumber number;
        try {
            int mode = (Integer) Files.getAttribute(node, "unix:mode");
            if ((mode & S_IFMT) != S_IFBLK) {
                return Optional.empty();
            }
            number = DeviceNumber.fromDevT((Long) Files.getAttribute(node, "unix:rdev"));
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return Optional.empty();
        }
        Path dir;
        try {
            dir = Sysfs.DEV_BLOCK.resolve(number.toString()).toRealPath();
        } catch (IOException | SecurityException e) {
            return Optional.empty(); // the node exists but the device does not
        }
        String name = dir.getFileName().toString();
        if (name.startsWith("loop") && !Files.isDirectory(dir.resolve("loop"))) {
            return Optional.empty(); // a loop device without a backing file
        }
        boolean optical = "5".equals(Sysfs.read(dir.resolve("device/type")));
        return Optional.of(device(name, node, number, optical));
    }

    private static LinuxDevice device(String name, Path node, DeviceNumber number, boolean optical) {
        Path dir = Sysfs.CLASS_BLOCK.resolve(name);
        Map<String, String> attributes = new LinkedHashMap<>();
        String vendor;
        String product;
        String revision;
        if (Files.isDirectory(dir.resolve("loop"))) {
            vendor = "Linux";
            product = "Loop device";
            revision = "";
            attributes.put("backingFile", Sysfs.read(dir.resolve("loop/backing_file"), ""));
        } else {
            vendor = Sysfs.read(dir.resolve("device/vendor"), "");
            product = Sysfs.read(dir.resolve("device/model"), name);
            revision = Sysfs.read(dir.resolve("device/rev"), "");
        }
        try {
            attributes.put("sysfs", dir.toRealPath().toString());
        } catch (IOException | SecurityException e) {
            attributes.put("sysfs", dir.toString());
        }
        attributes.put("removable", Sysfs.read(dir.resolve("removable"), "?"));
        attributes.put("access", Files.isWritable(node) ? "read-write" : Files.isReadable(node) ? "read-only"
                : "none");
        return new LinuxDevice(name, node, number, optical, vendor, product, revision, attributes);
    }
}
