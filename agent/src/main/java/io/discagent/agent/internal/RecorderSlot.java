package io.discagent.agent.internal;

import io.discagent.agent.spi.BackendRecorder;
import io.discagent.agent.spi.RecorderDescriptor;
import io.discagent.api.LockState;
import io.discagent.api.MediaInfo;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
import io.discagent.api.error.AcquireTimeoutException;
import io.discagent.api.error.CommandTimeoutException;
import io.discagent.api.error.HResult;
import io.discagent.api.error.LockNotHeldException;
import io.discagent.api.error.PendingAcquireLimitException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.event.LockTransition.Cause;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import org.jspecify.annotations.Nullable;

/**
 * The lock state machine of one recorder: a {@link Phase}, one method per event, the invariants checked after every
 * transition. Event loop only (every entry asserts it); the native work runs on the recorder's worker through
 * {@link NativeCalls}, and its outcome comes back here.
 *
 * <p>The agent makes exactly one native acquire on the 0&rarr;1 transition and one native release on 1&rarr;0.
 * Requests that find the recorder busy and may wait queue in FIFO order ({@link WaitQueue}); the head gets its native
 * acquire the moment the holder's count reaches zero, right behind the native release on the same worker, so a
 * hand-off needs no polling and no extra round trip. When the next waiter is already queued as the count reaches zero,
 * the native lock is not dropped at all: it passes to the waiter's session
 * ({@link io.discagent.agent.spi.BackendRecorder#handOverExclusiveAccess}), so no process outside the agent can take
 * the recorder between two of its clients; where that is a change of name only
 * ({@link io.discagent.agent.spi.BackendRecorder#handsOverInPlace}) the waiter is granted here at once, and the
 * recorder learns the name before the next call on it ({@link RecorderHandle#renameLater}). A head that meets a holder
 * outside the agent keeps its place while it retries ({@link Phase#BACKING_OFF}). A native acquire that succeeds for a request that has meanwhile
 * ended (cancelled, timed out, session closed) is released at once.
 *
 * <p>When a hold ends for any reason but its own release, the work running under it ({@link HoldScope}) is stopped
 * before anyone else is granted the recorder ({@link Phase#REVOKING}).
 */
final class RecorderSlot implements NativeCalls.Listener {

    private static final System.Logger LOG = System.getLogger(RecorderSlot.class.getName());

    /** Where the outcome of a release lands: the new count, or -1 when the native release timed out. */
    interface Released extends IntConsumer {
        Released NONE = count -> { };
    }

    final RecorderId id;
    final RecorderDescriptor descriptor;
    final NativeWorker worker;
    private final RecorderHandle handle;
    private final SlotContext ctx;
    private final NativeCalls calls;

    private Phase phase = Phase.FREE;
    /** The request at the head while {@link Phase#ACQUIRING} or {@link Phase#BACKING_OFF}. */
    private @Nullable AcquireOperation head;
    /** The current hold while {@link Phase#HELD}. */
    private @Nullable Hold hold;
    /** The client whose hold is being revoked while {@link Phase#REVOKING}. */
    private @Nullable String revoking;
    private final WaitQueue queue = new WaitQueue();
    /** Requests that do not wait, sleeping before they try again under their retry policy. */
    private final List<AcquireOperation> sleepers = new ArrayList<>(0);
    /**
     * The holder outside the agent as the backend last named it (a native acquire that met it, an owner query), if
     * any; never set while the agent holds the recorder natively. Every change is published
     * ({@link #outsideHolderSeen}).
     */
    private @Nullable String externalOwner;
    /** Owner queries submitted and not returned yet. */
    private boolean mediaPolling;
    private boolean pollInFlight;
    /** A burn runs ({@link BurnJob}): media polls pause, and media changes are published without a native read. */
    private boolean burning;
    private @Nullable MediaState media;
    /**
     * The medium the agent last read here, which pool requests with a medium condition test; null before the first
     * read and once stale (a media change published without a read, a burn).
     */
    private @Nullable MediaInfo lastMedium;
    private boolean mediumReadInFlight;

    /** The order in which recorders arrived: listings follow it, whatever order their opens completed in. */
    final long arrival;

    RecorderSlot(SlotContext ctx, RecorderDescriptor descriptor, NativeWorker worker, RecorderHandle handle,
            long arrival) {
        this.ctx = ctx;
        this.arrival = arrival;
        this.id = RecorderId.of(descriptor.id());
        this.descriptor = descriptor;
        this.worker = worker;
        this.handle = handle;
        handle.onLockLost((lostHold, reason) -> ctx.loop().execute(() -> {
            Hold current = hold;
            if (phase == Phase.HELD && current != null
                    && (lostHold == RecorderHandle.ANY_HOLD || current.id == lostHold)) {
                lockLost(reason); // the handle that had the native lock was closed under this hold
            }
        }));
        this.calls = new NativeCalls(id, worker, handle, ctx.loop(), ctx.time(), ctx.settings().commandTimeout(),
                this);
    }

    // ------------------------------------------------------------------------------------------------ queries

    Phase phase() {
        return phase;
    }

    LockState state() {
        Hold h = hold;
        if (h != null) {
            return LockState.held(h.session.clientName(), h.session.id(), h.count());
        }
        return externalOwner != null ? LockState.external(externalOwner) : LockState.FREE;
    }

    RecorderInfo info() {
        return new RecorderInfo(id, descriptor.vendor(), descriptor.product(), descriptor.revision(),
                ctx.backendName(), descriptor.paths(), state());
    }

