package io.discagent.service.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.LockGrant;
import io.discagent.api.RecorderId;
import io.discagent.api.SessionId;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The fleet's delivery ({@link RemoteAcquireMono}) with its answer and its subscriber's cancellation started at the
 * same instant on two threads, many times over, without a cluster: every grant the session counted is either the
 * subscriber's or released, never both, never neither.
 */
class RemoteAcquireMonoRaceTests {

    private static final int ROUNDS = 3_000;
    private final Scheduler loop = Schedulers.newSingle("fleet-loop");

    @AfterEach
    void stop() {
        loop.dispose();
    }

    /** What happened to the grants of one round. */
    private static final class Ledger {
        final AtomicInteger accepted = new AtomicInteger();
        final AtomicInteger givenBack = new AtomicInteger();
        final Set<LockGrant> released = ConcurrentHashMap.newKeySet();
        final AtomicReference<@Nullable BiConsumer<@Nullable RemoteGrant, @Nullable Throwable>> answer =
                new AtomicReference<>();
    }

    private static final AtomicLong HOLD_IDS = new AtomicLong();

    private Mono<LockGrant> acquire(Ledger ledger) {
        return acquire(ledger, false);
    }

    /** {@code answerSoon}: the loop answers by itself, after a random spin, once the request started. */
    private Mono<LockGrant> acquire(Ledger ledger, boolean answerSoon) {
        Function<Runnable, Mono<?>> onLoop = work -> Mono.fromRunnable(work).subscribeOn(loop);
        return new RemoteAcquireMono(onLoop, answer -> {
            ledger.answer.set(answer);
            if (answerSoon) {
                int spins = ThreadLocalRandom.current().nextInt(20_000);
                loop.schedule(() -> {
                    for (int i = 0; i < spins; i++) {
                        Thread.onSpinWait();
                    }
                    answer.accept(new RemoteGrant("node-b", RecorderId.of("sim-0"), 1, HOLD_IDS.incrementAndGet()),
                            null);
                });
            }
            return () -> { };
        }, remote -> {
            ledger.accepted.incrementAndGet();
            return new LockGrant(RecorderId.of("node-b/sim-0"), new SessionId("node-a/s"), 1, remote.holdId());
        }, remote -> ledger.givenBack.incrementAndGet(), ledger.released::add);
    }

    /** Runs {@code answer} on the loop and {@code cancel} here, released at the same instant. */
    private void race(Ledger ledger, Runnable cancel) {
        while (ledger.answer.get() == null) {
            Thread.onSpinWait(); // the request started on the loop
        }
        AtomicInteger ready = new AtomicInteger();
        int skew = ThreadLocalRandom.current().nextInt(64);
        loop.schedule(() -> {
            ready.incrementAndGet();
            while (ready.get() < 2) {
                Thread.onSpinWait();
            }
            ledger.answer.get().accept(new RemoteGrant("node-b", RecorderId.of("sim-0"), 1,
                    HOLD_IDS.incrementAndGet()), null);
        });
        ready.incrementAndGet();
        while (ready.get() < 2) {
            Thread.onSpinWait();
        }
        for (int i = 0; i < skew; i++) {
            Thread.onSpinWait();
        }
        cancel.run();
        Mono.fromRunnable(() -> { }).subscribeOn(loop).block(Duration.ofSeconds(10)); // the loop is done
    }

    /** Exactly one owner for a counted grant; none for a grant given back. */
    private static String outcome(Ledger ledger, @Nullable LockGrant taken) {
        if (ledger.accepted.get() == 0) {
            assertThat(ledger.givenBack.get()).isEqualTo(1);
            assertThat(taken).isNull();
            return "given back";
        }
        assertThat(ledger.accepted.get()).isEqualTo(1);
        if (taken != null) {
            assertThat(ledger.released).as("a grant its subscriber took is not released under it").isEmpty();
            return "taken";
        }
        assertThat(ledger.released).as("a counted grant its subscriber did not take is released").hasSize(1);
        return "released";
    }

    @Test
    void aConsumerDisposedAsTheGrantArrivesEitherHasItOrItIsReleased() {
        var seen = new ConcurrentHashMap<String, AtomicInteger>();
        for (int round = 0; round < ROUNDS; round++) {
            Ledger ledger = new Ledger();
            AtomicReference<LockGrant> got = new AtomicReference<>();
            Disposable d = acquire(ledger).subscribe(got::set);
            race(ledger, d::dispose);
            seen.computeIfAbsent(outcome(ledger, got.get()), k -> new AtomicInteger()).incrementAndGet();
        }
        assertThat(seen.keySet()).as("the race was run both ways: " + seen).contains("taken", "released");
    }

    @Test
    void aFutureCancelledAsTheGrantArrivesEitherHasItOrItIsReleased() {
        var seen = new ConcurrentHashMap<String, AtomicInteger>();
        for (int round = 0; round < ROUNDS; round++) {
            Ledger ledger = new Ledger();
            CompletableFuture<LockGrant> future = acquire(ledger).toFuture();
            race(ledger, () -> future.cancel(false));
            LockGrant taken = future.isDone() && !future.isCancelled() ? future.join() : null;
            seen.computeIfAbsent(outcome(ledger, taken), k -> new AtomicInteger()).incrementAndGet();
        }
        assertThat(seen.keySet()).as("the race was run both ways: " + seen).contains("taken", "released");
    }

    @Test
    void aBlockThatGivesUpAsTheGrantArrivesEitherReturnsItOrItIsReleased() {
        var seen = new ConcurrentHashMap<String, AtomicInteger>();
        for (int round = 0; round < ROUNDS; round++) {
            Ledger ledger = new Ledger();
            LockGrant taken = null;
            try {
                taken = acquire(ledger, true).block(Duration.ofNanos(ThreadLocalRandom.current().nextLong(200_000)));
            } catch (IllegalStateException gaveUp) {
                // Reactor's "Timeout on blocking read": the grant, if it came, is not the caller's
            }
            for (int probe = 0; probe < 2; probe++) { // the start, then the answer it scheduled, are done
                Mono.fromRunnable(() -> { }).subscribeOn(loop).block(Duration.ofSeconds(10));
            }
            if (ledger.answer.get() == null) {
                continue; // gave up before the request started: nothing was asked
            }
            seen.computeIfAbsent(outcome(ledger, taken), k -> new AtomicInteger()).incrementAndGet();
        }
        assertThat(seen.keySet()).as("the race was run both ways: " + seen).contains("taken", "released");
    }

    @Test
    void aUsingWhenDisposedAsTheGrantArrivesReleasesEveryCountedGrant() {
        for (int round = 0; round < ROUNDS / 4; round++) {
            Ledger ledger = new Ledger();
            Set<LockGrant> closed = ConcurrentHashMap.newKeySet();
            Disposable d = Flux.usingWhen(acquire(ledger), grant -> Mono.never(),
                    grant -> Mono.fromRunnable(() -> closed.add(grant)),
                    (grant, error) -> Mono.fromRunnable(() -> closed.add(grant)),
                    grant -> Mono.fromRunnable(() -> closed.add(grant))).subscribe();
            race(ledger, d::dispose);
            if (ledger.accepted.get() == 1) {
                Set<LockGrant> ended = ConcurrentHashMap.newKeySet();
                ended.addAll(closed);
                ended.addAll(ledger.released);
                assertThat(ended).as("round " + round + ": the counted grant is released").hasSize(1);
            } else {
                assertThat(ledger.givenBack.get()).isEqualTo(1);
            }
        }
    }
}
