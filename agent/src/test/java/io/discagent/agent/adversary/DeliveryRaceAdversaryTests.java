package io.discagent.agent.adversary;

import static io.discagent.agent.adversary.Harness.BLOCK;
import static io.discagent.agent.adversary.Harness.SIM0;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.error.RecorderLockedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * The delivery of a grant racing a cancellation from another thread, through asynchronous operators. Each round: a
 * holder keeps the recorder, the subject session waits for it through the shape under test, then one thread releases
 * the holder's lock (which hands the recorder to the waiter) while another fires the shape's cancellation (a
 * {@code dispose()}, a timeout trigger, a {@code switchMap} switch, a timed-out blocking read), each after a random
 * spin calibrated on the measured delivery latency, with busy threads on every other round.
 *
 * <p>The oracle is the README's promise, read from the end user's side: when the code at the end of the chain
 * received the grant, the session's count is 1 and another session cannot acquire; when it did not (the value was
 * dropped, discarded, timed out), the count is 0 and another session can acquire. Shapes the README declares
 * invisible to the agent ({@code then()}, {@code when}, {@code zip} with a failing partner) are not here.
 */
class DeliveryRaceAdversaryTests {

    private static final int ROUNDS = 200;

    private Harness h;
    private ClientSession holder;
    private ClientSession a;
    private ClientSession b;
    private Scheduler worker;
    /** Release-to-delivery latency in nanoseconds, smoothed: where the cancellation should land. */
    private final AtomicInteger latencyNanos = new AtomicInteger(200_000);

    @BeforeEach
    void start() {
        h = Harness.virtualTime();
        holder = h.session("Holder");
        a = h.session("Subject");
        b = h.session("Intruder");
        worker = Schedulers.newSingle("race-worker");
    }

    @AfterEach
    void stop() {
        worker.dispose();
        h.close();
    }

    /** One attempt of a shape: what the end user's code received, how to fire the cancellation, when it ended. */
    static final class Attempt {
        final AtomicReference<@Nullable LockGrant> received = new AtomicReference<>();
        final AtomicReference<Long> receivedAt = new AtomicReference<>(0L);
        final CountDownLatch ended = new CountDownLatch(1);
        volatile Runnable fire = () -> { };
        /** A drop the README calls invisible to the agent: a grant dropped without any cancellation reaching it. */
        volatile boolean invisibleDrop;

        void receive(Object value) {
            if (value instanceof LockGrant g) {
                if (!received.compareAndSet(null, g)) {
                    throw new AssertionError("a second grant " + g);
                }
                receivedAt.set(System.nanoTime());
            }
        }

        void end() {
            ended.countDown();
        }
    }

    /** Builds the chain around a waiting acquire, subscribes it (or arranges for {@code fire} to), and says how to cancel. */
    interface Shape {
        void start(Mono<LockGrant> acquire, Scheduler worker, Attempt at, Duration timer);
    }

    private static Arguments shape(String name, Shape shape) {
        return Arguments.of(name, shape);
    }

    private static Disposable sub(Flux<?> f, Attempt at) {
        return f.doFinally(s -> at.end()).subscribe(at::receive, e -> { });
    }

    private static Disposable sub(Mono<?> m, Attempt at) {
        return sub(m.flux(), at);
    }

