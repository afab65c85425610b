package io.discagent.agent.adversary;

import static io.discagent.agent.adversary.Harness.BLOCK;
import static io.discagent.agent.adversary.Harness.SIM0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.error.RecorderLockedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A grant that a subscriber has taken is the subscriber's ("An operator that cancels while passing the grant on
 * (next(), take(1)) keeps it"): whatever operator chain delivered it, the session must still hold the recorder, and
 * another session must not be able to take it.
 */
class GrantHandOffAdversaryTests {

    private Harness h;

    @BeforeEach
    void start() {
        h = Harness.virtualTime();
    }

    @AfterEach
    void stop() {
        h.close();
    }

    static Stream<Arguments> shapesThatHandTheGrantOver() {
        return Stream.of(
                shape("block()", m -> m.block(BLOCK)),
                shape("take(1).blockLast()", m -> m.flux().take(1).blockLast(BLOCK)),
                shape("next().block()", m -> m.flux().next().block(BLOCK)),
                shape("toFuture().get()", m -> get(m)),
                shape("publishOn(single).block()", m -> m.publishOn(Schedulers.single()).block(BLOCK)),
                shape("publishOn(single).take(1).blockLast()",
                        m -> m.flux().publishOn(Schedulers.single()).take(1).blockLast(BLOCK)),
                shape("publishOn(single).next().block()",
                        m -> m.flux().publishOn(Schedulers.single()).next().block(BLOCK)),
                shape("publishOn(single).blockFirst()",
                        m -> m.flux().publishOn(Schedulers.single()).blockFirst(BLOCK)),
                shape("publishOn(single).toFuture().get()", m -> get(m.publishOn(Schedulers.single()))),
                shape("delayElement(1ms).toFuture().get()", m -> get(m.delayElement(Duration.ofMillis(1)))),
                shape("subscribeOn(boundedElastic).toFuture().get()",
                        m -> get(m.subscribeOn(Schedulers.boundedElastic()))),
                shape("zip(acquire, just).block()", m -> Mono.zip(m, Mono.just("x")).block(BLOCK).getT1()),
                shape("firstWithValue(acquire, never).block()",
                        m -> Mono.firstWithValue(m, Mono.<LockGrant>never()).block(BLOCK)),
                shape("cache().block()", m -> m.cache().block(BLOCK)),
                shape("share().block()", m -> m.share().block(BLOCK)),
                shape("timeout(5s).block()", m -> m.timeout(Duration.ofSeconds(5)).block(BLOCK)),
                shape("flatMapMany(just).blockLast()", m -> m.flatMapMany(Flux::just).blockLast(BLOCK)),
                shape("switchMap.blockLast()", m -> Flux.just(1).switchMap(i -> m).blockLast(BLOCK)),
                shape("concatMap.publishOn.take(1)",
                        m -> Flux.just(1).concatMap(i -> m).publishOn(Schedulers.parallel()).take(1).blockLast(BLOCK)));
    }

    private static Arguments shape(String name, Function<Mono<LockGrant>, LockGrant> take) {
        return Arguments.of(name, take);
    }

