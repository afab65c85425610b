package io.discagent.agent.adversary;

import static io.discagent.agent.adversary.Harness.BLOCK;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.AgentStatistics;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderSelector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Pool requests under every Reactor cancellation shape, on real time, racing grants from four recorders that another
 * session frees at the same moment from four threads. README: "Never two grants" and "The same rules as acquire.
 * Delivery and ownership (the table below) ... cancellation (a cancelled pool request leaves every queue at once)".
 *
 * <p>The invariant checked every round: once the agent settles, the session's counts over all recorders equal the
 * grants that reached the end of the user's chain (at most one per request); after releasing those, nothing is held,
 * nothing waits and every native acquire was released.
 */
class PoolCancellationAdversaryTests {

    private static final int RECORDERS = 4;
    private static final int ROUNDS = 150;

    private Harness h;
    private ClientSession a;
    private ClientSession b;
    private List<RecorderId> ids;
    private ExecutorService releasers;

    @BeforeEach
    void start() {
        h = Harness.realTime(RECORDERS, o -> { });
        a = h.session("Alpha");
        b = h.session("Beta");
        ids = h.sim.recorders();
        releasers = Executors.newFixedThreadPool(RECORDERS);
    }

    @AfterEach
    void stop() throws InterruptedException {
        releasers.shutdownNow();
        releasers.awaitTermination(5, TimeUnit.SECONDS);
        h.close();
    }

