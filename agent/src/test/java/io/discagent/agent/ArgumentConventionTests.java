package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.discagent.api.AcquireOptions;
import io.discagent.api.AcquireRequest;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderSelector;
import io.discagent.api.RetryPolicy;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.error.SessionClosedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * One convention for bad input: {@code InvalidArgumentException} ({@code 0x80070057}) naming the parameter, signalled
 * on the event loop by methods that return a publisher and thrown by constructors and builders; one rule for a closed
 * session: every call fails with {@code SessionClosedException} ({@code 0x80010108}); and no normal cancellation race
 * reaches Reactor's dropped-error hook.
 */
class ArgumentConventionTests {

    private static final Duration BLOCK = Duration.ofSeconds(10);

    @Test
    void nullArgumentsOfTheApiFailTypedOnTheEventLoop() {
        try (TestAgent t = TestAgent.start()) {
            ClientSession s = t.session("A");
            List<Supplier<Publisher<?>>> calls = List.of(
                    () -> t.agent.openSession(null),
                    () -> t.agent.recorder(null),
                    () -> t.agent.exclusiveAccessOwner(null),
                    () -> t.agent.lockTransitions(null),
                    () -> s.acquire(null),
                    () -> s.acquire(SIM0, null),
                    () -> s.acquire(null, AcquireOptions.DEFAULT),
                    () -> s.release((RecorderId) null),
                    () -> s.release((LockGrant) null),
                    () -> s.lockCount(null),
                    () -> s.acquireEach(null),
                    () -> s.withLock(null, AcquireOptions.DEFAULT, g -> Mono.empty()),
                    () -> s.withLock(SIM0, null, g -> Mono.empty()),
                    () -> s.withLock(SIM0, AcquireOptions.DEFAULT, null),
                    () -> s.withLock(SIM0, AcquireOptions.DEFAULT, g -> null),
                    () -> s.acquireAny(null),
                    () -> s.acquireAny(RecorderSelector.any(), null),
                    () -> s.withLockAny(null, AcquireOptions.DEFAULT, g -> Mono.empty()),
                    () -> s.withLockAny(RecorderSelector.any(), null, g -> Mono.empty()),
                    () -> s.withLockAny(RecorderSelector.any(), AcquireOptions.DEFAULT, null),
                    () -> s.withLockAny(RecorderSelector.any(), AcquireOptions.DEFAULT, g -> null));
            for (int i = 0; i < calls.size(); i++) {
                AtomicReference<Thread> thread = new AtomicReference<>();
                Throwable error = Flux.from(calls.get(i).get()).doOnError(e -> thread.set(Thread.currentThread()))
                        .then().materialize().block(BLOCK).getThrowable();
                assertThat(error).as("call %d", i).isNotNull();
                if (i == 0) {
                    assertThat(error).as("call %d", i).isInstanceOf(io.discagent.api.error.InvalidClientNameException.class);
                } else {
                    assertThat(error).as("call %d", i).isInstanceOfSatisfying(InvalidArgumentException.class,
                            e -> assertThat(e.hresult().code()).isEqualTo(0x80070057));
                }
                assertThat(thread.get()).as("call %d", i).isSameAs(t.agent.eventLoopThread());
            }
        }
    }

    @Test
    void badValuesAreRefusedTypedWhereTheyAreBuilt() {
        List<Runnable> builds = List.of(
                () -> RecorderId.of(null),
                () -> RecorderId.of(" "),
                () -> AcquireOptions.waitUpTo(null),
                () -> AcquireOptions.waitUpTo(Duration.ofSeconds(-1)),
                () -> AcquireOptions.DEFAULT.withRetry(null),
                () -> new AcquireRequest(null, AcquireOptions.DEFAULT),
                () -> RetryPolicy.backoff(-1, Duration.ZERO, Duration.ZERO, 0),
                () -> RetryPolicy.backoff(1, Duration.ofSeconds(2), Duration.ofSeconds(1), 0),
                () -> RetryPolicy.backoff(1, Duration.ZERO, Duration.ZERO, 2),
                () -> RetryPolicy.of(null),
                () -> RecorderSelector.anyOf(),
                () -> RecorderSelector.anyOf((RecorderId) null),
                () -> RecorderSelector.anyOf((java.util.Collection<RecorderId>) null),
                () -> RecorderSelector.matching(null),
                () -> AgentOptions.builder().commandTimeout(null),
                () -> AgentOptions.builder().eventBufferSize(0));
        for (int i = 0; i < builds.size(); i++) {
            assertThatThrownBy(builds.get(i)::run).as("build %d", i).isInstanceOf(InvalidArgumentException.class);
        }
    }

