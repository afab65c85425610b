package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static io.discagent.agent.TestAgent.SIM1;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.LockGrant;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.test.subscriber.TestSubscriber;

/** {@link DiscAgent#health()}: up, degraded by a hung recorder (named), down once closed; on virtual time. */
class HealthTests {

    private final TestAgent t = TestAgent.start(2, b -> b.commandTimeout(Duration.ofSeconds(5)));

    @AfterEach
    void close() {
        t.close();
    }

    @Test
    void aHungRecorderDegradesTheAgentByNameUntilItRespondsAgain() {
        AgentHealth up = t.agent.health().block();
        assertThat(up).isEqualTo(new AgentHealth(AgentHealth.Status.UP, "simulated", 2, java.util.List.of(), null));

        t.sim.hangNext(SIM1, Operation.ACQUIRE, 1);
        TestSubscriber<LockGrant> stuck = TestSubscriber.create();
        t.session("Burner").acquire(SIM1).subscribe(stuck);
        t.advance(Duration.ofMillis(4999));
        assertThat(t.agent.health().block().status()).as("not yet over the command timeout")
                .isEqualTo(AgentHealth.Status.UP);
        t.advance(Duration.ofMillis(1));
        AgentHealth degraded = t.agent.health().block();
        assertThat(degraded.status()).isEqualTo(AgentHealth.Status.DEGRADED);
        assertThat(degraded.unresponsive()).containsExactly(SIM1);
        assertThat(degraded.problem()).isEqualTo(
                "recorder sim-1 is not responding: a native call has not returned within 5000 ms");
        assertThat(degraded.recorders()).isEqualTo(2);

        t.sim.releaseHangs(SIM1);
        t.settle();
        assertThat(t.agent.health().block().status()).isEqualTo(AgentHealth.Status.UP);
    }

    @Test
    void theHealthIsAnsweredOnTheEventLoopAfterTheControlThreadAnswered() {
        Thread[] signalled = new Thread[1];
        t.agent.health().doOnNext(h -> signalled[0] = Thread.currentThread()).block();
        assertThat(signalled[0]).isSameAs(t.agent.eventLoopThread());
    }

    @Test
    void aClosedAgentIsDown() {
        t.agent.close().block();
        AgentHealth down = t.agent.health().block();
        assertThat(down.status()).isEqualTo(AgentHealth.Status.DOWN);
        assertThat(down.problem()).isEqualTo("the agent is closed");
    }
}
