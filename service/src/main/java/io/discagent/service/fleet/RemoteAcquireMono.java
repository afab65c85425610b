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
 * protocol: the grant is the fleet's until it is handed to this {@code Mono}'s own subscriber. Each subscription is one
 * request, started when its subscriber requests; its answer and its cancellation meet in one atomic state, so exactly
 * one of them wins: an answer that wins is handed to the subscriber (the session counts it first), a cancellation that
 * wins gives the request up, and a grant that comes after it is given back to its owning node. Nothing else stands
 * between the answer and the subscriber, so no operator of this class can drop a grant.
 *
 * <p>Threading: the request starts and answers on the fleet's event loop ({@link FleetNode}); the subscriber is
 * signalled there. A cancellation may come from any thread.
 */
final class RemoteAcquireMono extends Mono<LockGrant> {

    /** Starts a request on the fleet's loop; {@code answer} runs once there; the returned action gives it up. */
    interface Request {
        Runnable start(BiConsumer<@Nullable RemoteGrant, @Nullable Throwable> answer);
    }

    private final FleetNode node;
    private final Request request;
    private final Function<RemoteGrant, LockGrant> accept;
    private final Consumer<RemoteGrant> giveBack;
    private final Consumer<LockGrant> release;

    /**
     * @param accept counts a grant that wins in the session (fleet loop), before its subscriber gets it
     * @param giveBack returns a grant nobody took to its owning node (fleet loop)
     * @param release releases an accepted grant whose subscriber failed on it (fleet loop)
     */
    RemoteAcquireMono(FleetNode node, Request request, Function<RemoteGrant, LockGrant> accept,
            Consumer<RemoteGrant> giveBack, Consumer<LockGrant> release) {
        this.node = node;
        this.request = request;
        this.accept = accept;
        this.giveBack = giveBack;
        this.release = release;
    }

    @Override
    public void subscribe(CoreSubscriber<? super LockGrant> actual) {
        actual.onSubscribe(new Operation(actual));
    }

    private final class Operation extends AtomicInteger implements org.reactivestreams.Subscription, Scannable {
        private static final int NEW = 0;
        private static final int STARTED = 1;
        private static final int ANSWERED = 2;
        private static final int CANCELLED = 3;

        private final CoreSubscriber<? super LockGrant> actual;
        private volatile @Nullable Runnable giveUp;

        Operation(CoreSubscriber<? super LockGrant> actual) {
            this.actual = actual;
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
                node.onLoop(() -> {
                    if (get() == STARTED) {
                        Runnable started = request.start(this::answer);
                        giveUp = started;
                        if (get() == CANCELLED) {
                            started.run(); // cancelled while starting: giving up twice does nothing more
                        }
                    }
                    return null;
                }).subscribe(null, failure -> answer(null, failure));
            }
        }

        /** The request's one answer, on the fleet's loop. */
        private void answer(@Nullable RemoteGrant grant, @Nullable Throwable error) {
            if (!compareAndSet(STARTED, ANSWERED)) {
                if (grant != null) {
                    giveBack.accept(grant); // its subscriber cancelled first: nobody takes it
                }
                return;
            }
            if (grant == null) {
                actual.onError(error != null ? error : new IllegalStateException("an answer without a grant"));
                return;
            }
            LockGrant accepted = accept.apply(grant);
            try {
                actual.onNext(accepted);
            } catch (Throwable failed) {
                release.accept(accepted);
                actual.onError(Operators.onOperatorError(failed, actual.currentContext()));
                return;
            }
            actual.onComplete();
        }

        @Override
        public void cancel() {
            if (getAndUpdate(state -> state == ANSWERED ? ANSWERED : CANCELLED) == STARTED) {
                Runnable started = giveUp;
                if (started != null) {
                    started.run();
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
                return get() == ANSWERED;
            }
            if (key == Attr.RUN_STYLE) {
                return Attr.RunStyle.ASYNC;
            }
            return null;
        }
    }
}
