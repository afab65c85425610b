package io.discagent.examples.kiosk;

import static io.discagent.examples.Console.say;

import io.discagent.agent.AgentOptions;
import io.discagent.agent.DiscAgent;
import io.discagent.agent.backend.simulated.SimulatedBackend;
import io.discagent.agent.backend.simulated.SimulatedSettings;
import io.discagent.agent.backend.simulated.Simulator;
import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderId;
import io.discagent.api.burn.BurnRequest;
import io.discagent.api.error.RecorderException;
import io.discagent.api.event.RecorderArrivedEvent;
import io.discagent.examples.Console;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A kiosk: several client sessions share the recorders of one simulated machine. It shows, in four acts, FIFO
 * hand-offs between waiting kiosks, a retry against a holder outside the agent, a native command that times out
 * without stalling the other recorder, and a recorder removed in the middle of a burn with its waiters failing cleanly
 * (HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)) before it comes back.
 */
public final class KioskExample {

    private static final RecorderId DRIVE_A = RecorderId.of("sim-0");
    private static final RecorderId DRIVE_B = RecorderId.of("sim-1");
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final DiscAgent agent;
    private final Simulator sim;

    private KioskExample(DiscAgent agent, Simulator sim) {
        this.agent = agent;
        this.sim = sim;
    }

    public static void main(String[] args) {
        SimulatedBackend sim = new SimulatedBackend(2);
        DiscAgent agent = DiscAgent.start(AgentOptions.builder().backend(sim)
                .commandTimeout(Duration.ofSeconds(2)).build()).block(WAIT);
        Disposable events = agent.events().subscribe(Console::event);
        try {
            KioskExample kiosk = new KioskExample(agent, sim);
            kiosk.fifoHandOffs();
            kiosk.retryAgainstAnExternalHolder();
            kiosk.commandTimeout();
            kiosk.removalMidBurn();
            say("done");
        } finally {
            events.dispose();
            agent.close().block(WAIT);
        }
    }

    private ClientSession kiosk(String name) {
        return agent.openSession(name).block(WAIT);
    }

    /**
     * A real burn on the recorder held by {@code grant}: an image that takes the simulated drive about
     * {@code millis} to write (a blank BD-RE is formatted first, and each burn ends with closing the session).
     */
    private static Mono<String> burn(ClientSession session, LockGrant grant, long millis) {
        Path image = image(millis);
        return session.burn(grant, BurnRequest.builder(image).build())
                .doOnSubscribe(s -> say("  %s burns on %s", session.clientName(), grant.recorder()))
                .last()
                .map(done -> session.clientName() + " burned " + done.bytesDone() + " bytes on " + grant.recorder());
    }

