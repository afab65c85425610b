package io.discagent.service.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The hints of {@code discagent exec}, for the messages the real tools print at a held drive (from the VM). */
class ExecHintsTests {

    private static final List<String> PATHS = List.of("/dev/sr0", "/dev/sg0");

    @Test
    void xorrisoIsToldToShareTheDrive() {
        String hint = ExecHints.forFailure(List.of("xorriso", "-outdev", "/dev/sr0", "-toc"), 5,
                "libburn : SORRY : Cannot open busy device '/dev/sr0' : Device or resource busy\n"
                        + "xorriso : FAILURE : Cannot acquire drive '/dev/sr0'\n", PATHS);
        assertThat(hint).contains("xorriso -drive_access shared:unrestricted -outdev /dev/sr0");
    }

    @Test
    void cdrskinIsToldToShareTheDriveAndToUseTheBlockNode() {
        String hint = ExecHints.forFailure(List.of("cdrskin", "dev=/dev/sg0", "-toc"), 3,
                "cdrskin: SORRY : Cannot open busy device '/dev/sg0'\n", PATHS);
        assertThat(hint).contains("cdrskin --drive_not_exclusive dev=/dev/sr0")
                .contains("the claim keeps /dev/sg0 closed");
    }

    @Test
    void wodimCannotShareAndIsPointedToCdrskin() {
        String hint = ExecHints.forFailure(List.of("wodim", "dev=/dev/sr0", "-toc"), 255, "Error trying to open "
                + "/dev/sr0 exclusively (Device or resource busy)... retrying in 1 second.\n", PATHS);
        assertThat(hint).contains("wodim always opens the drive exclusively").contains("cdrskin --drive_not_exclusive");
    }

    @Test
    void aScriptIsRecognisedByWhatItsToolSaid() {
        String hint = ExecHints.forFailure(List.of("sh", "-c", "cdrskin dev=/dev/sr0 -toc"), 3,
                "cdrskin: SORRY : Device busy. Failed to fcntl-lock '/dev/sr0'\n", PATHS);
        assertThat(hint).contains("cdrskin --drive_not_exclusive dev=/dev/sr0");
    }

    @Test
    void noHintForSuccessOrForFailuresThatAreNotAboutABusyDrive() {
        assertThat(ExecHints.forFailure(List.of("xorriso"), 0, "Device or resource busy", PATHS)).isNull();
        assertThat(ExecHints.forFailure(List.of("xorriso"), 5, "xorriso : FAILURE : no such file", PATHS)).isNull();
    }

    @Test
    void placeholdersBecomeTheHeldPaths() {
        assertThat(ExecCommand.substitute(List.of("cdrskin", "dev={device}", "{sg}", "{other}"),
                java.util.Map.of("DISCAGENT_DEVICE", "/dev/sr0", "DISCAGENT_SG_DEVICE", "/dev/sg0")))
                .containsExactly("cdrskin", "dev=/dev/sr0", "/dev/sg0", "{other}");
    }
}
