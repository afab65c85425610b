package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.discagent.agent.backend.simulated.SimulatedCall;
import io.discagent.agent.backend.simulated.SimulatedDeviceState;
import io.discagent.agent.backend.simulated.Simulator;
import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RetryPolicy;
import io.discagent.api.error.HResult;
import io.discagent.api.error.NativeRecorderException;
import io.discagent.api.error.RecorderLockedException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.test.subscriber.TestSubscriber;

/**
 * The hand-off from one session to a waiting one keeps the native claim: no native release and acquire pair, and no
 * moment in which a process outside the agent could take the recorder. The simulator's
 * {@link Simulator.HandOver#RELEASE_AND_ACQUIRE} mode (IMAPI2's way) shows the gap that this closes.
 */
class HandOverTests {

    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);
    private static final Set<String> LOCK_CALLS = Set.of("acquire", "release", "handOver");

    private final TestAgent t = TestAgent.start();

    @AfterEach
    void close() {
        t.close();
    }

    private TestSubscriber<LockGrant> waitFor(ClientSession session) {
        TestSubscriber<LockGrant> probe = TestSubscriber.create();
        session.acquire(SIM0, AcquireOptions.waitUpTo(TEN_SECONDS).withRetry(RetryPolicy.none())).subscribe(probe);
        t.settle();
        return probe;
    }

    /** The native lock calls made on sim-0 so far, in order. */
    private List<String> lockCalls() {
        return t.sim.calls().stream().filter(c -> c.recorder().equals(SIM0)).map(SimulatedCall::operation)
                .filter(LOCK_CALLS::contains).toList();
    }

    @Test
    void twoSessionsHandingOffNeverLeaveTheRecorderUnclaimed() {
        ClientSession a = t.session("Client A");
        ClientSession b = t.session("Client B");
        a.acquire(SIM0).block(TEN_SECONDS);
        for (int round = 0; round < 50; round++) {
            ClientSession holder = round % 2 == 0 ? a : b;
            ClientSession next = round % 2 == 0 ? b : a;
            TestSubscriber<LockGrant> waiter = waitFor(next);
            // the hand-over stops half-way on the native worker: the moment an outsider would get in
            t.sim.hangNext(SIM0, Operation.ACQUIRE, 1);
            assertThat(holder.release(SIM0).block(TEN_SECONDS)).as("the releaser's count").isZero();
            t.settle();
            assertThat(t.sim.state(SIM0).nativeOwner()).as("claimed during hand-off %d", round).isNotNull();
            assertThatThrownBy(() -> t.sim.lockExternally(SIM0, "wodim")).as("an outsider during hand-off %d", round)
                    .isInstanceOf(RecorderLockedException.class);
            t.sim.releaseHangs(SIM0);
            waiter.block(TEN_SECONDS);
            assertThat(waiter.getReceivedOnNext()).singleElement().satisfies(g -> assertThat(g.lockCount()).isOne());
            assertThat(t.sim.state(SIM0).nativeOwner()).isEqualTo(next == a ? "Client A" : "Client B");
        }
        (t.agent.statistics().handOvers() % 2 == 0 ? a : b).release(SIM0).block(TEN_SECONDS);
        t.settle();
        SimulatedDeviceState device = t.sim.state(SIM0);
        assertThat(device.nativeOwner()).isNull();
        assertThat(device.locksTaken()).as("native acquires").isEqualTo(1);
        assertThat(device.locksDropped()).as("native releases").isEqualTo(1);
        assertThat(device.handOvers()).isEqualTo(50);
        assertThat(lockCalls()).hasSize(52).startsWith("acquire").endsWith("release")
                .containsOnlyOnce("acquire", "release");
    }

    @Test
    void releasingAndAcquiringAgainLetsAnOutsiderIn() {
        t.sim.setHandOver(Simulator.HandOver.RELEASE_AND_ACQUIRE);
        ClientSession a = t.session("Client A");
        a.acquire(SIM0).block(TEN_SECONDS);
        TestSubscriber<LockGrant> waiter = waitFor(t.session("Client B"));
        t.sim.hangNext(SIM0, Operation.ACQUIRE, 1);
        assertThat(a.release(SIM0).block(TEN_SECONDS)).isZero();
        t.settle();
        assertThat(t.sim.state(SIM0).nativeOwner()).as("nobody holds it between the release and the acquire").isNull();
        t.sim.lockExternally(SIM0, "wodim");
        t.sim.releaseHangs(SIM0);
        t.settle();
        assertThat(waiter.expectTerminalError()).isInstanceOfSatisfying(RecorderLockedException.class,
                e -> assertThat(e.owner()).contains("wodim"));
        assertThat(lockCalls()).containsExactly("acquire", "release", "acquire");
        t.sim.unlockExternally(SIM0);
        SimulatedDeviceState device = t.sim.state(SIM0);
        assertThat(device.locksTaken()).isEqualTo(device.locksDropped());
    }

    @Test
    void aFailedReleaseOfABackendThatCannotHandOverStillGrantsTheNextWaiter() {
        t.sim.setHandOver(Simulator.HandOver.RELEASE_AND_ACQUIRE);
        ClientSession a = t.session("Client A");
        a.acquire(SIM0).block(TEN_SECONDS);
        TestSubscriber<LockGrant> waiter = waitFor(t.session("Client B"));
        t.sim.failNext(SIM0, Operation.RELEASE, HResult.E_FAIL, 1);
        assertThat(a.release(SIM0).block(TEN_SECONDS)).isZero();
        waiter.block(TEN_SECONDS);
        assertThat(waiter.getReceivedOnNext()).hasSize(1);
        SimulatedDeviceState device = t.sim.state(SIM0);
        assertThat(device.nativeOwner()).isEqualTo("Client B");
        // the failed release closed the handle, which dropped the lock; a fresh handle took it for B
        assertThat(device.locksTaken()).isEqualTo(2);
        assertThat(device.locksDropped()).isEqualTo(1);
    }

    @Test
    void aClosedSessionHandsTheClaimToTheNextWaiter() {
        ClientSession a = t.session("Client A");
        a.acquire(SIM0).block(TEN_SECONDS);
        a.acquire(SIM0).block(TEN_SECONDS);
        TestSubscriber<LockGrant> waiter = waitFor(t.session("Client B"));
        a.close().block(TEN_SECONDS);
        waiter.block(TEN_SECONDS);
        assertThat(waiter.getReceivedOnNext()).hasSize(1);
        assertThat(t.sim.state(SIM0).nativeOwner()).isEqualTo("Client B");
        assertThat(lockCalls()).containsExactly("acquire", "handOver");
    }

    @Test
    void aLostLockIsTakenAgainNotHandedOver() {
        ClientSession a = t.session("Client A");
        a.acquire(SIM0).block(TEN_SECONDS);
        TestSubscriber<LockGrant> waiter = waitFor(t.session("Client B"));
        t.sim.loseLock(SIM0);
        waiter.block(TEN_SECONDS);
        assertThat(waiter.getReceivedOnNext()).hasSize(1);
        assertThat(t.sim.state(SIM0).nativeOwner()).isEqualTo("Client B");
        assertThat(t.agent.statistics().handOvers()).isZero();
        assertThat(lockCalls()).containsExactly("acquire", "release", "acquire");
    }

    @Test
    void aFailedHandOverLeavesTheRecorderFreeAndNothingLeaks() {
        ClientSession a = t.session("Client A");
        a.acquire(SIM0).block(TEN_SECONDS);
        TestSubscriber<LockGrant> waiter = waitFor(t.session("Client B"));
        t.sim.failNext(SIM0, Operation.ACQUIRE, HResult.E_FAIL, 1);
        a.release(SIM0).block(TEN_SECONDS);
        t.settle();
        assertThat(waiter.expectTerminalError()).isInstanceOf(NativeRecorderException.class);
        t.settle();
        SimulatedDeviceState device = t.sim.state(SIM0);
        assertThat(device.nativeOwner()).as("the handle was closed: the lock went with it").isNull();
        assertThat(device.locksTaken()).isEqualTo(device.locksDropped());
        ClientSession c = t.session("Client C");
        assertThat(c.acquire(SIM0).block(TEN_SECONDS).lockCount()).isOne();
        assertThat(t.sim.state(SIM0).nativeOwner()).isEqualTo("Client C");
    }

    @Test
    void reentrantCountsAndOwnerQueriesOfAHeldRecorderMakeNoNativeCall() {
        ClientSession a = t.session("Client A");
        a.acquire(SIM0).block(TEN_SECONDS);
        int before = t.sim.calls().size();
        for (int i = 0; i < 5; i++) {
            assertThat(a.acquire(SIM0).block(TEN_SECONDS).lockCount()).isEqualTo(2);
            assertThat(t.agent.exclusiveAccessOwner(SIM0).block(TEN_SECONDS)).isEqualTo("Client A");
            assertThat(a.release(SIM0).block(TEN_SECONDS)).isOne();
        }
        t.settle();
        assertThat(t.sim.calls()).hasSize(before);
    }
}
