package io.discagent.examples.burning;

import static io.discagent.examples.Console.say;

import io.discagent.agent.AgentOptions;
import io.discagent.agent.DiscAgent;
import io.discagent.agent.backend.simulated.Simulator;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.RecorderId;
import io.discagent.api.RetryPolicy;
import io.discagent.api.error.RecorderException;
import io.discagent.examples.Console;
import java.time.Duration;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A burning workflow: acquire with retry (another burner holds the drive for a moment), burn with a progress bar,
 * release, while printing the lock-state stream. Runs on the simulated backend unless a real drive is found.
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

            ClientSession burner = agent.openSession("Burning workflow example").block();
            AcquireOptions options = AcquireOptions.waitUpTo(Duration.ofSeconds(10))
                    .withRetry(RetryPolicy.backoff(20, Duration.ofMillis(100), Duration.ofMillis(800), 0.5));
            say("acquiring %s (retrying while another burner holds it)", drive);
            Integer written = burner.withLock(drive, options, grant -> {
                say("granted %s (lock count %d); burning", grant.recorder(), grant.lockCount());
                return burn();
            }).last().block(Duration.ofSeconds(30));
            say("burn finished (%d%%) and %s released; owner now: %s", written, drive,
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

    /** A pretend burn: progress from 0 to 100 % over two seconds. Work off the event loop. */
    private static Flux<Integer> burn() {
        return Flux.interval(Duration.ofMillis(100)).take(21).map(tick -> (int) (tick * 5))
                .doOnNext(percent -> say("    %s", Console.bar(percent)))
                .publishOn(Schedulers.boundedElastic())
                .concatWith(Mono.empty());
    }
}
