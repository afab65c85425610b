package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.BurnFault;
import io.discagent.agent.backend.simulated.SimulatedDisc;
import io.discagent.api.MediaProfile;
import io.discagent.api.RecorderId;
import io.discagent.service.TestService.Session;
import io.discagent.service.problem.ExitCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code discagent burn} against a running service on the simulated backend: progress, result, exit codes. */
class BurnCommandTests {

    private static final RecorderId SIM1 = RecorderId.of("sim-1");

    @TempDir
    Path temp;
    private Path images;
    private TestService t;

    @BeforeEach
    void start() throws IOException {
        images = Files.createDirectories(temp.resolve("images"));
        Path discs = Files.createDirectories(temp.resolve("discs"));
        t = TestService.start(c -> c.burnDirectory(images.toString())
                .agent(a -> a.backendProperty("simulated.discDirectory", discs.toString())));
        t.sim().insertDisc(SIM1, SimulatedDisc.blank(MediaProfile.DVD_PLUS_R));
    }

    @AfterEach
    void stop() {
        t.close();
    }

    @Test
    void burnsWithProgressLinesVerifiesAndReleases() throws Exception {
        byte[] content = image("disc.iso", 1024);
        t.sim().setBurnSpeed(SIM1, 1024 * 1024);
        CliRun run = CliRun.against(t.base, "burn", images.resolve("disc.iso").toString(), "--recorder", "sim-1",
                "--verify", "--client-name", "CLI Burner", "--progress", "lines");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("burning " + images.resolve("disc.iso").toRealPath() + " on sim-1 (b-1)")
                .containsPattern("WRITING\\s+\\d+\\.\\d%")
                .contains("COMPLETED 100.0%")
                .contains("burned " + content.length + " bytes in", ", verified", ", disc closed", "SHA-256 ")
                .contains("released sim-1 (lock count 0)");
        assertThat(Files.readAllBytes(t.sim().discImage(SIM1))).startsWith(content);
        assertThat(t.lock("sim-1").getString("state")).isEqualTo("free");
    }

    @Test
    void aFailedBurnExitsWithItsProblemTypesCode() throws Exception {
        image("disc.iso", 256);
        t.sim().setBurnSpeed(SIM1, 256 * 1024);
        t.sim().failBurnAt(SIM1, 50, BurnFault.MEDIUM_ERROR);
        CliRun failed = CliRun.against(t.base, "burn", images.resolve("disc.iso").toString(), "--recorder", "sim-1",
                "--progress", "lines");
        assertThat(failed.exitCode()).as(failed.err()).isEqualTo(ExitCode.RECORDER_FAILURE.code());
        assertThat(failed.err()).contains("failed: 0xC0AA0301 E_IMAPI_UNEXPECTED_RESPONSE_FROM_DEVICE")
                .contains("MEDIUM ERROR");
        assertThat(t.lock("sim-1").getString("state")).isEqualTo("free");

        t.sim().insertDisc(SIM1, SimulatedDisc.closed(MediaProfile.DVD_PLUS_R));
        CliRun closed = CliRun.against(t.base, "burn", images.resolve("disc.iso").toString(), "--recorder", "sim-1");
        assertThat(closed.exitCode()).as(closed.err()).isEqualTo(ExitCode.CONFLICT.code());
        assertThat(closed.err()).contains("E_IMAPI_DF2DATA_MEDIA_NOT_BLANK");
        assertThat(t.lock("sim-1").getString("state")).isEqualTo("free");

        CliRun outside = CliRun.against(t.base, "burn", temp.resolve("elsewhere.iso").toString(), "--recorder",
                "sim-1");
        assertThat(outside.exitCode()).as(outside.err()).isEqualTo(ExitCode.DENIED.code());
        assertThat(outside.err()).contains("outside the burn directory");
    }

    @Test
    void aHeldRecorderIsWaitedFor() throws Exception {
        image("disc.iso", 16);
        Session a = t.open("Kiosk A");
        t.acquire(a, "sim-1");
        CompletableFuture<CliRun> burning = CompletableFuture.supplyAsync(() -> CliRun.against(t.base, "burn",
                images.resolve("disc.iso").toString(), "--recorder", "sim-1", "--wait", "30s", "--progress",
                "lines"));
        TestService.eventually(() -> t.service.metrics().scrape().contains("discagent_acquire_waiters 1.0"));
        t.release(a, "sim-1");
        CliRun done = burning.get(30, TimeUnit.SECONDS);
        assertThat(done.exitCode()).as(done.err()).isZero();
        assertThat(done.out()).contains("released sim-1");
    }

    private byte[] image(String name, int sectors) throws IOException {
        byte[] content = new byte[sectors * 2048];
        new Random(name.hashCode()).nextBytes(content);
        Files.write(images.resolve(name), content);
        return content;
    }
}
