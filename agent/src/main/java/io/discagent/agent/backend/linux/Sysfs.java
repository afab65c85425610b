package io.discagent.agent.backend.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/** Small readers of sysfs and procfs files. A file that is gone or unreadable reads as {@code null}. */
final class Sysfs {

    static final Path CLASS_BLOCK = Path.of("/sys/class/block");
    static final Path DEV_BLOCK = Path.of("/sys/dev/block");

    private Sysfs() {
    }

    /** The trimmed content of a small file, or {@code null}. */
    static @Nullable String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    /** The content of a small file, or {@code fallback}. */
    static String read(Path file, String fallback) {
        String value = read(file);
        return value == null ? fallback : value;
    }

    /** Writes a small value; returns whether it worked. */
    static boolean write(Path file, String value) {
        try {
            Files.writeString(file, value, StandardCharsets.UTF_8);
            return true;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }
}
