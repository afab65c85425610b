package io.discagent.agent.adversary;

import static io.discagent.agent.adversary.Harness.BLOCK;
import static io.discagent.agent.adversary.Harness.SIM0;
import static io.discagent.agent.adversary.Harness.SIM1;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.AcquireOptions;
import io.discagent.api.AcquireRequest;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderId;
import io.discagent.api.RetryPolicy;
import io.discagent.api.error.AcquireTimeoutException;
import io.discagent.api.error.CommandTimeoutException;
import io.discagent.api.error.HResult;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderLockedException;
import java.time.Duration;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * "Every Mono and Flux of the API signals on the event loop ... errors included (a bad argument, a retried request
 * that gives up)", and "the terminal signal [of withLock] comes from the event loop" whatever thread the body ends
 * on. Each publisher is subscribed from a foreign thread with a raw subscriber that records the thread of every
 * signal.
 */
class SignalThreadAdversaryTests extends TwoSessions {

    private <T> Probe<T> run(Supplier<Publisher<T>> publisher) {
        Probe<T> probe = Probe.unbounded();
        Mono.fromRunnable(() -> publisher.get().subscribe(probe)).subscribeOn(Schedulers.boundedElastic()).block(BLOCK);
        assertThat(probe.awaitTerminal(BLOCK)).as("a terminal signal").isTrue();
        return probe;
    }

    private void assertOnLoop(String what, Probe<?> probe) {
        assertThat(probe.threadSet()).as("threads of every signal of %s", what).containsOnly(h.loop.getName());
    }

    @Test
    void everyPlainCallSignalsOnTheLoop() {
        assertOnLoop("acquire", run(() -> a.acquire(SIM0)));
        assertOnLoop("acquire by another session, locked", run(() -> b.acquire(SIM0)));
        assertOnLoop("release at zero by another session", run(() -> b.release(SIM0)));
        assertOnLoop("lockCount", run(() -> a.lockCount(SIM0)));
        assertOnLoop("exclusiveAccessOwner", run(() -> h.agent.exclusiveAccessOwner(SIM0)));
        assertOnLoop("recorders", run(() -> h.agent.recorders()));
        assertOnLoop("recorder(unknown)", run(() -> h.agent.recorder(RecorderId.of("nope"))));
        assertOnLoop("acquire(unknown)", run(() -> a.acquire(RecorderId.of("nope"))));
        assertOnLoop("openSession(bad name)", run(() -> h.agent.openSession("bad/name")));
        assertOnLoop("openSession(null)", run(() -> h.agent.openSession(null)));
        assertOnLoop("acquire(null)", run(() -> a.acquire(null)));
        assertOnLoop("acquire(r, null)", run(() -> a.acquire(SIM0, null)));
        assertOnLoop("release(null id)", run(() -> a.release((RecorderId) null)));
        assertOnLoop("release(null grant)", run(() -> a.release((LockGrant) null)));
        assertOnLoop("lockCount(null)", run(() -> a.lockCount(null)));
        assertOnLoop("acquireEach(null)", run(() -> a.acquireEach(null)));
        assertOnLoop("withLock(null, ..)", run(() -> a.withLock(null, AcquireOptions.DEFAULT, g -> Mono.empty())));
        assertOnLoop("withLock(r, null, ..)", run(() -> a.withLock(SIM1, null, g -> Mono.empty())));
        assertOnLoop("withLock(r, o, null)", run(() -> a.withLock(SIM1, AcquireOptions.DEFAULT, null)));
        assertOnLoop("lockTransitions(null)", run(() -> h.agent.lockTransitions(null)));
        assertOnLoop("lockTransitions(unknown)", run(() -> h.agent.lockTransitions(RecorderId.of("nope"))));
        assertOnLoop("recorder(null)", run(() -> h.agent.recorder(null)));
        assertOnLoop("exclusiveAccessOwner(null)", run(() -> h.agent.exclusiveAccessOwner(null)));
        assertOnLoop("release", run(() -> a.release(SIM0)));
        assertOnLoop("release at zero", run(() -> a.release(SIM0)));
        h.assertQuiescentAndBalanced();
    }

