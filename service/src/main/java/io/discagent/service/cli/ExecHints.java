package io.discagent.service.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * What {@code discagent exec} tells a user whose command failed because it found the drive busy: the claim
 * {@code exec} holds refuses every exclusive open, the command's own included, so a burning tool has to be run in its
 * non-exclusive mode on the held drive. The invocations named here were checked against the held drive in the
 * project's VM tests (docs/linux.md has the table).
 */
final class ExecHints {

    private ExecHints() {
    }

    /**
     * A hint for a command that ended with {@code status}, or {@code null} when it did not fail or did not say the
     * drive was busy.
     *
     * @param errorOutput what it wrote to standard error
     * @param devicePaths the held drive's paths (the node to use first)
     */
    static @Nullable String forFailure(List<String> command, int status, String errorOutput,
            List<String> devicePaths) {
        String text = errorOutput.toLowerCase(Locale.ROOT);
        if (status == 0 || !(text.contains("busy") || text.contains("ebusy"))) {
            return null;
        }
        String device = devicePaths.isEmpty() ? "$DISCAGENT_DEVICE" : devicePaths.get(0);
        String tool = toolOf(command, text);
        String generic = devicePaths.stream().filter(p -> p.matches("/dev/sg\\d+")).findFirst().orElse("/dev/sgN");
        String prefix = "discagent exec: the command found the drive busy: discagent holds it for this command and "
                + "refuses every exclusive open, the command's own as well. ";
        String sg = String.join(" ", command).contains("/dev/sg") || text.contains("/dev/sg")
                ? " Address the drive as " + device + ": the claim keeps " + generic + " closed to everyone." : "";
        switch (tool) {
            case "xorriso":
                return prefix + "Let xorriso share the drive you hold: xorriso -drive_access shared:unrestricted "
                        + "-outdev " + device + " ..." + sg;
            case "cdrskin":
                return prefix + "Let cdrskin share the drive you hold: cdrskin --drive_not_exclusive dev=" + device
                        + " ..." + sg;
            case "wodim":
                return prefix + "wodim always opens the drive exclusively (O_EXCL, on /dev/sr* and /dev/sg* alike) "
                        + "and cannot share it. cdrskin takes wodim's options: cdrskin --drive_not_exclusive dev="
                        + device + " ...";
            case "growisofs":
                return prefix + "growisofs claims the drive exclusively (O_EXCL) before it writes and cannot skip "
                        + "that. xorriso emulates it and can share the drive: xorriso -drive_access "
                        + "shared:unrestricted -as growisofs ... " + device + "=...";
            case "eject":
            case "mount":
                return prefix + "The tray stays locked and the disc cannot be mounted until the command ends.";
            default:
                return prefix + "Run the tool in its non-exclusive mode on " + device + " (xorriso -drive_access "
                        + "shared:unrestricted, cdrskin --drive_not_exclusive; see docs/linux.md)." + sg;
        }
    }

    /** The tool behind the failure: the command itself, or a tool its error output names (a script). */
    private static String toolOf(List<String> command, String text) {
        String program = command.isEmpty() ? "" : Path.of(command.get(0)).getFileName().toString();
        for (String tool : List.of("xorriso", "cdrskin", "wodim", "growisofs", "eject", "mount")) {
            if (program.equals(tool)) {
                return tool;
            }
        }
        if (program.equals("cdrecord")) {
            return "wodim";
        }
        if (text.contains("xorriso")) {
            return "xorriso";
        }
        if (text.contains("cdrskin")) {
            return "cdrskin";
        }
        if (text.contains("wodim") || text.contains("cdrecord")) {
            return "wodim";
        }
        if (text.contains("growisofs") || text.contains(":-(")) {
            return "growisofs";
        }
        return program;
    }
}