    int lockCount(SessionImpl session) {
        Hold h = hold;
        return h != null && h.session == session ? h.count() : 0;
    }

    int waiting() {
        return queue.size();
    }

    /**
     * The place of {@code session}'s first waiting request in line: 1 when it is the head (its native acquire under
     * way, or backing off from a holder outside the agent), else 1 + the live requests before it (another session's
     * head among them); 0 when it does not wait here.
     */
    int placeInLine(SessionImpl session) {
        boolean headInProgress = (phase == Phase.ACQUIRING || phase == Phase.BACKING_OFF) && head != null;
        if (headInProgress && head.session == session) {
            return 1;
        }
        int place = headInProgress ? 2 : 1;
        for (AcquireOperation op : queue.snapshot()) {
            if (op.session == session) {
                return place;
            }
            if (op.isLive()) {
                place++;
            }
        }
        return 0;
    }

    int inFlightCalls() {
        return calls.inFlight();
    }

    boolean isHeld() {
        return hold != null;
    }

    boolean isUnresponsive() {
        return calls.isUnresponsive();
    }

    /** Whether a process outside the agent holds the recorder, as far as the agent knows. */
    boolean isHeldOutside() {
        return hold == null && externalOwner != null;
    }

    /** Whether an acquire request is at the head, queued, or sleeping before it tries again. */
    boolean isAwaited() {
        return head != null || !queue.isEmpty() || !sleepers.isEmpty();
    }

    void enableMediaPolling(boolean enabled) {
        this.mediaPolling = enabled;
    }

    /**
     * Who has the recorder, as far as the agent knows: the holding session, the session whose native acquire is in
     * flight, the session whose hold is being revoked, or the outside holder the last native acquire met.
     */
    @Nullable String currentOwner() {
        if (hold != null) {
            return hold.session.clientName();
        }
        if (phase == Phase.ACQUIRING && head != null) {
            return head.session.clientName();
        }
        if (phase == Phase.REVOKING) {
            return revoking;
        }
        return externalOwner;
    }

    // ------------------------------------------------------------------------------------------------ acquire

    /** A request reaches the recorder. */
    void admit(AcquireOperation op) {
        assert ctx.loop().assertInLoop();
        if (!op.isLive()) {
            return;
        }
        op.slot = this;
        SessionImpl session = op.session;
        if (phase == Phase.REMOVED) {
            end(op, removedError());
        } else if (phase == Phase.HELD && hold.session == session) {
            grantAgain(op);
        } else if (calls.isUnresponsive() && !op.opts().waits()) {
            end(op, calls.unresponsive()); // a stuck call holds the worker: no native call can start now
        } else if ((phase == Phase.ACQUIRING || phase == Phase.BACKING_OFF) && head.session == session) {
            enqueue(op); // the session's own first acquire is under way: this one is granted with it
        } else if (phase == Phase.FREE && queue.isEmpty() && !calls.isUnresponsive()) {
            beginAcquire(op, false);
        } else if (!op.opts().waits()) {
            RecorderLockedException locked = locked();
            if (LockedRetry.appliesToAgentHolders(op.opts())) {
                sleep(op, locked);
            } else {
                end(op, locked);
            }
        } else if (queue.size() >= ctx.settings().pendingAcquireMaxCount()) {
            end(op, new PendingAcquireLimitException(queue.size() + " acquire requests already wait for recorder "
                    + id + " (the limit)", id));
        } else {
            enqueue(op);
        }
        assert invariants();
    }

    private RecorderLockedException locked() {
        String owner = currentOwner();
        return new RecorderLockedException("recorder " + id + " is held by '" + owner + "'", id, owner);
    }

    private void enqueue(AcquireOperation op) {
        queue.add(op);
        op.place(AcquireOperation.Place.QUEUED);
        op.session.queued++;
        ctx.waitingChanged(1);
    }

    private void dequeue(AcquireOperation op) {
        queue.remove(op);
        op.place(AcquireOperation.Place.NONE);
        op.session.queued--;
        ctx.waitingChanged(-1);
    }

    /** A request that does not wait, and retries holders inside the agent too, sleeps until its next attempt. */
    private void sleep(AcquireOperation op, RecorderLockedException locked) {
        op.place(AcquireOperation.Place.SLEEPING);
        sleepers.add(op);
        retry(op, locked, () -> {
            sleepers.remove(op);
            op.place(AcquireOperation.Place.NONE);
            ctx.countRetry();
            admit(op);
        }, error -> {
            sleepers.remove(op);
            end(op, error);
        });
    }

    private void retry(AcquireOperation op, RecorderLockedException locked, Runnable again,
            java.util.function.Consumer<RecorderException> giveUp) {
        op.lastLocked(locked);
        LockedRetry retry = op.retry();
        if (retry == null) {
            retry = LockedRetry.of(op, ctx.loop(), ctx.time());
            op.retry(retry);
        }
        retry.failed(locked, again, giveUp);
    }

