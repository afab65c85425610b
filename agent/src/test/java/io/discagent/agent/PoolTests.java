package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static io.discagent.agent.TestAgent.SIM1;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderSelector;
import io.discagent.api.RetryPolicy;
import io.discagent.api.error.AcquireTimeoutException;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.error.PendingAcquireLimitException;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.SessionClosedException;
import io.discagent.api.event.AcquireTimedOutEvent;
import io.discagent.api.event.TimeoutEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.subscriber.TestSubscriber;

/**
 * Pools on one machine ({@code acquireAny}, {@code withLockAny}): the first matching recorder, one FIFO per recorder
 * shared by single-recorder and pool requests, hand-off the moment any member frees, timeouts on virtual time,
 * members that leave or arrive, cancellation.
 */
class PoolTests {

    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);
    private static final RecorderSelector BOTH = RecorderSelector.anyOf(SIM0, SIM1);

    private TestAgent t = TestAgent.start(2, b -> b.pendingAcquireMaxCount(3));

    @AfterEach
    void close() {
        t.close();
    }

    private static AcquireOptions waitUpTo(Duration timeout) {
        return AcquireOptions.waitUpTo(timeout).withRetry(RetryPolicy.none());
    }

    private TestSubscriber<LockGrant> waitAny(ClientSession session, RecorderSelector selector, Duration timeout) {
        TestSubscriber<LockGrant> probe = TestSubscriber.create();
        session.acquireAny(selector, waitUpTo(timeout)).subscribe(probe);
        t.settle();
        return probe;
    }

    private TestSubscriber<LockGrant> waitOne(ClientSession session, RecorderId recorder, Duration timeout) {
        TestSubscriber<LockGrant> probe = TestSubscriber.create();
        session.acquire(recorder, waitUpTo(timeout)).subscribe(probe);
        t.settle();
        return probe;
    }

    private static RecorderId grantedRecorder(TestSubscriber<LockGrant> probe) {
        probe.block(TEN_SECONDS);
        assertThat(probe.getReceivedOnNext()).hasSize(1);
        return probe.getReceivedOnNext().get(0).recorder();
    }

    private void assertNoNativeLockLeft() {
        t.settle();
        assertThat(t.sim.lockCounts().taken()).isEqualTo(t.sim.lockCounts().dropped());
    }

    @Test
    void aFreeMemberIsGrantedAtOnce() {
        t.session("Holder").acquire(SIM0).block();
        ClientSession pool = t.session("Pool");
        LockGrant grant = pool.acquireAny(BOTH).block(TEN_SECONDS);
        assertThat(grant.recorder()).isEqualTo(SIM1);
        assertThat(grant.lockCount()).isEqualTo(1);
        assertThat(t.sim.state(SIM1).nativeOwner()).isEqualTo("Pool");
        assertThat(t.settle().waiting()).isZero();
        // exactly one native acquire was made for the pool: the held member was never touched natively by it
        assertThat(t.sim.state(SIM0).locksTaken()).isEqualTo(1);
        assertThat(t.sim.state(SIM1).locksTaken()).isEqualTo(1);
    }

    @Test
    void failFastFailsTypedWhenEveryMemberIsHeld() {
        t.session("Holder 0").acquire(SIM0).block();
        t.session("Holder 1").acquire(SIM1).block();
        TestSubscriber<LockGrant> probe = TestSubscriber.create();
        t.session("Pool").acquireAny(RecorderSelector.any()).subscribe(probe);
        t.settle();
        assertThat(probe.expectTerminalError()).isInstanceOfSatisfying(RecorderLockedException.class, e -> {
            assertThat(e.hresult().code()).isEqualTo(0xC0AA0210);
            assertThat(e.owner()).contains("Holder 0");
        });
        assertThat(t.settle().waiting()).isZero();
    }

    @Test
    void poolAndSingleWaitersShareEachRecordersFifoAndAreServedTheMomentAnyMemberFrees() {
        ClientSession h0 = t.session("Holder 0");
        ClientSession h1 = t.session("Holder 1");
        h0.acquire(SIM0).block();
        h1.acquire(SIM1).block();
        ClientSession p1 = t.session("Pool 1");
        ClientSession single = t.session("Single");
        ClientSession p2 = t.session("Pool 2");
        TestSubscriber<LockGrant> first = waitAny(p1, BOTH, TEN_SECONDS);
        TestSubscriber<LockGrant> onSim0 = waitOne(single, SIM0, TEN_SECONDS);
        TestSubscriber<LockGrant> second = waitAny(p2, BOTH, TEN_SECONDS);
        assertThat(t.settle().waiting()).isEqualTo(5); // sim-0: P1, Single, P2; sim-1: P1, P2

        h1.release(SIM1).block(); // sim-1 frees: its first waiter is Pool 1
        assertThat(grantedRecorder(first)).isEqualTo(SIM1);
        assertThat(t.settle().waiting()).isEqualTo(3); // Pool 1 gave up its place on sim-0
        assertThat(second.isTerminated()).isFalse();

        h0.release(SIM0).block(); // sim-0 frees: Single came before Pool 2 there
        onSim0.block(TEN_SECONDS);
        assertThat(t.sim.state(SIM0).nativeOwner()).isEqualTo("Single");
        assertThat(second.isTerminated()).isFalse();

        p1.release(SIM1).block(); // sim-1 frees again: Pool 2
        assertThat(grantedRecorder(second)).isEqualTo(SIM1);
        assertThat(t.settle().waiting()).isZero();
        // no virtual time passed: nobody polled
        assertThat(t.time.now(TimeUnit.MILLISECONDS)).isZero();
        single.release(SIM0).block();
        p2.release(SIM1).block();
        assertNoNativeLockLeft();
    }

    @Test
    void poolWaitersAreServedInTheirOrderWhicheverMemberFrees() {
        ClientSession h0 = t.session("Holder 0");
        ClientSession h1 = t.session("Holder 1");
        h0.acquire(SIM0).block();
        h1.acquire(SIM1).block();
        List<ClientSession> pools = List.of(t.session("P0"), t.session("P1"), t.session("P2"));
        List<TestSubscriber<LockGrant>> waiters = pools.stream().map(p -> waitAny(p, BOTH, TEN_SECONDS)).toList();
        h0.release(SIM0).block();
        assertThat(grantedRecorder(waiters.get(0))).isEqualTo(SIM0);
        h1.release(SIM1).block();
        assertThat(grantedRecorder(waiters.get(1))).isEqualTo(SIM1);
        assertThat(waiters.get(2).isTerminated()).isFalse();
        pools.get(1).release(SIM1).block();
        assertThat(grantedRecorder(waiters.get(2))).isEqualTo(SIM1);
    }

    @Test
    void aSessionGrantedAMemberIsGrantedItsOwnQueuedPoolRequestWithIt() {
        ClientSession h0 = t.session("Holder 0");
        h0.acquire(SIM0).block();
        t.session("Holder 1").acquire(SIM1).block();
        ClientSession s = t.session("S");
        TestSubscriber<LockGrant> single = waitOne(s, SIM0, TEN_SECONDS);
        TestSubscriber<LockGrant> other = waitOne(t.session("X"), SIM0, TEN_SECONDS);
        TestSubscriber<LockGrant> pool = waitAny(s, BOTH, TEN_SECONDS);
        h0.release(SIM0).block();
        assertThat(grantedRecorder(single)).isEqualTo(SIM0);
        assertThat(grantedRecorder(pool)).isEqualTo(SIM0);
        assertThat(pool.getReceivedOnNext().get(0).lockCount()).isEqualTo(2);
        assertThat(other.isTerminated()).isFalse();
        assertThat(t.settle().waiting()).isEqualTo(1); // X on sim-0; the pool's place on sim-1 is gone
    }

    @Test
    void aPoolWaitThatRunsOutFailsTypedOnVirtualTimeAndLeavesEveryQueue() {
        TestSubscriber<TimeoutEvent> timeouts = TestSubscriber.create();
        t.agent.timeouts().subscribe(timeouts);
        ClientSession h0 = t.session("Holder 0");
        h0.acquire(SIM0).block();
        t.session("Holder 1").acquire(SIM1).block();
        TestSubscriber<LockGrant> pool = waitAny(t.session("Pool"), BOTH, Duration.ofSeconds(5));
        t.advance(Duration.ofMillis(4999));
        assertThat(pool.isTerminated()).isFalse();
        t.advance(Duration.ofMillis(1));
        assertThat(pool.expectTerminalError()).isInstanceOfSatisfying(AcquireTimeoutException.class, e -> {
            assertThat(e.hresult().code()).isEqualTo(0x800705B4);
            assertThat(e.getMessage()).contains("pool");
        });
        assertThat(t.settle().waiting()).isZero();
        assertThat(timeouts.getReceivedOnNext()).hasSize(2).allSatisfy(e -> assertThat(e)
                .isInstanceOfSatisfying(AcquireTimedOutEvent.class, ev -> {
                    assertThat(ev.clientName()).isEqualTo("Pool");
                    assertThat(ev.waited()).isEqualTo(Duration.ofSeconds(5));
                }));
        h0.release(SIM0).block();
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
    }

    @Test
    void aCancelledPoolRequestLeavesEveryQueue() {
        ClientSession h0 = t.session("Holder 0");
        ClientSession h1 = t.session("Holder 1");
        h0.acquire(SIM0).block();
        h1.acquire(SIM1).block();
        TestSubscriber<LockGrant> pool = waitAny(t.session("Pool"), BOTH, TEN_SECONDS);
        TestSubscriber<LockGrant> next = waitOne(t.session("Next"), SIM1, TEN_SECONDS);
        assertThat(t.settle().waiting()).isEqualTo(3);
        pool.cancel();
        assertThat(t.settle().waiting()).isEqualTo(1);
        h0.release(SIM0).block();
        h1.release(SIM1).block();
        assertThat(grantedRecorder(next)).isEqualTo(SIM1);
        assertThat(pool.getReceivedOnNext()).isEmpty();
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
    }

    @Test
    void aRemovedMemberLeavesThePoolAndTheRequestWaitsOnTheOthers() {
        ClientSession h0 = t.session("Holder 0");
        h0.acquire(SIM0).block();
        t.session("Holder 1").acquire(SIM1).block();
        TestSubscriber<LockGrant> pool = waitAny(t.session("Pool"), BOTH, TEN_SECONDS);
        t.sim.removeRecorder(SIM1);
        assertThat(t.settle().waiting()).isEqualTo(1);
        assertThat(pool.isTerminated()).isFalse();
        h0.release(SIM0).block();
        assertThat(grantedRecorder(pool)).isEqualTo(SIM0);
    }

    @Test
    void whenTheLastMemberIsRemovedTheRequestFailsTyped() {
        t.session("Holder 0").acquire(SIM0).block();
        t.session("Holder 1").acquire(SIM1).block();
        TestSubscriber<LockGrant> pool = waitAny(t.session("Pool"), BOTH, TEN_SECONDS);
        t.sim.removeRecorder(SIM1);
        t.settle();
        assertThat(pool.isTerminated()).isFalse();
        t.sim.removeRecorder(SIM0);
        t.settle();
        assertThat(pool.expectTerminalError()).isInstanceOfSatisfying(RecorderRemovedException.class,
                e -> assertThat(e.hresult().code()).isEqualTo(0x80070037));
        assertThat(t.settle().waiting()).isZero();
    }

    @Test
    void noMatchingRecorderFailsAtOnce() {
        TestSubscriber<LockGrant> probe = TestSubscriber.create();
        t.session("Pool").acquireAny(RecorderSelector.anyOf(RecorderId.of("nope")), waitUpTo(TEN_SECONDS))
                .subscribe(probe);
        t.settle();
        assertThat(probe.expectTerminalError()).isInstanceOf(RecorderRemovedException.class);
    }

    @Test
    void aMatchingRecorderThatArrivesServesAWaitingPoolRequest() {
        t.session("Holder 0").acquire(SIM0).block();
        t.session("Holder 1").acquire(SIM1).block();
        TestSubscriber<LockGrant> pool = waitAny(t.session("Pool"), RecorderSelector.matching(
                info -> info.backend().equals("simulated")), TEN_SECONDS);
        TestSubscriber<LockGrant> notMatching = waitAny(t.session("Only sim-0"),
                RecorderSelector.matching(info -> info.id().equals(SIM0)), TEN_SECONDS);
        RecorderId added = t.sim.addRecorder();
        assertThat(grantedRecorder(pool)).isEqualTo(added);
        assertThat(t.sim.state(added).nativeOwner()).isEqualTo("Pool");
        assertThat(notMatching.isTerminated()).isFalse();
    }

    @Test
    void anArrivalJoinsWithTheRemainingWaitOnly() {
        TestSubscriber<TimeoutEvent> timeouts = TestSubscriber.create();
        t.agent.timeouts().subscribe(timeouts);
        t.session("Holder 0").acquire(SIM0).block();
        t.session("Holder 1").acquire(SIM1).block();
        TestSubscriber<LockGrant> first = waitAny(t.session("First"), RecorderSelector.any(), Duration.ofSeconds(5));
        TestSubscriber<LockGrant> second = waitAny(t.session("Second"), RecorderSelector.any(), Duration.ofSeconds(5));
        t.advance(Duration.ofSeconds(3));
        RecorderId added = t.sim.addRecorder();
        assertThat(grantedRecorder(first)).isEqualTo(added);
        assertThat(t.settle().waiting()).isEqualTo(3); // Second now waits on all three
        t.advance(Duration.ofMillis(1999));
        assertThat(second.isTerminated()).isFalse();
        t.advance(Duration.ofMillis(1));
        assertThat(second.expectTerminalError()).isInstanceOf(AcquireTimeoutException.class);
        assertThat(timeouts.getReceivedOnNext()).hasSize(3).allSatisfy(e -> assertThat(e)
                .isInstanceOfSatisfying(AcquireTimedOutEvent.class,
                        ev -> assertThat(ev.waited()).isEqualTo(Duration.ofSeconds(5))));
        assertThat(t.settle().waiting()).isZero();
    }

    @Test
    void aPoolRequestWaitsOnlyWhereThereIsRoomAndFailsTypedWhenNoQueueHasRoom() {
        t.session("Holder 0").acquire(SIM0).block();
        t.session("Holder 1").acquire(SIM1).block();
        for (int i = 0; i < 3; i++) {
            waitOne(t.session("W" + i), SIM0, TEN_SECONDS);
        }
        TestSubscriber<LockGrant> roomOnSim1 = waitAny(t.session("Pool"), BOTH, TEN_SECONDS);
        assertThat(roomOnSim1.isTerminated()).isFalse();
        for (int i = 0; i < 2; i++) {
            waitOne(t.session("V" + i), SIM1, TEN_SECONDS);
        }
        TestSubscriber<LockGrant> noRoom = waitAny(t.session("Late"), BOTH, TEN_SECONDS);
        assertThat(noRoom.expectTerminalError()).isInstanceOfSatisfying(PendingAcquireLimitException.class,
                e -> assertThat(e.hresult().code()).isEqualTo(0x80070718));
    }

    @Test
    void closingTheSessionFailsItsPoolRequest() {
        t.session("Holder 0").acquire(SIM0).block();
        t.session("Holder 1").acquire(SIM1).block();
        ClientSession leaving = t.session("Leaving");
        TestSubscriber<LockGrant> pool = waitAny(leaving, BOTH, TEN_SECONDS);
        leaving.close().block();
        assertThat(pool.expectTerminalError()).isInstanceOf(SessionClosedException.class);
        assertThat(t.settle().waiting()).isZero();
    }

    @Test
    void aNativeAcquireInFlightOnAnotherMemberIsReleasedWhenThePoolIsGrantedFirst() {
        ClientSession h0 = t.session("Holder 0");
        ClientSession h1 = t.session("Holder 1");
        h0.acquire(SIM0).block();
        h1.acquire(SIM1).block();
        ClientSession pool = t.session("Pool");
        TestSubscriber<LockGrant> probe = waitAny(pool, BOTH, TEN_SECONDS);
        t.sim.hangNext(SIM1, Operation.ACQUIRE, 1);
        h1.release(SIM1).block(); // the pool's native acquire of sim-1 is now stuck
        t.settle();
        h0.release(SIM0).block(); // sim-0 grants first
        assertThat(grantedRecorder(probe)).isEqualTo(SIM0);
        t.sim.releaseHangs(SIM1); // sim-1's acquire returns for a request that has ended
        t.settle();
        assertThat(t.sim.state(SIM1).nativeOwner()).isNull();
        assertThat(pool.lockCount(SIM1).block()).isZero();
        assertThat(pool.lockCount(SIM0).block()).isEqualTo(1);
        assertThat(t.session("After").acquire(SIM1).block(TEN_SECONDS).lockCount()).isEqualTo(1);
    }

    @Test
    void aMemberRetryingAnOutsideHolderStopsRetryingWhenAnotherMemberGrants() {
        t.sim.lockExternally(SIM0, "wodim (pid 4242)");
        ClientSession h1 = t.session("Holder 1");
        h1.acquire(SIM1).block();
        TestSubscriber<LockGrant> pool = TestSubscriber.create();
        t.session("Pool").acquireAny(BOTH, AcquireOptions.waitUpTo(Duration.ofMinutes(1))).subscribe(pool);
        t.advanceInSteps(Duration.ofSeconds(3), Duration.ofMillis(100));
        long attemptsOnSim0 = acquiresOf(SIM0);
        assertThat(attemptsOnSim0).as("sim-0 is retried while the pool waits").isGreaterThan(2);
        h1.release(SIM1).block();
        assertThat(grantedRecorder(pool)).isEqualTo(SIM1);
        long afterGrant = acquiresOf(SIM0);
        t.advanceInSteps(Duration.ofSeconds(10), Duration.ofMillis(100));
        assertThat(acquiresOf(SIM0)).as("no retry after the grant").isEqualTo(afterGrant);
        assertThat(t.settle().waiting()).isZero();
    }

    private long acquiresOf(RecorderId recorder) {
        t.settle();
        return t.sim.calls().stream().filter(c -> c.recorder().equals(recorder) && c.operation().equals("acquire"))
                .count();
    }

    @Test
    void withLockAnyRunsTheBodyOnTheGrantedMemberAndReleasesIt() {
        t.session("Holder 0").acquire(SIM0).block();
        ClientSession pool = t.session("Pool");
        List<RecorderId> ran = pool.withLockAny(BOTH, waitUpTo(TEN_SECONDS), g -> Mono.just(g.recorder()))
                .collectList().block(TEN_SECONDS);
        assertThat(ran).containsExactly(SIM1);
        assertThat(pool.lockCount(SIM1).block()).isZero();
        assertNoNativeLockLeftOn(SIM1);
    }

    @Test
    void withLockAnyFailsWithTheRemovalOfTheRecorderItHolds() {
        ClientSession pool = t.session("Pool");
        TestSubscriber<Object> body = TestSubscriber.create();
        pool.withLockAny(RecorderSelector.anyOf(SIM1), waitUpTo(TEN_SECONDS), g -> Flux.never()).subscribe(body);
        t.settle();
        assertThat(t.sim.state(SIM1).nativeOwner()).isEqualTo("Pool");
        t.sim.removeRecorder(SIM1);
        t.settle();
        assertThat(body.expectTerminalError()).isInstanceOf(RecorderRemovedException.class);
    }

    @Test
    void aNullSelectorOrAThrowingPredicateFailsTyped() {
        ClientSession pool = t.session("Pool");
        TestSubscriber<LockGrant> nullSelector = TestSubscriber.create();
        pool.acquireAny(null, AcquireOptions.DEFAULT).subscribe(nullSelector);
        TestSubscriber<LockGrant> throwing = TestSubscriber.create();
        pool.acquireAny(RecorderSelector.matching(info -> {
            throw new IllegalStateException("boom");
        }), AcquireOptions.DEFAULT).subscribe(throwing);
        t.settle();
        assertThat(nullSelector.expectTerminalError()).isInstanceOf(InvalidArgumentException.class);
        assertThat(throwing.expectTerminalError()).isInstanceOf(InvalidArgumentException.class);
    }

    private void assertNoNativeLockLeftOn(RecorderId recorder) {
        t.settle();
        assertThat(t.sim.state(recorder).nativeOwner()).isNull();
        assertThat(t.sim.state(recorder).locksTaken()).isEqualTo(t.sim.state(recorder).locksDropped());
    }
}
