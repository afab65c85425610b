package io.discagent.service.fleet;

import io.discagent.api.LockGrant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import reactor.core.CoreSubscriber;
import reactor.core.Scannable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;

/**
 * A remote acquire of a {@link FleetSession} as a {@code Mono}, with the ownership point of the agent's delivery
 * protocol: the grant is the fleet's until this {@code Mono}'s own subscriber has taken it. Each subscription is one
 * request, started when its subscriber requests; its answer and its cancellation meet in one atomic state, so exactly
 * one of them wins: an answer that wins is handed to the subscriber (the session counts it first), a cancellation that
 * wins gives the request up, and a grant that comes after it is given back to its owning node.
 *
 * <p>A cancellation that comes while the grant is being handed over, or after, is read from who the subscriber is.
 * From inside its {@code onNext}, on the delivering thread, it is an operator passing the grant on ({@code take(1)}):
 * the grant is the subscriber's. From another thread, to a subscriber that drops a value meeting its own cancellation
 * &mdash; {@code Mono.subscribe(consumer)} disposed, {@code block(Duration)} giving up, {@code toFuture()} cancelled
 * ({@link #DROPPING}) &mdash; the grant is released, whether the cancellation comes while {@code onNext} runs or
 * after it returned (such a subscriber that took the grant never cancels from another thread afterwards: a later
 * cancellation is one that won against the value and dropped it). A {@code usingWhen} subscriber releases the grant
 * itself too; releasing a grant twice takes one count. A {@code toFuture()} whose future was cancelled while
 * {@code onNext} ran refuses the value without a cancellation: the grant is released when {@code onNext} returns. Any
 * other subscriber keeps the grant: it is an operator that took it, and what it does with it downstream is the user's.
 *
 * <p>Threading: the request starts and answers on the fleet's event loop ({@link FleetNode}); the subscriber is
 * signalled there. A cancellation may come from any thread.
 */
final class RemoteAcquireMono extends Mono<LockGrant> {

    /** Starts a request on the fleet's loop; {@code answer} runs once there; the returned action gives it up. */
    interface Request {
        Runnable start(BiConsumer<@Nullable RemoteGrant, @Nullable Throwable> answer);
    }

    private final Function<Runnable, Mono<?>> onLoop;
    private final Request request;
    private final Function<RemoteGrant, LockGrant> accept;
    private final Consumer<RemoteGrant> giveBack;
    private final Consumer<LockGrant> release;

    /**
     * @param onLoop runs its work on the fleet's loop; fails when the loop is gone
     * @param accept counts a grant that wins in the session (fleet loop), before its subscriber gets it
     * @param giveBack returns a grant nobody took to its owning node (fleet loop)
     * @param release releases an accepted grant that its subscriber did not take (any thread)
     */
    RemoteAcquireMono(Function<Runnable, Mono<?>> onLoop, Request request, Function<RemoteGrant, LockGrant> accept,
            Consumer<RemoteGrant> giveBack, Consumer<LockGrant> release) {
        this.onLoop = onLoop;
        this.request = request;
        this.accept = accept;
        this.giveBack = giveBack;
        this.release = release;
    }

    /** Subscribers that drop a value that meets their own cancellation from another thread. */
    static final java.util.Set<String> DROPPING = java.util.Set.of("reactor.core.publisher.LambdaMonoSubscriber",
            "reactor.core.publisher.BlockingMonoSubscriber", "reactor.core.publisher.MonoToCompletableFuture",
            "reactor.core.publisher.FluxUsingWhen$ResourceSubscriber");

    @Override
    public void subscribe(CoreSubscriber<? super LockGrant> actual) {
        actual.onSubscribe(new Operation(actual));
    }

    private final class Operation extends AtomicInteger implements org.reactivestreams.Subscription, Scannable {
        private static final int NEW = 0;
        private static final int STARTED = 1;
        private static final int DELIVERING = 2;
        /** Taken by a {@link #DROPPING} subscriber; a cancellation from another thread now means it dropped it. */
        private static final int DELIVERED = 3;
        private static final int ANSWERED = 4;
        private static final int CANCELLED = 5;

