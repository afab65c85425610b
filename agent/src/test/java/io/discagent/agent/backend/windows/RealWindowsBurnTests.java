package io.discagent.agent.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.discagent.agent.AgentOptions;
import io.discagent.agent.DiscAgent;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.MediaInfo;
import io.discagent.api.RecorderId;
import io.discagent.api.burn.BurnPhase;
import io.discagent.api.burn.BurnProgress;
import io.discagent.api.burn.BurnRequest;
import io.discagent.api.burn.BurnResult;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A real burn through IMAPI2 on a Windows machine: the agent's own held {@code IDiscRecorder2} with
 * {@code IDiscFormat2Data}, the image written and read back, its progress from {@code DDiscFormat2DataEvents::Update}.
 * It writes a disc, so it runs only when asked: {@code -Ddiscagent.windows.burnImage=C:\path\to\image.iso} (whole
 * 2048-byte sectors) with a blank or rewritable disc in the first recorder. Runs only with {@code -Preal-windows} on
 * Windows; it has not run yet (it was written on Linux, where only the fake COM layer exists).
 */
@Tag(RealWindows.TAG)
class RealWindowsBurnTests {

    private static final Duration BLOCK = Duration.ofMinutes(60);

    @Test
    void burnsAnImageUnderTheAgentsLockAndVerifiesIt() throws Exception {
        RealWindows.assumeWindows();
        String image = System.getProperty("discagent.windows.burnImage", "");
        assumeTrue(!image.isBlank(), "writes a disc only when asked: -Ddiscagent.windows.burnImage=<image.iso>");
        Path file = Path.of(image);
        DiscAgent agent = DiscAgent.start(AgentOptions.builder().backend("windows").build()).block(BLOCK);
        try {
            RecorderId drive = agent.recorders().block(BLOCK).get(0).id();
            MediaInfo media = agent.media(drive).block(BLOCK);
            RealWindows.observe("medium before the burn", media.describe());
            assumeTrue(media.writable(), "put a blank or rewritable disc in " + drive + ": " + media.describe());
            ClientSession session = agent.openSession("discagent real burn").block(BLOCK);
            List<BurnProgress> seen = new CopyOnWriteArrayList<>();
            BurnProgress last = session.burn(drive, AcquireOptions.DEFAULT,
                            BurnRequest.builder(file).verify(true).build())
                    .doOnNext(seen::add)
                    .last().block(BLOCK);
            BurnResult result = last.result();
            RealWindows.observe("burn result", result);
            RealWindows.observe("progress updates", seen.size() + ", phases "
                    + seen.stream().map(BurnProgress::phase).distinct().toList());
            assertThat(last.phase()).isEqualTo(BurnPhase.COMPLETED);
            assertThat(result.bytesWritten()).isEqualTo(Files.size(file));
            assertThat(result.verified()).isTrue();
            assertThat(result.sha256()).isEqualTo(sha256(file));
            assertThat(seen).extracting(BurnProgress::phase).contains(BurnPhase.WRITING);
            assertThat(agent.exclusiveAccessOwner(drive).blockOptional(BLOCK)).as("released after the burn")
                    .isEmpty();
            session.close().block(BLOCK);
        } finally {
            agent.close().block(BLOCK);
        }
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
