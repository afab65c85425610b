package io.discagent.agent.backend.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** The mounts of this process's mount namespace, from {@code /proc/self/mountinfo}. */
final class MountTable {

    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    /**
     * One mount.
     *
     * @param device the device number of the mounted file system
     * @param mountPoint where it is mounted
     * @param fsType the file system type
     * @param source the mount source (usually the device node)
     */
    record Mount(DeviceNumber device, String mountPoint, String fsType, String source) {
    }

    private MountTable() {
    }

    /** The mounts of any of these devices, deepest mount point first (the order to unmount them in). */
    static List<Mount> on(Set<DeviceNumber> devices) {
        List<Mount> found = new ArrayList<>();
        for (Mount mount : read()) {
            if (devices.contains(mount.device())) {
                found.add(mount);
            }
        }
        found.sort((a, b) -> Integer.compare(b.mountPoint().length(), a.mountPoint().length()));
        return found;
    }

    /** Every mount. */
    static List<Mount> read() {
        List<String> lines;
        try {
            lines = Files.readAllLines(MOUNTINFO, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return List.of();
        }
        List<Mount> mounts = new ArrayList<>(lines.size());
        for (String line : lines) {
            Mount mount = parse(line);
            if (mount != null) {
                mounts.add(mount);
            }
        }
        return mounts;
    }

    /** Parses one mountinfo line: {@code id parent maj:min root mountpoint options [optional...] - fstype source super}. */
    static @Nullable Mount parse(String line) {
        String[] f = line.split(" ");
        if (f.length < 7) {
            return null;
        }
        int dash = -1;
        for (int i = 6; i < f.length; i++) {
            if (f[i].equals("-")) {
                dash = i;
                break;
            }
        }
        if (dash < 0 || dash + 2 >= f.length) {
            return null;
        }
        try {
            return new Mount(DeviceNumber.parse(f[2]), unescape(f[4]), f[dash + 1], unescape(f[dash + 2]));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Undoes the kernel's octal escapes ({@code \040} for a space). */
    static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        StringBuilder b = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1)) {
                b.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '7') {
                return false;
            }
        }
        return true;
    }
}
