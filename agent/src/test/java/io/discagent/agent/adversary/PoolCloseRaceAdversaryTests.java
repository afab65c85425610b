package io.discagent.agent.adversary;

import static io.discagent.agent.adversary.Harness.BLOCK;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.AgentStatistics;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderSelector;
import io.discagent.api.error.RequestCancelledException;
import io.discagent.api.error.SessionClosedException;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.LockTransition.Cause;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Pool requests racing closes on real time: every member freeing at the same moment (the holder's session closes,
 * which frees them all in one step) with native latency so that several native acquires are under way at once; the
 * waiting session or the agent closing while grants arrive.
 */
class PoolCloseRaceAdversaryTests {

    private static final int RECORDERS = 4;

    /**
     * README: "Never two grants. If two members reach it at the same moment (both native acquires already under
     * way), it keeps the first grant; the other native acquire is released as soon as it returns, with no transition
     * published."
     */
    @Test
    void everyMemberFreeingAtOnceGrantsOnceAndPublishesOneAcquired() throws Exception {
        try (Harness h = Harness.realTime(RECORDERS, o -> { })) {
            List<RecorderId> ids = h.sim.recorders();
            for (RecorderId r : ids) {
                h.sim.setLatency(r, Duration.ofMillis(2));
            }
            ClientSession a = h.session("Alpha");
            List<LockTransition> seen = new CopyOnWriteArrayList<>();
            Disposable watch = h.agent.lockTransitions().subscribe(seen::add);
            for (int round = 0; round < 40; round++) {
                ClientSession b = h.session("Beta" + round % 10);
                for (RecorderId r : ids) {
                    b.acquire(r).block(BLOCK);
                }
                CompletableFuture<LockGrant> pool = a.acquireAny(RecorderSelector.any(),
                        AcquireOptions.waitIndefinitely()).toFuture();
                h.settle();
                int before = seen.size();
                AgentStatistics s0 = h.agent.statistics();
                b.close().block(BLOCK);
                LockGrant g = pool.get(10, TimeUnit.SECONDS);
                h.settle();
                int total = 0;
                for (RecorderId r : ids) {
                    total += h.count(a, r);
                }
                assertThat(total).as("round %d: Alpha's counts after one pool grant", round).isEqualTo(1);
                List<LockTransition> round0 = List.copyOf(seen.subList(before, seen.size()));
                long acquiredByAlpha = round0.stream().filter(t -> t.cause() == Cause.ACQUIRED
                        && t.to().isHeld() && "Alpha".equals(t.to().owner())).count();
                assertThat(acquiredByAlpha).as("round %d: ACQUIRED transitions for Alpha: %s", round, round0)
                        .isEqualTo(1);
                // grants: "acquire requests granted"; acquiresGranted: "whose grant was handed to them"
                AgentStatistics s1 = h.agent.statistics();
                assertThat(s1.grants() - s0.grants()).as("round %d: grants for one pool request", round).isEqualTo(1);
                assertThat(s1.acquiresGranted() - s0.acquiresGranted()).as("round %d: acquiresGranted", round)
                        .isEqualTo(1);
                a.release(g).block(BLOCK);
                h.assertQuiescentAndBalanced();
            }
            watch.dispose();
            assertContinuousPerRecorder(seen);
            h.closeSessionsAndAssertBalanced();
        }
    }

    private static void assertContinuousPerRecorder(List<LockTransition> seen) {
        Map<RecorderId, LockTransition> last = new HashMap<>();
        for (LockTransition t : seen) {
            LockTransition prev = last.put(t.recorder(), t);
            if (prev != null && t.cause() != Cause.SNAPSHOT) {
                assertThat(t.from()).as("%s follows %s", t, prev).isEqualTo(prev.to());
            }
        }
    }

