package io.discagent.agent.internal;

import io.discagent.agent.spi.RecorderDescriptor;
import io.discagent.api.LockGrant;
import io.discagent.api.LockState;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
import io.discagent.api.error.CommandTimeoutException;
import io.discagent.api.error.HResult;
import io.discagent.api.error.LockNotHeldException;
import io.discagent.api.error.PendingAcquireLimitException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderExceptions;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.event.LockTransition.Cause;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.MonoSink;

/**
 * The lock state machine of one recorder. Event loop only, except {@link #handle}, which only the recorder's native
 * worker touches (inside the tasks {@link #call} gives it).
 *
 * <p>States: free; <em>acquiring</em> (the native acquire of the request at the head is in flight); held by one
 * session with a count of at least one. Requests that find the recorder busy and may wait queue in FIFO order; the
 * head of the queue gets its native acquire the moment the holder's count reaches zero, right behind the native
 * release on the same worker, so a hand-off needs no polling and no extra round trip.
 *
 * <p>The agent makes exactly one native acquire on the 0&rarr;1 transition and one native release on 1&rarr;0. A
 * native acquire that succeeds for a request that has meanwhile finished (cancelled, timed out, session closed) is
 * released at once.
 */
final class RecorderSlot {

    private static final System.Logger LOG = System.getLogger(RecorderSlot.class.getName());

    private final AgentCore core;
    final RecorderId id;
    final RecorderDescriptor descriptor;
    final NativeWorker worker;
    private final RecorderHandle handle;

    private @Nullable SessionImpl holder;
    private int count;
    private @Nullable Hold hold;
    private @Nullable PendingAcquire acquiring;
    private boolean acquireInFlight;
    private final ArrayDeque<PendingAcquire> queue = new ArrayDeque<>();
    private int waiting;
    private final List<InFlight<?>> inFlight = new ArrayList<>(2);
    /** The command-timeout timer of this recorder's calls ({@link #watchBy}), and when it goes off. */
    private @Nullable Disposable watchdog;
    private long watchdogAt;
    private int unresponsive;
    private boolean removed;
    private boolean mediaPolling;
    private boolean pollInFlight;
    private @Nullable MediaState media;

    /** The order in which recorders arrived: listings follow it, whatever order their opens completed in. */
    final long arrival;

    RecorderSlot(AgentCore core, RecorderDescriptor descriptor, NativeWorker worker, RecorderHandle handle,
            long arrival) {
        this.core = core;
        this.arrival = arrival;
        this.id = RecorderId.of(descriptor.id());
        this.descriptor = descriptor;
        this.worker = worker;
        this.handle = handle;
    }

    // ------------------------------------------------------------------------------------------------ queries

    LockState state() {
        SessionImpl h = holder;
        return h == null ? LockState.FREE : LockState.held(h.clientName(), h.id(), count);
    }

    RecorderInfo info() {
        return new RecorderInfo(id, descriptor.vendor(), descriptor.product(), descriptor.revision(),
                core.backendName(), descriptor.paths(), state());
    }

    int lockCount(SessionImpl session) {
        return holder == session ? count : 0;
    }

    /** The client name of the session that holds the recorder or is acquiring it, or {@code null}. */
    @Nullable String currentOwner() {
        if (holder != null) {
            return holder.clientName();
        }
        PendingAcquire head = acquiring;
        return head != null && acquireInFlight ? head.session.clientName() : null;
    }

    int waiting() {
        return waiting;
    }

    int inFlightCalls() {
        return inFlight.size();
    }

    boolean isHeld() {
        return holder != null;
    }

    void enableMediaPolling(boolean enabled) {
        this.mediaPolling = enabled;
    }

    // ------------------------------------------------------------------------------------------------ acquire

    void acquire(PendingAcquire request) {
        SessionImpl session = request.session;
        if (holder == session) {
            grantAgain(request);
            return;
        }
        PendingAcquire head = acquiring;
        if (acquireInFlight && head != null && head.session == session && !head.isFinished()) {
            enqueue(request); // the session's own first acquire is in flight: this one follows it
            return;
        }
        if (holder == null && !acquireInFlight && waiting == 0) {
            beginNativeAcquire(request);
            return;
        }
        if (!request.options().waits()) {
            request.fail(busy());
            return;
        }
        if (waiting >= core.settings().pendingAcquireMaxCount()) {
            request.fail(new PendingAcquireLimitException(waiting + " acquire requests already wait for recorder " + id
                    + " (the limit)", id));
            return;
        }
        enqueue(request);
    }

