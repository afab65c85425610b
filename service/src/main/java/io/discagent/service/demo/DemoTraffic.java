package io.discagent.service.demo;

import io.discagent.agent.backend.simulated.Simulator;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.RecorderAgent;
import io.discagent.api.RecorderId;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * A small, endless demo on the simulated backend, so the kiosk status page has something to show: three clients
 * contend for the recorders (waiting in FIFO order and handing off), another process locks a recorder now and then,
 * and now and then a recorder is unplugged and plugged back in.
 *
 * <p>Clients use the agent API directly; their results signal on the agent's event loop, where the loops only chain
 * further non-blocking calls. Every delay runs on the given scheduler. The randomness has a fixed seed.
 */
public final class DemoTraffic implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(DemoTraffic.class.getName());
    private static final List<String> CLIENTS = List.of("Kiosk A", "Burner B", "Label Printer C");

    private final Simulator sim;
    private final Scheduler time;
    private final Random random = new Random(42);
    private final Disposable.Composite running = Disposables.composite();
    private final List<ClientSession> sessions = new ArrayList<>();

    private DemoTraffic(Simulator sim, Scheduler time) {
        this.sim = sim;
        this.time = time;
    }

    /** Starts the demo loops. */
    public static DemoTraffic start(RecorderAgent agent, Simulator sim, Scheduler time) {
        DemoTraffic demo = new DemoTraffic(sim, time);
        for (String name : CLIENTS) {
            ClientSession session = agent.openSession(name).block(Duration.ofSeconds(10));
            demo.sessions.add(session);
            demo.running.add(demo.clientLoop(session).subscribe());
        }
        demo.running.add(Flux.interval(Duration.ofSeconds(13), time).subscribe(i -> demo.externalLock()));
        demo.running.add(Flux.interval(Duration.ofSeconds(29), time).subscribe(i -> demo.unplugAndReplug()));
        return demo;
    }

    private synchronized int nextInt(int bound) {
        return random.nextInt(bound);
    }

    private Duration millis(int from, int to) {
        return Duration.ofMillis(from + nextInt(to - from));
    }

    /** One client: pause, pick a recorder, wait for it (up to 6 s), hold it a while, release, again. */
    private Mono<Void> clientLoop(ClientSession session) {
        Mono<Void> round = Mono.defer(() -> {
            List<RecorderId> present = sim.recorders();
            if (present.isEmpty()) {
                return Mono.empty();
            }
            RecorderId recorder = present.get(nextInt(present.size()));
            return session.acquire(recorder, AcquireOptions.waitUpTo(Duration.ofSeconds(6)))
                    .flatMap(grant -> Mono.delay(millis(1500, 4500), time)
                            .then(nestedAcquireNowAndThen(session, recorder))
                            .then(session.release(recorder)))
                    .then()
                    .onErrorResume(e -> Mono.empty());
        });
        return Mono.delay(millis(300, 2500), time).then(round).repeat().then();
    }

    /** Sometimes a client acquires again while it holds (IMAPI2 counting: the count goes to 2 and back). */
    private Mono<Void> nestedAcquireNowAndThen(ClientSession session, RecorderId recorder) {
        if (nextInt(3) != 0) {
            return Mono.empty();
        }
        return session.acquire(recorder)
                .flatMap(grant -> Mono.delay(millis(500, 1500), time).then(session.release(recorder)))
                .then()
                .onErrorResume(e -> Mono.empty());
    }

    /** Another process takes a free recorder for a few seconds. */
    private void externalLock() {
        List<RecorderId> present = sim.recorders();
        if (present.isEmpty()) {
            return;
        }
        RecorderId recorder = present.get(nextInt(present.size()));
        try {
            if (sim.state(recorder).nativeOwner() != null) {
                return;
            }
            sim.lockExternally(recorder, "wodim (pid " + (4000 + nextInt(900)) + ")");
            running.add(Mono.delay(Duration.ofSeconds(4), time).subscribe(i -> {
                try {
                    sim.unlockExternally(recorder);
                } catch (RuntimeException gone) {
                    // unplugged meanwhile
                }
            }));
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "demo: no external lock this time: " + e.getMessage());
        }
    }

    /** A recorder is unplugged, then plugged back in 5 s later. */
    private void unplugAndReplug() {
        List<RecorderId> present = sim.recorders();
        if (present.size() < 2) {
            return;
        }
        RecorderId recorder = present.get(nextInt(present.size()));
        try {
            sim.removeRecorder(recorder);
            running.add(Mono.delay(Duration.ofSeconds(5), time).subscribe(i -> {
                try {
                    sim.addRecorder(recorder.value());
                } catch (RuntimeException e) {
                    LOG.log(Level.DEBUG, "demo: could not re-add " + recorder + ": " + e.getMessage());
                }
            }));
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "demo: could not remove " + recorder + ": " + e.getMessage());
        }
    }

    /** Stops the loops and closes the demo sessions. */
    @Override
    public void close() {
        running.dispose();
        for (ClientSession session : sessions) {
            session.close().onErrorComplete().block(Duration.ofSeconds(10));
        }
    }
}
