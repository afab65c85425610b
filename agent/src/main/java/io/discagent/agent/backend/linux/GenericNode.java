package io.discagent.agent.backend.linux;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The SCSI generic sibling of a drive ({@code /dev/sg0} beside {@code /dev/sr0}): a character device of its own,
 * with its own inode and its own exclusivity, through which every SCSI command reaches the same drive. Tools that
 * address a drive by {@code dev=/dev/sg0} or {@code dev=0,0,0} (wodim, cdrskin, {@code xorriso -scsi_dev_family sg})
 * go through it and never meet a claim on the block node. Found in sysfs
 * ({@code /sys/class/block/sr0/device/scsi_generic/sg0}); {@code sg} must be loaded.
 *
 * @param name the kernel name ({@code sg0})
 * @param node the device node ({@code /dev/sg0})
 * @param number its device number (major 21)
 */
record GenericNode(String name, Path node, DeviceNumber number) {

    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;

    /**
     * The generic node of the block device {@code name}, if it has one and {@code /dev} holds a character device
     * of the number sysfs gives (a node of another number would be another device).
     */
    static Optional<GenericNode> of(String name) {
        Path dir = Sysfs.CLASS_BLOCK.resolve(name).resolve("device").resolve("scsi_generic");
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String sg = entry.getFileName().toString();
                String dev = Sysfs.read(entry.resolve("dev"));
                if (dev == null) {
                    continue;
                }
                DeviceNumber number = DeviceNumber.parse(dev);
                Path node = Path.of("/dev", sg);
                if (isCharacterDevice(node, number)) {
                    return Optional.of(new GenericNode(sg, node, number));
                }
            }
        } catch (IOException | SecurityException | IllegalArgumentException e) {
            // no sg driver, no SCSI device (a loop device), or not readable
        }
        return Optional.empty();
    }

    /** Whether {@code node} is a character device of {@code number}. */
    static boolean isCharacterDevice(Path node, DeviceNumber number) {
        try {
            int mode = (Integer) Files.getAttribute(node, "unix:mode");
            return (mode & S_IFMT) == S_IFCHR
                    && DeviceNumber.fromDevT((Long) Files.getAttribute(node, "unix:rdev")).equals(number);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }
}
