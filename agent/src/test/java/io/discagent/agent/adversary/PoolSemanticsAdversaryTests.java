package io.discagent.agent.adversary;

import static io.discagent.agent.adversary.Harness.BLOCK;
import static io.discagent.agent.adversary.Harness.SIM0;
import static io.discagent.agent.adversary.Harness.SIM1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.discagent.agent.AgentStatistics;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderSelector;
import io.discagent.api.error.AcquireTimeoutException;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.RequestCancelledException;
import io.discagent.api.error.SessionClosedException;
import io.discagent.api.event.AcquireTimedOutEvent;
import io.discagent.api.event.TimeoutEvent;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Pool requests on virtual time: FIFO across pool and single waiters, members that come and go, closes while a pool
 * request waits or a withLockAny body runs, bad selectors, re-entrant counts and statistics.
 */
class PoolSemanticsAdversaryTests {

    private static final RecorderId SIM2 = RecorderId.of("sim-2");
    private static final AcquireOptions WAIT = AcquireOptions.waitIndefinitely();
    private static final RecorderSelector POOL01 = RecorderSelector.anyOf(SIM0, SIM1);

    private Harness h;
    private ClientSession a;
    private ClientSession b;
    private ClientSession c;

    @BeforeEach
    void start() {
        h = Harness.virtualTime(3, o -> { });
        a = h.session("Alpha");
        b = h.session("Beta");
        c = h.session("Gamma");
    }

    @AfterEach
    void stop() {
        h.close();
    }

    private static <T> CompletableFuture<T> later(Mono<T> m) {
        return m.toFuture();
    }

