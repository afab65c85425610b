package io.discagent.agent.backend.linux;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.spi.BurnPlan;
import io.discagent.agent.spi.BurnSource;
import io.discagent.api.DiscState;
import io.discagent.api.MediaInfo;
import io.discagent.api.MediaProfile;
import io.discagent.api.RecorderId;
import io.discagent.api.TrayState;
import io.discagent.api.burn.BurnImage;
import io.discagent.api.burn.BurnPhase;
import io.discagent.api.error.BurnNotSupportedException;
import io.discagent.api.error.HResult;
import io.discagent.api.error.MediaNotWritableException;
import io.discagent.api.error.MediaTooSmallException;
import io.discagent.api.error.MediumErrorException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.RequestCancelledException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Linux backend reads xorriso's output into progress and typed errors: each case is the output of the real tool
 * recorded in the VM tests (test resources {@code xorriso/*.txt}, see their README), fed line by line as the backend
 * reads it.
 */
class XorrisoOutputTests {

    private static final RecorderId SR = RecorderId.of("sr1");

    /** A recording: its command line, its lines of output, its exit status. */
    private record Recording(String command, List<String> lines, int exit) {

        long tsize() {
            for (String word : command.split(" ")) {
                if (word.startsWith("tsize=")) {
                    return Long.parseLong(word.substring(6));
                }
            }
            throw new AssertionError("no tsize in " + command);
        }
    }

    private static Recording recording(String name) throws IOException {
        try (InputStream in = XorrisoOutputTests.class.getResourceAsStream("xorriso/" + name + ".txt")) {
            assertThat(in).as(name).isNotNull();
            List<String> all = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            assertThat(all.get(0)).startsWith("$ ");
            String last = all.get(all.size() - 1);
            assertThat(last).startsWith("exit ");
            return new Recording(all.get(0).substring(2), all.subList(1, all.size() - 1),
                    Integer.parseInt(last.substring(5)));
        }
    }

    /** Feeds a recording to a parser for a DVD+RW, collecting its reports. */
    private static List<XorrisoOutput.Report> feed(Recording r, XorrisoOutput output) {
        List<XorrisoOutput.Report> reports = new ArrayList<>();
        for (String line : r.lines()) {
            XorrisoOutput.Report report = output.line(line);
            if (report != null) {
                reports.add(report);
            }
        }
        return reports;
    }

    private static RecorderException failureOf(String name) throws IOException {
        Recording r = recording(name);
        XorrisoOutput output = new XorrisoOutput(r.tsize(), MediaProfile.DVD_PLUS_RW);
        feed(r, output);
        assertThat(r.exit()).as(name + " exit").isNotZero();
        return output.failure(r.exit(), SR, true);
    }

    @Test
    void aCompletedBurnReportsWritingWithBytesAndSpeedThenClosing() throws IOException {
        Recording r = recording("burn-completed");
        XorrisoOutput output = new XorrisoOutput(r.tsize(), MediaProfile.DVD_PLUS_RW);
        List<XorrisoOutput.Report> reports = feed(r, output);
        assertThat(r.exit()).isZero();
        assertThat(output.completed()).isTrue();
        // the lines before the data are its signs of life while it acquires the drive
        assertThat(reports).extracting(XorrisoOutput.Report::phase).startsWith(BurnPhase.PREPARING)
                .containsSubsequence(BurnPhase.PREPARING, BurnPhase.WRITING, BurnPhase.CLOSING)
                .endsWith(BurnPhase.CLOSING);
        assertThat(reports).filteredOn(p -> p.phase() == BurnPhase.PREPARING).hasSize(6)
                .allSatisfy(p -> assertThat(p.bytesDone()).isZero());
        assertThat(reports).extracting(XorrisoOutput.Report::bytesDone).isSorted().contains(1L << 20)
                .endsWith(r.tsize());
        // "1.7x." on a DVD: 1.7 times 1385 kB/s
        assertThat(reports).extracting(XorrisoOutput.Report::bytesPerSecond).contains(2_354_500L);
        assertThat(reports).extracting(XorrisoOutput.Report::bufferPercent).contains(0);
    }

    @Test
    void aHungWriteReportsNoBytesAndNoSpeed() throws IOException {
        Recording r = recording("burn-hung-write-stopped");
        XorrisoOutput output = new XorrisoOutput(r.tsize(), MediaProfile.DVD_PLUS_RW);
        List<XorrisoOutput.Report> reports = feed(r, output);
        assertThat(reports).filteredOn(p -> p.phase() == BurnPhase.WRITING).hasSizeGreaterThan(4)
                .allSatisfy(p -> {
                    assertThat(p.bytesDone()).isZero();
                    assertThat(p.bytesPerSecond()).as("0.0x: nothing written: the stall watchdog sees no progress")
                            .isZero();
                });
        assertThat(output.failure(r.exit(), SR, true)).isInstanceOf(RequestCancelledException.class);
    }

    @Test
    void aMediumErrorIsTypedWithTheDrivesSense() throws IOException {
        RecorderException e = failureOf("burn-medium-error");
        assertThat(e).isInstanceOf(MediumErrorException.class);
        assertThat(e.hresult()).isEqualTo(HResult.E_IMAPI_UNEXPECTED_RESPONSE_FROM_DEVICE);
        assertThat(e.nativeDetail()).hasValueSatisfying(d -> {
            assertThat(d.senseData()).isEqualTo("03 0c 00");
            assertThat(d.symbol()).isEqualTo("MEDIUM ERROR");
            assertThat(d.source()).contains("WRITE(10)").contains("2a 00 00 00 01 20");
            assertThat(d.description()).contains("Medium error");
        });
        assertThat(e.getMessage()).contains("ASC 0C");
    }

    @Test
    void aDriveThatLeftIsRemovedEvenWhenItsNodeIsStillThere() throws IOException {
        RecorderException e = failureOf("burn-drive-removed");
        assertThat(e).isInstanceOf(RecorderRemovedException.class);
        assertThat(e.hresult().code()).isEqualTo(0x80070037);
        Recording r = recording("burn-completed");
        XorrisoOutput output = new XorrisoOutput(r.tsize(), MediaProfile.DVD_PLUS_RW);
        assertThat(output.failure(5, SR, false)).as("a node that is gone").isInstanceOf(
                RecorderRemovedException.class);
    }

    @Test
    void aStoppedToolIsACancellation() throws IOException {
        assertThat(failureOf("burn-cancelled")).isInstanceOf(RequestCancelledException.class);
        assertThat(failureOf("stopped-by-sigterm")).isInstanceOf(RequestCancelledException.class);
    }

    @Test
    void theToolsOwnRefusalsAreTyped() throws IOException {
        RecorderException simulation = failureOf("simulation-refused");
        assertThat(simulation).isInstanceOf(BurnNotSupportedException.class);
        assertThat(simulation.hresult()).isEqualTo(HResult.E_IMAPI_DF2DATA_RECORDER_NOT_SUPPORTED);
        RecorderException tooLarge = failureOf("image-too-large");
        assertThat(tooLarge).isInstanceOf(MediaTooSmallException.class);
        RecorderException noMedium = failureOf("no-medium");
        assertThat(noMedium).isInstanceOf(MediaNotWritableException.class);
        assertThat(noMedium.hresult()).isEqualTo(HResult.E_IMAPI_RECORDER_MEDIA_NO_MEDIA);
        assertThat(noMedium.nativeDetail()).hasValueSatisfying(d -> assertThat(d.description())
                .contains("No media detected"));
    }

    @Test
    void theBackendRunsTheRecordedCommandLine(@TempDir Path dir) throws IOException {
        Recording r = recording("burn-completed");
        Path image = Files.write(dir.resolve("image.iso"), new byte[(int) r.tsize()]);
        try (FileChannel channel = FileChannel.open(image)) {
            MediaInfo media = new MediaInfo(TrayState.CLOSED, MediaProfile.DVD_PLUS_RW, DiscState.OVERWRITABLE, true,
                    1 << 26, 1 << 26, List.of(MediaProfile.DVD_PLUS_RW), "test");
            BurnPlan plan = new BurnPlan("sr1", "Burner A", new BurnSource(BurnImage.of(channel, "image.iso"),
                    r.tsize()), media, true, false, 0, true);
            String expected = r.command().substring(r.command().indexOf("-drive_access"));
            assertThat(String.join(" ", XorrisoBurn.arguments(plan, "/dev/sr1"))).isEqualTo(expected);
            BurnPlan options = new BurnPlan("sr1", "Burner A", plan.source(), media, false, true, 5540, false);
            assertThat(XorrisoBurn.arguments(options, "/dev/sr1")).contains("-dummy", "-multi", "speed=5540k")
                    .endsWith("dev=/dev/sr1", "tsize=" + r.tsize(), "-");
        }
    }

    @Test
    void speedsAreMultiplesOfTheMediumsOneX() {
        assertThat(XorrisoOutput.speedOf1x(MediaProfile.CD_R)).isEqualTo(176_400);
        assertThat(XorrisoOutput.speedOf1x(MediaProfile.DVD_PLUS_R)).isEqualTo(1_385_000);
        assertThat(XorrisoOutput.speedOf1x(MediaProfile.BD_RE)).isEqualTo(4_495_500);
    }
}
