package io.discagent.examples.burning;

import static io.discagent.examples.Console.say;

import io.discagent.agent.AgentOptions;
import io.discagent.agent.DiscAgent;
import io.discagent.agent.backend.simulated.Simulator;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.RecorderId;
import io.discagent.api.RetryPolicy;
import io.discagent.api.burn.BurnProgress;
import io.discagent.api.burn.BurnRequest;
import io.discagent.api.burn.BurnResult;
import io.discagent.api.error.RecorderException;
import io.discagent.examples.Console;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import reactor.core.Disposable;
import reactor.core.scheduler.Schedulers;

/**
 * A burning workflow: check the medium, acquire with retry (another burner holds the drive for a moment), burn an
 * image with live progress and verify it, release, while printing the lock-state stream. Runs on the simulated
 * backend (burning a generated image into the simulator's disc file) unless a real drive is found; on a real drive it
 * burns only the image named as its first argument, so a disc is never written by surprise.
 */
public final class BurningWorkflowExample {

    private BurningWorkflowExample() {
    }

    public static void main(String[] args) {
        DiscAgent agent = DiscAgent.start(AgentOptions.defaults()).block(Duration.ofSeconds(30));
        say("agent started on the %s backend", agent.backendName());
        Disposable watch = agent.lockTransitions().subscribe(Console::event);
        try {
            RecorderId drive = agent.recorders().block().get(0).id();
            agent.simulator().ifPresent(sim -> holdBrieflyAsAnotherBurner(sim, drive));

            Path image;
            if (args.length > 0) {
                image = Path.of(args[0]);
            } else if (agent.simulator().isPresent()) {
                image = demoImage();
            } else {
                say("a real drive: run again with the image file to burn on it as the first argument");
                return;
            }
            say("medium in %s: %s", drive, agent.media(drive).block(Duration.ofSeconds(30)).describe());

            ClientSession burner = agent.openSession("Burning workflow example").block();
            AcquireOptions options = AcquireOptions.waitUpTo(Duration.ofSeconds(10))
                    .withRetry(RetryPolicy.backoff(20, Duration.ofMillis(100), Duration.ofMillis(800), 0.5));
            say("acquiring %s (retrying while another burner holds it), then burning %s", drive, image);
            BurnRequest request = BurnRequest.builder(image).verify(true).build();
            BurnProgress last = burner.burn(drive, options, request)
                    .publishOn(Schedulers.boundedElastic()) // print off the agent's event loop
                    .doOnNext(p -> say("    %s %s", Console.bar((int) p.percent()), p.phase()))
                    .last().block(Duration.ofHours(2));
            BurnResult result = last.result();
            say("burned %,d bytes in %d ms%s, SHA-256 %s; %s released, owner now: %s", result.bytesWritten(),
                    result.duration().toMillis(), result.verified() ? ", verified" : "", result.sha256(), drive,
                    agent.exclusiveAccessOwner(drive).defaultIfEmpty("nobody").block());
            burner.close().block();
        } catch (RecorderException e) {
            say("failed: %s", e.getMessage());
        } finally {
            watch.dispose();
            agent.close().block(Duration.ofSeconds(30));
        }
    }

    private static void holdBrieflyAsAnotherBurner(Simulator sim, RecorderId drive) {
        sim.lockExternally(drive, "cdrskin (pid 4242)");
        say("simulator: 'cdrskin (pid 4242)' holds %s for 1.2 s", drive);
        Schedulers.parallel().schedule(() -> {
            sim.unlockExternally(drive);
            say("simulator: cdrskin let go of %s", drive);
        }, 1200, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** An image of 8 MiB (whole 2048-byte sectors) for the simulated drive, deleted when the JVM exits. */
    private static Path demoImage() {
        try {
            Path image = Files.createTempFile("discagent-example-", ".iso");
            image.toFile().deleteOnExit();
            byte[] data = new byte[8 << 20];
            new Random(42).nextBytes(data);
            Files.write(image, data);
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