    /** The waiting session closes while its grants arrive: SessionClosedException, nothing held, nothing leaked. */
    @Test
    void theWaitingSessionClosingWhileMembersFreeLeaksNothing() throws Exception {
        try (Harness h = Harness.realTime(RECORDERS, o -> { })) {
            List<RecorderId> ids = h.sim.recorders();
            ClientSession b = h.session("Beta");
            int granted = 0;
            int closed = 0;
            for (int round = 0; round < 100; round++) {
                ClientSession a = h.session("Alpha");
                for (RecorderId r : ids) {
                    b.acquire(r).block(BLOCK);
                }
                CompletableFuture<LockGrant> pool = a.acquireAny(RecorderSelector.any(),
                        AcquireOptions.waitIndefinitely()).toFuture();
                CompletableFuture<Void> frees = CompletableFuture.runAsync(() -> {
                    for (RecorderId r : ids) {
                        b.release(r).subscribe();
                    }
                });
                spin();
                a.close().block(BLOCK);
                frees.get(10, TimeUnit.SECONDS);
                try {
                    pool.get(10, TimeUnit.SECONDS);
                    granted++;
                } catch (ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(SessionClosedException.class);
                    closed++;
                }
                h.settle();
                h.assertQuiescentAndBalanced();
            }
            System.out.println("session close vs pool grants: granted first " + granted + ", closed first " + closed);
            h.closeSessionsAndAssertBalanced();
        }
    }

    /** withLockAny bodies running on real threads when the agent closes: RequestCancelledException, balanced. */
    @Test
    void theAgentClosingWhileWithLockAnyBodiesRunAndPoolRequestsWait() throws Exception {
        for (int round = 0; round < 15; round++) {
            Harness h = Harness.realTime(RECORDERS, o -> { });
            try {
                List<CompletableFuture<List<Object>>> scopes = new CopyOnWriteArrayList<>();
                AtomicInteger bodies = new AtomicInteger();
                for (int i = 0; i < 8; i++) {
                    ClientSession s = h.session("Station " + i);
                    scopes.add(s.withLockAny(RecorderSelector.any(), AcquireOptions.waitIndefinitely(),
                            g -> Flux.interval(Duration.ofMillis(1), Schedulers.parallel())
                                    .doOnSubscribe(x -> bodies.incrementAndGet()).map(x -> (Object) x))
                            .collectList().toFuture());
                }
                spin();
                h.agent.close().block(BLOCK);
                for (CompletableFuture<List<Object>> f : scopes) {
                    try {
                        f.get(10, TimeUnit.SECONDS);
                        throw new AssertionError("a never-ending body completed normally");
                    } catch (ExecutionException e) {
                        assertThat(e.getCause()).as("round %d", round).isInstanceOf(RequestCancelledException.class);
                    }
                }
                assertThat(h.sim.lockCounts().taken()).as("round %d: native locks", round)
                        .isEqualTo(h.sim.lockCounts().dropped());
            } finally {
                h.close();
            }
        }
    }

    private static void spin() {
        long until = System.nanoTime() + ThreadLocalRandom.current().nextLong(3_000_000);
        while (System.nanoTime() < until) {
            Thread.onSpinWait();
        }
    }

    /** firstWithValue of two withLockAny scopes: the loser's body never runs past its lock; nothing leaks. */
    @Test
    void firstWithValueOfTwoWithLockAnyScopes() throws Exception {
        try (Harness h = Harness.realTime(RECORDERS, o -> { })) {
            ClientSession a = h.session("Alpha");
            for (int round = 0; round < 100; round++) {
                Mono<RecorderId> one = a.withLockAny(RecorderSelector.any(), AcquireOptions.waitIndefinitely(),
                        g -> Mono.just(g.recorder()).delayElement(Duration.ofNanos(
                                ThreadLocalRandom.current().nextLong(500_000)))).next();
                Mono<RecorderId> two = a.withLockAny(RecorderSelector.any(), AcquireOptions.waitIndefinitely(),
                        g -> Mono.just(g.recorder()).delayElement(Duration.ofNanos(
                                ThreadLocalRandom.current().nextLong(500_000)))).next();
                Mono.firstWithValue(one, two).block(BLOCK);
                long until = System.nanoTime() + BLOCK.toNanos();
                while (System.nanoTime() < until && h.settle().held() > 0) {
                    Thread.onSpinWait();
                }
                h.assertQuiescentAndBalanced();
            }
        }
    }
}
