package io.discagent.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.SimulatedBackend;
import io.discagent.api.ClientSession;
import io.discagent.api.error.RequestCancelledException;
import io.discagent.api.error.SessionClosedException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** Starting and closing: nothing hangs, nothing is left behind. */
class LifecycleTests {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static DiscAgent start(SimulatedBackend sim) {
        return DiscAgent.start(AgentOptions.builder().backend(sim).mediaPollInterval(Duration.ZERO).build())
                .block(WAIT);
    }

    @Test
    void closingTwiceCompletesBothTimes() {
        DiscAgent agent = start(new SimulatedBackend(1));
        StepVerifier.create(agent.close()).verifyComplete();
        StepVerifier.create(agent.close()).expectComplete().verify(WAIT);
    }

    @Test
    void callsAfterCloseFailInsteadOfHanging() {
        SimulatedBackend sim = new SimulatedBackend(1);
        DiscAgent agent = start(sim);
        ClientSession session = agent.openSession("Late").block(WAIT);
        session.acquire(TestAgent.SIM0).block(WAIT);
        agent.close().block(WAIT);
        assertThat(sim.state(TestAgent.SIM0).nativeOwner()).isNull();
        assertThat(session.isOpen()).isFalse();
        // the agent closed the session: calls on it fail as on any closed session, closing it again does nothing
        StepVerifier.create(session.acquire(TestAgent.SIM0)).expectError(SessionClosedException.class).verify(WAIT);
        StepVerifier.create(session.release(TestAgent.SIM0)).expectError(SessionClosedException.class).verify(WAIT);
        StepVerifier.create(session.lockCount(TestAgent.SIM0)).expectError(SessionClosedException.class).verify(WAIT);
        StepVerifier.create(session.close()).expectComplete().verify(WAIT);
        StepVerifier.create(agent.openSession("After")).expectError(RequestCancelledException.class).verify(WAIT);
        StepVerifier.create(agent.recorders()).expectError(RequestCancelledException.class).verify(WAIT);
        StepVerifier.create(agent.lockTransitions().then(Mono.just(1))).expectNextCount(1).expectComplete()
                .verify(WAIT);
    }

    @Test
    void everyNativeWorkerEndsWhenTheAgentCloses() {
        SimulatedBackend sim = new SimulatedBackend(0);
        DiscAgent agent = start(sim);
        Mono<Void> arrivals = agent.deviceEvents().take(2).then().cache();
        arrivals.subscribe();
        agent.activity().block(WAIT); // the subscription is registered once the event loop has answered this
        sim.addRecorder("lifecycle-a");
        sim.addRecorder("lifecycle-b");
        ClientSession session = agent.openSession("Worker check").block(WAIT);
        arrivals.block(WAIT);
        session.acquire(io.discagent.api.RecorderId.of("lifecycle-a")).block(WAIT);
        assertThat(workers()).hasSize(2);
        agent.close().block(WAIT);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!workers().isEmpty() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(workers()).isEmpty();
        assertThat(sim.state(io.discagent.api.RecorderId.of("lifecycle-a")).nativeOwner()).isNull();
    }

    private static java.util.List<Thread> workers() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("discagent-native-lifecycle-")).toList();
    }
}
