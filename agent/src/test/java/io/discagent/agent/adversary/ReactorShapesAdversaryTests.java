package io.discagent.agent.adversary;

import static io.discagent.agent.adversary.Harness.BLOCK;
import static io.discagent.agent.adversary.Harness.SIM0;
import static io.discagent.agent.adversary.Harness.SIM1;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The remaining cancellation shapes around a raw acquire and withLock: the documented discard-hook remedy for
 * zip/when/then, firstWithValue losers, share(), odd request patterns, cancel inside onNext, concurrent withLock
 * bodies of one session with another session waiting.
 */
class ReactorShapesAdversaryTests extends TwoSessions {

    private void releaseQuietly(LockGrant g) {
        a.release(g).subscribe(c -> { }, e -> { });
    }

    /** README: "release it yourself; the precise way is a discard hook" — for zip with a failing partner. */
    @Test
    void theDiscardHookRemedyWorksForZipWithAFailingPartner() {
        Mono<Object> failsLater = Mono.delay(Duration.ofMillis(20)).then(Mono.error(new IllegalStateException("x")));
        try {
            Mono.zip(a.acquire(SIM0), failsLater)
                    .doOnDiscard(LockGrant.class, this::releaseQuietly).block(BLOCK);
        } catch (IllegalStateException expected) {
            // the partner failed
        }
        h.settle();
        assertThat(h.count(a, SIM0)).isZero();
        h.assertQuiescentAndBalanced();
    }

    /** ... and for when(): "What the agent cannot see is ... Mono.when, then(). There, release it yourself". */
    @Test
    void theDiscardHookRemedyWorksForWhen() {
        Mono.when(a.acquire(SIM0)).doOnDiscard(LockGrant.class, this::releaseQuietly).block(BLOCK);
        h.settle();
        assertThat(h.count(a, SIM0)).as("after Mono.when(acquire) with the documented discard hook").isZero();
        h.assertQuiescentAndBalanced();
    }

    @Test
    void theDiscardHookRemedyWorksForThen() {
        a.acquire(SIM0).then().doOnDiscard(LockGrant.class, this::releaseQuietly).block(BLOCK);
        h.settle();
        assertThat(h.count(a, SIM0)).as("after acquire().then() with the documented discard hook").isZero();
        h.assertQuiescentAndBalanced();
    }

    @Test
    void firstWithValueReleasesTheLoser() {
        for (int i = 0; i < 100; i++) {
            LockGrant winner = Mono.firstWithValue(a.acquire(SIM0), a.acquire(SIM1)).block(BLOCK);
            h.settle();
            int other = h.count(a, winner.recorder().equals(SIM0) ? SIM1 : SIM0);
            assertThat(other).as("round %d: the losing acquire's count", i).isZero();
            assertThat(h.count(a, winner.recorder())).isEqualTo(1);
            a.release(winner).block(BLOCK);
            h.assertQuiescentAndBalanced();
        }
    }

    @Test
    void shareCancelledByEverySubscriberBeforeTheGrantReleasesIt() {
        b.acquire(SIM0).block(BLOCK);
        Mono<LockGrant> shared = a.acquire(SIM0, AcquireOptions.waitIndefinitely()).share();
        Disposable d1 = shared.subscribe();
        Disposable d2 = shared.subscribe();
        h.settle();
        d1.dispose();
        d2.dispose();
        b.release(SIM0).block(BLOCK);
        h.settle();
        assertThat(h.count(a, SIM0)).isZero();
        h.assertQuiescentAndBalanced();
    }

    @Test
    void cancelInsideOnNextKeepsTheGrantForTheSubscriber() {
        List<LockGrant> got = new CopyOnWriteArrayList<>();
        a.acquire(SIM0).subscribe(new BaseSubscriber<>() {
            @Override
            protected void hookOnNext(LockGrant g) {
                cancel();
                got.add(g);
            }
        });
        h.settle();
        assertThat(got).hasSize(1);
        assertThat(h.count(a, SIM0)).as("a grant taken by a subscriber that cancelled inside onNext").isEqualTo(1);
        a.release(got.get(0)).block(BLOCK);
        h.assertQuiescentAndBalanced();
    }

    /** Rule 3.9 on an acquire: request(0)/request(-1) must be answered; the lock must not be kept for it. */
    @Test
    void badRequestsOnAnAcquireAreAnsweredAndLeakNothing() {
        for (long bad : new long[] {0, -1, Long.MIN_VALUE}) {
            Probe<LockGrant> probe = new Probe<>(0);
            a.acquire(SIM0).subscribe(probe);
            probe.request(bad);
            h.settle();
            boolean answered = probe.awaitTerminal(Duration.ofSeconds(1));
            System.out.println("acquire after request(" + bad + "): answered " + answered + ", error "
                    + probe.error.get() + ", values " + probe.values + ", count " + h.count(a, SIM0));
            assertThat(answered).as("a terminal signal after request(%d)", bad).isTrue();
            assertThat(probe.error.get()).isInstanceOf(IllegalArgumentException.class);
            assertThat(h.count(a, SIM0)).isZero();
        }
        h.assertQuiescentAndBalanced();
    }