    private RecorderException busy() {
        if (unresponsive > 0) {
            return new CommandTimeoutException("recorder " + id + " is not responding: a native command has not "
                    + "returned within " + core.settings().commandTimeout().toMillis() + " ms", id);
        }
        String owner = currentOwner();
        return new RecorderLockedException("recorder " + id + " is held by '" + owner + "'", id, owner);
    }

    private void enqueue(PendingAcquire request) {
        queue.add(request);
        request.enqueuedOn(this);
        waiting++;
        request.session.queued++;
        core.waitingChanged(1);
    }

    /** Called by {@link PendingAcquire#leaveQueue()}. */
    void dequeued(PendingAcquire request) {
        waiting--;
        request.session.queued--;
        core.waitingChanged(-1);
    }

    private void grantAgain(PendingAcquire request) {
        LockState from = state();
        count++;
        core.countGrant();
        core.publishTransition(id, from, state(), Cause.ACQUIRED);
        request.succeed(new Granted(grant(), hold()));
    }

    private LockGrant grant() {
        return new LockGrant(id, holder().id(), count, hold().id, descriptor.paths()); // issue 14: device paths
    }

    private void beginNativeAcquire(PendingAcquire request) {
        acquiring = request;
        acquireInFlight = true;
        boolean force = request.options().force();
        String clientName = request.session.clientName();
        call("AcquireExclusiveAccess", h -> {
            h.acquire(force, clientName);
            return null;
        }, new NativeCallback<Void>() {
            @Override
            public void completed(@Nullable Void value, @Nullable RecorderException error, boolean late) {
                nativeAcquireDone(request, error);
            }

            @Override
            public void timedOut(CommandTimeoutException timeout) {
                request.fail(timeout);
            }
        });
    }

    private void nativeAcquireDone(PendingAcquire request, @Nullable RecorderException error) {
        acquireInFlight = false;
        acquiring = null;
        if (removed) {
            request.fail(error != null ? error : removedError());
            return;
        }
        if (error == null) {
            if (!request.isFinished()) {
                take(request);
                return;
            }
            nativeRelease(Released.NONE); // granted to nobody: the request finished while the native call ran
        } else {
            request.fail(error);
            if (RecorderExceptions.isDeviceGone(error)) {
                core.recorderGone(this);
                return;
            }
        }
        startNext();
    }

    private void take(PendingAcquire request) {
        SessionImpl session = request.session;
        holder = session;
        count = 1;
        Hold newHold = new Hold(id, core.nextHoldId());
        hold = newHold;
        session.holds.put(id, newHold);
        core.countGrant();
        core.publishTransition(id, LockState.FREE, state(), Cause.ACQUIRED);
        request.succeed(new Granted(grant(), newHold));
        if (session.queued > 0) {
            for (PendingAcquire queued : new ArrayList<>(queue)) {
                if (!queued.isFinished() && queued.session == session && holder == session) {
                    queued.leaveQueue();
                    grantAgain(queued);
                }
            }
        }
    }

    private void startNext() {
        if (removed || holder != null || acquireInFlight) {
            return;
        }
        PendingAcquire next;
        while ((next = queue.poll()) != null) {
            if (next.isFinished()) {
                continue;
            }
            next.leaveQueue();
            beginNativeAcquire(next);
            return;
        }
    }

    // ------------------------------------------------------------------------------------------------ release

    void release(SessionImpl session, MonoSink<Integer> sink) {
        if (holder != session || count == 0) {
            sink.error(notHeld(session));
            return;
        }
        if (count > 1) {
            LockState from = state();
            count--;
            core.publishTransition(id, from, state(), Cause.RELEASED);
            sink.success(count);
            return;
        }
        free(Cause.RELEASED, null);
        nativeRelease(Released.to(sink));
        startNext();
    }

