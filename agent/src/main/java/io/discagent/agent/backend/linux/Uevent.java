package io.discagent.agent.backend.linux;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One kernel uevent: a datagram {@code "ACTION@DEVPATH\0KEY=VALUE\0..."} from the {@code NETLINK_KOBJECT_UEVENT}
 * socket (reference linux.md 3.1).
 *
 * @param action {@code add}, {@code remove}, {@code change}, ...
 * @param devpath the sysfs path below {@code /sys}
 * @param properties the {@code KEY=VALUE} pairs ({@code SUBSYSTEM}, {@code DEVTYPE}, {@code DEVNAME},
 *     {@code DISK_MEDIA_CHANGE}, {@code SEQNUM}, ...)
 */
record Uevent(String action, String devpath, Map<String, String> properties) {

    Uevent {
        properties = Map.copyOf(properties);
    }

    /** Parses a datagram; {@code null} for anything that is not a kernel uevent. */
    static @Nullable Uevent parse(byte[] datagram) {
        String text = new String(datagram, StandardCharsets.UTF_8);
        String[] parts = text.split("\0");
        if (parts.length == 0) {
            return null;
        }
        int at = parts[0].indexOf('@');
        if (at <= 0) {
            return null; // "libudev" messages and the like
        }
        Map<String, String> properties = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            int eq = parts[i].indexOf('=');
            if (eq > 0) {
                properties.put(parts[i].substring(0, eq), parts[i].substring(eq + 1));
            }
        }
        return new Uevent(parts[0].substring(0, at), parts[0].substring(at + 1), properties);
    }

    String subsystem() {
        return properties.getOrDefault("SUBSYSTEM", "");
    }

    String devtype() {
        return properties.getOrDefault("DEVTYPE", "");
    }

    /** The kernel name of the device ({@code sr0}): {@code DEVNAME}, or the last element of the path. */
    String name() {
        String devname = properties.get("DEVNAME");
        if (devname != null && !devname.isEmpty()) {
            return devname.substring(devname.lastIndexOf('/') + 1);
        }
        return devpath.substring(devpath.lastIndexOf('/') + 1);
    }

    /** Whether the kernel reported a media change or an eject request (the button of a locked tray). */
    boolean mediaEvent() {
        return "1".equals(properties.get("DISK_MEDIA_CHANGE")) || ejectRequest();
    }

    /** Whether someone pressed the eject button while the tray was locked. */
    boolean ejectRequest() {
        return "1".equals(properties.get("DISK_EJECT_REQUEST"));
    }
}
