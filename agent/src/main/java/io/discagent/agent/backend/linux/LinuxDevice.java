package io.discagent.agent.backend.linux;

import io.discagent.agent.spi.RecorderDescriptor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One block device the backend offers as a recorder: an optical drive ({@code /dev/sr*}) or a device named in
 * {@code linux.devices}. Immutable; a new one is made whenever the device is scanned again.
 *
 * @param name the kernel name ({@code sr0}, {@code loop7}): the recorder id
 * @param node the device node the backend opens
 * @param number the device number
 * @param optical whether it is an MMC drive (SCSI peripheral type 5): it gets SG_IO tray locking and media polling
 * @param vendor the vendor, from sysfs
 * @param product the product, from sysfs
 * @param revision the revision, from sysfs
 * @param attributes what else is worth showing
 */
record LinuxDevice(String name, Path node, DeviceNumber number, boolean optical, String vendor, String product,
        String revision, Map<String, String> attributes) {

    LinuxDevice {
        attributes = Map.copyOf(attributes);
    }

    /** The device's directory in sysfs ({@code /sys/class/block/NAME}). */
    Path sysfs() {
        return Sysfs.CLASS_BLOCK.resolve(name);
    }

    /**
     * The drive's SCSI generic sibling ({@code /dev/sg0}), looked up in sysfs now: it may appear a moment after the
     * block device, so the claim looks it up again when it is taken.
     */
    Optional<GenericNode> generic() {
        return GenericNode.of(name);
    }

    /**
     * The descriptor the agent sees. Its paths are the node to open, then the generic sibling if there is one now
     * (the claim holds both, so both are the holder's device paths).
     */
    RecorderDescriptor descriptor() {
        Map<String, String> all = new LinkedHashMap<>(attributes);
        all.put("kind", optical ? "optical" : "block");
        all.put("devno", number.toString());
        Optional<GenericNode> generic = generic();
        generic.ifPresent(g -> all.put("generic", g.number().toString()));
        List<String> paths = generic.map(g -> List.of(node.toString(), g.node().toString()))
                .orElse(List.of(node.toString()));
        return new RecorderDescriptor(name, vendor, product, revision, paths, all);
    }
}