    /**
     * Starts the native acquire of the head: a plain acquire, or ({@code handOver}) the hand-over of the lock the
     * agent still holds natively from the previous session. Both end in {@link #acquireReturned}.
     */
    private void beginAcquire(AcquireOperation op, boolean handOver) {
        phase = Phase.ACQUIRING;
        head = op;
        op.place(AcquireOperation.Place.HEAD);
        boolean force = op.opts().force();
        String clientName = op.session.clientName();
        String command = handOver ? "HandOverExclusiveAccess" : "AcquireExclusiveAccess";
        calls.call(command, h -> {
            if (handOver) {
                h.handOver(force, clientName);
            } else {
                h.acquire(force, clientName);
            }
            return null;
        }, new NativeCalls.Outcome<Void>() {
            @Override
            public void completed(@Nullable Void value, @Nullable RecorderException error, boolean late) {
                acquireReturned(op, error, late);
            }

            @Override
            public void timedOut(CommandTimeoutException timeout, boolean started) {
                if (!started && op.isLive() && op.opts().waits()) {
                    return; // queued behind a call that hung: a waiting request waits for it, up to its own deadline
                }
                end(op, timeout); // the late result is reconciled when (if) the call returns
            }

            @Override
            public void crashed(Throwable bug) {
                end(op, NativeCalls.asRecorderException(bug, id, command));
            }
        });
    }

    private void acquireReturned(AcquireOperation op, @Nullable RecorderException error, boolean late) {
        assert ctx.loop().assertInLoop();
        if (phase == Phase.REMOVED) {
            return; // the removal failed the request and abandoned the call
        }
        head = null;
        phase = Phase.FREE;
        op.place(AcquireOperation.Place.NONE);
        if (error == null) {
            outsideHolderSeen(null); // the native lock is the agent's: whoever held it outside has let go
            if (op.isLive()) {
                take(op, false);
            } else {
                ctx.countUnclaimed(true);
                nativeRelease(Released.NONE); // granted to nobody: the request ended while the native call ran
                startNext();
            }
        } else if (error instanceof RecorderRemovedException) {
            end(op, error);
            ctx.deviceGone(this);
            return;
        } else if (error instanceof RecorderLockedException locked) {
            locked.owner().ifPresent(this::outsideHolderSeen);
            if (op.isLive() && LockedRetry.applies(op.opts())) {
                backOff(op, locked);
            } else {
                end(op, locked);
                startNext();
            }
        } else {
            end(op, error);
            startNext();
        }
        assert invariants();
    }

    /** The head met a holder outside the agent: it keeps its place and tries again under its policy. */
    private void backOff(AcquireOperation op, RecorderLockedException locked) {
        phase = Phase.BACKING_OFF;
        head = op;
        op.place(AcquireOperation.Place.HEAD);
        retry(op, locked, () -> {
            if (head == op && phase == Phase.BACKING_OFF && op.isLive()) {
                ctx.countRetry();
                if (calls.isUnresponsive()) {
                    // a stuck call holds the worker: the head waits at the front until the recorder responds
                    head = null;
                    phase = Phase.FREE;
                    queue.addFirst(op);
                    op.place(AcquireOperation.Place.QUEUED);
                    op.session.queued++;
                    ctx.waitingChanged(1);
                } else {
                    beginAcquire(op, false);
                }
                assert invariants();
            }
        }, error -> {
            if (head == op && phase == Phase.BACKING_OFF) {
                head = null;
                phase = Phase.FREE;
                op.place(AcquireOperation.Place.NONE);
                end(op, error);
                startNext();
                assert invariants();
            }
        });
    }

    /** The head's native acquire succeeded: a new hold, granted to it and to its session's queued requests. */
    private void take(AcquireOperation op, boolean inPlace) {
        Hold newHold = new Hold(ctx.nextHoldId(), id, op.session, descriptor.paths());
        hold = newHold;
        phase = Phase.HELD;
        if (inPlace) {
            // before anything is published or delivered: a delivery dropped here hands the lock on again, and the
            // recorder must learn the last holder's name, not this one's
            handle.renameLater(op.session.clientName(), newHold.id);
        }
        List<AcquireOperation> receivers = new ArrayList<>(1);
        receivers.add(op);
        if (op.session.queued > 0) {
            for (AcquireOperation queued : queue.snapshot()) {
                if (queued.session == op.session) {
                    dequeue(queued);
                    if (queued.isLive()) {
                        receivers.add(queued);
                    }
                }
            }
        }
        List<Grant> grants = new ArrayList<>(receivers.size());
        LockState from = LockState.FREE;
        for (int i = 0; i < receivers.size(); i++) {
            grants.add(newHold.grant());
            ctx.countGrant();
            LockState to = state();
            ctx.publishTransition(id, from, to, Cause.ACQUIRED);
            from = to;
        }
        for (int i = 0; i < receivers.size(); i++) {
            deliver(receivers.get(i), grants.get(i));
        }
    }

    private void grantAgain(AcquireOperation op) {
        LockState from = state();
        Grant grant = hold.grant();
        ctx.countGrant();
        ctx.publishTransition(id, from, state(), Cause.ACQUIRED);
        deliver(op, grant);
    }

    /** Hands a grant to its request; a grant its subscriber does not take is released at once. */
    private void deliver(AcquireOperation op, Grant grant) {
        leave(op);
        int outcome = op.deliver(grant);
        if (outcome != AcquireOperation.TAKEN) {
            ctx.countUnclaimed(outcome == AcquireOperation.CANCELLED_BEFORE);
            release(grant, Released.NONE);
        }
    }

    /** Starts the next waiter's native acquire, if the recorder is free. */
    private void startNext() {
        if (phase != Phase.FREE || calls.isUnresponsive()) {
            return;
        }
        AcquireOperation next = nextLiveWaiter();
        if (next != null) {
            beginAcquire(next, false);
        }
    }