    @Test
    void withLockEndsOnTheLoopWhateverThreadTheBodyEndsOn() {
        Probe<Integer> completes = run(() -> a.withLock(SIM0, AcquireOptions.DEFAULT,
                g -> Mono.fromCallable(() -> 1).subscribeOn(Schedulers.boundedElastic())));
        assertThat(completes.values).containsExactly(1);
        assertThat(completes.threads.get(completes.threads.size() - 1)).as("withLock's onComplete")
                .isEqualTo(h.loop.getName());

        Probe<Integer> fails = run(() -> a.withLock(SIM0, AcquireOptions.DEFAULT,
                g -> Mono.<Integer>error(new IllegalStateException("boom")).delaySubscription(Duration.ofMillis(1),
                        Schedulers.parallel())));
        assertThat(fails.error.get()).isInstanceOf(IllegalStateException.class);
        assertOnLoop("withLock whose body fails on a parallel thread", fails);

        Probe<Integer> throwing = run(() -> a.withLock(SIM0, AcquireOptions.DEFAULT, g -> {
            throw new IllegalStateException("the body function throws");
        }));
        assertThat(throwing.error.get()).isInstanceOf(IllegalStateException.class);
        assertOnLoop("withLock whose body function throws", throwing);

        Probe<Integer> nullBody = run(() -> a.withLock(SIM0, AcquireOptions.DEFAULT, g -> null));
        assertThat(nullBody.error.get()).as("a body function that returns null").isNotNull();
        assertOnLoop("withLock whose body function returns null", nullBody);
        h.assertQuiescentAndBalanced();
    }

    @Test
    void aBodyThatFailsOrCompletesWhileEmittingOnAnotherThreadEndsOnTheLoop() {
        for (int i = 0; i < 50; i++) {
            int failAt = i;
            Probe<Long> fails = run(() -> a.withLock(SIM0, AcquireOptions.DEFAULT,
                    g -> Flux.interval(Duration.ofNanos(50_000)).onBackpressureDrop().map(n -> {
                        if (n >= 5 + failAt % 7) {
                            throw new IllegalStateException("the body failed at " + n);
                        }
                        return n;
                    })));
            assertThat(fails.error.get()).isInstanceOf(IllegalStateException.class);
            assertThat(fails.threads.get(fails.threads.size() - 1)).as("round %d: withLock's onError", i)
                    .isEqualTo(h.loop.getName());
            Probe<Long> completes = run(() -> a.withLock(SIM0, AcquireOptions.DEFAULT,
                    g -> Flux.interval(Duration.ofNanos(50_000)).onBackpressureDrop().take(5 + failAt % 7)));
            assertThat(completes.completed).isTrue();
            assertThat(completes.threads.get(completes.threads.size() - 1)).as("round %d: withLock's onComplete", i)
                    .isEqualTo(h.loop.getName());
        }
        h.assertQuiescentAndBalanced();
    }

    @Test
    void acquireEachSignalsOnTheLoopEvenWhenItsRequestsFailOnAnotherThread() {
        // two requests, then a failure, each emitted on a parallel thread only when acquireEach asks for it (an upstream
        // failure ends the stream at once, cancelling a request under way: it must come after the second grant here)
        Probe<LockGrant> each = run(() -> a.acquireEach(Flux.<AcquireRequest, Integer>generate(() -> 0, (i, sink) -> {
            if (i < 2) {
                sink.next(AcquireRequest.of(i == 0 ? SIM0 : SIM1));
            } else {
                sink.error(new IllegalStateException("upstream failed"));
            }
            return i + 1;
        }).subscribeOn(Schedulers.parallel())));
        assertThat(each.values).hasSize(2);
        assertThat(each.error.get()).isInstanceOf(IllegalStateException.class);
        assertOnLoop("acquireEach with an upstream failing on a parallel thread", each);
        a.release(SIM0).block(BLOCK);
        a.release(SIM1).block(BLOCK);
        h.assertQuiescentAndBalanced();
    }