    static Stream<Arguments> shapes() {
        return Stream.of(
                // dispose() from a third thread racing the emission
                shape("subscribe + dispose", (m, w, at, t) -> {
                    Disposable d = sub(m, at);
                    at.fire = d::dispose;
                }),
                shape("publishOn + dispose", (m, w, at, t) -> {
                    Disposable d = sub(m.publishOn(w), at);
                    at.fire = d::dispose;
                }),
                shape("flux.publishOn.take(1) + dispose", (m, w, at, t) -> {
                    Disposable d = sub(m.flux().publishOn(w).take(1), at);
                    at.fire = d::dispose;
                }),
                shape("flux.publishOn.next() + dispose", (m, w, at, t) -> {
                    Disposable d = sub(m.flux().publishOn(w).next(), at);
                    at.fire = d::dispose;
                }),
                shape("flux.publishOn.elementAt(0) + dispose", (m, w, at, t) -> {
                    Disposable d = sub(m.flux().publishOn(w).elementAt(0), at);
                    at.fire = d::dispose;
                }),
                shape("subscribeOn + dispose", (m, w, at, t) -> {
                    Disposable d = sub(m.subscribeOn(w), at);
                    at.fire = d::dispose;
                }),
                shape("delayElement(1ns) + dispose", (m, w, at, t) -> {
                    Disposable d = sub(m.delayElement(Duration.ofNanos(1), w), at);
                    at.fire = d::dispose;
                }),
                shape("retryWhen(indefinitely) + dispose", (m, w, at, t) -> {
                    Disposable d = sub(m.retryWhen(Retry.indefinitely()), at);
                    at.fire = d::dispose;
                }),
                shape("zipWith(just) + dispose", (m, w, at, t) -> {
                    Disposable d = sub(m.zipWith(Mono.just("x")).map(tuple -> tuple.getT1()), at);
                    at.fire = d::dispose;
                }),
                shape("flatMap(conc 1) + dispose", (m, w, at, t) -> {
                    Disposable d = sub(Flux.just(1).flatMap(i -> m, 1), at);
                    at.fire = d::dispose;
                }),
                shape("concatMap + dispose", (m, w, at, t) -> {
                    Disposable d = sub(Flux.just(1).concatMap(i -> m), at);
                    at.fire = d::dispose;
                }),
                shape("share + dispose", (m, w, at, t) -> {
                    Disposable d = sub(m.share(), at);
                    at.fire = d::dispose;
                }),
                shape("Mono.fromFuture(toFuture) + dispose", (m, w, at, t) -> {
                    // the future completed with the grant (the toFuture subscriber took it), then the disposed
                    // fromFuture subscriber drops it and future.cancel() does nothing: no cancellation reaches the
                    // agent, like then() (README: "an operator that drops a value without cancelling anything")
                    at.invisibleDrop = true;
                    Disposable d = sub(Mono.fromFuture(m.toFuture()), at);
                    at.fire = d::dispose;
                }),
                // an operator dropping the grant because another signal won
                shape("timeout(trigger)", (m, w, at, t) -> {
                    Sinks.One<String> trigger = Sinks.one();
                    sub(m.timeout(trigger.asMono()), at);
                    at.fire = () -> trigger.tryEmitValue("t");
                }),
                shape("publishOn.timeout(trigger)", (m, w, at, t) -> {
                    Sinks.One<String> trigger = Sinks.one();
                    sub(m.publishOn(w).timeout(trigger.asMono()), at);
                    at.fire = () -> trigger.tryEmitValue("t");
                }),
                shape("flux.takeUntilOther(trigger)", (m, w, at, t) -> {
                    Sinks.One<String> trigger = Sinks.one();
                    sub(m.flux().takeUntilOther(trigger.asMono()), at);
                    at.fire = () -> trigger.tryEmitValue("t");
                }),
                shape("Mono.firstWithSignal(acquire, trigger)", (m, w, at, t) -> {
                    Sinks.One<Object> trigger = Sinks.one();
                    sub(Mono.firstWithSignal(m.cast(Object.class), trigger.asMono()), at);
                    at.fire = () -> trigger.tryEmitValue("t");
                }),
                shape("Mono.firstWithValue(acquire, trigger)", (m, w, at, t) -> {
                    Sinks.One<Object> trigger = Sinks.one();
                    sub(Mono.firstWithValue(m.cast(Object.class), trigger.asMono()), at);
                    at.fire = () -> trigger.tryEmitValue("t");
                }),
                shape("Flux.merge(acquire, trigger).take(1)", (m, w, at, t) -> {
                    Sinks.One<Object> trigger = Sinks.one();
                    sub(Flux.merge(m.cast(Object.class), trigger.asMono()).take(1), at);
                    at.fire = () -> trigger.tryEmitValue("t");
                }),
                shape("switchMap switching away", (m, w, at, t) -> {
                    Sinks.Many<Integer> source = Sinks.many().unicast().onBackpressureBuffer();
                    sub(source.asFlux().switchMap(i -> i == 1 ? m : Mono.empty()), at);
                    source.tryEmitNext(1);
                    at.fire = () -> {
                        source.tryEmitNext(2);
                        source.tryEmitComplete();
                    };
                }),
                shape("flatMap(conc 2).take(1) with a trigger", (m, w, at, t) -> {
                    Sinks.One<Object> trigger = Sinks.one();
                    sub(Flux.just(0, 1).flatMap(i -> i == 0 ? m.publishOn(w).cast(Object.class) : trigger.asMono(), 2)
                            .take(1), at);
                    at.fire = () -> trigger.tryEmitValue("t");
                }),
                // real timers expiring at about the delivery: subscribed by the firing thread
                shape("timeout(Duration)", (m, w, at, t) -> at.fire = () -> sub(m.timeout(t, w), at)),
                shape("delaySubscription + timeout(Duration)",
                        (m, w, at, t) -> at.fire = () -> sub(m.delaySubscription(Duration.ofNanos(1), w).timeout(t, w), at)),
                shape("block(Duration)", (m, w, at, t) -> at.fire = () -> {
                    try {
                        at.receive(m.block(t));
                    } catch (IllegalStateException timedOut) {
                        // not received
                    } finally {
                        at.end();
                    }
                }),
                shape("flux.publishOn.blockFirst(Duration)", (m, w, at, t) -> at.fire = () -> {
                    try {
                        at.receive(m.flux().publishOn(w).blockFirst(t));
                    } catch (IllegalStateException timedOut) {
                        // not received
                    } finally {
                        at.end();
                    }
                }),
                shape("map.toFuture.get(timeout), cancel on timeout", futureTimeout(m -> m.map(g -> g))),
                shape("just.cache.flatMap.toFuture.get(timeout), cancel on timeout",
                        futureTimeout(m -> Mono.just(1).cache().flatMap(x -> m))),
                shape("toFuture.get(timeout), cancel on timeout", futureTimeout(m -> m)));
    }