    /** Takes the first live waiter out of the queue (dropping the dead ones before it), if any. */
    private @Nullable AcquireOperation nextLiveWaiter() {
        AcquireOperation next;
        while ((next = queue.poll()) != null) {
            next.place(AcquireOperation.Place.NONE);
            next.session.queued--;
            ctx.waitingChanged(-1);
            if (next.isLive()) {
                return next;
            }
        }
        return null;
    }

    /**
     * A hold that the agent still holds natively has ended and the recorder is {@link Phase#FREE}: passes the native
     * lock straight to the next live waiter when there is one and {@code mayHandOver} (the lock was not lost), or
     * releases it natively and lets the next waiter acquire. The releaser learns its count (zero) at once after a
     * hand-over: the lock is no longer its, and its native fate belongs to the next holder.
     */
    private void releaseOrHandOver(Released done, boolean mayHandOver) {
        AcquireOperation next = mayHandOver && !calls.isUnresponsive() ? nextLiveWaiter() : null;
        if (next == null) {
            releaseNativelyOrFailFast(done);
            startNext();
            return;
        }
        ctx.countHandOver();
        if (handle.handsOverInPlace()) {
            take(next, true); // no native call: the recorder is told the name before the next one
            done.accept(0);
            return;
        }
        beginAcquire(next, true);
        done.accept(0);
    }

    // ------------------------------------------------------------------------------------------------ request ends

    /** The request's subscriber cancelled before it was granted. */
    void cancelled(AcquireOperation op) {
        assert ctx.loop().assertInLoop();
        switch (op.place()) {
            case QUEUED -> dequeue(op);
            case SLEEPING -> {
                sleepers.remove(op);
                op.place(AcquireOperation.Place.NONE);
            }
            case HEAD -> {
                if (phase == Phase.BACKING_OFF && head == op) {
                    head = null;
                    phase = Phase.FREE;
                    op.place(AcquireOperation.Place.NONE);
                    startNext();
                }
                // ACQUIRING: the native result is reconciled when it comes (released if it succeeded)
            }
            case NONE -> { }
        }
        leave(op);
        assert invariants();
    }

    /** The request's wait ran out. */
    void deadlineReached(AcquireOperation op) {
        assert ctx.loop().assertInLoop();
        if (!op.isLive()) {
            return;
        }
        String owner = currentOwner();
        if (owner == null || (hold == null && head == op)) {
            owner = externalOwner != null ? externalOwner
                    : op.lastLocked() != null ? op.lastLocked().owner().orElse(null) : null;
        }
        // the wait ended at its deadline: a timer that fires late (a busy loop, a virtual clock moved past it in one
        // step) does not make it longer
        long ended = Math.min(ctx.nowNanos(), op.deadlineNanos);
        Duration waited = Duration.ofNanos(Math.max(0, ended - op.waitStartedNanos()));
        if (op.place() == AcquireOperation.Place.HEAD && phase == Phase.BACKING_OFF && head == op) {
            head = null;
            phase = Phase.FREE;
            op.place(AcquireOperation.Place.NONE);
        }
        end(op, new AcquireTimeoutException(HResult.HRESULT_FROM_WIN32_ERROR_TIMEOUT, "waited " + waited.toMillis()
                + " ms for recorder " + id + (owner == null ? "" : "; it is held by '" + owner + "'"), id, owner,
                null, null));
        ctx.publishAcquireTimeout(op, waited, owner);
        startNext();
        assert invariants();
    }

    /** Fails a request and takes it out of everything it is in (not the head position: callers handle that). */
    private void end(AcquireOperation op, RecorderException error) {
        if (op.place() == AcquireOperation.Place.QUEUED) {
            dequeue(op);
        } else if (op.place() == AcquireOperation.Place.SLEEPING) {
            sleepers.remove(op);
            op.place(AcquireOperation.Place.NONE);
        }
        leave(op);
        op.fail(error);
    }

    /** Frees what a request holds of the agent's bookkeeping: its deadline, its retry timer. */
    private void leave(AcquireOperation op) {
        ctx.deadlines().remove(op);
        LockedRetry retry = op.retry();
        if (retry != null) {
            retry.cancel();
        }
    }

    // ------------------------------------------------------------------------------------------------ release

    /** IMAPI2's release by a session: takes its most recent count away. */
    void release(SessionImpl session, Released done, java.util.function.Consumer<RecorderException> failed) {
        assert ctx.loop().assertInLoop();
        Hold h = hold;
        if (phase != Phase.HELD || h.session != session) {
            failed.accept(notHeld(session));
            return;
        }
        LockState from = state();
        h.releaseLatest();
        countDown(h, from, done);
        assert invariants();
    }

    /** Releases the grant a caller names by its value ({@code ClientSession.release(LockGrant)}); idempotent. */
    void release(SessionImpl session, io.discagent.api.LockGrant value, Released done) {
        assert ctx.loop().assertInLoop();
        Hold h = hold;
        if (phase != Phase.HELD || h.session != session || h.id != value.holdId()) {
            done.accept(lockCount(session));
            return;
        }
        Grant grant = h.find(value);
        if (grant == null) {
            done.accept(h.count());
            return;
        }
        release(grant, done);
    }