    /** Releases one count of {@code holdId} if the session still holds that hold; otherwise completes empty. */
    void releaseHold(SessionImpl session, long holdId, MonoSink<Integer> sink) {
        Hold current = hold;
        if (holder == session && current != null && current.id == holdId) {
            release(session, sink);
        } else {
            sink.success();
        }
    }

    private RecorderException notHeld(SessionImpl session) {
        if (holder == null) {
            return new LockNotHeldException(HResult.HRESULT_FROM_WIN32_ERROR_INVALID_FUNCTION, "session '"
                    + session.clientName() + "' does not hold recorder " + id + ": its lock count is 0", id, null,
                    null, null);
        }
        return new LockNotHeldException(HResult.HRESULT_FROM_WIN32_ERROR_INVALID_HANDLE, "session '"
                + session.clientName() + "' does not hold recorder " + id + "; '" + holder.clientName() + "' does",
                id, holder.clientName(), null, null);
    }

    /** Ends the current hold without a native call. {@code loss} is the reason a lease sees, or null for a release. */
    private void free(Cause cause, @Nullable RecorderException loss) {
        LockState from = state();
        SessionImpl session = holder();
        Hold ended = hold();
        holder = null;
        count = 0;
        hold = null;
        session.holds.remove(id, ended);
        if (loss == null) {
            ended.released();
        } else {
            ended.lost(loss);
        }
        core.publishTransition(id, from, LockState.FREE, cause);
    }

    /** Where the outcome of a native release lands. */
    interface Released {

        /** Nobody waits for the outcome. */
        Released NONE = to(() -> { });

        /** Runs {@code done} on either outcome. */
        static Released to(Runnable done) {
            return new Released() {
                @Override
                public void released() {
                    done.run();
                }

                @Override
                public void timedOut(CommandTimeoutException timeout) {
                    done.run();
                }
            };
        }

        /** Completes a release request: with count 0, or with the timeout. */
        static Released to(MonoSink<Integer> sink) {
            return new Released() {
                @Override
                public void released() {
                    sink.success(0);
                }

                @Override
                public void timedOut(CommandTimeoutException timeout) {
                    sink.error(timeout);
                }
            };
        }

        /** The native release returned (the count is zero whatever it said: see {@link RecorderHandle#release}). */
        void released();

        /** It did not return within the command timeout. */
        void timedOut(CommandTimeoutException timeout);
    }

    private void nativeRelease(Released outcome) {
        call("ReleaseExclusiveAccess", h -> {
            h.release();
            return null;
        }, new NativeCallback<Void>() {
            @Override
            public void completed(@Nullable Void value, @Nullable RecorderException error, boolean late) {
                if (error != null && !removed) {
                    if (RecorderExceptions.isDeviceGone(error)) {
                        core.recorderGone(RecorderSlot.this);
                    } else {
                        LOG.log(Level.WARNING, "native release of " + id + " failed", error);
                    }
                }
                // The count is zero whatever happened natively: a failed release reopened the handle, which
                // drops the native lock, and a vanished device holds no lock.
                if (!late) {
                    outcome.released();
                }
            }

            @Override
            public void timedOut(CommandTimeoutException timeout) {
                outcome.timedOut(timeout);
            }
        });
    }

    // ------------------------------------------------------------------------------------------------ owner

    void owner(MonoSink<String> sink) {
        String inAgent = currentOwner();
        if (inAgent != null) {
            sink.success(inAgent);
            return;
        }
        call("ExclusiveAccessOwner", h -> h.get().exclusiveAccessOwner(), new NativeCallback<String>() {
            @Override
            public void completed(@Nullable String value, @Nullable RecorderException error, boolean late) {
                if (late) {
                    return;
                }
                if (error != null) {
                    sink.error(error);
                } else {
                    sink.success(value == null || value.isEmpty() ? null : value);
                }
            }

            @Override
            public void timedOut(CommandTimeoutException timeout) {
                sink.error(timeout);
            }
        });
    }

    // ------------------------------------------------------------------------------------------------ endings