        private final CoreSubscriber<? super LockGrant> actual;
        private final boolean dropping;
        private volatile @Nullable Runnable giveUp;
        private volatile @Nullable Thread delivering;
        private volatile @Nullable LockGrant delivered;

        Operation(CoreSubscriber<? super LockGrant> actual) {
            this.actual = actual;
            this.dropping = DROPPING.contains(actual.getClass().getName());
        }

        @Override
        public void request(long n) {
            if (n <= 0) {
                cancel();
                actual.onError(Operators.onOperatorError(new IllegalArgumentException(
                        "§3.9 violated: positive request amount required but it was " + n), actual.currentContext()));
                return;
            }
            if (compareAndSet(NEW, STARTED)) {
                onLoop.apply(() -> {
                    if (get() == STARTED) {
                        Runnable started = request.start(this::answer);
                        giveUp = started;
                        if (get() == CANCELLED) {
                            started.run(); // cancelled while starting: giving up twice does nothing more
                        }
                    }
                }).subscribe(null, failure -> answer(null, failure));
            }
        }

        /** The request's one answer, on the fleet's loop. */
        private void answer(@Nullable RemoteGrant grant, @Nullable Throwable error) {
            if (grant == null) {
                if (compareAndSet(STARTED, ANSWERED)) {
                    actual.onError(error != null ? error : new IllegalStateException("an answer without a grant"));
                }
                return;
            }
            delivering = Thread.currentThread();
            if (!compareAndSet(STARTED, DELIVERING)) {
                delivering = null;
                giveBack.accept(grant); // its subscriber cancelled first: nobody takes it
                return;
            }
            LockGrant accepted = accept.apply(grant);
            delivered = accepted;
            try {
                actual.onNext(accepted);
            } catch (Throwable failed) {
                delivering = null;
                set(ANSWERED);
                release.accept(accepted);
                actual.onError(Operators.onOperatorError(failed, actual.currentContext()));
                return;
            }
            delivering = null;
            if (!compareAndSet(DELIVERING, dropping ? DELIVERED : ANSWERED)) {
                release.accept(accepted); // its subscriber dropped it: cancelled from another thread meanwhile
                return;
            }
            if (actual instanceof java.util.concurrent.CompletableFuture<?> future && future.isCancelled()
                    && compareAndSet(DELIVERED, CANCELLED)) {
                release.accept(accepted); // a future cancelled meanwhile refused it without a cancellation
                return;
            }
            if (!dropping) {
                delivered = null;
            }
            actual.onComplete();
        }

        @Override
        public void cancel() {
            for (;;) {
                int state = get();
                if (state == NEW || state == STARTED) {
                    if (compareAndSet(state, CANCELLED)) {
                        Runnable started = giveUp;
                        if (state == STARTED && started != null) {
                            started.run();
                        }
                        return;
                    }
                } else if (state == DELIVERING) {
                    if (Thread.currentThread() == delivering || !dropping) {
                        return; // passed on from inside onNext, or taken by an operator: the subscriber's
                    }
                    if (compareAndSet(DELIVERING, CANCELLED)) {
                        return; // dropped by its subscriber: released when onNext returns
                    }
                } else if (state == DELIVERED) {
                    if (compareAndSet(DELIVERED, CANCELLED)) {
                        LockGrant dropped = delivered;
                        if (dropped != null) {
                            release.accept(dropped); // its cancellation won against the value, which it dropped
                        }
                        return;
                    }
                } else {
                    return;
                }
            }
        }

        @Override
        public @Nullable Object scanUnsafe(Attr key) {
            if (key == Attr.ACTUAL) {
                return actual;
            }
            if (key == Attr.CANCELLED) {
                return get() == CANCELLED;
            }
            if (key == Attr.TERMINATED) {
                return get() == ANSWERED || get() == DELIVERED;
            }
            if (key == Attr.RUN_STYLE) {
                return Attr.RunStyle.ASYNC;
            }
            return null;
        }
    }
}