    /**
     * "Every Mono and Flux of the API signals there, errors included": the rule 3.9 error too. (A plain
     * {@code org.reactivestreams.Subscriber} is wrapped by Reactor in its {@code StrictSubscriber}, which answers
     * rule 3.9 itself, on the requesting thread, before the agent sees the request: the README says so. A
     * {@code CoreSubscriber} reaches the agent.)
     */
    @Test
    void theRule39ErrorOfAnAcquireIsSignalledOnTheLoop() {
        Probe<LockGrant> probe = new Probe<>(0);
        a.acquire(SIM0).subscribe(new reactor.core.CoreSubscriber<LockGrant>() {
            @Override
            public void onSubscribe(org.reactivestreams.Subscription s) {
                probe.onSubscribe(s);
            }

            @Override
            public void onNext(LockGrant grant) {
                probe.onNext(grant);
            }

            @Override
            public void onError(Throwable error) {
                probe.onError(error);
            }

            @Override
            public void onComplete() {
                probe.onComplete();
            }
        });
        probe.request(0);
        assertThat(probe.awaitTerminal(BLOCK)).isTrue();
        assertThat(probe.error.get()).isInstanceOf(IllegalArgumentException.class);
        assertThat(probe.threadSet()).as("thread of the rule 3.9 error (request(0) called from %s)",
                Thread.currentThread().getName()).containsOnly(h.loop.getName());
    }

    @Test
    void requestsThatComeLateOrTwiceDeliverOneGrant() {
        Probe<LockGrant> late = new Probe<>(0);
        a.acquire(SIM0).subscribe(late);
        h.settle();
        assertThat(late.values).isEmpty();
        late.request(1);
        late.request(1);
        late.request(Long.MAX_VALUE);
        assertThat(late.awaitTerminal(BLOCK)).isTrue();
        assertThat(late.values).hasSize(1);
        assertThat(late.threadSet()).containsOnly(h.loop.getName());
        a.release(late.values.get(0)).block(BLOCK);
        Probe<LockGrant> never = new Probe<>(0);
        a.acquire(SIM0).subscribe(never);
        h.settle();
        never.cancel();
        h.settle();
        assertThat(h.count(a, SIM0)).as("an acquire that never got demand and was cancelled").isZero();
        h.assertQuiescentAndBalanced();
    }

    @Test
    void concurrentBodiesOfOneSessionHoldOffAnotherSessionUntilTheLastEnds() {
        AtomicInteger running = new AtomicInteger();
        Probe<Object> first = Probe.unbounded();
        Probe<Object> second = Probe.unbounded();
        Mono<Long> body1 = Mono.delay(Duration.ofMillis(50));
        Mono<Long> body2 = Mono.delay(Duration.ofMillis(150));
        // doOnTerminate, not doFinally: Reactor runs a doFinally after the end has travelled downstream (to withLock,
        // which releases then), so a doFinally inside the body may still be running (README, "Who owns a grant")
        a.withLock(SIM0, AcquireOptions.DEFAULT, g -> body1.doOnSubscribe(s -> running.incrementAndGet())
                .doOnTerminate(running::decrementAndGet)).subscribe(first);
        a.withLock(SIM0, AcquireOptions.DEFAULT, g -> body2.doOnSubscribe(s -> running.incrementAndGet())
                .doOnTerminate(running::decrementAndGet)).subscribe(second);
        List<Integer> seenByB = new CopyOnWriteArrayList<>();
        LockGrant g = b.acquire(SIM0, AcquireOptions.waitIndefinitely())
                .doOnNext(x -> seenByB.add(running.get())).block(BLOCK);
        assertThat(first.error.get()).isNull();
        assertThat(second.error.get()).isNull();
        assertThat(seenByB).containsExactly(0);
        b.release(g).block(BLOCK);
        h.closeSessionsAndAssertBalanced();
    }

    @Test
    void withLockInsideFlatMapAndConcatMapCancelledMidwayLeaksNothing() {
        for (int i = 0; i < 50; i++) {
            Flux.range(0, 4)
                    .flatMap(n -> a.withLock(n % 2 == 0 ? SIM0 : SIM1, AcquireOptions.waitIndefinitely(),
                            g -> Mono.delay(Duration.ofMillis(1 + n))), 4)
                    .take(Duration.ofMillis(2))
                    .blockLast(BLOCK);
            Flux.range(0, 4)
                    .concatMap(n -> a.withLock(SIM0, AcquireOptions.waitIndefinitely(),
                            g -> Mono.delay(Duration.ofMillis(1)).publishOn(Schedulers.boundedElastic())))
                    .take(2)
                    .blockLast(BLOCK);
            h.settle();
            assertThat(h.count(a, SIM0)).isZero();
            assertThat(h.count(a, SIM1)).isZero();
        }
        h.assertQuiescentAndBalanced();
    }

    @Test
    void subscribingOneAcquireTwiceAcquiresTwice() {
        Mono<LockGrant> once = a.acquire(SIM0);
        LockGrant g1 = once.block(BLOCK);
        LockGrant g2 = once.block(BLOCK);
        assertThat(List.of(g1.lockCount(), g2.lockCount())).containsExactly(1, 2);
        a.release(g2).block(BLOCK);
        a.release(g1).block(BLOCK);
        h.assertQuiescentAndBalanced();
    }
}