    /**
     * A session closed: release what it holds, fail what it waits for.
     *
     * @param done runs once the native release (if one was needed) has returned or timed out
     */
    void sessionClosed(SessionImpl session, Cause cause, RecorderException failure, Runnable done) {
        if (holder == session) {
            free(cause, null);
            nativeRelease(Released.to(done));
        } else {
            done.run();
        }
        PendingAcquire head = acquiring;
        if (head != null && head.session == session) {
            head.fail(failure); // a native acquire that still succeeds is released when it returns
        }
        if (session.queued > 0) {
            for (PendingAcquire queued : new ArrayList<>(queue)) {
                if (queued.session == session) {
                    queued.fail(failure);
                }
            }
        }
        startNext();
    }

    /** The backend lost the native lock under the holder. */
    void lockLost(RecorderException reason) {
        if (holder == null || removed) {
            return;
        }
        free(Cause.FORCED_BY_BACKEND, reason);
        nativeRelease(Released.NONE);
        startNext();
    }

    /**
     * The recorder is gone: the holder's count resets, its leases fail, pending and in-flight requests fail with
     * {@code reason} ({@code HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)}), the handle is closed, the worker stopped, and
     * the removal published.
     */
    void remove(RecorderException reason) {
        if (removed) {
            return;
        }
        removed = true;
        String lastOwner = holder == null ? null : holder.clientName();
        if (holder != null) {
            free(Cause.DEVICE_REMOVED, reason);
        }
        int failed = failAllPending(reason);
        worker.execute(handle::closeQuietly);
        worker.stop();
        core.publishRemoved(id, lastOwner, failed);
    }

    /** Fails every pending request and in-flight call with {@code reason}; returns how many requests failed. */
    private int failAllPending(RecorderException reason) {
        int failed = 0;
        PendingAcquire head = acquiring;
        if (head != null && !head.isFinished()) {
            head.fail(reason);
            failed++;
        }
        for (PendingAcquire queued : queue) {
            if (!queued.isFinished()) {
                queued.fail(reason);
                failed++;
            }
        }
        queue.clear();
        for (InFlight<?> call : new ArrayList<>(inFlight)) {
            call.abandon(reason);
        }
        disarmWatchdog();
        return failed;
    }

    /** Shutdown of the agent: fail everything, release nothing natively (closing the handle drops the lock). */
    void shutdown(RecorderException reason, Runnable onClosed) {
        removed = true;
        failAllPending(reason);
        worker.execute(() -> {
            handle.closeQuietly();
            core.loop().execute(onClosed);
        });
        worker.stop();
    }

    RecorderException removedError() {
        return new RecorderRemovedException("recorder " + id + " was removed", id);
    }

    // ------------------------------------------------------------------------------------------------ media

    void pollMedia() {
        if (!mediaPolling || pollInFlight || removed || unresponsive > 0) {
            return;
        }
        pollInFlight = true;
        call("PollMedia", h -> h.get().pollMedia(), new NativeCallback<MediaState>() {
            @Override
            public void completed(@Nullable MediaState value, @Nullable RecorderException error, boolean late) {
                pollInFlight = false;
                if (error != null && !removed && RecorderExceptions.isDeviceGone(error)) {
                    core.recorderGone(RecorderSlot.this);
                } else if (value != null) {
                    mediaObserved(value, true);
                }
            }
        });
    }

    void mediaObserved(MediaState state, boolean polled) {
        MediaState previous = media;
        media = state;
        if (removed || state == previous || (polled && previous == null)) {
            return;
        }
        core.publishMedia(id, state);
    }

    // ------------------------------------------------------------------------------------------------ native calls

    /** Work for the native worker, given the recorder's handle. */
    @FunctionalInterface
    interface WorkerCall<T> {
        @Nullable T run(RecorderHandle handle);
    }

    /** Where a native call's outcome lands, on the event loop. */
    interface NativeCallback<T> {

        /**
         * The call returned (or was abandoned because the recorder went away).
         *
         * @param late whether {@link #timedOut} already ran for this call
         */
        void completed(@Nullable T value, @Nullable RecorderException error, boolean late);

        /** The command timeout ran out first; {@link #completed} follows when (if) the call returns. */
        default void timedOut(CommandTimeoutException timeout) {
        }
    }

