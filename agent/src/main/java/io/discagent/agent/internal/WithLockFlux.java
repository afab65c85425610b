package io.discagent.agent.internal;

import io.discagent.api.AcquireOptions;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderSelector;
import io.discagent.api.error.CommandTimeoutException;
import io.discagent.api.error.HResult;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.error.LockNotHeldException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RequestCancelledException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;

/**
 * {@code ClientSession.withLock} (and {@code withLockAny}, with a selector): acquire, run the body, release, with
 * the agent holding both ends (like {@code usingWhen}), so no shape of cancellation inside or around it can leak the
 * grant.
 *
 * <p>Each subscription is one {@link Scope}: an acquire whose grant only the scope receives (keep-on-delivery), a body
 * subscribed with that grant and registered as a {@link HoldScope} of its hold, and one release of exactly that
 * grant. Its state decides every race with one compare-and-set:
 * <ul>
 * <li>{@code ACQUIRING}: cancelled &rarr; the acquire is cancelled (a grant that still comes is released).</li>
 * <li>{@code RUNNING}: the body ends &rarr; its grant is released, then the body's own end is signalled (after the
 * native release, if that release was the last count). Cancelled &rarr; the body is cancelled and the grant released.
 * The hold ends under it (session closed, service lease expired, agent closed, recorder removed, lock lost) &rarr; the body
 * is cancelled on the event loop <em>before</em> the recorder can pass to anyone else, and the result fails with the
 * hold's cause.</li>
 * </ul>
 * The grant reaches the body on the event loop; the body's elements pass through on the threads it emits them on;
 * the terminal signal comes from the event loop.
 */
final class WithLockFlux<T> extends Flux<T> {

    private final AgentCore core;
    private final SessionImpl session;
    private final @Nullable RecorderId recorder;
    /** For {@code withLockAny}: the pool; null for one recorder. */
    private final @Nullable RecorderSelector selector;
    private final @Nullable AcquireOptions options;
    private final @Nullable Function<? super LockGrant, ? extends Publisher<T>> body;

    WithLockFlux(AgentCore core, SessionImpl session, @Nullable RecorderId recorder,
            @Nullable RecorderSelector selector, @Nullable AcquireOptions options,
            @Nullable Function<? super LockGrant, ? extends Publisher<T>> body) {
        this.core = core;
        this.session = session;
        this.recorder = recorder;
        this.selector = selector;
        this.options = options;
        this.body = body;
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> actual) {
        Scope<T> scope = new Scope<>(core, body, actual);
        actual.onSubscribe(scope);
        if (body == null) {
            core.<LockGrant>reply(reply -> reply.error(new InvalidArgumentException("body must not be null", null)))
                    .subscribe(scope);
        } else {
            (selector != null ? core.acquireAny(session, selector, options, true)
                    : core.acquire(session, recorder, options, true)).subscribe(scope);
        }
    }

    /** One run of {@code withLock}. */
    static final class Scope<T> implements Subscription, HoldScope, CoreSubscriber<LockGrant> {

        private static final int ACQUIRING = 0;
        private static final int RUNNING = 1;
        private static final int FINISHING = 2;
        private static final int DONE = 3;
        private static final int CANCELLED = 4;

        @SuppressWarnings("rawtypes")
        private static final AtomicIntegerFieldUpdater<Scope> STATE =
                AtomicIntegerFieldUpdater.newUpdater(Scope.class, "state");
        @SuppressWarnings("rawtypes")
        private static final java.util.concurrent.atomic.AtomicReferenceFieldUpdater<Scope, Runnable> AFTER_CANCEL =
                java.util.concurrent.atomic.AtomicReferenceFieldUpdater.newUpdater(Scope.class, Runnable.class,
                        "afterBodyCancel");
        /** {@link #emission}: nothing under way; an element being emitted; the end waiting for it; the end given. */
        private static final int IDLE = 0;
        private static final int EMITTING = 1;
        private static final int END_PENDING = 2;
        private static final int ENDED = 3;
        @SuppressWarnings("rawtypes")
        private static final AtomicIntegerFieldUpdater<Scope> EMISSION =
                AtomicIntegerFieldUpdater.newUpdater(Scope.class, "emission");
        /** Marks {@link #afterBodyCancel} once the body's cancellation has returned. */
        private static final Runnable BODY_CANCELLED = () -> { };