    /** A shape: subscribes to the pool request its way, calls freeAll at the racy moment, returns the kept grants. */
    interface Shape {
        List<LockGrant> run(Mono<LockGrant> request, Runnable freeAll, ClientSession session) throws Exception;
    }

    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of("subscribe/dispose", (Shape) (req, freeAll, s) -> {
                    List<LockGrant> kept = new CopyOnWriteArrayList<>();
                    Disposable d = req.subscribe(kept::add, e -> { });
                    freeAll.run();
                    spin();
                    d.dispose();
                    return kept;
                }),
                Arguments.of("take(1)", (Shape) (req, freeAll, s) -> {
                    List<LockGrant> kept = new CopyOnWriteArrayList<>();
                    req.flux().take(1).subscribe(kept::add);
                    freeAll.run();
                    return kept;
                }),
                Arguments.of("next()", (Shape) (req, freeAll, s) -> {
                    List<LockGrant> kept = new CopyOnWriteArrayList<>();
                    req.flux().next().subscribe(kept::add);
                    freeAll.run();
                    return kept;
                }),
                Arguments.of("timeout(random)", (Shape) (req, freeAll, s) -> {
                    List<LockGrant> kept = new CopyOnWriteArrayList<>();
                    req.timeout(Duration.ofNanos(ThreadLocalRandom.current().nextLong(2_000_000)))
                            .subscribe(kept::add, e -> { });
                    freeAll.run();
                    return kept;
                }),
                Arguments.of("publishOn then dispose", (Shape) (req, freeAll, s) -> {
                    List<LockGrant> kept = new CopyOnWriteArrayList<>();
                    Disposable d = req.publishOn(Schedulers.parallel()).subscribe(kept::add, e -> { });
                    freeAll.run();
                    spin();
                    d.dispose();
                    return kept;
                }),
                Arguments.of("zip with a failing partner and the documented discard hook", (Shape) (req, freeAll, s) -> {
                    List<LockGrant> kept = new CopyOnWriteArrayList<>();
                    Mono<Object> fails = Mono.delay(Duration.ofNanos(ThreadLocalRandom.current().nextLong(2_000_000)))
                            .then(Mono.error(new IllegalStateException("partner")));
                    // zip drops a value without cancelling its source: the README's recipe is a discard hook
                    CountDownLatch ended = new CountDownLatch(1);
                    Mono.zip(req, fails).doOnDiscard(LockGrant.class, g -> s.release(g).subscribe())
                            .doFinally(signal -> ended.countDown())
                            .subscribe(t -> kept.add(t.getT1()), e -> { });
                    freeAll.run();
                    // the partner fails within 2 ms; the round is judged once zip has ended (and discarded)
                    assertThat(ended.await(10, TimeUnit.SECONDS)).as("zip ended").isTrue();
                    return kept;
                }),
                Arguments.of("firstWithValue of two pool requests", (Shape) (req, freeAll, s) -> {
                    List<LockGrant> kept = new CopyOnWriteArrayList<>();
                    Mono<LockGrant> other = s.acquireAny(RecorderSelector.any(), AcquireOptions.waitIndefinitely());
                    Mono.firstWithValue(req, other).subscribe(kept::add, e -> { });
                    freeAll.run();
                    return kept;
                }),
                Arguments.of("toFuture().cancel", futureShape((req, s) -> req, false)),
                Arguments.of("cache().flatMap(..).toFuture().cancel(false)",
                        futureShape((req, s) -> Mono.just(s).cache().flatMap(x -> req), false)),
                Arguments.of("flatMap(..).toFuture().cancel(false)",
                        futureShape((req, s) -> Mono.just(s).flatMap(x -> req), false)),
                Arguments.of("map(..).toFuture().cancel(false)", futureShape((req, s) -> req.map(x -> x), false)),
                Arguments.of("freed first, then toFuture().cancel(false)", futureShape((req, s) -> req, true)),
                Arguments.of("block(random)", (Shape) (req, freeAll, s) -> {
                    List<LockGrant> kept = new CopyOnWriteArrayList<>();
                    freeAll.run();
                    try {
                        LockGrant g = req.block(Duration.ofNanos(1 + ThreadLocalRandom.current().nextLong(2_000_000)));
                        if (g != null) {
                            kept.add(g);
                        }
                    } catch (IllegalStateException gaveUp) {
                        // block(Duration) gave up: the agent releases
                    }
                    return kept;
                }));
    }

    /**
     * The request, wrapped by {@code chain}, as a {@code toFuture()} cancelled at a random moment (after the
     * recorders begin to free, or once they were freed when {@code freedFirst}); the grant is kept when the future
     * had it first.
     */
    private static Shape futureShape(java.util.function.BiFunction<Mono<LockGrant>, ClientSession, Mono<LockGrant>> chain,
            boolean freedFirst) {
        return (req, freeAll, s) -> {
            List<LockGrant> kept = new CopyOnWriteArrayList<>();
            if (freedFirst) {
                freeAll.run();
                spin();
            }
            CompletableFuture<LockGrant> f = chain.apply(req, s).toFuture();
            if (!freedFirst) {
                freeAll.run();
            }
            spin();
            if (!f.cancel(false)) {
                try {
                    kept.add(f.join());
                } catch (RuntimeException failed) {
                    // nothing kept
                }
            }
            return kept;
        };
    }

    private static void spin() {
        long until = System.nanoTime() + ThreadLocalRandom.current().nextLong(1_500_000);
        while (System.nanoTime() < until) {
            Thread.onSpinWait();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void aPoolRequestIsGrantedAtMostOnceAndLeaksNothing(String name, Shape shape) throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            for (RecorderId r : ids) {
                b.acquire(r).block(BLOCK);
            }
            h.settle();
            AgentStatistics before = h.agent.statistics();
            Mono<LockGrant> request = a.acquireAny(RecorderSelector.any(), AcquireOptions.waitIndefinitely());
            CountDownLatch go = new CountDownLatch(1);
            List<CompletableFuture<?>> releases = new ArrayList<>();
            Runnable freeAll = () -> {
                for (RecorderId r : ids) {
                    releases.add(CompletableFuture.runAsync(() -> {
                        try {
                            go.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        b.release(r).block(BLOCK);
                    }, releasers));
                }
                go.countDown();
            };
            List<LockGrant> kept = shape.run(request, freeAll, a);
            CompletableFuture.allOf(releases.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            h.settle();
            // a take(1)/next() shape keeps waiting for its grant: every recorder is free now, so it comes
            long until = System.nanoTime() + BLOCK.toNanos();
            while (name.equals("take(1)") || name.equals("next()")) {
                if (!kept.isEmpty() || System.nanoTime() > until) {
                    break;
                }
                Thread.onSpinWait();
            }
            h.settle();
            int total = 0;
            StringBuilder where = new StringBuilder();
            for (RecorderId r : ids) {
                int c = h.count(a, r);
                total += c;
                where.append(r).append('=').append(c).append(' ');
            }
            assertThat(kept).as("%s round %d: grants kept by the user", name, round).hasSizeLessThanOrEqualTo(1);
            assertThat(total).as("%s round %d: Alpha's counts (%s) vs the grants its chain kept %s", name, round,
                    where, kept).isEqualTo(kept.size());
            if (name.equals("take(1)") || name.equals("next()")) {
                assertThat(kept).as("%s round %d: the grant reaches the subscriber", name, round).hasSize(1);
            }
            // AgentStatistics: "every request the agent admitted ends in exactly one of granted, cancelled or failed"
            AgentStatistics after = h.agent.statistics();
            long ended = after.acquiresGranted() + after.acquiresCancelled() + failed(after)
                    - before.acquiresGranted() - before.acquiresCancelled() - failed(before);
            int requests = name.startsWith("firstWithValue") ? 2 : 1;
            assertThat(ended).as("%s round %d: outcomes counted for %d pool request(s): granted %d cancelled %d "
                    + "failed %s -> %s", name, round, requests, after.acquiresGranted() - before.acquiresGranted(),
                    after.acquiresCancelled() - before.acquiresCancelled(), before.acquiresFailed(),
                    after.acquiresFailed()).isEqualTo(requests);
            for (LockGrant g : kept) {
                a.release(g).block(BLOCK);
            }
            for (RecorderId r : ids) {
                assertThat(h.count(b, r)).isZero();
            }
            h.assertQuiescentAndBalanced();
        }
        h.closeSessionsAndAssertBalanced();
    }

    /** withLockAny under the same race: "withLockAny has every guarantee of withLock" (leak-free whatever you do). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("bodyShapes")
    void withLockAnyLeaksNothingWhateverCancelsIt(String name, int which) throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            for (RecorderId r : ids) {
                b.acquire(r).block(BLOCK);
            }
            reactor.core.publisher.Flux<RecorderId> scope = a.withLockAny(RecorderSelector.any(),
                    AcquireOptions.waitIndefinitely(),
                    g -> Mono.just(g.recorder()).delayElement(Duration.ofNanos(
                            ThreadLocalRandom.current().nextLong(1_000_000))));
            CountDownLatch go = new CountDownLatch(1);
            List<CompletableFuture<?>> releases = new ArrayList<>();
            for (RecorderId r : ids) {
                releases.add(CompletableFuture.runAsync(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    b.release(r).block(BLOCK);
                }, releasers));
            }
            Duration d = Duration.ofNanos(1 + ThreadLocalRandom.current().nextLong(2_000_000));
            switch (which) {
                case 0 -> {
                    Disposable disp = scope.subscribe(x -> { }, e -> { });
                    go.countDown();
                    spin();
                    disp.dispose();
                }
                case 1 -> {
                    go.countDown();
                    scope.timeout(d).onErrorResume(e -> Mono.empty()).subscribe();
                }
                case 2 -> {
                    go.countDown();
                    scope.take(d).subscribe(x -> { }, e -> { });
                }
                case 3 -> {
                    go.countDown();
                    try {
                        scope.next().block(d);
                    } catch (IllegalStateException gaveUp) {
                        // fine
                    }
                }
                default -> {
                    go.countDown();
                    Mono.zip(scope.next(), Mono.delay(d).then(Mono.error(new IllegalStateException("p"))))
                            .subscribe(x -> { }, e -> { });
                }
            }
            CompletableFuture.allOf(releases.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            // let a body that still runs finish (it lasts at most 1 ms of real time)
            long until = System.nanoTime() + BLOCK.toNanos();
            while (System.nanoTime() < until && h.settle().held() > 0) {
                Thread.onSpinWait();
            }
            for (RecorderId r : ids) {
                assertThat(h.count(a, r)).as("%s round %d: Alpha's count on %s after the scope ended", name, round,
                        r).isZero();
            }
            h.assertQuiescentAndBalanced();
        }
        h.closeSessionsAndAssertBalanced();
    }

    private static long failed(AgentStatistics s) {
        return s.acquiresFailed().values().stream().mapToLong(Long::longValue).sum();
    }

    static Stream<Arguments> bodyShapes() {
        return Stream.of(Arguments.of("dispose", 0), Arguments.of("timeout", 1), Arguments.of("take(Duration)", 2),
                Arguments.of("block(Duration)", 3), Arguments.of("zip with failing partner", 4));
    }
}