    /**
     * Runs {@code work} on the recorder's native worker and lands its outcome on the event loop, failing the caller
     * with {@code E_IMAPI_RECORDER_COMMAND_TIMEOUT} (and publishing a timeout event) if it takes longer than the
     * command timeout.
     */
    <T> void call(String command, WorkerCall<T> work, NativeCallback<T> callback) {
        InFlight<T> call = new InFlight<>(command, callback);
        inFlight.add(call);
        Duration timeout = core.settings().commandTimeout();
        if (!timeout.isZero()) {
            call.deadline = saturatedAdd(core.nowNanos(), timeout.toNanos());
            watchBy(call.deadline);
        }
        worker.execute(() -> {
            T value = null;
            RecorderException error = null;
            try {
                value = work.run(handle);
            } catch (Throwable t) {
                error = core.asRecorderException(t, id, command);
            }
            T result = value;
            RecorderException failure = error;
            core.loop().execute(() -> call.complete(result, failure));
        });
    }

    /**
     * Makes sure the watchdog goes off by {@code deadline}. One timer per recorder watches every call in flight:
     * arming and cancelling a timer for each call made the time scheduler's thread wake up twice per native call (see
     * the hop benchmark). The watchdog is left armed when calls complete; when it goes off it times out the calls due
     * by then and re-arms for the oldest one still running. Calls start in deadline order (one clock, one timeout),
     * so the oldest call is the next one due.
     */
    private void watchBy(long deadline) {
        Disposable armed = watchdog;
        if (armed != null && watchdogAt <= deadline) {
            return;
        }
        if (armed != null) {
            armed.dispose();
        }
        watchdogAt = deadline;
        watchdog = core.time().schedule(() -> core.loop().execute(() -> watchdogWentOff(deadline)),
                Math.max(0, deadline - core.nowNanos()), TimeUnit.NANOSECONDS);
    }

    /** Times out the calls due by {@code at} (when the watchdog was set for), then watches the next one. */
    private void watchdogWentOff(long at) {
        if (watchdog == null || watchdogAt != at) {
            return; // disarmed, or replaced by an earlier one
        }
        watchdog = null;
        Duration timeout = core.settings().commandTimeout();
        for (InFlight<?> call : new ArrayList<>(inFlight)) {
            if (call.done || call.timedOut) {
                continue;
            }
            if (call.deadline <= at) {
                call.timeout(timeout);
            } else {
                watchBy(call.deadline);
                return;
            }
        }
    }

    private void disarmWatchdog() {
        Disposable armed = watchdog;
        watchdog = null;
        if (armed != null) {
            armed.dispose();
        }
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    private final class InFlight<T> {

        private final String command;
        private final NativeCallback<T> callback;
        /** When the call times out, on the time scheduler's clock. */
        private long deadline = Long.MAX_VALUE;
        private boolean timedOut;
        private boolean done;

        InFlight(String command, NativeCallback<T> callback) {
            this.command = command;
            this.callback = callback;
        }

        void complete(@Nullable T value, @Nullable RecorderException error) {
            if (done) {
                return;
            }
            done = true;
            inFlight.remove(this);
            if (timedOut) {
                unresponsive--;
            }
            callback.completed(value, error, timedOut);
        }

        void timeout(Duration timeout) {
            if (done || timedOut) {
                return;
            }
            timedOut = true;
            unresponsive++;
            core.publishCommandTimeout(id, command, timeout);
            callback.timedOut(new CommandTimeoutException(command + " on recorder " + id + " did not return within "
                    + timeout.toMillis() + " ms", id));
        }

        /** The recorder went away: the caller learns it now, and a late result is ignored. */
        void abandon(RecorderException reason) {
            complete(null, reason);
        }
    }

    private SessionImpl holder() {
        SessionImpl h = holder;
        if (h == null) {
            throw new IllegalStateException("recorder " + id + " has no holder");
        }
        return h;
    }

    private Hold hold() {
        Hold h = hold;
        if (h == null) {
            throw new IllegalStateException("recorder " + id + " has no hold");
        }
        return h;
    }
}
