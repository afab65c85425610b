package io.discagent.agent.internal;

import io.discagent.api.AcquireOptions;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderSelector;
import io.discagent.api.error.RecorderLockedException;
import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.jspecify.annotations.Nullable;
import reactor.core.CoreSubscriber;
import org.reactivestreams.Subscription;

/**
 * One acquire request, from its subscription to its end: the {@link Subscription} its subscriber holds, the place
 * it takes in its recorder's {@link RecorderSlot} (queued, at the head, sleeping between retries), its deadline, and
 * the delivery of its grant.
 *
 * <h2>Who owns a grant: the delivery protocol</h2>
 * A grant is a count on the recorder; until its subscriber has it, the agent owns it and releases it on every path.
 * The request's state decides, with one compare-and-set per step, who wins every race with a cancellation:
 * <ul>
 * <li>Cancelled before the event loop starts the delivery ({@code ACTIVE} &rarr; {@code CANCELLED}): the grant, if
 * one is made or a native acquire still returns, is released by the agent.</li>
 * <li>Cancelled from another thread while {@code onNext} runs ({@code DELIVERING} &rarr; {@code CANCELLED}): the
 * subscriber dropped it (Reactor's {@code LambdaMonoSubscriber} and {@code Mono.create} sinks drop a value that
 * meets their own cancellation): released when {@code onNext} returns &mdash; unless an asynchronous operator below
 * already passed it on and the cancellation comes from further down, on that operator's thread ({@code publishOn}
 * then {@code next()} or {@code blockFirst()}, whose thread can take the grant and cancel before the event loop's
 * {@code onNext} has even returned): kept, as in the {@code DELIVERED} case below.</li>
 * <li>Cancelled after {@code onNext} returned ({@code DELIVERED} &rarr; {@code CANCELLED}): released when the
 * operators below dropped it ({@code dispose()} racing the emission, {@code block(Duration)} timing out,
 * {@code publishOn} disposed with the grant still in its queue, {@code firstWithValue} discarding it, a
 * {@code flatMap} whose chain is cancelled), kept when an asynchronous operator below passed it on and the
 * cancellation comes from further down ({@code publishOn} then {@code take(1)}, {@code next()},
 * {@code blockFirst()}): {@link Downstream} tells which.</li>
 * <li>Delivered to a {@code toFuture()} that was cancelled meanwhile: the future refused it without cancelling
 * (it had already let go of its subscription): released.</li>
 * <li>Cancelled from inside its own {@code onNext}, on the delivering thread: that is an operator passing the grant on
 * ({@code next()}, {@code take(1)}), not a refusal: the grant is the subscriber's &mdash; unless the cancellation comes
 * from an operator whose function failed on the grant (a {@code map} or {@code flatMap} that threw): the error went
 * downstream, the grant nowhere: released when {@code onNext} returns.</li>
 * <li>A {@code switchMap} whose inner had passed the grant on when {@code onNext} returned, cancelling later (or while
 * {@code onNext} ran) because it switched to its next element: kept.</li>
 * </ul>
 * Otherwise, once {@code onNext} has returned the grant is the subscriber's. Releasing a grant is idempotent
 * ({@link Grant}), so a grant that is both discarded and released by its holder is released once.
 *
 * <p>In {@linkplain #keepsDelivered keep-on-delivery} mode (the agent's own subscribers: {@code withLock}, and
 * {@code acquireEach} as a {@link Receiver} that settles each offer itself) a grant that reached {@code onNext} is the
 * subscriber's whatever happens afterwards.
 *
 * <h2>Threads</h2>
 * {@link #request} and {@link #cancel} come from any thread and only hop to the event loop. Everything else, and
 * every signal to the subscriber, happens on the event loop.
 */
final class AcquireOperation implements Subscription {

    private static final System.Logger LOG = System.getLogger(AcquireOperation.class.getName());

    static final int NEW = 0;
    static final int ACTIVE = 1;
    static final int DELIVERING = 2;
    static final int DELIVERED = 3;
    static final int FAILED = 4;
    static final int CANCELLED = 5;

    private static final AtomicIntegerFieldUpdater<AcquireOperation> STATE =
            AtomicIntegerFieldUpdater.newUpdater(AcquireOperation.class, "state");

