package io.discagent.agent.internal;

import io.discagent.api.RecorderId;
import io.discagent.api.error.CommandTimeoutException;
import io.discagent.api.error.HResult;
import io.discagent.api.error.NativeRecorderException;
import io.discagent.api.error.RecorderException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;

/**
 * The native calls of one recorder: each runs on the recorder's {@link NativeWorker}, its outcome lands on the event
 * loop, and a call that does not return within the command timeout fails its caller with
 * {@code E_IMAPI_RECORDER_COMMAND_TIMEOUT}. While such a call has not returned the recorder is <em>unresponsive</em>
 * ({@link #isUnresponsive()}): its slot fails new work fast instead of queueing it behind the stuck call. Event loop
 * only, except the work itself.
 */
final class NativeCalls {

    private static final System.Logger LOG = System.getLogger(NativeCalls.class.getName());

    /** Work for the native worker, given the recorder's handle. */
    @FunctionalInterface
    interface Work<T> {
        @Nullable T run(RecorderHandle handle);
    }

    /** Where a call's outcome lands, on the event loop. */
    interface Outcome<T> {

        /**
         * The call returned (or was abandoned because the recorder went away).
         *
         * @param late whether {@link #timedOut} already ran for this call
         */
        void completed(@Nullable T value, @Nullable RecorderException error, boolean late);

        /**
         * The command timeout ran out first; {@link #completed} follows when (if) the call returns.
         *
         * @param started whether the call had started on the worker (it hung), or still waited there behind another
         *     call that hung
         */
        default void timedOut(CommandTimeoutException timeout, boolean started) {
        }

        /**
         * Handling the outcome threw (a bug): the caller must still be answered. The error is logged already.
         */
        default void crashed(Throwable bug) {
        }
    }

    /** What the recorder's slot learns about its calls. */
    interface Listener {

        /** A call timed out; {@code first} when the recorder was responsive until now. */
        void callTimedOut(String command, Duration timeout, boolean first);

        /** The last call that had timed out returned: the recorder responds again. */
        void responsiveAgain();
    }

    private final RecorderId id;
    private final NativeWorker worker;
    private final RecorderHandle handle;
    private final EventLoop loop;
    private final Scheduler time;
    private final long timeoutNanos;
    private final Duration timeout;
    private final Listener listener;
    private final List<Call<?>> inFlight = new ArrayList<>(2);
    private @Nullable Disposable watchdog;
    private long watchdogAt;
    private int hung;

    /**
     * @param timeout the command timeout; {@link Duration#ZERO}, or one that means forever ({@link Durations}),
     *     for none
     */
    NativeCalls(RecorderId id, NativeWorker worker, RecorderHandle handle, EventLoop loop, Scheduler time,
            Duration timeout, Listener listener) {
        this.id = id;
        this.worker = worker;
        this.handle = handle;
        this.loop = loop;
        this.time = time;
        this.timeout = timeout;
        this.timeoutNanos = timeout.isZero() || Durations.isForever(timeout) ? 0 : Durations.toNanos(timeout);
        this.listener = listener;
    }

    /** Whether a call has timed out and not returned yet. */
    boolean isUnresponsive() {
        return hung > 0;
    }

    int inFlight() {
        return inFlight.size();
    }

    /** The command timeout, for messages. */
    Duration timeout() {
        return timeout;
    }

    /** The error for work refused because a call has not returned. */
    CommandTimeoutException unresponsive() {
        return new CommandTimeoutException("recorder " + id + " is not responding: a native command has not returned "
                + "within " + timeout.toMillis() + " ms", id);
    }

    /** Runs {@code work} on the worker; its outcome lands on the event loop. */
    <T> void call(String command, Work<T> work, Outcome<T> outcome) {
        Call<T> call = new Call<>(command, outcome);
        inFlight.add(call);
        if (timeoutNanos > 0) {
            call.deadline = Durations.saturatedAdd(time.now(TimeUnit.NANOSECONDS), timeoutNanos);
            watchBy(call.deadline);
        }
        worker.execute(() -> {
            call.started = true;
            T value = null;
            RecorderException error = null;
            try {
                value = work.run(handle);
            } catch (Throwable t) {
                error = asRecorderException(t, id, command);
            }
            T result = value;
            RecorderException failure = error;
            loop.execute(() -> call.complete(result, failure));
        });
    }

    /** The recorder went away: every caller learns it now, and late results are ignored. */
    void abandonAll(RecorderException reason) {
        for (Call<?> call : new ArrayList<>(inFlight)) {
            call.complete(null, reason);
        }
        disarm();
    }

    static RecorderException asRecorderException(Throwable t, @Nullable RecorderId recorder, String command) {
        if (t instanceof RecorderException typed) {
            return typed;
        }
        return new NativeRecorderException(HResult.E_FAIL, command + " failed: " + t, recorder, null, null, t);
    }

    /**
     * Makes sure the watchdog goes off by {@code deadline}. One timer per recorder watches every call in flight:
     * arming and cancelling a timer for each call made the time scheduler's thread wake up twice per native call. The
     * watchdog is left armed when calls complete; when it goes off it times out the calls due by then and re-arms for
     * the oldest one still running. Calls start in deadline order (one clock, one timeout), so the oldest call is the
     * next one due.
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
        watchdog = time.schedule(() -> loop.execute(() -> wentOff(deadline)),
                Math.max(0, deadline - time.now(TimeUnit.NANOSECONDS)), TimeUnit.NANOSECONDS);
    }

    private void wentOff(long at) {
        if (watchdog == null || watchdogAt != at) {
            return; // disarmed, or replaced by an earlier one
        }
        watchdog = null;
        for (Call<?> call : new ArrayList<>(inFlight)) {
            if (call.done || call.timedOut) {
                continue;
            }
            if (call.deadline <= at) {
                call.timeout();
            } else {
                watchBy(call.deadline);
                return;
            }
        }
    }

    private void disarm() {
        Disposable armed = watchdog;
        watchdog = null;
        if (armed != null) {
            armed.dispose();
        }
    }

    private final class Call<T> {

        private final String command;
        private final Outcome<T> outcome;
        private long deadline = Long.MAX_VALUE;
        private volatile boolean started;
        private boolean timedOut;
        private boolean done;

        Call(String command, Outcome<T> outcome) {
            this.command = command;
            this.outcome = outcome;
        }

        void complete(@Nullable T value, @Nullable RecorderException error) {
            if (done) {
                return;
            }
            done = true;
            inFlight.remove(this);
            boolean late = timedOut;
            if (late) {
                hung--;
            }
            try {
                outcome.completed(value, error, late);
            } catch (Throwable bug) {
                LOG.log(Level.ERROR, "handling the outcome of " + command + " on " + id + " failed", bug);
                try {
                    outcome.crashed(bug);
                } catch (Throwable again) {
                    bug.addSuppressed(again);
                }
            }
            if (late && hung == 0) {
                listener.responsiveAgain();
            }
        }

        void timeout() {
            if (done || timedOut) {
                return;
            }
            timedOut = true;
            hung++;
            outcome.timedOut(new CommandTimeoutException(command + " on recorder " + id + " did not return within "
                    + timeout.toMillis() + " ms", id), started);
            listener.callTimedOut(command, timeout, hung == 1);
        }
    }
}