    /** Releases one grant; a grant already released, or of a hold that has ended, takes nothing more. */
    void release(Grant grant, Released done) {
        assert ctx.loop().assertInLoop();
        Hold h = hold;
        if (phase != Phase.HELD || grant.hold != h) {
            grant.markReleased();
            done.accept(0);
            return;
        }
        LockState from = state();
        if (!h.release(grant)) {
            done.accept(h.count());
            return;
        }
        countDown(h, from, done);
        assert invariants();
    }

    private void countDown(Hold h, LockState from, Released done) {
        if (h.count() > 0) {
            ctx.publishTransition(id, from, state(), Cause.RELEASED);
            done.accept(h.count());
            return;
        }
        hold = null;
        List<HoldScope> running = h.end();
        ctx.publishTransition(id, from, LockState.FREE, Cause.RELEASED);
        if (running.isEmpty()) {
            phase = Phase.FREE;
            releaseOrHandOver(done, true);
        } else {
            revoke(h, running, new LockNotHeldException(HResult.HRESULT_FROM_WIN32_ERROR_INVALID_FUNCTION,
                    "session '" + h.session.clientName() + "' released recorder " + id + " while work ran under its "
                    + "lock", id, null, null, null), () -> releaseOrHandOver(done, true));
        }
    }

    /**
     * The native release of a hold whose count reached zero; when the recorder does not respond, the release stays
     * queued behind the stuck call and the releaser learns at once (the count is zero either way).
     */
    private void releaseNativelyOrFailFast(Released done) {
        if (calls.isUnresponsive()) {
            nativeRelease(Released.NONE);
            done.accept(-1);
        } else {
            nativeRelease(done);
        }
    }

    private RecorderException notHeld(SessionImpl session) {
        Hold h = hold;
        if (h == null || phase != Phase.HELD) {
            return new LockNotHeldException(HResult.HRESULT_FROM_WIN32_ERROR_INVALID_FUNCTION, "session '"
                    + session.clientName() + "' does not hold recorder " + id + ": its lock count is 0", id, null,
                    null, null);
        }
        return new LockNotHeldException(HResult.HRESULT_FROM_WIN32_ERROR_INVALID_FUNCTION, "session '"
                + session.clientName() + "' does not hold recorder " + id + "; '" + h.session.clientName()
                + "' does", id, h.session.clientName(), null, null);
    }

    private void nativeRelease(Released outcome) {
        calls.call("ReleaseExclusiveAccess", h -> {
            h.release();
            return null;
        }, new NativeCalls.Outcome<Void>() {
            @Override
            public void completed(@Nullable Void value, @Nullable RecorderException error, boolean late) {
                if (error != null && phase != Phase.REMOVED) {
                    if (error instanceof RecorderRemovedException) {
                        ctx.deviceGone(RecorderSlot.this);
                    } else {
                        LOG.log(Level.WARNING, "native release of " + id + " failed", error);
                    }
                }
                // The count is zero whatever happened natively: a failed release closed the handle, which drops
                // the native lock, and a vanished device holds no lock.
                if (!late) {
                    outcome.accept(0);
                }
            }

            @Override
            public void timedOut(CommandTimeoutException timeout, boolean started) {
                outcome.accept(-1);
            }

            @Override
            public void crashed(Throwable bug) {
                outcome.accept(-1);
            }
        });
    }

    // ------------------------------------------------------------------------------------------------ scopes

    /** Work starts under {@code h}; false if that hold has already ended (the work must not start). */
    boolean addScope(Hold h, HoldScope scope) {
        if (hold != h || h.isEnded()) {
            return false;
        }
        h.addScope(scope);
        return true;
    }

    void removeScope(Hold h, HoldScope scope) {
        h.removeScope(scope);
    }

