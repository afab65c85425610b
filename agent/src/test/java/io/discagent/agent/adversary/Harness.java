package io.discagent.agent.adversary;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.AgentActivity;
import io.discagent.agent.AgentOptions;
import io.discagent.agent.DiscAgent;
import io.discagent.agent.TestAgent;
import io.discagent.agent.backend.simulated.SimulatedBackend;
import io.discagent.agent.backend.simulated.Simulator;
import io.discagent.api.ClientSession;
import io.discagent.api.RecorderId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import reactor.core.scheduler.Schedulers;

/**
 * An agent for the adversarial tests, on virtual or real time, with the leak checks every test ends with: at
 * quiescence nobody holds, nobody waits, no native call is in flight, and every native lock taken was dropped.
 */
final class Harness implements AutoCloseable {

    static final Duration BLOCK = Duration.ofSeconds(10);
    static final RecorderId SIM0 = TestAgent.SIM0;
    static final RecorderId SIM1 = TestAgent.SIM1;

    final TestAgent test;
    final DiscAgent agent;
    final SimulatedBackend sim;
    final Thread loop;
    final List<ClientSession> sessions = new ArrayList<>();
    /** Anything a test saw that breaks a promise from a thread where an assertion would be lost. */
    final Queue<String> violations = new ConcurrentLinkedQueue<>();

    private Harness(TestAgent test) {
        this.test = test;
        this.agent = test.agent;
        this.sim = test.sim;
        this.loop = agent.eventLoopThread();
    }

    /** Two recorders on virtual time. */
    static Harness virtualTime() {
        return new Harness(TestAgent.start());
    }

    static Harness virtualTime(int recorders, Consumer<AgentOptions.Builder> customizer) {
        return new Harness(TestAgent.start(recorders, customizer));
    }

    /** Recorders on real time (Schedulers.parallel()), for races with Reactor's own timed operators. */
    static Harness realTime(int recorders, Consumer<AgentOptions.Builder> customizer) {
        return new Harness(TestAgent.start(recorders, b -> {
            b.timeScheduler(Schedulers.parallel());
            customizer.accept(b);
        }));
    }

    ClientSession session(String name) {
        ClientSession s = test.session(name);
        sessions.add(s);
        return s;
    }

    int count(ClientSession s, RecorderId r) {
        return s.lockCount(r).block(BLOCK);
    }

    AgentActivity settle() {
        return test.settle();
    }

    void violation(String what) {
        violations.add(what + " [" + Thread.currentThread().getName() + "]");
    }

    void assertNoViolations() {
        assertThat(violations).as("violations seen on other threads").isEmpty();
    }

    /** Nobody holds, nobody waits, nothing native in flight, every native lock dropped. */
    void assertQuiescentAndBalanced() {
        AgentActivity activity = settle();
        Simulator.LockCounts counts = sim.lockCounts();
        assertThat(activity.held()).as("holders at quiescence (%s)", activity).isZero();
        assertThat(activity.waiting()).as("waiters at quiescence (%s)", activity).isZero();
        assertThat(activity.nativeCallsInFlight()).as("native calls at quiescence (%s)", activity).isZero();
        assertThat(counts.taken()).as("native locks taken vs dropped").isEqualTo(counts.dropped());
    }

    /** Closes every session, then checks that nothing is left. */
    void closeSessionsAndAssertBalanced() {
        for (ClientSession s : sessions) {
            s.close().block(BLOCK);
        }
        assertQuiescentAndBalanced();
    }

    @Override
    public void close() {
        test.close();
    }
}