    private static Throwable failure(CompletableFuture<?> f) {
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError("no failure within 10 s", e);
        }
        throw new AssertionError("completed without failure: " + f.join());
    }

    // ---- FIFO ----

    /** "on each recorder it is served in FIFO order with every other request, single-recorder and pool alike". */
    @Test
    void aPoolRequestNeitherOvertakesNorIsOvertakenBySingleWaiters() {
        b.acquire(SIM0).block(BLOCK);
        b.acquire(SIM1).block(BLOCK);
        CompletableFuture<LockGrant> cOnSim0 = later(c.acquire(SIM0, WAIT));
        h.settle();
        CompletableFuture<LockGrant> aPool = later(a.acquireAny(POOL01, WAIT));
        h.settle();
        ClientSession d = h.session("Delta");
        CompletableFuture<LockGrant> dOnSim1 = later(d.acquire(SIM1, WAIT));
        h.settle();
        b.release(SIM0).block(BLOCK);
        h.settle();
        assertThat(cOnSim0).as("Gamma queued on sim-0 before the pool request").isCompleted();
        assertThat(aPool).as("the pool request is behind Gamma on sim-0").isNotDone();
        b.release(SIM1).block(BLOCK);
        h.settle();
        assertThat(aPool).as("the pool request queued on sim-1 before Delta").isCompleted();
        assertThat(aPool.join().recorder()).isEqualTo(SIM1);
        assertThat(dOnSim1).as("Delta came after the pool request on sim-1").isNotDone();
        a.release(aPool.join()).block(BLOCK);
        h.settle();
        assertThat(dOnSim1).isCompleted();
        h.closeSessionsAndAssertBalanced();
    }

    /** "Pool requests with the same pool are therefore granted in the order they came, whichever member frees". */
    @Test
    void poolRequestsWithTheSamePoolAreGrantedInArrivalOrder() {
        b.acquire(SIM0).block(BLOCK);
        b.acquire(SIM1).block(BLOCK);
        CompletableFuture<LockGrant> first = later(c.acquireAny(POOL01, WAIT));
        h.settle();
        CompletableFuture<LockGrant> second = later(a.acquireAny(POOL01, WAIT));
        h.settle();
        b.release(SIM1).block(BLOCK);
        h.settle();
        assertThat(first).isCompleted();
        assertThat(second).isNotDone();
        b.release(SIM0).block(BLOCK);
        h.settle();
        assertThat(second).isCompleted();
        assertThat(second.join().recorder()).isEqualTo(SIM0);
        assertThat(h.test.agent.statistics().waiting()).as("nobody waits after both are granted").isZero();
        h.closeSessionsAndAssertBalanced();
    }

    /** The session's own queued pool request is granted with its single grant: count 2, ahead of other sessions. */
    @Test
    void aSessionsQueuedPoolPlaceIsGrantedWithItsSingleGrant() {
        b.acquire(SIM0).block(BLOCK);
        b.acquire(SIM1).block(BLOCK);
        CompletableFuture<LockGrant> single = later(a.acquire(SIM0, WAIT));
        h.settle();
        CompletableFuture<LockGrant> gamma = later(c.acquireAny(POOL01, WAIT));
        h.settle();
        CompletableFuture<LockGrant> pool = later(a.acquireAny(POOL01, WAIT));
        h.settle();
        b.release(SIM0).block(BLOCK);
        h.settle();
        assertThat(single).isCompleted();
        assertThat(pool).as("Alpha's pool place on sim-0 is granted with its grant").isCompleted();
        assertThat(h.count(a, SIM0)).isEqualTo(2);
        assertThat(h.count(a, SIM1)).isZero();
        assertThat(gamma).isNotDone();
        h.closeSessionsAndAssertBalanced();
        assertThat(gamma).as("Gamma is served once Alpha's session closes").isDone();
    }

    // ---- re-entrant counts ----

    /** "A member this session already holds grants it at once (one more count), as acquire would." */
    @Test
    void aPoolRequestOnAHeldMemberAddsOneCount() {
        a.acquire(SIM1).block(BLOCK);
        LockGrant g = a.acquireAny(POOL01).block(BLOCK);
        h.settle();
        int c0 = h.count(a, SIM0);
        int c1 = h.count(a, SIM1);
        System.out.println("pool while holding sim-1 (sim-0 free): granted " + g.recorder() + " count "
                + g.lockCount() + "; counts sim-0=" + c0 + " sim-1=" + c1);
        assertThat(c0 + c1).as("one acquire plus one pool grant").isEqualTo(2);
        assertThat(g.lockCount()).isEqualTo(g.recorder().equals(SIM1) ? 2 : 1);
        LockGrant again = a.acquireAny(RecorderSelector.anyOf(SIM1), WAIT).block(BLOCK);
        assertThat(again.recorder()).isEqualTo(SIM1);
        assertThat(h.count(a, SIM1)).isEqualTo(c1 + 1);
        a.release(g).block(BLOCK);
        a.release(again).block(BLOCK);
        // a second release of the same grant takes nothing
        a.release(again).block(BLOCK);
        assertThat(h.count(a, SIM1)).as("the first acquire's count is left").isEqualTo(1);
        a.release(SIM1).block(BLOCK);
        h.closeSessionsAndAssertBalanced();
    }

    /** A held member grants at once even while other sessions wait on the other member (failFast too). */
    @Test
    void failFastPoolOnAHeldMemberIsGrantedEvenWhenTheOtherIsBusy() {
        a.acquire(SIM0).block(BLOCK);
        b.acquire(SIM1).block(BLOCK);
        LockGrant g = a.acquireAny(POOL01, AcquireOptions.failFast()).block(BLOCK);
        assertThat(g.recorder()).isEqualTo(SIM0);
        assertThat(h.count(a, SIM0)).isEqualTo(2);
        h.closeSessionsAndAssertBalanced();
    }

    // ---- members that come and go ----

    @Test
    void removingOneMemberKeepsTheRequestWaitingOnTheOthers() {
        b.acquire(SIM0).block(BLOCK);
        b.acquire(SIM1).block(BLOCK);
        CompletableFuture<LockGrant> pool = later(a.acquireAny(POOL01, WAIT));
        h.settle();
        h.sim.removeRecorder(SIM0);
        h.settle();
        assertThat(pool).as("one member left").isNotDone();
        b.release(SIM1).block(BLOCK);
        h.settle();
        assertThat(pool).isCompleted();
        assertThat(pool.join().recorder()).isEqualTo(SIM1);
        h.closeSessionsAndAssertBalanced();
    }

    /** "fails only when none is left: RecorderRemovedException (0x80070037) when the last member was removed". */
    @Test
    void removingEveryMemberFailsWithRecorderRemoved() {
        b.acquire(SIM0).block(BLOCK);
        b.acquire(SIM1).block(BLOCK);
        CompletableFuture<LockGrant> pool = later(a.acquireAny(POOL01, WAIT));
        h.settle();
        h.sim.removeRecorder(SIM1);
        h.settle();
        h.sim.removeRecorder(SIM0);
        h.settle();
        assertThat(failure(pool)).isInstanceOf(RecorderRemovedException.class);
        h.closeSessionsAndAssertBalanced();
    }

    /** "A recorder that arrives while a pool request waits, and matches, adds a place at the tail of its queue". */
    @Test
    void aMatchingRecorderThatArrivesFreeGrantsAWaitingPoolRequest() {
        b.acquire(SIM0).block(BLOCK);
        b.acquire(SIM1).block(BLOCK);
        b.acquire(SIM2).block(BLOCK);
        CompletableFuture<LockGrant> pool = later(a.acquireAny(
                RecorderSelector.matching(i -> !i.id().equals(SIM2)), WAIT));
        h.settle();
        RecorderId fresh = h.sim.addRecorder("sim-9");
        h.settle();
        assertThat(pool).as("the arrival %s matches and is free", fresh).isCompleted();
        assertThat(pool.join().recorder()).isEqualTo(fresh);
        h.closeSessionsAndAssertBalanced();
    }

    /** A removed member that comes back (same id) while the request waits is a new arrival: it matches again. */
    @Test
    void aMemberRemovedAndBroughtBackServesTheWaitingPoolRequest() {
        b.acquire(SIM0).block(BLOCK);
        b.acquire(SIM1).block(BLOCK);
        CompletableFuture<LockGrant> pool = later(a.acquireAny(POOL01, WAIT));
        h.settle();
        h.sim.removeRecorder(SIM0);
        h.settle();
        h.sim.addRecorder("sim-0");
        h.settle();
        assertThat(pool).as("sim-0 came back free and matches the id selector").isCompleted();
        assertThat(pool.join().recorder()).isEqualTo(SIM0);
        h.closeSessionsAndAssertBalanced();
    }

    /** "a cancelled pool request leaves every queue at once" — places, waiting and the backpressure room. */
    @Test
    void aCancelledPoolRequestLeavesEveryQueueAtOnce() {
        b.acquire(SIM0).block(BLOCK);
        b.acquire(SIM1).block(BLOCK);
        b.acquire(SIM2).block(BLOCK);
        Disposable pool = a.acquireAny(RecorderSelector.any(), WAIT).subscribe();
        h.settle();
        assertThat(a.placesInLine().block(BLOCK)).hasSize(3);
        assertThat(h.test.agent.statistics().waiting()).isEqualTo(3);
        pool.dispose();
        h.settle();
        assertThat(a.placesInLine().block(BLOCK)).isEmpty();
        assertThat(h.test.agent.statistics().waiting()).isZero();
        assertThat(h.settle().waiting()).isZero();
        h.closeSessionsAndAssertBalanced();
    }

    /** Removal then a held arrival during the wait: the wait runs out, AcquireTimeoutException, not removal. */
    @Test
    void aWaitThatRunsOutAfterRemovalsAndArrivalsIsATimeout() {
        b.acquire(SIM0).block(BLOCK);
        b.acquire(SIM1).block(BLOCK);
        CompletableFuture<LockGrant> pool = later(a.acquireAny(POOL01, AcquireOptions.waitUpTo(Duration.ofSeconds(5))));
        h.test.advance(Duration.ofSeconds(3));
        h.sim.removeRecorder(SIM0);
        h.settle();
        assertThat(pool).isNotDone();
        h.test.advance(Duration.ofSeconds(3));
        assertThat(failure(pool)).isInstanceOf(AcquireTimeoutException.class);
        h.closeSessionsAndAssertBalanced();
    }

    /** "once per recorder when the request is admitted and once per arrival" — not on other changes. */
    @Test
    void theSelectorRunsOncePerRecorderAtAdmissionAndOncePerArrival() {
        b.acquire(SIM0).block(BLOCK);
        b.acquire(SIM1).block(BLOCK);
        b.acquire(SIM2).block(BLOCK);
        AtomicInteger calls = new AtomicInteger();
        CompletableFuture<LockGrant> pool = later(a.acquireAny(RecorderSelector.matching(i -> {
            calls.incrementAndGet();
            return i.id().equals(SIM0) || i.id().equals(SIM1);
        }), WAIT));
        h.settle();
        assertThat(calls).as("admission").hasValue(3);
        b.acquire(SIM0).block(BLOCK);
        b.release(SIM0).block(BLOCK);
        b.release(SIM2).block(BLOCK);
        h.settle();
        assertThat(calls).as("transitions do not re-run it").hasValue(3);
        h.sim.addRecorder("sim-4");
        h.sim.addRecorder("sim-5");
        h.settle();
        assertThat(calls).as("once per arrival").hasValue(5);
        assertThat(pool).isNotDone();
        b.release(SIM1).block(BLOCK);
        h.settle();
        assertThat(pool.join().recorder()).isEqualTo(SIM1);
        h.closeSessionsAndAssertBalanced();
    }

    // ---- closes ----

    @Test
    void closingTheSessionFailsAWaitingPoolRequestWithSessionClosed() {
        b.acquire(SIM0).block(BLOCK);
        b.acquire(SIM1).block(BLOCK);
        CompletableFuture<LockGrant> pool = later(a.acquireAny(POOL01, WAIT));
        h.settle();
        a.close().block(BLOCK);
        assertThat(failure(pool)).isInstanceOf(SessionClosedException.class);
        assertThat(h.settle().waiting()).isZero();
        h.closeSessionsAndAssertBalanced();
    }

    /** "the session was closed ... SessionClosedException" for a withLockAny body. */
    @Test
    void closingTheSessionFailsARunningWithLockAnyBody() {
        AtomicInteger cancelled = new AtomicInteger();
        CompletableFuture<List<Object>> scope = a.withLockAny(POOL01, WAIT,
                g -> Mono.never().doOnCancel(cancelled::incrementAndGet)).collectList().toFuture();
        h.settle();
        assertThat(h.count(a, SIM0) + h.count(a, SIM1)).isEqualTo(1);
        a.close().block(BLOCK);
        assertThat(failure(scope)).isInstanceOf(SessionClosedException.class);
        assertThat(cancelled).hasValue(1);
        h.closeSessionsAndAssertBalanced();
    }

    @Test
    void closingTheAgentFailsAPoolWaiterAndAWithLockAnyBodyWithRequestCancelled() {
        b.acquire(SIM0).block(BLOCK);
        b.acquire(SIM1).block(BLOCK);
        CompletableFuture<LockGrant> pool = later(a.acquireAny(POOL01, WAIT));
        CompletableFuture<List<Object>> body = c.withLockAny(RecorderSelector.anyOf(SIM2), WAIT,
                g -> Mono.never()).collectList().toFuture();
        h.settle();
        h.test.agent.close().block(BLOCK);
        assertThat(failure(pool)).isInstanceOf(RequestCancelledException.class);
        assertThat(failure(body)).isInstanceOf(RequestCancelledException.class);
        Harness.class.getName();
        assertThat(h.sim.lockCounts().taken()).isEqualTo(h.sim.lockCounts().dropped());
        // after close: "every other call fails with SessionClosedException"
        assertThatThrownBy(() -> a.acquireAny(POOL01).block(BLOCK)).isInstanceOf(SessionClosedException.class);
        assertThatThrownBy(() -> a.withLockAny(POOL01, WAIT, g -> Mono.just(1)).blockLast(BLOCK))
                .isInstanceOf(SessionClosedException.class);
    }

    /** "Every call on a closed session ... fails with SessionClosedException" — also the pool calls. */
    @Test
    void poolCallsOnAClosedSessionFailWithSessionClosed() {
        a.close().block(BLOCK);
        assertThatThrownBy(() -> a.acquireAny(POOL01).block(BLOCK)).isInstanceOf(SessionClosedException.class);
        assertThatThrownBy(() -> a.withLockAny(POOL01, WAIT, g -> Mono.just(1)).blockLast(BLOCK))
                .isInstanceOf(SessionClosedException.class);
        h.closeSessionsAndAssertBalanced();
    }

    // ---- bad selectors ----

    /** README: bad input is "signalled on the event loop by methods that return a Mono/Flux" (not thrown). */
    @Test
    void aNullSelectorIsSignalledNotThrown() {
        AtomicReference<Mono<LockGrant>> mono = new AtomicReference<>();
        org.assertj.core.api.Assertions.assertThatCode(() -> mono.set(a.acquireAny(null, WAIT)))
                .as("acquireAny(null, ..) must return a Mono that fails").doesNotThrowAnyException();
        AtomicReference<String> thread = new AtomicReference<>();
        assertThatThrownBy(() -> mono.get().doOnError(e -> thread.set(Thread.currentThread().getName()))
                .block(BLOCK)).isInstanceOf(InvalidArgumentException.class);
        assertThat(thread.get()).as("signalled on the event loop").isEqualTo(h.loop.getName());
        h.closeSessionsAndAssertBalanced();
    }

    @Test
    void nullOptionsAndNullBodyAreSignalledAsInvalidArgument() {
        AtomicReference<Mono<LockGrant>> m = new AtomicReference<>();
        org.assertj.core.api.Assertions.assertThatCode(() -> m.set(a.acquireAny(POOL01, null)))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> m.get().block(BLOCK)).isInstanceOf(InvalidArgumentException.class);
        AtomicReference<Flux<Object>> f = new AtomicReference<>();
        org.assertj.core.api.Assertions.assertThatCode(() -> f.set(a.withLockAny(POOL01, WAIT, null)))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> f.get().blockLast(BLOCK)).isInstanceOf(InvalidArgumentException.class);
        AtomicReference<Flux<Object>> f2 = new AtomicReference<>();
        org.assertj.core.api.Assertions.assertThatCode(() -> f2.set(a.withLockAny(null, WAIT, g -> Mono.just(1))))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> f2.get().blockLast(BLOCK)).isInstanceOf(InvalidArgumentException.class);
        h.closeSessionsAndAssertBalanced();
    }

    /** "The recorders with one of these ids (at least one)" — an empty set is bad input from the builder. */
    @Test
    void anEmptyIdSetIsRejectedByTheBuilder() {
        assertThatThrownBy(() -> RecorderSelector.anyOf()).isInstanceOf(InvalidArgumentException.class);
        assertThatThrownBy(() -> RecorderSelector.anyOf(List.of())).isInstanceOf(InvalidArgumentException.class);
        assertThatThrownBy(() -> RecorderSelector.anyOf(SIM0, null)).isInstanceOf(InvalidArgumentException.class);
        assertThatThrownBy(() -> RecorderSelector.matching(null)).isInstanceOf(InvalidArgumentException.class);
    }

    /** "a selector that throws fails the request with InvalidArgumentException". */
    @Test
    void aThrowingPredicateFailsWithInvalidArgumentAndLeavesNothing() {
        AgentStatistics before = h.test.agent.statistics();
        assertThatThrownBy(() -> a.acquireAny(RecorderSelector.matching(i -> {
            throw new IllegalStateException("boom");
        }), WAIT).block(BLOCK)).isInstanceOf(InvalidArgumentException.class);
        // throws for one recorder only, matches another
        assertThatThrownBy(() -> a.acquireAny(RecorderSelector.matching(i -> {
            if (i.id().equals(SIM1)) {
                throw new IllegalStateException("boom on sim-1");
            }
            return true;
        }), WAIT).block(BLOCK)).isInstanceOf(InvalidArgumentException.class);
        assertThat(h.count(a, SIM0) + h.count(a, SIM1) + h.count(a, SIM2)).isZero();
        AgentStatistics after = h.test.agent.statistics();
        long failed = after.acquiresFailed().values().stream().mapToLong(Long::longValue).sum()
                - before.acquiresFailed().values().stream().mapToLong(Long::longValue).sum();
        System.out.println("throwing selectors: failed by HRESULT " + after.acquiresFailed());
        assertThat(failed).as("two pool requests failed, each counted once").isEqualTo(2);
        h.closeSessionsAndAssertBalanced();
    }

    /** A predicate that throws only on an arrival, while the request waits: the request fails, leaves all queues. */
    @Test
    void aPredicateThrowingOnArrivalFailsTheWaitingRequestAndLeavesEveryQueue() {
        b.acquire(SIM0).block(BLOCK);
        b.acquire(SIM1).block(BLOCK);
        b.acquire(SIM2).block(BLOCK);
        CompletableFuture<LockGrant> pool = later(a.acquireAny(RecorderSelector.matching(i -> {
            if (i.id().value().equals("sim-5")) {
                throw new IllegalStateException("boom on arrival");
            }
            return true;
        }), WAIT));
        h.settle();
        h.sim.addRecorder("sim-5");
        h.settle();
        assertThat(failure(pool)).isInstanceOf(InvalidArgumentException.class);
        assertThat(h.settle().waiting()).as("the failed pool request left every queue").isZero();
        h.closeSessionsAndAssertBalanced();
    }

    /** "No matching recorder at admission fails at once with RecorderRemovedException" — even when it would wait. */
    @Test
    void aPredicateMatchingNothingFailsAtOnceWithRecorderRemoved() {
        assertThatThrownBy(() -> a.acquireAny(RecorderSelector.matching(i -> false), WAIT).block(BLOCK))
                .isInstanceOf(RecorderRemovedException.class);
        assertThatThrownBy(() -> a.acquireAny(RecorderSelector.anyOf(RecorderId.of("nope")), WAIT).block(BLOCK))
                .isInstanceOf(RecorderRemovedException.class);
        assertThatThrownBy(() -> a.withLockAny(RecorderSelector.matching(i -> false), WAIT, g -> Mono.just(1))
                .blockLast(BLOCK)).isInstanceOf(RecorderRemovedException.class);
        h.closeSessionsAndAssertBalanced();
    }

    /** The selector "runs on the event loop". */
    @Test
    void theSelectorRunsOnTheEventLoopOncePerRecorder() {
        List<String> threads = new CopyOnWriteArrayList<>();
        List<RecorderId> seen = new CopyOnWriteArrayList<>();
        LockGrant g = a.acquireAny(RecorderSelector.matching(i -> {
            threads.add(Thread.currentThread().getName());
            seen.add(i.id());
            return i.id().equals(SIM2);
        }), WAIT).block(BLOCK);
        assertThat(g.recorder()).isEqualTo(SIM2);
        assertThat(threads).containsOnly(h.loop.getName());
        assertThat(seen).as("once per recorder at admission").containsExactlyInAnyOrder(SIM0, SIM1, SIM2);
        h.closeSessionsAndAssertBalanced();
    }

    /**
     * README, "Who owns a grant": an operator that drops a value without cancelling anything ({@code zip}, whose
     * inner takes the grant and later discards it when its partner fails; {@code Mono.when}, {@code then()}) is
     * invisible to the agent; the recipe is a discard hook, and closing the session is the backstop. Holds for pool
     * grants as for single ones.
     */
    @Test
    void aZipThatDropsAPoolGrantLeavesItToTheDocumentedDiscardHook() {
        CompletableFuture<Object> zipped = Mono.zip(a.acquireAny(POOL01),
                Mono.delay(Duration.ofSeconds(1), h.test.time).then(Mono.error(new IllegalStateException("partner"))))
                .doOnDiscard(LockGrant.class, grant -> a.release(grant).subscribe())
                .map(t -> (Object) t).toFuture();
        h.settle();
        assertThat(h.count(a, SIM0) + h.count(a, SIM1)).as("granted, held inside zip").isEqualTo(1);
        h.test.advance(Duration.ofSeconds(1));
        assertThat(failure(zipped)).hasMessage("partner");
        h.settle();
        assertThat(h.count(a, SIM0) + h.count(a, SIM1)).as("the discard hook released the pool grant").isZero();
        h.closeSessionsAndAssertBalanced();
    }

    /** Without the hook the grant stays the session's (zip cannot be seen) until the session closes. */
    @Test
    void aZipWithoutTheHookLeavesThePoolGrantToTheSessionUntilItCloses() {
        CompletableFuture<Object> zipped = Mono.zip(a.acquireAny(POOL01),
                Mono.delay(Duration.ofSeconds(1), h.test.time).then(Mono.error(new IllegalStateException("partner"))))
                .map(t -> (Object) t).toFuture();
        h.settle();
        h.test.advance(Duration.ofSeconds(1));
        assertThat(failure(zipped)).hasMessage("partner");
        h.settle();
        assertThat(h.count(a, SIM0) + h.count(a, SIM1)).as("still the session's").isEqualTo(1);
        h.closeSessionsAndAssertBalanced();
    }

    // ---- failFast / timeouts / statistics ----

    /** "failFast() tries every member once and fails with RecorderLockedException (naming an owner)". */
    @Test
    void failFastPoolWithEveryMemberHeldFailsNamingAnOwner() {
        b.acquire(SIM0).block(BLOCK);
        b.acquire(SIM1).block(BLOCK);
        assertThatThrownBy(() -> a.acquireAny(POOL01).block(BLOCK))
                .isInstanceOfSatisfying(RecorderLockedException.class,
                        e -> assertThat(e.toString()).contains("Beta"));
        h.closeSessionsAndAssertBalanced();
    }

    /**
     * AgentStatistics: "every request the agent admitted ends in exactly one of granted, cancelled or failed";
     * acquireTimeouts: "acquire requests whose wait ran out"; waiting: "a pool request counts once for each recorder it
     * waits on". A pool request must count once in each of those, however many members it waited on.
     */
    @Test
    void statisticsCountEachPoolRequestOnce() {
        b.acquire(SIM0).block(BLOCK);
        b.acquire(SIM1).block(BLOCK);
        h.settle();
        AgentStatistics s0 = h.test.agent.statistics();

        // 1: times out after waiting on two members
        CompletableFuture<LockGrant> timesOut = later(a.acquireAny(POOL01,
                AcquireOptions.waitUpTo(Duration.ofSeconds(5))));
        h.settle();
        assertThat(h.test.agent.statistics().waiting() - s0.waiting()).as("waiting on two members").isEqualTo(2);
        List<TimeoutEvent> timeouts = new CopyOnWriteArrayList<>();
        Disposable watch = h.test.agent.timeouts().subscribe(timeouts::add);
        h.test.advance(Duration.ofSeconds(6));
        assertThat(failure(timesOut)).isInstanceOf(AcquireTimeoutException.class);
        // 2: cancelled while waiting on two members
        Disposable cancelled = a.acquireAny(POOL01, WAIT).subscribe();
        h.settle();
        cancelled.dispose();
        h.settle();
        // 3: fails fast
        assertThatThrownBy(() -> a.acquireAny(POOL01).block(BLOCK)).isInstanceOf(RecorderLockedException.class);
        // 4: granted after waiting on two members
        CompletableFuture<LockGrant> granted = later(a.acquireAny(POOL01, WAIT));
        h.settle();
        b.release(SIM1).block(BLOCK);
        h.settle();
        assertThat(granted).isCompleted();
        watch.dispose();

        AgentStatistics s1 = h.test.agent.statistics();
        long failed = s1.acquiresFailed().values().stream().mapToLong(Long::longValue).sum()
                - s0.acquiresFailed().values().stream().mapToLong(Long::longValue).sum();
        System.out.println("pool statistics delta: granted " + (s1.acquiresGranted() - s0.acquiresGranted())
                + " cancelled " + (s1.acquiresCancelled() - s0.acquiresCancelled()) + " failed " + failed + " "
                + s1.acquiresFailed() + " acquireTimeouts " + (s1.acquireTimeouts() - s0.acquireTimeouts())
                + " grants " + (s1.grants() - s0.grants()) + " timeout events " + timeouts);
        assertThat(s1.acquiresGranted() - s0.acquiresGranted()).as("granted").isEqualTo(1);
        assertThat(s1.acquiresCancelled() - s0.acquiresCancelled()).as("cancelled").isEqualTo(1);
        assertThat(failed).as("failed (timeout + fail fast)").isEqualTo(2);
        assertThat(s1.acquireTimeouts() - s0.acquireTimeouts()).as("one request's wait ran out").isEqualTo(1);
        assertThat(s1.grants() - s0.grants()).as("grants").isEqualTo(1);
        assertThat(s1.waiting()).as("nobody waits").isEqualTo(0);
        assertThat(timeouts.stream().filter(AcquireTimedOutEvent.class::isInstance).count())
                .as("each recorder it still waited on publishes its AcquireTimedOutEvent").isEqualTo(2);
        h.closeSessionsAndAssertBalanced();
    }

    /**
     * AcquireTimedOutEvent.waited: "how long it waited". A pool request with waitUpTo(5 s) waited 5 s on each member
     * it still waited on (it is one request with one deadline), however far virtual time jumps past the deadline; a
     * single acquire is the control. Observed: "waited" is the scheduler's clock when the event loop handles the
     * timeout, so after one 60 s jump it says PT1M for the pool's events and, in some runs, for the single acquire too
     * (it depends on whether the loop ran before advanceTimeBy returned).
     */
    @Test
    void everyAcquireTimedOutEventOfAPoolRequestSaysItWaitedItsTimeout() {
        b.acquire(SIM0).block(BLOCK);
        b.acquire(SIM1).block(BLOCK);
        List<TimeoutEvent> timeouts = new CopyOnWriteArrayList<>();
        Disposable watch = h.test.agent.timeouts().subscribe(timeouts::add);
        CompletableFuture<LockGrant> single = later(c.acquire(SIM0, AcquireOptions.waitUpTo(Duration.ofSeconds(5))));
        CompletableFuture<LockGrant> pool = later(a.acquireAny(POOL01,
                AcquireOptions.waitUpTo(Duration.ofSeconds(5))));
        h.test.advance(Duration.ofSeconds(60));
        assertThat(failure(single)).isInstanceOf(AcquireTimeoutException.class);
        assertThat(failure(pool)).isInstanceOf(AcquireTimeoutException.class);
        watch.dispose();
        System.out.println("timeouts after a 60 s jump: " + timeouts);
        assertThat(timeouts).hasSize(3);
        for (TimeoutEvent e : timeouts) {
            assertThat(((AcquireTimedOutEvent) e).waited()).as("waited, in %s", e).isEqualTo(Duration.ofSeconds(5));
        }
        h.closeSessionsAndAssertBalanced();
    }

    /** "backpressure: a pool request waits only on the members whose queue has room ... fails ... when none has". */
    @Test
    void backpressureAcrossPoolMembers() {
        h.close();
        h = Harness.virtualTime(2, o -> o.pendingAcquireMaxCount(1));
        a = h.session("Alpha");
        b = h.session("Beta");
        c = h.session("Gamma");
        ClientSession d = h.session("Delta");
        b.acquire(SIM0).block(BLOCK);
        b.acquire(SIM1).block(BLOCK);
        CompletableFuture<LockGrant> fillsSim0 = later(c.acquire(SIM0, WAIT));
        h.settle();
        CompletableFuture<LockGrant> pool = later(a.acquireAny(POOL01, WAIT));
        h.settle();
        assertThat(pool).as("room on sim-1 only").isNotDone();
        Map<RecorderId, Integer> places = a.placesInLine().block(BLOCK);
        System.out.println("places of the pool request with sim-0 full: " + places);
        assertThat(places).as("waits on sim-1 only").containsOnlyKeys(SIM1);
        assertThatThrownBy(() -> d.acquireAny(POOL01, WAIT).block(BLOCK))
                .isInstanceOf(io.discagent.api.error.PendingAcquireLimitException.class);
        b.release(SIM1).block(BLOCK);
        h.settle();
        assertThat(pool).isCompleted();
        assertThat(fillsSim0).isNotDone();
        h.closeSessionsAndAssertBalanced();
    }
}
