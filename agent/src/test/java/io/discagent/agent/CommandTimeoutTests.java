package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static io.discagent.agent.TestAgent.SIM1;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.error.CommandTimeoutException;
import io.discagent.api.event.CommandTimedOutEvent;
import io.discagent.api.event.TimeoutEvent;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.test.subscriber.TestSubscriber;

/** A native call that does not return: the caller fails, the event is published, nothing else stalls or leaks. */
class CommandTimeoutTests {

    private final TestAgent t = TestAgent.start(2, b -> b.commandTimeout(Duration.ofSeconds(10)));

    @AfterEach
    void close() {
        t.close();
    }

    @Test
    void aHungAcquireFailsItsCallerAfterTheCommandTimeoutAndStallsNoOtherRecorder() {
        TestSubscriber<TimeoutEvent> timeouts = TestSubscriber.create();
        t.agent.timeouts().subscribe(timeouts);
        t.sim.hangNext(SIM0, Operation.ACQUIRE, 1);
        ClientSession a = t.session("Stuck");
        TestSubscriber<LockGrant> stuck = TestSubscriber.create();
        a.acquire(SIM0).subscribe(stuck);
        t.settle();
        assertThat(t.sim.state(SIM0).blockedCalls()).isEqualTo(1);

        // the other recorder works while sim-0's worker is blocked
        ClientSession b = t.session("Free");
        assertThat(b.acquire(SIM1).block(Duration.ofSeconds(5)).lockCount()).isEqualTo(1);
        assertThat(b.release(SIM1).block(Duration.ofSeconds(5))).isZero();

        t.advance(Duration.ofMillis(9999));
        assertThat(stuck.isTerminated()).isFalse();
        t.advance(Duration.ofMillis(1));
        assertThat(stuck.expectTerminalError()).isInstanceOfSatisfying(CommandTimeoutException.class, e -> {
            assertThat(e.hresult().code()).isEqualTo(0xC0AA020D);
            assertThat(e.isTransient()).isTrue();
        });
        assertThat(timeouts.getReceivedOnNext()).singleElement().isInstanceOfSatisfying(CommandTimedOutEvent.class,
                e -> {
                    assertThat(e.recorder()).isEqualTo(SIM0);
                    assertThat(e.command()).isEqualTo("AcquireExclusiveAccess");
                    assertThat(e.timeout()).isEqualTo(Duration.ofSeconds(10));
                });
    }

    @Test
    void aFailFastRequestToAnUnresponsiveRecorderSaysSo() {
        t.sim.hangNext(SIM0, Operation.ACQUIRE, 1);
        t.session("Stuck").acquire(SIM0).subscribe(g -> { }, e -> { });
        t.advance(Duration.ofSeconds(10));
        TestSubscriber<LockGrant> next = TestSubscriber.create();
        t.session("Next").acquire(SIM0).subscribe(next);
        t.settle();
        assertThat(next.expectTerminalError()).isInstanceOf(CommandTimeoutException.class)
                .hasMessageContaining("not responding");
    }

    @Test
    void whenTheHungCallFinallySucceedsItsLockIsReleasedAndWaitersAreServed() {
        t.sim.hangNext(SIM0, Operation.ACQUIRE, 1);
        t.session("Stuck").acquire(SIM0).subscribe(g -> { }, e -> { });
        t.advance(Duration.ofSeconds(10));
        TestSubscriber<LockGrant> waiter = TestSubscriber.create();
        t.session("Waiter").acquire(SIM0, AcquireOptions.waitUpTo(Duration.ofMinutes(1))).subscribe(waiter);
        t.settle();
        assertThat(waiter.isTerminated()).isFalse();
        t.sim.releaseHangs(SIM0);
        waiter.block(Duration.ofSeconds(5));
        assertThat(waiter.getReceivedOnNext()).hasSize(1);
        assertThat(t.sim.state(SIM0).nativeOwner()).isEqualTo("Waiter");
        // the late lock was released natively before the waiter's acquire
        assertThat(t.sim.state(SIM0).locksTaken()).isEqualTo(2);
        assertThat(t.sim.state(SIM0).locksDropped()).isEqualTo(1);
    }

    @Test
    void aHungReleaseFailsTheReleaserButTheCountIsZero() {
        ClientSession a = t.session("Holder");
        a.acquire(SIM0).block();
        t.sim.hangNext(SIM0, Operation.RELEASE, 1);
        TestSubscriber<Integer> release = TestSubscriber.create();
        a.release(SIM0).subscribe(release);
        t.advance(Duration.ofSeconds(10));
        assertThat(release.expectTerminalError()).isInstanceOf(CommandTimeoutException.class);
        assertThat(a.lockCount(SIM0).block()).isZero();
        t.sim.releaseHangs(SIM0);
        t.settle();
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
    }

    @Test
    void aHungOwnerQueryTimesOut() {
        t.sim.hangNext(SIM0, Operation.OWNER, 1);
        TestSubscriber<String> owner = TestSubscriber.create();
        t.agent.exclusiveAccessOwner(SIM0).subscribe(owner);
        t.advance(Duration.ofSeconds(10));
        assertThat(owner.expectTerminalError()).isInstanceOf(CommandTimeoutException.class);
    }
}