    @Test
    void timedOutWaitsAndCommandTimeoutsSignalOnTheLoop() {
        a.acquire(SIM0).block(BLOCK);
        Probe<LockGrant> waiter = Probe.unbounded();
        b.acquire(SIM0, AcquireOptions.waitUpTo(Duration.ofSeconds(5))).subscribe(waiter);
        h.test.advance(Duration.ofSeconds(6));
        assertThat(waiter.awaitTerminal(BLOCK)).isTrue();
        assertThat(waiter.error.get()).isInstanceOf(AcquireTimeoutException.class);
        assertOnLoop("a wait that timed out on virtual time advanced from the test thread", waiter);

        h.sim.hangNext(SIM1, Operation.ACQUIRE, 1);
        Probe<LockGrant> hung = Probe.unbounded();
        b.acquire(SIM1).subscribe(hung);
        h.test.advance(Duration.ofSeconds(11));
        assertThat(hung.awaitTerminal(BLOCK)).isTrue();
        assertThat(hung.error.get()).isInstanceOf(CommandTimeoutException.class);
        assertOnLoop("a command timeout", hung);
        h.sim.releaseHangs(SIM1);
        a.release(SIM0).block(BLOCK);
        h.assertQuiescentAndBalanced();
    }

    @Test
    void aCustomRetryOnARealSchedulerThatGivesUpSignalsOnTheLoop() {
        h.sim.lockExternally(SIM0, "wodim (pid 1)");
        Probe<LockGrant> retried = run(() -> a.acquire(SIM0, AcquireOptions.waitUpTo(Duration.ofMinutes(1))
                .withRetry(RetryPolicy.of(Retry.fixedDelay(3, Duration.ofMillis(1))))));
        assertThat(retried.error.get()).isInstanceOf(RecorderLockedException.class);
        assertThat(((RecorderException) retried.error.get()).owner()).contains("wodim (pid 1)");
        assertOnLoop("a custom Retry on Schedulers.parallel() that gives up", retried);

        Probe<LockGrant> backoff = Probe.unbounded();
        a.acquire(SIM0, AcquireOptions.waitUpTo(Duration.ofMinutes(1))
                .withRetry(RetryPolicy.backoff(2, Duration.ofMillis(10), Duration.ofMillis(10), 0))).subscribe(backoff);
        h.test.advanceInSteps(Duration.ofSeconds(1), Duration.ofMillis(10));
        assertThat(backoff.awaitTerminal(BLOCK)).isTrue();
        assertThat(backoff.error.get()).isInstanceOf(RecorderLockedException.class);
        assertOnLoop("a backoff policy that gives up on virtual time", backoff);
        h.sim.unlockExternally(SIM0);
        h.assertQuiescentAndBalanced();
    }

    @Test
    void aFailedNativeCallSignalsOnTheLoopWithItsHresult() {
        h.sim.failNext(SIM0, Operation.ACQUIRE, HResult.E_OUTOFMEMORY, 1);
        Probe<LockGrant> failed = run(() -> a.acquire(SIM0));
        assertThat(failed.error.get()).isInstanceOf(RecorderException.class);
        assertThat(((RecorderException) failed.error.get()).hresult()).isEqualTo(HResult.E_OUTOFMEMORY);
        assertOnLoop("a native failure", failed);
        h.assertQuiescentAndBalanced();
    }

    @Test
    void nullArgumentsAreTypedInvalidArgumentErrors() {
        for (Supplier<Publisher<?>> call : java.util.List.<Supplier<Publisher<?>>>of(
                () -> a.acquire(null), () -> a.acquire(SIM0, null), () -> a.release((RecorderId) null),
                () -> a.release((LockGrant) null), () -> a.lockCount(null), () -> a.acquireEach(null),
                () -> a.withLock(null, AcquireOptions.DEFAULT, g -> Mono.empty()),
                () -> a.withLock(SIM0, null, g -> Mono.empty()), () -> a.withLock(SIM0, AcquireOptions.DEFAULT, null),
                () -> h.agent.recorder(null), () -> h.agent.exclusiveAccessOwner(null),
                () -> h.agent.lockTransitions(null))) {
            Probe<Object> probe = Probe.unbounded();
            @SuppressWarnings("unchecked")
            Publisher<Object> p = (Publisher<Object>) call.get();
            p.subscribe(probe);
            assertThat(probe.awaitTerminal(BLOCK)).isTrue();
            assertThat(probe.error.get()).isInstanceOf(InvalidArgumentException.class);
            assertThat(((RecorderException) probe.error.get()).hresult().code()).isEqualTo(0x80070057);
        }
        h.assertQuiescentAndBalanced();
    }
}