    /** {@code chain(acquire).toFuture().get(timeout)}, cancelled when it times out (the grant kept if it came first). */
    private static Shape futureTimeout(java.util.function.Function<Mono<LockGrant>, Mono<LockGrant>> chain) {
        return (m, w, at, t) -> at.fire = () -> {
            CompletableFuture<LockGrant> f = chain.apply(m).toFuture();
            try {
                at.receive(f.get(t.toNanos(), TimeUnit.NANOSECONDS));
            } catch (TimeoutException timedOut) {
                if (!f.cancel(false)) {
                    at.receive(f.join());
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            } finally {
                at.end();
            }
        };
    }

    /** Shapes with no outside cancellation at all: the grant is handed on through an asynchronous operator. */
    static Stream<Arguments> handOnShapes() {
        return Stream.of(
                shape("flux.publishOn.take(1)", (m, w, at, t) -> sub(m.flux().publishOn(w).take(1), at)),
                shape("flux.publishOn.next()", (m, w, at, t) -> sub(m.flux().publishOn(w).next(), at)),
                shape("flux.publishOn.elementAt(0)", (m, w, at, t) -> sub(m.flux().publishOn(w).elementAt(0), at)),
                shape("flux.publishOn.single()", (m, w, at, t) -> sub(m.flux().publishOn(w).single(), at)),
                shape("flux.publishOn.last()", (m, w, at, t) -> sub(m.flux().publishOn(w).last(), at)),
                shape("delayElement.flux.take(1)",
                        (m, w, at, t) -> sub(m.delayElement(Duration.ofNanos(1), w).flux().take(1), at)),
                shape("cache()", (m, w, at, t) -> sub(m.cache(), at)),
                shape("flux.replay(1).autoConnect.take(1)",
                        (m, w, at, t) -> sub(m.flux().replay(1).autoConnect().take(1), at)),
                shape("share.publishOn.next()", (m, w, at, t) -> sub(m.share().flux().publishOn(w).next(), at)),
                shape("concatMap.publishOn.take(1)",
                        (m, w, at, t) -> sub(Flux.just(1).concatMap(i -> m).publishOn(w).take(1), at)),
                shape("flatMap(conc 4).publishOn.take(1)",
                        (m, w, at, t) -> sub(Flux.just(1).flatMap(i -> m, 4).publishOn(w).take(1), at)),
                shape("flux.publishOn.blockFirst() on another thread",
                        (m, w, at, t) -> at.fire = () -> {
                            try {
                                at.receive(m.flux().publishOn(w).blockFirst(BLOCK));
                            } finally {
                                at.end();
                            }
                        }));
    }

    @ParameterizedTest(name = "{0}")
    @Tag("finding")
    @MethodSource("shapes")
    void aGrantIsHeldExactlyWhenItsReceiverGotIt(String name, Shape shape) throws Exception {
        runRounds(name, shape);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("handOnShapes")
    void aGrantHandedOnThroughAnAsynchronousOperatorIsHeld(String name, Shape shape) throws Exception {
        Tally tally = runRounds(name, shape);
        assertThat(tally.notReceived).as("rounds where '%s' did not deliver at all", name).isZero();
    }

    /** No race: a grant parked in delayElement when its chain is disposed is the agent's to release. */
    @Tag("finding")
    @Test
    void aGrantParkedInDelayElementWhenDisposedIsReleased() {
        List<LockGrant> got = new CopyOnWriteArrayList<>();
        Disposable d = a.acquire(SIM0).delayElement(Duration.ofSeconds(30), worker).subscribe(got::add);
        h.settle();
        d.dispose();
        h.settle();
        assertThat(got).isEmpty();
        assertThat(h.count(a, SIM0)).as("a grant that was parked in delayElement when the chain was disposed")
                .isZero();
        h.closeSessionsAndAssertBalanced();
    }

    /** No race: a grant parked in a zip waiting for its partner when the chain is disposed. */
    @Tag("finding")
    @Test
    void aGrantParkedInZipWhenDisposedIsReleased() {
        Sinks.One<String> partner = Sinks.one();
        List<Object> got = new CopyOnWriteArrayList<>();
        Disposable d = a.acquire(SIM0).zipWith(partner.asMono()).subscribe(got::add);
        h.settle();
        d.dispose();
        h.settle();
        assertThat(got).isEmpty();
        assertThat(h.count(a, SIM0)).as("a grant parked in zip, waiting for the partner, when disposed").isZero();
        h.closeSessionsAndAssertBalanced();
    }

    /**
     * No race window to hit: the end user's consumer of {@code acquire(r).flux().subscribe(consumer)} has the grant in
     * hand (it runs inside the agent's onNext) when another thread disposes the subscription. Reactor's Flux
     * {@code LambdaSubscriber} does not drop a value on dispose: the consumer got it and goes on with it.
     */
    @Test
    void aFluxConsumerDisposedFromAnotherThreadWhileItHoldsTheGrantKeepsIt() throws Exception {
        CountDownLatch inConsumer = new CountDownLatch(1);
        CountDownLatch disposed = new CountDownLatch(1);
        AtomicReference<@Nullable LockGrant> got = new AtomicReference<>();
        Disposable d = a.acquire(SIM0).flux().subscribe(g -> {
            got.set(g);
            inConsumer.countDown();
            try {
                disposed.await(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(inConsumer.await(BLOCK.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        d.dispose();
        disposed.countDown();
        h.settle();
        assertThat(got.get()).isNotNull();
        assertThat(h.count(a, SIM0)).as("count after the consumer that holds %s was disposed", got.get())
                .isEqualTo(1);
        assertThat(intruderAcquires()).as("another session acquiring while the consumer holds %s", got.get())
                .isFalse();
        h.closeSessionsAndAssertBalanced();
    }

    /** Outcomes of a shape's rounds. */
    static final class Tally {
        int receivedHeld;
        int receivedReleased;
        int droppedReleased;
        int droppedHeld;
        int notReceived;
        final List<String> violations = new ArrayList<>();
    }

    private Tally runRounds(String name, Shape shape) throws Exception {
        Tally tally = new Tally();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean busy = new AtomicBoolean();
        Thread spinner = new Thread(() -> {
            while (!stop.get()) {
                if (!busy.get()) {
                    Thread.onSpinWait();
                }
                Thread.onSpinWait();
            }
        }, "busy");
        spinner.setDaemon(true);
        spinner.start();
        try {
            for (int round = 0; round < ROUNDS; round++) {
                busy.set(round % 2 == 1);
                round(name, shape, round, tally);
            }
        } finally {
            stop.set(true);
            spinner.join();
        }
        System.out.printf("%-45s rounds %d: received+held %d, received+RELEASED %d, dropped+released %d,"
                + " dropped+HELD %d; latency ~%d us; %s%n", name, ROUNDS, tally.receivedHeld, tally.receivedReleased,
                tally.droppedReleased, tally.droppedHeld, latencyNanos.get() / 1000, h.agent.statistics());
        h.closeSessionsAndAssertBalanced();
        assertThat(tally.violations).as("'%s': rounds that broke the promise", name).isEmpty();
        return tally;
    }

    private void round(String name, Shape shape, int round, Tally tally) throws Exception {
        holder.acquire(SIM0).block(BLOCK);
        Attempt at = new Attempt();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long lat = latencyNanos.get();
        Duration timer = Duration.ofNanos(lat / 2 + random.nextLong(lat + 1));
        shape.start(a.acquire(SIM0, AcquireOptions.waitIndefinitely()), worker, at, timer);
        h.settle();
        long fireSpin = random.nextLong(2 * lat + 1);
        long releaseSpin = random.nextLong(lat / 4 + 1);
        boolean fireFirstTimer = at.received.get() == null && random.nextBoolean();
        CyclicBarrier go = new CyclicBarrier(2);
        AtomicReference<Long> releasedAt = new AtomicReference<>(0L);
        Thread releaser = new Thread(() -> {
            await(go);
            spin(releaseSpin);
            releasedAt.set(System.nanoTime());
            holder.release(SIM0).block(BLOCK);
        }, "releaser");
        Thread canceller = new Thread(() -> {
            await(go);
            spin(fireFirstTimer ? 0 : fireSpin);
            at.fire.run();
        }, "canceller");
        releaser.start();
        canceller.start();
        releaser.join();
        canceller.join();
        if (!at.ended.await(BLOCK.toMillis(), TimeUnit.MILLISECONDS)) {
            tally.violations.add("round " + round + ": the chain never ended");
        }
        flushWorker();
        h.settle();
        flushWorker();
        h.settle();

        LockGrant got = at.received.get();
        if (got != null) {
            long l = at.receivedAt.get() - releasedAt.get();
            if (l > 0 && l < 20_000_000) {
                latencyNanos.set((int) ((latencyNanos.get() * 7L + l) / 8));
            }
        }
        int count = h.count(a, SIM0);
        boolean intruderGot = intruderAcquires();
        if (got != null && count == 1 && !intruderGot) {
            tally.receivedHeld++;
        } else if (got == null && count == 0 && intruderGot) {
            tally.droppedReleased++;
        } else if (got != null) {
            tally.receivedReleased++;
            tally.violations.add("round " + round + ": the end user received " + got + " but the count is " + count
                    + (intruderGot ? " and another session acquired the recorder" : ""));
        } else if (at.invisibleDrop) {
            tally.droppedHeld++;
        } else {
            tally.droppedHeld++;
            tally.violations.add("round " + round + ": nobody received the grant but the count is " + count
                    + (intruderGot ? "" : " and another session cannot acquire"));
        }
        if (got == null) {
            tally.notReceived++;
        }
        for (int c = count; c > 0; c--) {
            a.release(SIM0).block(BLOCK);
        }
    }

    private boolean intruderAcquires() {
        try {
            LockGrant g = b.acquire(SIM0).block(BLOCK);
            b.release(g).block(BLOCK);
            return true;
        } catch (RecorderLockedException locked) {
            return false;
        }
    }

    private void flushWorker() {
        Mono.fromRunnable(() -> { }).subscribeOn(worker).block(BLOCK);
    }

    private static void spin(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }

    private static void await(CyclicBarrier go) {
        try {
            go.await(BLOCK.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