        private final AgentCore core;
        private final @Nullable Function<? super LockGrant, ? extends Publisher<T>> bodyFunction;
        private final CoreSubscriber<? super T> actual;
        private final Body body = new Body();
        private volatile int state;
        private volatile int emission;
        private volatile @Nullable Throwable pendingError;
        private volatile @Nullable Subscription acquisition;
        /**
         * Who cancels the body first does it; a revocation that finds it under way elsewhere waits for it to return
         * (it parks its continuation here) before the recorder may pass on.
         */
        private volatile @Nullable Runnable afterBodyCancel;
        private final java.util.concurrent.atomic.AtomicBoolean bodyCancelling =
                new java.util.concurrent.atomic.AtomicBoolean();
        // event loop only
        private @Nullable Grant grant;

        Scope(AgentCore core, @Nullable Function<? super LockGrant, ? extends Publisher<T>> bodyFunction,
                CoreSubscriber<? super T> actual) {
            this.core = core;
            this.bodyFunction = bodyFunction;
            this.actual = actual;
        }

        // ---------------------------------------------------------------------------------- downstream (any thread)

        @Override
        public void request(long n) {
            body.request(n);
        }

        @Override
        public void cancel() {
            for (;;) {
                int s = state;
                if (s == ACQUIRING) {
                    if (STATE.compareAndSet(this, ACQUIRING, CANCELLED)) {
                        Subscription a = acquisition;
                        if (a != null) {
                            a.cancel();
                        }
                        return;
                    }
                } else if (s == RUNNING) {
                    if (STATE.compareAndSet(this, RUNNING, CANCELLED)) {
                        cancelBody();
                        core.loop().execute(this::releaseAfterCancel);
                        return;
                    }
                } else {
                    return;
                }
            }
        }

        private void releaseAfterCancel() {
            Grant held = grant;
            if (held != null) {
                RecorderSlot slot = core.slotOf(held);
                if (slot != null) {
                    slot.removeScope(held.hold, this);
                }
                core.release(held, RecorderSlot.Released.NONE);
            }
        }

        // ---------------------------------------------------------------------------------- the acquire (event loop)

        @Override
        public void onSubscribe(Subscription s) {
            acquisition = s;
            if (state == CANCELLED) {
                s.cancel();
            } else {
                s.request(1);
            }
        }

        @Override
        public void onNext(LockGrant value) {
            Grant granted = ((AcquireOperation) acquisition).granted();
            if (!STATE.compareAndSet(this, ACQUIRING, RUNNING)) {
                core.release(granted, RecorderSlot.Released.NONE); // cancelled while the grant was on its way
                return;
            }
            grant = granted;
            granted.markScoped();
            RecorderSlot slot = core.slotOf(granted);
            if (slot == null || !slot.addScope(granted.hold, this)) {
                finish(new LockNotHeldException(HResult.HRESULT_FROM_WIN32_ERROR_INVALID_FUNCTION,
                        "the lock ended before the body could start", value.recorder(), null, null, null));
                return;
            }
            Publisher<T> publisher;
            try {
                publisher = InvalidArgumentException.requireNonNull(bodyFunction.apply(value), "the body's publisher");
            } catch (Throwable t) {
                if (STATE.compareAndSet(this, RUNNING, FINISHING)) {
                    finish(t);
                }
                return;
            }
            Flux.from(publisher).subscribe(body);
        }

        @Override
        public void onError(Throwable error) {
            if (STATE.compareAndSet(this, ACQUIRING, DONE)) {
                terminal(error);
            }
        }

        @Override
        public void onComplete() {
            // the grant came through onNext; a completion alone changes nothing
        }

        // ---------------------------------------------------------------------------------- the hold (event loop)

