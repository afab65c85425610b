package io.discagent.agent.backend.linux;

/**
 * A device number ({@code dev_t}) as major and minor.
 *
 * @param major the major number (11 for sr, 7 for loop)
 * @param minor the minor number
 */
record DeviceNumber(int major, int minor) {

    /** Decodes glibc's {@code dev_t} encoding, as returned by {@code stat} ({@code unix:rdev} in Java). */
    static DeviceNumber fromDevT(long dev) {
        int major = (int) (((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL));
        int minor = (int) ((dev & 0xff) | ((dev >>> 12) & ~0xffL));
        return new DeviceNumber(major, minor);
    }

    /** Parses {@code "11:0"} (sysfs {@code dev} files, mountinfo). */
    static DeviceNumber parse(String text) {
        int colon = text.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("not a device number: " + text);
        }
        return new DeviceNumber(Integer.parseInt(text.substring(0, colon).trim()),
                Integer.parseInt(text.substring(colon + 1).trim()));
    }

    @Override
    public String toString() {
        return major + ":" + minor;
    }
}
