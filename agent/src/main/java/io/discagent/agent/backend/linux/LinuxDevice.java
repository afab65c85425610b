package io.discagent.agent.backend.linux;

import io.discagent.agent.spi.RecorderDescriptor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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

    /** The descriptor the agent sees. */
    RecorderDescriptor descriptor() {
        Map<String, String> all = new LinkedHashMap<>(attributes);
        all.put("kind", optical ? "optical" : "block");
        all.put("devno", number.toString());
        return new RecorderDescriptor(name, vendor, product, revision, List.of(node.toString()), all);
    }
}