        @Override
        public void revoke(RecorderException cause, Runnable stopped) {
            if (STATE.compareAndSet(this, RUNNING, DONE)) {
                core.countRevoked();
                cancelBody();
                grant = null; // its hold has ended: nothing to release
                terminal(cause);
            } else if (state == CANCELLED) {
                cancelBody(); // a cancellation from another thread may still be on its way through the body
            }
            // the recorder passes on only once the body's cancellation has returned, wherever it runs
            if (afterBodyCancel == BODY_CANCELLED || !bodyCancelling.get()
                    || !AFTER_CANCEL.compareAndSet(this, null, () -> core.loop().execute(stopped))) {
                stopped.run();
            }
        }

        /** Cancels the body once; the first caller runs the cancellation, then lets a waiting revocation go on. */
        private void cancelBody() {
            if (!bodyCancelling.compareAndSet(false, true)) {
                return;
            }
            body.cancel();
            Runnable waiting = AFTER_CANCEL.getAndSet(this, BODY_CANCELLED);
            if (waiting != null) {
                waiting.run();
            }
        }

        /** The body ended (or could not start): release its grant, then pass its end on. Event loop only. */
        private void finish(@Nullable Throwable error) {
            Grant held = grant;
            grant = null;
            if (held == null) {
                end(error, 0);
                return;
            }
            RecorderSlot slot = core.slotOf(held);
            if (slot != null) {
                slot.removeScope(held.hold, this);
            }
            core.release(held, count -> end(error, count));
        }

        private void end(@Nullable Throwable error, int releasedTo) {
            state = DONE;
            if (error == null && releasedTo < 0) {
                terminal(new CommandTimeoutException("the release after the body did not return within "
                        + core.settings().commandTimeout().toMillis() + " ms; the lock count is 0", null));
            } else {
                terminal(error);
            }
        }

        /**
         * Signals the end (a null {@code error}: completion) to the subscriber from the event loop, after any element
         * the body is emitting on another thread: the emitter then hands the end back to the loop. Event loop, or the
         * body's thread once the agent is gone.
         */
        private void terminal(@Nullable Throwable error) {
            pendingError = error;
            for (;;) {
                int s = emission;
                if (s == IDLE && EMISSION.compareAndSet(this, IDLE, ENDED)) {
                    deliverTerminal();
                    return;
                }
                if (s == EMITTING && EMISSION.compareAndSet(this, EMITTING, END_PENDING)) {
                    return; // the emitter hands it to the loop when its onNext returns
                }
                if (s == END_PENDING || s == ENDED) {
                    return;
                }
            }
        }

        private void deliverTerminal() {
            Throwable error = pendingError;
            if (error == null) {
                actual.onComplete();
            } else {
                actual.onError(error);
            }
        }

        /** The subscriber of the body: passes its elements on, and its end to {@link #finish}. */
        private final class Body extends Operators.DeferredSubscription implements CoreSubscriber<T> {

            @Override
            public void onSubscribe(Subscription s) {
                set(s);
            }

            @Override
            public void onNext(T t) {
                if (!EMISSION.compareAndSet(Scope.this, IDLE, EMITTING)) {
                    return; // ended: the body was cancelled, this element comes too late
                }
                actual.onNext(t);
                if (!EMISSION.compareAndSet(Scope.this, EMITTING, IDLE)) {
                    EMISSION.set(Scope.this, ENDED); // the end came meanwhile: signal it from the loop
                    if (!core.loop().execute(Scope.this::deliverTerminal)) {
                        deliverTerminal();
                    }
                }
            }

            @Override
            public void onError(Throwable t) {
                ended(t);
            }

            @Override
            public void onComplete() {
                ended(null);
            }

            private void ended(@Nullable Throwable error) {
                if (!STATE.compareAndSet(Scope.this, RUNNING, FINISHING)) {
                    return; // cancelled or revoked: the end is not passed on
                }
                if (!core.loop().execute(() -> finish(error))) {
                    // the agent is gone (its close ended the hold); nothing is left to release
                    state = DONE;
                    terminal(error != null ? error
                            : new RequestCancelledException("the agent closed while the body ran", null));
                }
            }

            @Override
            public reactor.util.context.Context currentContext() {
                return actual.currentContext();
            }
        }

        @Override
        public reactor.util.context.Context currentContext() {
            return actual.currentContext();
        }
    }
}
