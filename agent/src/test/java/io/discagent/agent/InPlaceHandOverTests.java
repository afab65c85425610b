package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.discagent.agent.backend.simulated.SimulatedDeviceState;
import io.discagent.agent.backend.simulated.Simulator;
import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RetryPolicy;
import io.discagent.api.error.RecorderLockedException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.test.subscriber.TestSubscriber;

/**
 * A backend whose hand-over is a change of name only ({@code BackendRecorder.handsOverInPlace}: Linux's default, the
 * simulator's {@link Simulator.HandOver#RENAME_IN_PLACE}): the next waiter is granted on the event loop without a
 * native call, the claim never drops, and the recorder learns its new holder's name before the next call on it.
 */
class InPlaceHandOverTests {

    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);

    private final TestAgent t = TestAgent.start(Simulator.HandOver.RENAME_IN_PLACE);

    @AfterEach
    void close() {
        t.close();
        SimulatedDeviceState device = t.sim.state(SIM0);
        assertThat(device.locksTaken()).as("native acquires").isEqualTo(device.locksDropped());
    }

    private TestSubscriber<LockGrant> waitFor(ClientSession session) {
        TestSubscriber<LockGrant> probe = TestSubscriber.create();
        session.acquire(SIM0, AcquireOptions.waitUpTo(TEN_SECONDS).withRetry(RetryPolicy.none())).subscribe(probe);
        t.settle();
        return probe;
    }

    @Test
    void theNextWaiterIsGrantedWhileTheNativeWorkerIsBusy() {
        ClientSession a = t.session("Client A");
        ClientSession b = t.session("Client B");
        a.acquire(SIM0).block(TEN_SECONDS);
        TestSubscriber<LockGrant> waiter = waitFor(b);
        // the worker is stuck in a call: a hand-off that needed it would wait for it
        t.sim.hangNext(SIM0, Operation.ANY, 1);
        AtomicReference<Object> media = new AtomicReference<>();
        t.agent.media(SIM0).subscribe(media::set, media::set);
        t.settle(); // the read is stuck in the simulator now (not merely planned to be: releaseHangs frees only those)
        assertThat(a.release(SIM0).block(TEN_SECONDS)).isZero();
        waiter.block(TEN_SECONDS);
        assertThat(waiter.getReceivedOnNext()).singleElement().satisfies(g -> assertThat(g.lockCount()).isOne());
        assertThat(t.agent.exclusiveAccessOwner(SIM0).block(TEN_SECONDS)).isEqualTo("Client B");
        assertThatThrownBy(() -> t.sim.lockExternally(SIM0, "wodim")).isInstanceOf(RecorderLockedException.class);
        t.sim.releaseHangs(SIM0);
        t.settle();
        assertThat(media.get()).isNotNull();
        b.release(SIM0).block(TEN_SECONDS);
        t.settle();
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
    }

    @Test
    void theRecorderLearnsTheNewHolderBeforeItsNextCall() {
        ClientSession a = t.session("Client A");
        ClientSession b = t.session("Client B");
        ClientSession c = t.session("Client C");
        a.acquire(SIM0).block(TEN_SECONDS);
        TestSubscriber<LockGrant> toB = waitFor(b);
        TestSubscriber<LockGrant> toC = waitFor(c);
        a.release(SIM0).block(TEN_SECONDS);
        toB.block(TEN_SECONDS);
        b.release(SIM0).block(TEN_SECONDS);
        toC.block(TEN_SECONDS);
        t.settle();
        int callsBefore = t.sim.calls().size();
        // the native owner as the recorder reports it: the simulator answers from its last rename, made lazily
        t.agent.media(SIM0).block(TEN_SECONDS); // any call on the recorder
        assertThat(t.sim.state(SIM0).nativeOwner()).isEqualTo("Client C");
        assertThat(t.sim.state(SIM0).handOvers()).as("renames: the latest name only").isBetween(1L, 2L);
        assertThat(t.sim.calls().size()).isGreaterThan(callsBefore);
        c.release(SIM0).block(TEN_SECONDS);
        t.settle();
        assertThat(t.sim.state(SIM0).locksTaken()).isOne();
        assertThat(t.sim.state(SIM0).locksDropped()).isOne();
    }

    @Test
    void hundredsOfHandOffsMakeOneNativeAcquireAndOneRelease() {
        ClientSession a = t.session("Client A");
        ClientSession b = t.session("Client B");
        a.acquire(SIM0).block(TEN_SECONDS);
        int callsAfterAcquire = t.sim.calls().size();
        for (int round = 0; round < 300; round++) {
            ClientSession holder = round % 2 == 0 ? a : b;
            ClientSession next = round % 2 == 0 ? b : a;
            TestSubscriber<LockGrant> waiter = waitFor(next);
            assertThat(holder.release(SIM0).block(TEN_SECONDS)).isZero();
            waiter.block(TEN_SECONDS);
            assertThat(waiter.getReceivedOnNext()).hasSize(1);
        }
        t.settle();
        assertThat(t.sim.calls().size()).as("native calls during 300 hand-offs").isEqualTo(callsAfterAcquire);
        (t.agent.statistics().handOvers() % 2 == 0 ? a : b).release(SIM0).block(TEN_SECONDS);
        t.settle();
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
        assertThat(t.sim.state(SIM0).locksTaken()).isOne();
        assertThat(t.sim.state(SIM0).locksDropped()).isOne();
    }
}