    /**
     * Stops every scope of an ended hold, then runs {@code passOn} (which lets the next waiter in) in phase
     * {@link Phase#FREE}. Until then the phase is {@link Phase#REVOKING} and nobody is granted the recorder.
     */
    private void revoke(Hold ended, List<HoldScope> running, RecorderException cause, Runnable passOn) {
        phase = Phase.REVOKING;
        revoking = ended.session.clientName();
        int[] remaining = {running.size()};
        boolean[] finished = {false};
        Runnable oneStopped = () -> {
            if (--remaining[0] > 0 || finished[0]) {
                return;
            }
            finished[0] = true;
            if (phase != Phase.REVOKING) {
                return; // removed meanwhile: nothing more to do here
            }
            revoking = null;
            phase = Phase.FREE;
            passOn.run();
            assert invariants();
        };
        for (HoldScope scope : running) {
            try {
                scope.revoke(cause, oneStopped);
            } catch (Throwable t) {
                LOG.log(Level.ERROR, "stopping work under the lock of " + id + " failed", t);
                oneStopped.run();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ endings

    /**
     * A session closed (by its client, its service lease, or the agent): its waiters fail, and its hold ends once the work
     * under it has stopped.
     *
     * @param done runs once the native release (if one was needed) has returned or timed out
     */
    void sessionClosed(SessionImpl session, Cause cause, RecorderException failure, Runnable done) {
        assert ctx.loop().assertInLoop();
        if (session.queued > 0) {
            for (AcquireOperation queued : queue.snapshot()) {
                if (queued.session == session) {
                    end(queued, failure);
                }
            }
        }
        for (AcquireOperation sleeper : new ArrayList<>(sleepers)) {
            if (sleeper.session == session) {
                end(sleeper, failure);
            }
        }
        AcquireOperation h0 = head;
        if (h0 != null && h0.session == session) {
            if (phase == Phase.BACKING_OFF) {
                head = null;
                phase = Phase.FREE;
                h0.place(AcquireOperation.Place.NONE);
            }
            end(h0, failure); // ACQUIRING: a native acquire that still succeeds is released when it returns
        }
        Hold h = hold;
        if (phase == Phase.HELD && h.session == session) {
            endHold(h, cause, failure, true, done);
        } else {
            done.run();
            startNext();
        }
        assert invariants();
    }

    /** The backend lost the native lock under the holder. */
    void lockLost(RecorderException reason) {
        assert ctx.loop().assertInLoop();
        Hold h = hold;
        if (phase == Phase.HELD) {
            handle.forgetRename(h.id); // a rename must not take the lost lock again for a hold that ended
            endHold(h, Cause.FORCED_BY_BACKEND, reason, false, () -> { });
        }
        assert invariants();
    }

    /**
     * Ends a hold that did not end by its own release: its scopes stop before the recorder passes on. The native lock
     * is released, or handed over to the next waiter when {@code mayHandOver} (a closed session: the agent still
     * holds it; a lost lock is released, never handed over).
     */
    private void endHold(Hold h, Cause cause, RecorderException failure, boolean mayHandOver, Runnable done) {
        LockState from = state();
        hold = null;
        List<HoldScope> running = h.end();
        ctx.publishTransition(id, from, LockState.FREE, cause);
        Runnable passOn = () -> releaseOrHandOver(count -> done.run(), mayHandOver);
        if (running.isEmpty()) {
            phase = Phase.FREE;
            passOn.run();
        } else {
            revoke(h, running, failure, passOn);
        }
    }

    /**
     * The recorder is gone: the holder's count resets, the work under its hold is stopped, pending and in-flight
     * requests fail with {@code reason} ({@code HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)}), the handle is closed, the
     * worker stopped, and the removal published.
     */
    void remove(RecorderException reason) {
        assert ctx.loop().assertInLoop();
        if (phase == Phase.REMOVED) {
            return;
        }
        String lastOwner = hold != null ? hold.session.clientName() : revoking;
        int failed = stop(reason, Cause.DEVICE_REMOVED);
        worker.execute(handle::closeQuietly);
        worker.stop();
        ctx.publishRemoved(id, lastOwner, failed);
    }

    /** Shutdown of the agent: fail everything, release nothing natively (closing the handle drops the lock). */
    void shutdown(RecorderException reason, Runnable onClosed) {
        assert ctx.loop().assertInLoop();
        if (phase != Phase.REMOVED) {
            stop(reason, Cause.AGENT_CLOSED);
        }
        worker.execute(() -> {
            handle.closeQuietly();
            ctx.loop().execute(onClosed);
        });
        worker.stop();
    }

    /** Enters {@link Phase#REMOVED}: ends the hold and every request; returns how many requests failed. */
    private int stop(RecorderException reason, Cause cause) {
        Hold h = hold;
        LockState from = state();
        phase = Phase.REMOVED;
        hold = null;
        externalOwner = null;
        if (!from.isFree()) {
            ctx.publishTransition(id, from, LockState.FREE, cause);
        }
        if (h != null) {
            List<HoldScope> running = h.end();
            for (HoldScope scope : running) {
                try {
                    scope.revoke(reason, () -> { });
                } catch (Throwable t) {
                    LOG.log(Level.ERROR, "stopping work under the lock of " + id + " failed", t);
                }
            }
        }
        revoking = null;
        int failed = 0;
        AcquireOperation h0 = head;
        head = null;
        if (h0 != null) {
            h0.place(AcquireOperation.Place.NONE);
            if (h0.isLive()) {
                failed++;
            }
            end(h0, reason);
        }
        for (AcquireOperation queued : queue.snapshot()) {
            if (queued.isLive()) {
                failed++;
            }
            end(queued, reason);
        }
        for (AcquireOperation sleeper : new ArrayList<>(sleepers)) {
            if (sleeper.isLive()) {
                failed++;
            }
            end(sleeper, reason);
        }
        calls.abandonAll(reason);
        return failed;
    }

    RecorderException removedError() {
        return new RecorderRemovedException("recorder " + id + " was removed", id);
    }

    // ------------------------------------------------------------------------------------------------ unresponsive

    @Override
    public void callTimedOut(String command, Duration timeout, boolean first) {
        // Requests that wait stay queued (up to their own deadline) and are served when the recorder responds
        // again; requests that do not wait fail fast in the meantime (admit).
        ctx.publishCommandTimeout(id, command, timeout);
    }

    @Override
    public void responsiveAgain() {
        if (phase == Phase.REMOVED) {
            return;
        }
        LOG.log(Level.INFO, "recorder " + id + " responds again");
        startNext();
        assert invariants();
    }

    // ------------------------------------------------------------------------------------------------ owner

    /**
     * IMAPI2's {@code ExclusiveAccessOwner}: the session that holds or is taking the recorder, or else the backend's
     * answer (which also updates the outside holder).
     */
    void owner(java.util.function.Consumer<@Nullable String> answer,
            java.util.function.Consumer<RecorderException> failed) {
        assert ctx.loop().assertInLoop();
        String inAgent = phase == Phase.BACKING_OFF ? null : currentOwner();
        if (inAgent != null && phase != Phase.FREE) {
            answer.accept(inAgent);
            return;
        }
        if (phase == Phase.REMOVED) {
            failed.accept(removedError());
            return;
        }
        if (calls.isUnresponsive()) {
            failed.accept(calls.unresponsive());
            return;
        }
        queryOwner(answer, failed);
    }

    /**
     * Asks the backend who holds the recorder, if the agent holds nothing of it natively and no native call on it is
     * under way (the periodic refresh of a watched or awaited recorder, {@link AgentCore}): the refresh never queues
     * behind another call, which may be one that hangs.
     */
    void refreshOwner() {
        assert ctx.loop().assertInLoop();
        if (calls.inFlight() == 0 && holdsNothingNatively()) {
            queryOwner(owner -> { }, error -> LOG.log(Level.DEBUG, "refreshing the owner of " + id + " failed: "
                    + error.getMessage()));
        }
    }

    /** Whether the agent neither holds the recorder natively nor has a native acquire of it in flight. */
    private boolean holdsNothingNatively() {
        return phase == Phase.FREE || phase == Phase.BACKING_OFF;
    }

    /**
     * The owner query on the recorder's worker. Its answer updates the outside holder when the agent still holds
     * nothing natively: the worker runs calls in order, so an answer that arrives then was not given while the agent
     * held the lock.
     */
    private void queryOwner(java.util.function.Consumer<@Nullable String> answer,
            java.util.function.Consumer<RecorderException> failed) {
        calls.call("ExclusiveAccessOwner", h -> h.call(r -> r.exclusiveAccessOwner()),
                new NativeCalls.Outcome<String>() {
                    @Override
                    public void completed(@Nullable String value, @Nullable RecorderException error, boolean late) {
                        String owner = value == null || value.isEmpty() ? null : value;
                        if (error instanceof RecorderRemovedException && phase != Phase.REMOVED) {
                            ctx.deviceGone(RecorderSlot.this);
                        } else if (error == null && holdsNothingNatively()) {
                            outsideHolderSeen(owner);
                        }
                        if (late) {
                            return;
                        }
                        if (error != null) {
                            failed.accept(error);
                        } else {
                            answer.accept(owner);
                        }
                    }

                    @Override
                    public void timedOut(CommandTimeoutException timeout, boolean started) {
                        failed.accept(timeout);
                    }

                    @Override
                    public void crashed(Throwable bug) {
                        failed.accept(NativeCalls.asRecorderException(bug, id, "ExclusiveAccessOwner"));
                    }
                });
    }

    /**
     * The backend named the holder outside the agent ({@code null}: nobody): publishes an
     * {@link Cause#EXTERNAL_ACQUIRED} or {@link Cause#EXTERNAL_RELEASED} transition when that changes the state.
     */
    private void outsideHolderSeen(@Nullable String owner) {
        if (java.util.Objects.equals(owner, externalOwner)) {
            return;
        }
        LockState from = state();
        externalOwner = owner;
        ctx.publishTransition(id, from, state(), owner == null ? Cause.EXTERNAL_RELEASED : Cause.EXTERNAL_ACQUIRED);
    }

    // ------------------------------------------------------------------------------------------------ media

    void pollMedia() {
        if (!mediaPolling || burning || pollInFlight || phase == Phase.REMOVED || calls.isUnresponsive()) {
            return;
        }
        pollInFlight = true;
        calls.call("PollMedia", h -> h.call(r -> r.pollMedia()), (value, error, late) -> {
            pollInFlight = false;
            if (error instanceof RecorderRemovedException && phase != Phase.REMOVED) {
                ctx.deviceGone(RecorderSlot.this);
            } else if (value != null) {
                mediaObserved(value, true);
            }
        });
    }

    void mediaObserved(MediaState state, boolean polled) {
        MediaState previous = media;
        media = state;
        if (phase == Phase.REMOVED || (polled && previous == null)) {
            return;
        }
        if (state == previous) {
            if (state == MediaState.MEDIA_PRESENT && lastMedium != null && !lastMedium.isKnown()) {
                refreshMedium(); // the last read failed: a notice (or a poll) of the same medium reads it again
            } else if (state == MediaState.MEDIA_PRESENT && !polled && ctx.mediumAwaited(this)) {
                rereadMedium(); // a swap without an empty tray reports no other state: a waiting request reads it
            }
            return;
        }
        lastMedium = null; // stale from now on, until the read below returns (a grant meanwhile is tested on null)
        publishMediaWithDetails(state);
    }

    /**
     * Publishes a media change with the medium's details, read right after it (a native call under the command
     * timeout); without them when they cannot be read now (the recorder does not respond, it burns, the read fails).
     */
    private void publishMediaWithDetails(MediaState state) {
        if (calls.isUnresponsive() || burning) {
            mediumRead(null);
            ctx.publishMedia(id, state, null);
            return;
        }
        readMedia(read -> publishMediaUnlessRemoved(state, read), failed -> publishMediaUnlessRemoved(state, null));
    }

    private void publishMediaUnlessRemoved(MediaState state, @Nullable MediaInfo details) {
        if (phase != Phase.REMOVED) {
            // a read that returned after a later change (it hung, or queued behind a hung call) describes the later
            // medium: this change goes without details, the later one carries them
            ctx.publishMedia(id, state, media == state ? details : null);
        }
    }

    /** The medium the agent last read here (see {@link #lastMedium}), or null when unread or stale. */
    @Nullable MediaInfo lastMedium() {
        return lastMedium;
    }

    /**
     * Reads the medium for the pool requests that test it, unless a read is under way or cannot be made now (the
     * recorder does not respond, a burn runs: its end refreshes it); {@link SlotContext#mediumRead} follows.
     */
    void refreshMedium() {
        refreshMedium(read -> { });
    }

    private void refreshMedium(java.util.function.Consumer<MediaInfo> answer) {
        if (mediumReadInFlight || burning || phase == Phase.REMOVED || calls.isUnresponsive()) {
            return;
        }
        readMedia(answer, failed -> { });
    }

    /**
     * Reads the medium again after the backend reported it present once more while a pool request waits for it; a
     * different medium than the one last read is published as a media change.
     */
    private void rereadMedium() {
        MediaInfo before = lastMedium;
        refreshMedium(read -> {
            if (before != null && !before.equals(read)) {
                publishMediaUnlessRemoved(MediaState.MEDIA_PRESENT, read);
            }
        });
    }

    /** Whether a read of the medium is under way (its outcome reaches the pools through {@link SlotContext#mediumRead}). */
    boolean mediumReadPending() {
        return mediumReadInFlight;
    }

    private void mediumRead(@Nullable MediaInfo read) {
        lastMedium = read;
        ctx.mediumRead(this);
    }

    /** Reads the medium now ({@code RecorderAgent.media}): a native call under the command timeout. */
    void readMedia(java.util.function.Consumer<MediaInfo> answer,
            java.util.function.Consumer<RecorderException> failed) {
        assert ctx.loop().assertInLoop();
        if (phase == Phase.REMOVED) {
            failed.accept(removedError());
            return;
        }
        if (calls.isUnresponsive()) {
            failed.accept(calls.unresponsive());
            return;
        }
        mediumReadInFlight = true;
        calls.call("ReadMedia", h -> h.call(BackendRecorder::media), new NativeCalls.Outcome<MediaInfo>() {
            @Override
            public void completed(@Nullable MediaInfo value, @Nullable RecorderException error, boolean late) {
                mediumReadInFlight = false;
                if (error instanceof RecorderRemovedException && phase != Phase.REMOVED) {
                    ctx.deviceGone(RecorderSlot.this);
                }
                if (late) {
                    return;
                }
                MediaInfo read = value != null ? value : MediaInfo.unknown("the backend answered nothing");
                if (phase != Phase.REMOVED) {
                    mediumRead(error == null ? read : MediaInfo.unknown("the medium could not be read: " + error));
                }
                if (error != null) {
                    failed.accept(error);
                } else {
                    answer.accept(read);
                }
            }

            @Override
            public void timedOut(CommandTimeoutException timeout, boolean started) {
                mediumReadInFlight = false;
                mediumRead(MediaInfo.unknown("reading the medium timed out"));
                failed.accept(timeout);
            }

            @Override
            public void crashed(Throwable bug) {
                mediumReadInFlight = false;
                mediumRead(MediaInfo.unknown("reading the medium failed: " + bug));
                failed.accept(NativeCalls.asRecorderException(bug, id, "ReadMedia"));
            }
        });
    }

    // ------------------------------------------------------------------------------------------------ burning

    /** The current hold, if the recorder is held ({@link BurnJob} checks that a grant's hold is still this one). */
    @Nullable Hold hold() {
        return phase == Phase.HELD ? hold : null;
    }

    /** The recorder's native calls, for work under a hold that runs them itself ({@link BurnJob}). */
    NativeCalls calls() {
        return calls;
    }

    /**
     * Runs {@code task} on the recorder's worker with its handle, outside {@link NativeCalls}: no command timeout
     * (a burn's write may take the worker for as long as it writes; {@link BurnJob} watches its progress instead).
     */
    void onWorker(java.util.function.Consumer<RecorderHandle> task) {
        worker.execute(() -> task.accept(handle));
    }

    /** A burn starts or ends on this recorder ({@link BurnJob}): media polls pause while it runs. */
    void burning(boolean running) {
        this.burning = running;
        mediumRead(null); // a burn changes the medium: what was read before it is stale
    }

    // ------------------------------------------------------------------------------------------------ invariants

    /**
     * The invariants of every phase; called with {@code assert} after every transition (tests run with assertions
     * on). Returns true or throws.
     */
    boolean invariants() {
        ctx.loop().assertInLoop();
        switch (phase) {
            case FREE -> {
                check(hold == null && head == null, "FREE has neither a hold nor a head");
                check(queue.isEmpty() || calls.isUnresponsive() || allDead(),
                        "FREE with live waiters while responsive");
            }
            case ACQUIRING, BACKING_OFF -> check(hold == null && head != null
                    && head.place() == AcquireOperation.Place.HEAD, phase + " has a head and no hold");
            case HELD -> check(hold != null && hold.count() >= 1 && head == null && !hold.isEnded()
                    && externalOwner == null, "HELD has a live hold with a count of at least 1 and no outside holder");
            case REVOKING -> check(hold == null && head == null && externalOwner == null,
                    "REVOKING has neither a hold, a head nor an outside holder");
            case REMOVED -> check(hold == null && head == null && queue.isEmpty() && sleepers.isEmpty(),
                    "REMOVED keeps nothing");
        }
        check(queue.size() >= 0, "queue size");
        return true;
    }

    private boolean allDead() {
        for (AcquireOperation op : queue.snapshot()) {
            if (op.isLive()) {
                return false;
            }
        }
        return true;
    }

    private void check(boolean condition, String invariant) {
        if (!condition) {
            throw new AssertionError("recorder " + id + " broke an invariant in phase " + phase + ": " + invariant);
        }
    }
}
