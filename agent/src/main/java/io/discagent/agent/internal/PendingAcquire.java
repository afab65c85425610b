package io.discagent.agent.internal;

import io.discagent.api.AcquireOptions;
import io.discagent.api.RecorderId;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.MonoSink;

/**
 * One attempt of an acquire request, from the moment it reaches the event loop until it is granted, fails or is
 * cancelled. Event loop only, except construction and {@link #dispose()} (the subscriber's cancellation).
 *
 * <p>{@link #finished} is the single truth about the attempt: once set, nothing may complete it again, and a native
 * acquire that still succeeds for it is released at once (nothing leaks).
 */
final class PendingAcquire implements Disposable {

    final AcquireRequest request;
    /** The request's session (often needed: kept here too). */
    final SessionImpl session;
    /** 1 for the first attempt of the request, 2 for its first retry, and so on. */
    final int attempt;
    final MonoSink<Granted> sink;

    volatile @Nullable Disposable deadlineTimer;
    private @Nullable RecorderSlot queuedOn;
    private boolean finished;

    PendingAcquire(AcquireRequest request, int attempt, MonoSink<Granted> sink) {
        this.request = request;
        this.session = request.session;
        this.attempt = attempt;
        this.sink = sink;
    }

    RecorderId recorder() {
        return request.recorder;
    }

    AcquireOptions options() {
        return request.options;
    }

    /** Whether a deadline timer applies: the request waits, but not forever. */
    boolean hasDeadline() {
        return request.hasDeadline();
    }

    boolean isFinished() {
        return finished;
    }

    void enqueuedOn(RecorderSlot slot) {
        this.queuedOn = slot;
    }

    boolean isQueued() {
        return queuedOn != null;
    }

    /** Takes this attempt out of its slot's queue accounting (the entry itself is skipped later). */
    void leaveQueue() {
        RecorderSlot slot = queuedOn;
        if (slot != null) {
            queuedOn = null;
            slot.dequeued(this);
        }
    }

    void succeed(Granted granted) {
        if (finish()) {
            sink.success(granted);
        }
    }

    void fail(Throwable error) {
        if (finish()) {
            sink.error(error);
        }
    }

    /** Marks the attempt cancelled by its subscriber. Event loop only. */
    void cancel() {
        finish();
    }

    /** The subscriber cancelled (any thread): marks the attempt cancelled on the event loop. */
    @Override
    public void dispose() {
        request.core.loop().execute(this::cancel);
    }

    private boolean finish() {
        if (finished) {
            return false;
        }
        finished = true;
        leaveQueue();
        Disposable timer = deadlineTimer;
        if (timer != null) {
            timer.dispose();
        }
        return true;
    }
}
