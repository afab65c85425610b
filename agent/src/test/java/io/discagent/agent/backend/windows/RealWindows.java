package io.discagent.agent.backend.windows;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * What the real-Windows tests share: the guard that skips them elsewhere, and the observation log that records what
 * this machine answered to the reference's open questions ({@code target/windows-observations.txt} and stdout).
 */
final class RealWindows {

    /** The JUnit tag the {@code real-windows} Maven profile selects (and the default build excludes). */
    static final String TAG = "real-windows";

    private static final Path LOG = Path.of("target", "windows-observations.txt");

    private RealWindows() {
    }

    /** Skips the calling test unless this is Windows. */
    static void assumeWindows() {
        assumeTrue(WindowsBackendProvider.isWindows(System.getProperty("os.name", "")),
                "needs Windows with IMAPI2 (run with -Preal-windows on a Windows machine with a drive)");
    }

    /** Records one observation. */
    static void observe(String question, Object answer) {
        String line = Instant.now() + "  " + question + ": " + answer;
        System.out.println("[windows observation] " + line);
        try {
            Files.createDirectories(LOG.toAbsolutePath().getParent());
            Files.writeString(LOG, line + System.lineSeparator(), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
