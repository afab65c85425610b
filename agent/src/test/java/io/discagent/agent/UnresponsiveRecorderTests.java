package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static io.discagent.agent.TestAgent.SIM1;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.error.CommandTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.test.subscriber.TestSubscriber;

/**
 * A stuck recorder fails fast whatever call got stuck: after a hung release or a hung owner query as after a hung
 * acquire, the next request that would need the worker fails at once with {@code E_IMAPI_RECORDER_COMMAND_TIMEOUT}
 * instead of waiting a whole command timeout behind the stuck call.
 */
class UnresponsiveRecorderTests {

    private final TestAgent t = TestAgent.start();

    @AfterEach
    void close() {
        t.close();
    }

    private TestSubscriber<LockGrant> acquireNow(String client) {
        TestSubscriber<LockGrant> probe = TestSubscriber.create();
        t.session(client).acquire(SIM0).subscribe(probe);
        t.settle(); // no time passes: a failure here is a fast one
        return probe;
    }

    @Test
    void afterAHungReleaseTheNextAcquireFailsAtOnce() {
        ClientSession a = t.session("A");
        a.acquire(SIM0).block();
        t.sim.hangNext(SIM0, Operation.RELEASE, 1);
        TestSubscriber<Integer> release = TestSubscriber.create();
        a.release(SIM0).subscribe(release);
        t.advance(Duration.ofSeconds(10));
        assertThat(release.expectTerminalError()).isInstanceOf(CommandTimeoutException.class);
        TestSubscriber<LockGrant> next = acquireNow("B");
        assertThat(next.expectTerminalError()).isInstanceOf(CommandTimeoutException.class);
        assertThat(t.session("C").acquire(SIM1).block().lockCount()).as("other recorders carry on").isEqualTo(1);
        t.sim.releaseHangs(SIM0);
        t.settle();
        assertThat(t.session("D").acquire(SIM0).block().lockCount()).as("responsive again").isEqualTo(1);
    }

    @Test
    void afterAHungOwnerQueryTheNextAcquireAndQueryFailAtOnce() {
        t.sim.hangNext(SIM0, Operation.OWNER, 1);
        TestSubscriber<String> owner = TestSubscriber.create();
        t.agent.exclusiveAccessOwner(SIM0).subscribe(owner);
        t.advance(Duration.ofSeconds(10));
        assertThat(owner.expectTerminalError()).isInstanceOf(CommandTimeoutException.class);
        assertThat(acquireNow("B").expectTerminalError()).isInstanceOf(CommandTimeoutException.class);
        TestSubscriber<String> again = TestSubscriber.create();
        t.agent.exclusiveAccessOwner(SIM0).subscribe(again);
        t.settle();
        assertThat(again.expectTerminalError()).isInstanceOf(CommandTimeoutException.class);
        t.sim.releaseHangs(SIM0);
        t.settle();
        assertThat(t.session("D").acquire(SIM0).block().lockCount()).isEqualTo(1);
    }
}