    @Test
    void everyCallOnAClosedSessionFailsWithSessionClosed() {
        try (TestAgent t = TestAgent.start()) {
            ClientSession s = t.session("A");
            LockGrant grant = s.acquire(SIM0).block(BLOCK);
            s.close().block(BLOCK);
            List<Supplier<Publisher<?>>> calls = List.of(
                    () -> s.acquire(SIM0),
                    () -> s.release(SIM0),
                    () -> s.release(grant),
                    () -> s.lockCount(SIM0),
                    () -> s.placesInLine(),
                    () -> s.withLock(SIM0, AcquireOptions.DEFAULT, g -> Mono.empty()),
                    () -> s.acquireAny(RecorderSelector.any()),
                    () -> s.withLockAny(RecorderSelector.any(), AcquireOptions.DEFAULT, g -> Mono.empty()),
                    () -> s.acquireEach(Flux.just(AcquireRequest.of(SIM0))));
            for (int i = 0; i < calls.size(); i++) {
                Throwable error = Flux.from(calls.get(i).get()).then().materialize().block(BLOCK).getThrowable();
                assertThat(error).as("call %d", i).isInstanceOfSatisfying(SessionClosedException.class,
                        e -> assertThat(e.hresult().code()).isEqualTo(0x80010108));
            }
            assertThat(s.close().block(BLOCK)).as("closing again does nothing").isNull();
        }
    }

    /**
     * Once the agent has seen a cancellation it signals nothing more, so none of its own publishers ever hands Reactor
     * an error to drop. (A Reactor subscriber that is disposed from another thread while an error is on its way may
     * still drop it itself: that race is inside the subscriber.) Measured with a plain subscriber that records every
     * signal arriving after its {@code cancel()} returned.
     */
    @Test
    void nothingIsSignalledAfterACancellationTheAgentHasSeen() throws InterruptedException {
        try (TestAgent t = TestAgent.start()) {
            ClientSession holder = t.session("Holder");
            ClientSession other = t.session("Other");
            holder.acquire(SIM0).block(BLOCK);
            List<String> late = new java.util.concurrent.CopyOnWriteArrayList<>();
            // hold the event loop in a callback, so that every cancellation below happens before the agent
            // processes its request: whatever the agent then does, it must not signal
            java.util.concurrent.CountDownLatch loopHeld = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch letLoopGo = new java.util.concurrent.CountDownLatch(1);
            t.agent.recorders().subscribe(r -> {
                loopHeld.countDown();
                try {
                    letLoopGo.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            try {
                assertThat(loopHeld.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                for (int i = 0; i < 300; i++) {
                    other.acquire(SIM0).subscribe(new CancellingSubscriber<>(late));
                    other.release(SIM0).subscribe(new CancellingSubscriber<>(late));
                    t.agent.exclusiveAccessOwner(SIM0).subscribe(new CancellingSubscriber<>(late));
                    t.agent.recorders().subscribe(new CancellingSubscriber<>(late));
                    other.withLock(SIM0, AcquireOptions.DEFAULT, g -> Mono.never())
                            .subscribe(new CancellingSubscriber<>(late));
                }
            } finally {
                letLoopGo.countDown();
            }
            t.settle();
            assertThat(late).isEmpty();
            assertThat(other.lockCount(SIM0).block(BLOCK)).isZero();
        }
    }

    /** Requests, then cancels at once (another race each time), and records what still arrives afterwards. */
    private static final class CancellingSubscriber<T> implements org.reactivestreams.Subscriber<T> {

        private final List<String> late;
        private volatile boolean cancelled;

        CancellingSubscriber(List<String> late) {
            this.late = late;
        }

        @Override
        public void onSubscribe(org.reactivestreams.Subscription s) {
            s.request(1);
            s.cancel();
            cancelled = true;
        }

        @Override
        public void onNext(T t) {
            if (cancelled) {
                late.add("onNext after cancel: " + t);
            }
        }

        @Override
        public void onError(Throwable t) {
            if (cancelled) {
                late.add("onError after cancel: " + t);
            }
        }

        @Override
        public void onComplete() {
            if (cancelled) {
                late.add("onComplete after cancel");
            }
        }
    }
}