    /** An image of whole sectors that the simulated drive writes in about {@code millis}; deleted at exit. */
    private static Path image(long millis) {
        long sectors = Math.max(1, millis * SimulatedSettings.DEFAULT_BURN_SPEED / 1000 / 2048);
        try {
            Path image = Files.createTempFile("discagent-kiosk-", ".iso");
            image.toFile().deleteOnExit();
            Files.write(image, new byte[(int) (sectors * 2048)]);
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void fifoHandOffs() {
        say("ACT 1: three kiosks queue for %s and get it in arrival order, the moment it is released", DRIVE_A);
        List<Mono<String>> jobs = new ArrayList<>();
        for (String name : List.of("Kiosk 1", "Kiosk 2", "Kiosk 3")) {
            ClientSession session = kiosk(name);
            jobs.add(session.withLock(DRIVE_A, AcquireOptions.waitUpTo(Duration.ofSeconds(10)),
                    grant -> burn(session, grant, 500)).single().doOnNext(Console::say)
                    .doFinally(s -> session.close().subscribe()));
        }
        Flux.mergeSequential(jobs).blockLast(WAIT);
    }

    private void retryAgainstAnExternalHolder() {
        say("ACT 2: 'wodim (pid 777)', another process, holds %s for 1.5 s; the kiosk retries with backoff",
                DRIVE_A);
        sim.lockExternally(DRIVE_A, "wodim (pid 777)");
        Schedulers.parallel().schedule(() -> {
            say("  simulator: wodim exits");
            sim.unlockExternally(DRIVE_A);
        }, 1500, TimeUnit.MILLISECONDS);
        ClientSession session = kiosk("Kiosk 4");
        say("  owner of %s: %s", DRIVE_A, agent.exclusiveAccessOwner(DRIVE_A).block(WAIT));
        LockGrant grant = session.acquire(DRIVE_A, AcquireOptions.waitUpTo(Duration.ofSeconds(5))).block(WAIT);
        say("  Kiosk 4 got %s after the retries (count %d)", grant.recorder(), grant.lockCount());
        session.close().block(WAIT);
    }

    private void commandTimeout() {
        say("ACT 3: %s stops answering; the acquire fails after the 2 s command timeout and %s keeps working",
                DRIVE_B, DRIVE_A);
        sim.hangNext(DRIVE_B, Operation.ACQUIRE, 1);
        ClientSession stuck = kiosk("Kiosk 5");
        ClientSession other = kiosk("Kiosk 6");
        Mono<String> stuckAcquire = stuck.acquire(DRIVE_B).map(g -> "granted?")
                .onErrorResume(RecorderException.class, e -> Mono.just(e.getMessage()));
        Mono<String> meanwhile = other.withLock(DRIVE_A, AcquireOptions.DEFAULT, grant -> burn(other, grant, 300))
                .single();
        say("  meanwhile: %s", meanwhile.block(WAIT));
        say("  Kiosk 5: %s", stuckAcquire.block(WAIT));
        sim.releaseHangs(DRIVE_B);
        stuck.close().block(WAIT);
        other.close().block(WAIT);
    }

    private void removalMidBurn() {
        say("ACT 4: %s is unplugged in the middle of a burn; the burn and both waiters fail cleanly",
                DRIVE_A);
        ClientSession burner = kiosk("Kiosk 7");
        ClientSession waiter1 = kiosk("Kiosk 8");
        ClientSession waiter2 = kiosk("Kiosk 9");
        Mono<String> burning = burner.withLock(DRIVE_A, AcquireOptions.DEFAULT, grant -> burn(burner, grant, 5000))
                .single().onErrorResume(RecorderException.class, e -> Mono.just("burn failed: " + e.getMessage()));
        Mono<String> wait1 = waiter1.acquire(DRIVE_A, AcquireOptions.waitIndefinitely()).map(g -> "granted?")
                .onErrorResume(RecorderException.class, e -> Mono.just("Kiosk 8: " + e.getMessage()));
        Mono<String> wait2 = waiter2.acquire(DRIVE_A, AcquireOptions.waitUpTo(Duration.ofSeconds(30)))
                .map(g -> "granted?")
                .onErrorResume(RecorderException.class, e -> Mono.just("Kiosk 9: " + e.getMessage()));
        Schedulers.parallel().schedule(() -> {
            say("  simulator: %s unplugged", DRIVE_A);
            sim.removeRecorder(DRIVE_A);
        }, 1000, TimeUnit.MILLISECONDS);
        Flux.merge(burning, wait1.delaySubscription(Duration.ofMillis(100)),
                        wait2.delaySubscription(Duration.ofMillis(200)))
                .doOnNext(line -> say("  %s", line)).blockLast(WAIT);
        Mono<RecorderArrivedEvent> arrival = agent.deviceEvents().ofType(RecorderArrivedEvent.class)
                .filter(e -> e.recorder().equals(DRIVE_A)).next().cache();
        arrival.subscribe();
        say("  simulator: %s plugged in again", DRIVE_A);
        sim.addRecorder(DRIVE_A.value());
        LockGrant fresh = arrival.then(waiter1.acquire(DRIVE_A, AcquireOptions.waitUpTo(Duration.ofSeconds(5))))
                .block(WAIT);
        say("  Kiosk 8 acquired the returned %s from a clean state (count %d)", fresh.recorder(), fresh.lockCount());
        for (ClientSession s : List.of(burner, waiter1, waiter2)) {
            s.close().block(WAIT);
        }
    }
}