    private static LockGrant get(Mono<LockGrant> m) {
        try {
            return m.toFuture().get(BLOCK.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapesThatHandTheGrantOver")
    void aGrantTheSubscriberReceivedStaysHeld(String name, Function<Mono<LockGrant>, LockGrant> take) {
        ClientSession a = h.session("Holder");
        ClientSession b = h.session("Intruder");

        LockGrant grant = take.apply(a.acquire(SIM0));
        h.settle();

        assertThat(grant.lockCount()).isEqualTo(1);
        assertThat(h.count(a, SIM0)).as("the receiver's count after '%s' delivered its grant", name).isEqualTo(1);
        assertThatThrownBy(() -> b.acquire(SIM0).block(BLOCK))
                .as("another session acquiring while the receiver of '%s' holds its grant", name)
                .isInstanceOf(RecorderLockedException.class);
        assertThat(a.release(grant).block(BLOCK)).isZero();
        h.assertQuiescentAndBalanced();
    }

    /**
     * The smallest reproducer: the grant passes publishOn and reaches take(1)'s subscriber; take(1) then cancels
     * upstream, and the cancel reaches the agent from publishOn's thread after delivery. The agent releases the grant
     * the subscriber holds, and another session acquires the recorder while the first still has its grant in hand.
     */
    /**
     * The thread of a {@code publishOn} can take the grant, and the operator below it ({@code take(1)},
     * {@code next()}, {@code blockFirst()}) cancel, before the event loop's {@code onNext} into the {@code publishOn}
     * has returned: the cancellation then meets the request while it is still delivering. The grant was passed on,
     * not dropped. Busy threads make that window wide (before the fix, a few rounds in a hundred lost their grant).
     */
    @Test
    void aGrantAPublishOnPassedOnBeforeTheLoopReturnedStaysHeld() throws Exception {
        List<Function<Mono<LockGrant>, LockGrant>> shapes = List.of(
                m -> m.flux().publishOn(Schedulers.single()).take(1).blockLast(BLOCK),
                m -> m.flux().publishOn(Schedulers.single()).next().block(BLOCK),
                m -> m.flux().publishOn(Schedulers.single()).blockFirst(BLOCK));
        ClientSession a = h.session("Holder");
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> busy = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Thread spinner = new Thread(() -> {
                while (!stop.get()) {
                    Thread.onSpinWait();
                }
            }, "busy-" + i);
            spinner.setDaemon(true);
            spinner.start();
            busy.add(spinner);
        }
        List<String> lost = new ArrayList<>();
        try {
            for (int round = 0; round < 450; round++) {
                LockGrant grant = shapes.get(round % shapes.size()).apply(a.acquire(SIM0));
                h.settle();
                int count = h.count(a, SIM0);
                if (count != 1) {
                    lost.add("round " + round + " (shape " + round % shapes.size() + "): count " + count);
                }
                if (count > 0) {
                    a.release(grant).block(BLOCK);
                }
            }
        } finally {
            stop.set(true);
            for (Thread spinner : busy) {
                spinner.join();
            }
        }
        assertThat(lost).as("grants lost after they were passed on, %s", h.agent.statistics()).isEmpty();
    }

    @Test
    void aGrantTakenThroughPublishOnAndTakeOneIsReleasedUnderItsHolder() {
        ClientSession a = h.session("Holder");
        ClientSession b = h.session("Intruder");
        LockGrant held = a.acquire(SIM0).flux().publishOn(Schedulers.single()).take(1).blockLast(BLOCK);
        h.settle();
        assertThat(held).isNotNull();
        System.out.println("publishOn+take(1): Holder's count " + h.count(a, SIM0) + ", " + h.agent.statistics());
        assertThatThrownBy(() -> b.acquire(SIM0).block(BLOCK))
                .as("Intruder acquires while Holder has its grant %s in hand", held)
                .isInstanceOf(RecorderLockedException.class);
    }

    /** A raw acquire racing its own cancellation from 1..4 threads: a grant nobody received is released. */
    @Test
    void aWaitingAcquireCancelledFromManyThreadsAsItIsGrantedLeaksNothing() throws Exception {
        ClientSession holder = h.session("Holder");
        ClientSession a = h.session("Racer");
        for (int round = 0; round < 400; round++) {
            holder.acquire(SIM0).block(BLOCK);
            Probe<LockGrant> probe = Probe.unbounded();
            a.acquire(SIM0, AcquireOptions.waitIndefinitely()).subscribe(probe);
            h.settle();
            Thread[] cancellers = new Thread[1 + round % 4];
            for (int i = 0; i < cancellers.length; i++) {
                cancellers[i] = new Thread(probe::cancel);
            }
            Thread releaser = new Thread(() -> holder.release(SIM0).block(BLOCK));
            releaser.start();
            for (Thread t : cancellers) {
                t.start();
            }
            releaser.join();
            for (Thread t : cancellers) {
                t.join();
            }
            h.settle();
            int count = h.count(a, SIM0);
            if (probe.values.isEmpty()) {
                assertThat(count).as("round %d: a grant that never reached its subscriber", round).isZero();
            } else {
                assertThat(count).isBetween(0, 1);
                a.release(probe.values.get(0)).block(BLOCK);
            }
            h.assertQuiescentAndBalanced();
        }
    }

    /** withLock racing its own cancellation as it is granted: always leak-free. */
    @Test
    void aWaitingWithLockCancelledAsItIsGrantedLeaksNothing() throws Exception {
        ClientSession holder = h.session("Holder");
        ClientSession a = h.session("Racer");
        for (int round = 0; round < 400; round++) {
            holder.acquire(SIM0).block(BLOCK);
            Probe<Object> probe = Probe.unbounded();
            a.withLock(SIM0, AcquireOptions.waitIndefinitely(), g -> reactor.core.publisher.Flux.never())
                    .subscribe(probe);
            h.settle();
            Thread canceller = new Thread(probe::cancel);
            Thread releaser = new Thread(() -> holder.release(SIM0).block(BLOCK));
            releaser.start();
            canceller.start();
            releaser.join();
            canceller.join();
            h.settle();
            assertThat(h.count(a, SIM0)).as("round %d", round).isZero();
            h.assertQuiescentAndBalanced();
        }
    }

    /**
     * toFuture() racing future.cancel(): when cancel wins (returns true) the caller never sees the grant, so the
     * agent must release it.
     */
    @Test
    void aFutureCancelledAsItsGrantArrivesLeaksNothing() throws Exception {
        final int ROUNDS = 1500;
        ClientSession holder = h.session("Holder");
        ClientSession a = h.session("Racer");
        int cancelledWins = 0;
        List<Integer> leakedRounds = new java.util.ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            holder.acquire(SIM0).block(BLOCK);
            java.util.concurrent.CompletableFuture<LockGrant> f =
                    a.acquire(SIM0, AcquireOptions.waitIndefinitely()).toFuture();
            h.settle();
            java.util.concurrent.atomic.AtomicBoolean cancelled = new java.util.concurrent.atomic.AtomicBoolean();
            Thread canceller = new Thread(() -> cancelled.set(f.cancel(true)));
            Thread releaser = new Thread(() -> holder.release(SIM0).block(BLOCK));
            releaser.start();
            canceller.start();
            releaser.join();
            canceller.join();
            h.settle();
            int count = h.count(a, SIM0);
            if (cancelled.get()) {
                cancelledWins++;
                if (count != 0) {
                    leakedRounds.add(round);
                    a.release(SIM0).block(BLOCK);
                }
            } else {
                assertThat(count).isEqualTo(1);
                a.release(f.get()).block(BLOCK);
            }
            h.assertQuiescentAndBalanced();
        }
        System.out.println("future.cancel won " + cancelledWins + " of " + ROUNDS + " races; leaked in rounds " + leakedRounds);
        assertThat(leakedRounds).as("rounds where future.cancel() returned true and the grant stayed held (cancel won "
                + "%d of %d)", cancelledWins, ROUNDS).isEmpty();
    }
}