    /**
     * A subscriber inside the agent that decides itself whether it takes a grant ({@code acquireEach}): offered on
     * the event loop; a refused grant is released.
     */
    interface Receiver {
        /** Takes {@code grant}, or refuses it (returns false). Event loop. */
        boolean offer(AcquireOperation op, LockGrant grant);

        /** The request failed. Event loop, or the requesting thread once the agent is gone. */
        void failed(AcquireOperation op, Throwable error);
    }

    /** Where the request stands in its recorder (event loop only). */
    enum Place { NONE, QUEUED, HEAD, SLEEPING }

    private static final Place[] PLACES = Place.values();

    /**
     * What only some requests need, made when one does: a pool request's selector and pool (and the pool of a place),
     * a retrying request's retry and last refusal, a delivered request's grant. A pending request that waits for one
     * recorder carries none of it (the heap a waiter costs, issue 17: see {@code benchmarks/README.md}).
     */
    static final class Extras {
        @Nullable RecorderSelector selector;
        @Nullable PoolRequest pool;
        @Nullable LockedRetry retry;
        @Nullable RecorderLockedException lastLocked;
        @Nullable Grant grant;
    }

    final SessionImpl session;
    final @Nullable RecorderId recorder;
    final @Nullable AcquireOptions options;
    /** The subscriber ({@link CoreSubscriber}) or, for the agent's own, the {@link Receiver} that settles each offer. */
    private final Object downstream;

    private volatile int state;

    // ---- event loop only (extras: written there; read elsewhere only after the state says delivered)
    /** When the wait ends, on the agent scheduler's clock ({@link Long#MAX_VALUE}: never). */
    long deadlineNanos = Long.MAX_VALUE;
    /** Index in {@link Deadlines}, -1 when not there. */
    int deadlineIndex = -1;
    @Nullable AcquireOperation queuePrev;
    @Nullable AcquireOperation queueNext;
    @Nullable RecorderSlot slot;
    private @Nullable Extras extras;
    private byte place;
    private final boolean keepsDelivered;
    private boolean cancelledWhileReceiving;
    /** Whether the first operator below is known to have handed the grant on ({@link Downstream#passedOnByFirstLink}). */
    private volatile boolean firstLinkPassedOn;

    AcquireOperation(SessionImpl session, @Nullable RecorderId recorder, @Nullable AcquireOptions options,
            CoreSubscriber<? super LockGrant> actual, boolean keepsDelivered) {
        this(session, recorder, null, options, actual, keepsDelivered);
    }

    /** A request of one recorder ({@code recorder}) or, with a {@code selector}, a pool request. */
    AcquireOperation(SessionImpl session, @Nullable RecorderId recorder, @Nullable RecorderSelector selector,
            @Nullable AcquireOptions options, CoreSubscriber<? super LockGrant> actual, boolean keepsDelivered) {
        this.session = session;
        this.recorder = recorder;
        this.options = options;
        this.downstream = actual;
        this.keepsDelivered = keepsDelivered;
        if (selector != null) {
            extras().selector = selector;
        }
    }

    /** A request whose grant is offered to {@code receiver}, which settles it (keep-on-delivery). */
    AcquireOperation(SessionImpl session, @Nullable RecorderId recorder, @Nullable AcquireOptions options,
            Receiver receiver) {
        this.session = session;
        this.recorder = recorder;
        this.options = options;
        this.downstream = receiver;
        this.keepsDelivered = true;
    }

    private AgentCore core() {
        return session.core();
    }

    private Extras extras() {
        Extras made = extras;
        if (made == null) {
            made = new Extras();
            extras = made;
        }
        return made;
    }

    /** For a pool request ({@code acquireAny}): which recorders it may be granted; null for a single recorder. */
    @Nullable RecorderSelector selector() {
        Extras e = extras;
        return e == null ? null : e.selector;
    }

    /** The pool this request waits in: its own ({@code acquireAny}), or the one it is a place of. Event loop. */
    @Nullable PoolRequest pool() {
        if (downstream instanceof PoolRequest placeOf) {
            return placeOf;
        }
        Extras e = extras;
        return e == null ? null : e.pool;
    }

    void pool(PoolRequest pool) {
        extras().pool = pool;
    }

    /** The retry of a request refused with {@code E_IMAPI_RECORDER_LOCKED}, if it has one. Event loop. */
    @Nullable LockedRetry retry() {
        Extras e = extras;
        return e == null ? null : e.retry;
    }

