package io.discagent.agent.backend.linux;

import io.discagent.api.RecorderId;
import io.discagent.api.error.BurnNotSupportedException;
import io.discagent.api.error.HResult;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * Finds the burning tool of the Linux backend: xorriso ({@code linux.burnTool}, default {@code xorriso} on the
 * {@code PATH}). Its absence is a typed refusal that names the Debian package to install.
 */
final class LinuxBurnTool {

    /** The Debian package that provides xorriso. */
    static final String DEBIAN_PACKAGE = "xorriso";

    private LinuxBurnTool() {
    }

    /**
     * The tool to run.
     *
     * @param configured {@code linux.burnTool}: a program name looked up on the {@code PATH}, or a path
     * @throws BurnNotSupportedException ({@code E_IMAPI_DF2DATA_RECORDER_NOT_SUPPORTED}) when it is not installed
     */
    static Path locate(String configured, RecorderId recorder) {
        Path found = configured.contains("/") ? executable(Path.of(configured)) : onPath(configured);
        if (found == null) {
            throw new BurnNotSupportedException(HResult.E_IMAPI_DF2DATA_RECORDER_NOT_SUPPORTED, configured + " is not "
                    + "installed: the Linux backend burns with xorriso (Debian package '" + DEBIAN_PACKAGE
                    + "': apt-get install " + DEBIAN_PACKAGE + "), or set linux.burnTool to its path", recorder,
                    null, null, null);
        }
        return found;
    }

    /** A program on the {@code PATH}, or null. */
    static @Nullable Path onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin").split(":")) {
            if (!dir.isEmpty()) {
                Path candidate = executable(Path.of(dir, name));
                if (candidate != null) {
                    return candidate;
                }
            }
        }
        return null;
    }

    private static @Nullable Path executable(Path file) {
        return Files.isRegularFile(file) && Files.isExecutable(file) ? file : null;
    }
}
