package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.Simulator;
import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RetryPolicy;
import io.discagent.api.error.AcquireTimeoutException;
import io.discagent.api.error.PendingAcquireLimitException;
import io.discagent.api.error.SessionClosedException;
import io.discagent.api.event.AcquireTimedOutEvent;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.TimeoutEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.test.subscriber.TestSubscriber;

/** Waiting for a holder inside the agent: FIFO hand-off, wait timeouts, the pending bound, cancellation. */
class WaitQueueTests {

    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);

    private TestAgent t = TestAgent.start(2, b -> b.pendingAcquireMaxCount(3));

    @AfterEach
    void close() {
        t.close();
    }

    private TestSubscriber<LockGrant> waitFor(ClientSession session, Duration timeout) {
        TestSubscriber<LockGrant> probe = TestSubscriber.create();
        session.acquire(SIM0, AcquireOptions.waitUpTo(timeout).withRetry(RetryPolicy.none())).subscribe(probe);
        t.settle();
        return probe;
    }

    @ParameterizedTest
    @EnumSource(Simulator.HandOver.class)
    void waitersAreGrantedInArrivalOrderTheMomentTheHolderReleases(Simulator.HandOver handOver) {
        t.sim.setHandOver(handOver);
        ClientSession holder = t.session("Holder");
        holder.acquire(SIM0).block();
        List<TestSubscriber<LockGrant>> waiters = new ArrayList<>();
        List<ClientSession> sessions = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ClientSession s = t.session("Waiter " + i);
            sessions.add(s);
            waiters.add(waitFor(s, TEN_SECONDS));
        }
        assertThat(t.settle().waiting()).isEqualTo(3);
        for (TestSubscriber<LockGrant> w : waiters) {
            assertThat(w.isTerminated()).isFalse();
        }
        holder.release(SIM0).block();
        for (int i = 0; i < 3; i++) {
            TestSubscriber<LockGrant> w = waiters.get(i);
            w.block(TEN_SECONDS);
            assertThat(w.getReceivedOnNext()).singleElement().satisfies(g -> assertThat(g.lockCount()).isEqualTo(1));
            assertThat(t.sim.state(SIM0).nativeOwner()).isEqualTo("Waiter " + i);
            for (int j = i + 1; j < 3; j++) {
                assertThat(waiters.get(j).isTerminated()).as("waiter %d after %d", j, i).isFalse();
            }
            sessions.get(i).release(SIM0).block();
        }
        // no virtual time passed: the hand-offs did not poll
        assertThat(t.time.now(java.util.concurrent.TimeUnit.MILLISECONDS)).isZero();
        // three hand-offs: the claim passed on (one native acquire and one release in all), or was dropped and taken
        // again each time
        long expected = handOver == Simulator.HandOver.RELEASE_AND_ACQUIRE ? 4 : 1;
        assertThat(t.sim.state(SIM0).locksTaken()).isEqualTo(expected);
        assertThat(t.sim.state(SIM0).locksDropped()).isEqualTo(expected);
        assertThat(t.agent.statistics().handOvers()).isEqualTo(3);
    }

    @Test
    void eachWaiterKnowsItsPlaceInLineAndMovesUpAsThoseBeforeItLeave() {
        ClientSession holder = t.session("Holder");
        holder.acquire(SIM0).block();
        ClientSession first = t.session("First");
        ClientSession second = t.session("Second");
        ClientSession third = t.session("Third");
        TestSubscriber<LockGrant> firstWait = waitFor(first, TEN_SECONDS);
        waitFor(second, TEN_SECONDS);
        waitFor(third, TEN_SECONDS);
        assertThat(holder.placesInLine().block()).isEmpty();
        assertThat(first.placesInLine().block()).containsExactly(java.util.Map.entry(SIM0, 1));
        assertThat(third.placesInLine().block()).containsExactly(java.util.Map.entry(SIM0, 3));

        firstWait.cancel(); // a waiter that leaves moves everyone behind it up
        t.settle();
        assertThat(second.placesInLine().block()).containsExactly(java.util.Map.entry(SIM0, 1));
        assertThat(third.placesInLine().block()).containsExactly(java.util.Map.entry(SIM0, 2));
        assertThat(first.placesInLine().block()).isEmpty();

        holder.release(SIM0).block(); // the next one is granted: it no longer waits
        t.settle();
        assertThat(second.placesInLine().block()).isEmpty();
        assertThat(third.placesInLine().block()).containsExactly(java.util.Map.entry(SIM0, 1));
    }

    @Test
    void theHeadThatBacksOffFromAnOutsideHolderKeepsPlaceOneAndThoseBehindCountIt() {
        t.sim.lockExternally(SIM0, "wodim (pid 4242)");
        ClientSession head = t.session("Head");
        ClientSession behind = t.session("Behind");
        head.acquire(SIM0, AcquireOptions.waitUpTo(TEN_SECONDS)).subscribe(g -> { }, e -> { });
        t.settle();
        waitFor(behind, TEN_SECONDS);
        assertThat(head.placesInLine().block()).containsExactly(java.util.Map.entry(SIM0, 1));
        assertThat(behind.placesInLine().block()).containsExactly(java.util.Map.entry(SIM0, 2));
    }

    @Test
    void aWaitThatRunsOutFailsWithTheOwnerAndPublishesATimeoutEvent() {
        TestSubscriber<TimeoutEvent> timeouts = TestSubscriber.create();
        t.agent.timeouts().subscribe(timeouts);
        ClientSession holder = t.session("Holder");
        holder.acquire(SIM0).block();
        TestSubscriber<LockGrant> waiter = waitFor(t.session("Waiter"), Duration.ofSeconds(5));
        t.advance(Duration.ofMillis(4999));
        assertThat(waiter.isTerminated()).isFalse();
        t.advance(Duration.ofMillis(1));
        assertThat(waiter.expectTerminalError()).isInstanceOfSatisfying(AcquireTimeoutException.class, e -> {
            assertThat(e.hresult().code()).isEqualTo(0x800705B4);
            assertThat(e.owner()).contains("Holder");
            assertThat(e.isTransient()).isTrue();
        });
        assertThat(t.settle().waiting()).isZero();
        assertThat(timeouts.getReceivedOnNext()).singleElement().isInstanceOfSatisfying(AcquireTimedOutEvent.class,
                e -> {
                    assertThat(e.recorder()).isEqualTo(SIM0);
                    assertThat(e.clientName()).isEqualTo("Waiter");
                    assertThat(e.waited()).isEqualTo(Duration.ofSeconds(5));
                    assertThat(e.owner()).isEqualTo("Holder");
                });
        // the timed-out waiter left nothing behind: the next release frees the recorder
        holder.release(SIM0).block();
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
    }

    @Test
    void pendingAcquiresAreBoundedAndTheExcessFailsAtOnce() {
        t.session("Holder").acquire(SIM0).block();
        for (int i = 0; i < 3; i++) {
            waitFor(t.session("W" + i), TEN_SECONDS);
        }
        TestSubscriber<LockGrant> excess = waitFor(t.session("Excess"), TEN_SECONDS);
        assertThat(excess.expectTerminalError()).isInstanceOfSatisfying(PendingAcquireLimitException.class,
                e -> assertThat(e.hresult().code()).isEqualTo(0x80070718));
        assertThat(t.settle().waiting()).isEqualTo(3);
    }

    @Test
    void aCancelledWaiterLeavesTheQueueAndTheNextOneIsServed() {
        ClientSession holder = t.session("Holder");
        holder.acquire(SIM0).block();
        TestSubscriber<LockGrant> first = waitFor(t.session("First"), TEN_SECONDS);
        TestSubscriber<LockGrant> second = waitFor(t.session("Second"), TEN_SECONDS);
        first.cancel();
        assertThat(t.settle().waiting()).isEqualTo(1);
        holder.release(SIM0).block();
        second.block(TEN_SECONDS);
        assertThat(second.getReceivedOnNext()).hasSize(1);
        assertThat(first.getReceivedOnNext()).isEmpty();
        assertThat(t.sim.state(SIM0).nativeOwner()).isEqualTo("Second");
    }

    @Test
    void aGrantWhoseSubscriberCancelledDuringTheNativeAcquireIsReleased() {
        t.sim.hangNext(SIM0, Operation.ACQUIRE, 1);
        ClientSession a = t.session("Canceller");
        TestSubscriber<LockGrant> probe = TestSubscriber.create();
        a.acquire(SIM0).subscribe(probe);
        t.settle();
        probe.cancel();
        t.settle();
        t.sim.releaseHangs(SIM0);
        t.settle();
        assertThat(probe.getReceivedOnNext()).isEmpty();
        assertThat(t.sim.state(SIM0).locksTaken()).isEqualTo(1);
        assertThat(t.sim.state(SIM0).locksDropped()).isEqualTo(1);
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
        assertThat(a.lockCount(SIM0).block()).isZero();
        assertThat(t.session("Next").acquire(SIM0).block().lockCount()).isEqualTo(1);
    }

    @Test
    void aGrantDeliveredToAnAlreadyCancelledSubscriberIsDiscardedAndReleased() {
        ClientSession a = t.session("Racer");
        List<LockGrant> received = new ArrayList<>();
        BaseSubscriber<LockGrant> acquisition = new BaseSubscriber<>() {
            @Override
            protected void hookOnNext(LockGrant grant) {
                received.add(grant);
            }
        };
        // Cancels the acquire on the event loop, between the grant decision and its delivery: the transition to
        // held is published right before the grant is handed to the subscriber.
        Disposable watcher = t.agent.lockTransitions(SIM0)
                .filter(tr -> tr.cause() == LockTransition.Cause.ACQUIRED)
                .subscribe(tr -> acquisition.dispose());
        t.settle();
        a.acquire(SIM0).subscribe(acquisition);
        t.settle();
        watcher.dispose();
        assertThat(received).isEmpty();
        assertThat(a.lockCount(SIM0).block()).isZero();
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
        assertThat(t.sim.state(SIM0).locksDropped()).isEqualTo(t.sim.state(SIM0).locksTaken());
    }

    @Test
    void queuedRequestsOfTheGrantedSessionAreGrantedWithIt() {
        ClientSession holder = t.session("Holder");
        holder.acquire(SIM0).block();
        ClientSession b = t.session("B");
        TestSubscriber<LockGrant> first = waitFor(b, TEN_SECONDS);
        TestSubscriber<LockGrant> other = waitFor(t.session("C"), TEN_SECONDS);
        TestSubscriber<LockGrant> second = waitFor(b, TEN_SECONDS);
        holder.release(SIM0).block();
        first.block(TEN_SECONDS);
        second.block(TEN_SECONDS);
        assertThat(first.getReceivedOnNext().get(0).lockCount()).isEqualTo(1);
        assertThat(second.getReceivedOnNext().get(0).lockCount()).isEqualTo(2);
        assertThat(other.isTerminated()).isFalse();
        assertThat(b.lockCount(SIM0).block()).isEqualTo(2);
    }

    @Test
    void closingASessionFailsItsWaitersAndKeepsTheQueueMoving() {
        ClientSession holder = t.session("Holder");
        holder.acquire(SIM0).block();
        ClientSession leaving = t.session("Leaving");
        TestSubscriber<LockGrant> gone = waitFor(leaving, TEN_SECONDS);
        TestSubscriber<LockGrant> staying = waitFor(t.session("Staying"), TEN_SECONDS);
        leaving.close().block();
        assertThat(gone.expectTerminalError()).isInstanceOf(SessionClosedException.class);
        holder.close().block();
        staying.block(TEN_SECONDS);
        assertThat(t.sim.state(SIM0).nativeOwner()).isEqualTo("Staying");
    }

    @Test
    void aWaiterThatWaitsForeverIsServedWhateverTheTime() {
        ClientSession holder = t.session("Holder");
        holder.acquire(SIM0).block();
        TestSubscriber<LockGrant> patient = TestSubscriber.create();
        t.session("Patient").acquire(SIM0, AcquireOptions.waitIndefinitely()).subscribe(patient);
        t.advance(Duration.ofDays(3650));
        assertThat(patient.isTerminated()).isFalse();
        holder.release(SIM0).block();
        patient.block(TEN_SECONDS);
        assertThat(patient.getReceivedOnNext()).hasSize(1);
    }
}