    void retry(@Nullable LockedRetry retry) {
        extras().retry = retry;
    }

    /** The last {@code E_IMAPI_RECORDER_LOCKED} refusal of this request, naming the holder. Event loop. */
    @Nullable RecorderLockedException lastLocked() {
        Extras e = extras;
        return e == null ? null : e.lastLocked;
    }

    void lastLocked(RecorderLockedException locked) {
        extras().lastLocked = locked;
    }

    /**
     * When the request started waiting, on the agent scheduler's clock, read back from its deadline (a request without
     * a deadline never times out, and says 0). Event loop.
     */
    long waitStartedNanos() {
        AcquireOptions o = options;
        if (deadlineNanos == Long.MAX_VALUE || o == null) {
            return 0;
        }
        return deadlineNanos - Durations.toNanos(o.waitTimeout());
    }

    /** Where the request stands in its recorder. Event loop. */
    Place place() {
        return PLACES[place];
    }

    void place(Place where) {
        place = (byte) where.ordinal();
    }

    private @Nullable Receiver receiver() {
        return downstream instanceof Receiver r ? r : null;
    }

    /** The validated recorder (after {@link AgentCore#admit}). */
    RecorderId recorderId() {
        return recorder;
    }

    /** The validated options (after {@link AgentCore#admit}). */
    AcquireOptions opts() {
        return options;
    }

    /** The grant this request received (event loop only), or null. */
    @Nullable Grant granted() {
        Extras e = extras;
        return e == null ? null : e.grant;
    }

    /** Whether nobody has settled the request yet: it still wants a grant. */
    boolean isLive() {
        return state == ACTIVE;
    }

    // ------------------------------------------------------------------------------------------------ any thread

    @Override
    public void request(long n) {
        if (!STATE.compareAndSet(this, NEW, ACTIVE)) {
            return; // a Mono needs one request; later ones change nothing
        }
        if (n <= 0) {
            hop(() -> fail(new IllegalArgumentException("§3.9 violated: request must be positive, but was " + n)));
            return;
        }
        hop(() -> core().admit(this));
    }

    @Override
    public void cancel() {
        for (;;) {
            int s = state;
            switch (s) {
                case NEW -> {
                    if (STATE.compareAndSet(this, NEW, CANCELLED)) {
                        return;
                    }
                }
                case ACTIVE -> {
                    if (STATE.compareAndSet(this, ACTIVE, CANCELLED)) {
                        core().loop().execute(() -> core().cancelled(this));
                        return;
                    }
                }
                case DELIVERING -> {
                    if (core().loop().inLoop()) { // the loop runs onNext now: this comes from inside it
                        if (keepsDelivered || !Downstream.anOperatorFailedOnThisThread()) {
                            cancelledWhileReceiving = true; // an operator passing the grant on: the subscriber's
                            return;
                        }
                        if (STATE.compareAndSet(this, DELIVERING, CANCELLED)) {
                            return; // an operator failed on it: dropped, released when onNext returns
                        }
                        continue;
                    }
                    if (keepsDelivered) {
                        return;
                    }
                    if (!Downstream.cancellationDrops(subscriber(), false)) {
                        return; // passed on through an asynchronous operator below: the subscriber's
                    }
                    if (STATE.compareAndSet(this, DELIVERING, CANCELLED)) {
                        return; // the deliverer sees CANCELLED when onNext returns, and releases the grant
                    }
                }
                case DELIVERED -> {
                    if (keepsDelivered || !Downstream.cancellationDrops(subscriber(), firstLinkPassedOn)) {
                        return; // passed on below: the subscriber's
                    }
                    if (STATE.compareAndSet(this, DELIVERED, CANCELLED)) {
                        Grant delivered = granted(); // set before the state said delivered
                        core().loop().execute(() -> core().releaseDiscarded(delivered));
                        return;
                    }
                }
                default -> {
                    return;
                }
            }
        }
    }

    /** Runs {@code task} on the event loop; if the agent's loop is gone, fails the request from here. */
    private void hop(Runnable task) {
        if (!core().loop().execute(task) && STATE.compareAndSet(this, ACTIVE, FAILED)) {
            signalError(AgentCore.whenAgentClosed(session));
        }
    }

    // ------------------------------------------------------------------------------------------------ event loop

