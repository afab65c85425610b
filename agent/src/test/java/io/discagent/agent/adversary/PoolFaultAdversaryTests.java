package io.discagent.agent.adversary;

import static io.discagent.agent.adversary.Harness.BLOCK;
import static io.discagent.agent.adversary.Harness.SIM0;
import static io.discagent.agent.adversary.Harness.SIM1;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.AcquireOptions;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderSelector;
import io.discagent.api.RetryPolicy;
import io.discagent.api.error.HResult;
import io.discagent.api.error.LockNotHeldException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.LockTransition.Cause;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * Pool requests meeting faults: members that fail the request for a reason of their own, failFast over free members,
 * re-entrant withLockAny, a withLockAny body whose hold ends under it, places in line.
 */
class PoolFaultAdversaryTests extends TwoSessions {

    private static final RecorderSelector POOL01 = RecorderSelector.anyOf(SIM0, SIM1);

    private static Throwable failure(CompletableFuture<?> f) {
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError("no failure within 10 s", e);
        }
        throw new AssertionError("completed without failure: " + f.join());
    }

    /** "failFast() tries every member once": when several are free, exactly one grant, one ACQUIRED, balanced. */
    @Test
    void failFastOverFreeMembersGrantsExactlyOne() {
        List<LockTransition> seen = new CopyOnWriteArrayList<>();
        Disposable watch = h.agent.lockTransitions().subscribe(seen::add);
        h.sim.setLatency(SIM0, Duration.ofMillis(3));
        h.sim.setLatency(SIM1, Duration.ofMillis(3));
        for (int i = 0; i < 30; i++) {
            h.settle();
            int before = seen.size();
            LockGrant g = a.acquireAny(POOL01).block(BLOCK);
            h.settle();
            assertThat(h.count(a, SIM0) + h.count(a, SIM1)).as("round %d", i).isEqualTo(1);
            assertThat(seen.subList(before, seen.size()).stream().filter(t -> t.cause() == Cause.ACQUIRED).count())
                    .as("round %d: ACQUIRED transitions %s", i, seen.subList(before, seen.size())).isEqualTo(1);
            a.release(g).block(BLOCK);
            h.assertQuiescentAndBalanced();
        }
        watch.dispose();
    }

    /** A failFast pool with one member held outside and the other free is granted the free one. */
    @Test
    void failFastSkipsAnOutsideHolder() {
        h.sim.lockExternally(SIM0, "wodim (pid 1)");
        LockGrant g = a.acquireAny(POOL01).block(BLOCK);
        assertThat(g.recorder()).isEqualTo(SIM1);
        h.sim.unlockExternally(SIM0);
        h.closeSessionsAndAssertBalanced();
    }

    /** "A member that ... fails the request for a reason of its own (... a native error) leaves the pool". */
    @Test
    void aMemberFailingWithANativeErrorLeavesThePoolAndTheRequestWaitsOnTheOthers() {
        b.acquire(SIM1).block(BLOCK);
        h.sim.failNext(SIM0, Operation.ACQUIRE, HResult.E_FAIL, 1);
        CompletableFuture<LockGrant> pool = a.acquireAny(POOL01, AcquireOptions.waitUpTo(Duration.ofMinutes(1)))
                .toFuture();
        h.settle();
        System.out.println("pool after sim-0 failed natively: " + pool + " places " + a.placesInLine().block(BLOCK));
        if (pool.isDone() && !pool.isCompletedExceptionally()) {
            // sim-0 failed once; a retry of sim-0 could have succeeded - the contract says it left the pool
            throw new AssertionError("granted " + pool.join().recorder() + " although sim-0 failed natively and "
                    + "sim-1 is held");
        }
        assertThat(pool).as("still waiting on sim-1").isNotDone();
        b.release(SIM1).block(BLOCK);
        h.settle();
        assertThat(pool).isCompleted();
        assertThat(pool.join().recorder()).isEqualTo(SIM1);
        h.closeSessionsAndAssertBalanced();
    }

    /** "when the last one leaves it fails with that recorder's error". */
    @Test
    void everyMemberFailingNativelyFailsWithTheLastError() {
        b.acquire(SIM0).block(BLOCK);
        b.acquire(SIM1).block(BLOCK);
        CompletableFuture<LockGrant> pool = a.acquireAny(POOL01, AcquireOptions.waitUpTo(Duration.ofMinutes(1)))
                .toFuture();
        h.settle();
        h.sim.failNext(SIM1, Operation.ACQUIRE, HResult.E_FAIL, 1);
        h.sim.failNext(SIM0, Operation.ACQUIRE, HResult.E_FAIL, 1);
        b.release(SIM1).block(BLOCK);
        h.settle();
        assertThat(pool).as("sim-1 failed natively and left; sim-0 is left").isNotDone();
        b.release(SIM0).block(BLOCK);
        h.settle();
        Throwable e = failure(pool);
        System.out.println("pool after every member failed natively: " + e);
        assertThat(e).isInstanceOfSatisfying(RecorderException.class,
                x -> assertThat(x.hresult()).isEqualTo(HResult.E_FAIL));
        h.closeSessionsAndAssertBalanced();
    }

    /** Retries exhausted against an outside holder on one member: that member leaves; the other still serves. */
    @Test
    void aMemberWhoseOutsideHolderOutlastsTheRetriesLeavesThePool() {
        h.sim.lockExternally(SIM0, "xorriso (pid 3)");
        b.acquire(SIM1).block(BLOCK);
        CompletableFuture<LockGrant> pool = a.acquireAny(POOL01, AcquireOptions.waitUpTo(Duration.ofMinutes(5))
                .withRetry(RetryPolicy.backoff(2, Duration.ofMillis(100), Duration.ofMillis(100), 0))).toFuture();
        h.test.advanceInSteps(Duration.ofSeconds(5), Duration.ofMillis(100));
        assertThat(pool).as("sim-0 gave up, sim-1 still held").isNotDone();
        h.sim.unlockExternally(SIM0);
        h.test.advanceInSteps(Duration.ofSeconds(3), Duration.ofMillis(100));
        assertThat(pool).as("sim-0 left the pool: it does not serve the request").isNotDone();
        b.release(SIM1).block(BLOCK);
        h.settle();
        assertThat(pool).isCompleted();
        assertThat(pool.join().recorder()).isEqualTo(SIM1);
        h.closeSessionsAndAssertBalanced();
    }

    /** "A member this session already holds grants it at once (one more count)" — for withLockAny too. */
    @Test
    void reentrantWithLockAnyCountsTwoInsideAndOneAfter() {
        a.acquire(SIM0).block(BLOCK);
        b.acquire(SIM1).block(BLOCK);
        AtomicInteger inside = new AtomicInteger();
        a.withLockAny(POOL01, AcquireOptions.failFast(), g -> a.lockCount(g.recorder())
                .doOnNext(inside::set)).blockLast(BLOCK);
        assertThat(inside).hasValue(2);
        assertThat(h.count(a, SIM0)).isEqualTo(1);
        h.closeSessionsAndAssertBalanced();
    }

    /** "the session released its counts to zero while the body ran | LockNotHeldException". */
    @Test
    void aWithLockAnyBodyWhoseCountsAreReleasedFailsWithLockNotHeld() {
        CompletableFuture<List<Object>> scope = a.withLockAny(POOL01, AcquireOptions.failFast(),
                g -> a.release(g.recorder()).then(Mono.never())).collectList().toFuture();
        h.settle();
        assertThat(failure(scope)).isInstanceOf(LockNotHeldException.class);
        h.closeSessionsAndAssertBalanced();
    }

    /** "the recorder was removed | RecorderRemovedException" — the member the body runs on. */
    @Test
    void aWithLockAnyBodyOnARemovedMemberFailsWithRecorderRemoved() {
        AtomicInteger cancelled = new AtomicInteger();
        CompletableFuture<List<Object>> scope = a.withLockAny(POOL01, AcquireOptions.failFast(),
                g -> Mono.never().doOnCancel(cancelled::incrementAndGet)).collectList().toFuture();
        h.settle();
        RecorderId held = h.count(a, SIM0) == 1 ? SIM0 : SIM1;
        h.sim.removeRecorder(held);
        assertThat(failure(scope)).isInstanceOf(RecorderRemovedException.class);
        assertThat(cancelled).hasValue(1);
        h.closeSessionsAndAssertBalanced();
    }

    /** "the backend lost the native lock | the backend's error". */
    @Test
    void aWithLockAnyBodyWhoseLockIsLostFailsWithTheBackendError() {
        CompletableFuture<List<Object>> scope = a.withLockAny(POOL01, AcquireOptions.failFast(),
                g -> Mono.never()).collectList().toFuture();
        h.settle();
        RecorderId held = h.count(a, SIM0) == 1 ? SIM0 : SIM1;
        h.sim.loseLock(held);
        Throwable e = failure(scope);
        System.out.println("lost lock under withLockAny: " + e);
        assertThat(e).isInstanceOf(RecorderException.class);
        h.closeSessionsAndAssertBalanced();
    }

    /** placesInLine: a pool request stands in every member's line. */
    @Test
    void placesInLineShowAPoolRequestInEveryMembersLine() {
        b.acquire(SIM0).block(BLOCK);
        b.acquire(SIM1).block(BLOCK);
        CompletableFuture<LockGrant> pool = a.acquireAny(POOL01, AcquireOptions.waitIndefinitely()).toFuture();
        h.settle();
        Map<RecorderId, Integer> places = a.placesInLine().block(BLOCK);
        assertThat(places).isEqualTo(Map.of(SIM0, 1, SIM1, 1));
        b.release(SIM0).block(BLOCK);
        h.settle();
        assertThat(pool).isCompleted();
        assertThat(a.placesInLine().block(BLOCK)).as("its other places are given up at once").isEmpty();
        assertThat(h.agent.statistics().waiting()).isZero();
        h.closeSessionsAndAssertBalanced();
    }

    /** A failFast pool with every member held names the owner of one: "naming an owner". */
    @Test
    void failFastPoolFailureCarriesAnOwner() {
        b.acquire(SIM0).block(BLOCK);
        h.sim.lockExternally(SIM1, "wodim (pid 9)");
        try {
            a.acquireAny(POOL01).block(BLOCK);
            throw new AssertionError("granted");
        } catch (RecorderLockedException e) {
            assertThat(e.owner()).isPresent();
        }
        h.sim.unlockExternally(SIM1);
        h.closeSessionsAndAssertBalanced();
    }
}