    /**
     * Starts a request the agent made itself (a place of a pool request), which has no subscriber to request it.
     * Event loop only.
     */
    void activate() {
        STATE.compareAndSet(this, NEW, ACTIVE);
    }

    /** {@link #deliver} outcomes. */
    static final int TAKEN = 0;
    static final int CANCELLED_BEFORE = 1;
    static final int DROPPED_IN_DELIVERY = 2;

    /**
     * Hands the grant to the subscriber. Event loop only; the caller has taken the request out of its recorder's
     * bookkeeping.
     *
     * @return {@link #TAKEN}; otherwise the caller releases the grant: {@link #CANCELLED_BEFORE} (the request ended
     *     first) or {@link #DROPPED_IN_DELIVERY} (cancelled from another thread while {@code onNext} ran, or
     *     {@code onNext} threw)
     */
    int deliver(Grant granted) {
        extras().grant = granted;
        if (!STATE.compareAndSet(this, ACTIVE, DELIVERING)) {
            return CANCELLED_BEFORE;
        }
        if (isCounted()) {
            core().countAcquireGranted();
        }
        Receiver receiver = receiver();
        boolean taken = true;
        try {
            if (receiver != null) {
                taken = receiver.offer(this, granted.value);
            } else {
                subscriber().onNext(granted.value);
            }
        } catch (Throwable t) {
            taken = false;
            LOG.log(Level.WARNING, "the subscriber of an acquire threw from onNext; its grant is released", t);
        }
        if (!taken) {
            STATE.set(this, CANCELLED);
            return DROPPED_IN_DELIVERY;
        }
        if (!keepsDelivered && receiver == null && Downstream.passedOnByFirstLink(subscriber())) {
            firstLinkPassedOn = true;
        }
        if (!STATE.compareAndSet(this, DELIVERING, DELIVERED)) {
            if (!firstLinkPassedOn || Downstream.cancellationDrops(subscriber(), true)) {
                return DROPPED_IN_DELIVERY; // cancelled from another thread while onNext ran: dropped
            }
            STATE.set(this, DELIVERED); // a switchMap switched away from the grant it had just passed on: kept
        }
        if (!keepsDelivered && Downstream.endsInCancelledFuture(subscriber()) && STATE.compareAndSet(this, DELIVERED,
                CANCELLED)) {
            return DROPPED_IN_DELIVERY; // a future cancelled meanwhile (toFuture()) refused it without a cancel
        }
        if (!cancelledWhileReceiving && receiver == null) {
            try {
                subscriber().onComplete();
            } catch (Throwable t) {
                LOG.log(Level.WARNING, "the subscriber of an acquire threw from onComplete", t);
            }
        }
        return TAKEN;
    }

    /** Fails the request if nobody settled it yet. Event loop only. */
    void fail(Throwable error) {
        if (STATE.compareAndSet(this, ACTIVE, FAILED)) {
            if (isCounted()) {
                core().countAcquireFailed(error);
            }
            signalError(error);
        }
    }

    /**
     * Whether this request's outcome is counted in the agent's statistics: a place of a pool request is part of that
     * request, which is counted once.
     */
    boolean isCounted() {
        return !(downstream instanceof PoolRequest);
    }

    /** The pool request this request is a place of, if it is one. */
    @Nullable PoolRequest poolOfPlace() {
        return downstream instanceof PoolRequest pool ? pool : null;
    }

    private void signalError(Throwable error) {
        try {
            Receiver receiver = receiver();
            if (receiver != null) {
                receiver.failed(this, error);
            } else {
                subscriber().onError(error);
            }
        } catch (Throwable t) {
            LOG.log(Level.WARNING, "the subscriber of an acquire threw from onError", t);
        }
    }

    @SuppressWarnings("unchecked")
    private CoreSubscriber<? super LockGrant> subscriber() {
        if (downstream instanceof CoreSubscriber<?> s) {
            return (CoreSubscriber<? super LockGrant>) s;
        }
        throw new IllegalStateException("a request of a receiver has no subscriber");
    }

    @Override
    public String toString() {
        RecorderSelector selector = selector();
        return "acquire of " + (selector != null ? selector : recorder) + " by " + session + " [" + state + ", "
                + place() + "]";
    }

    /** For diagnostics and tests: the subscriber side of the state. */
    int state() {
        return state;
    }
}
