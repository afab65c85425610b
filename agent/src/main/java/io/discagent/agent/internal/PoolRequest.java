package io.discagent.agent.internal;

import io.discagent.api.AcquireOptions;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderInfo;
import io.discagent.api.RecorderSelector;
import io.discagent.api.error.AcquireTimeoutException;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.error.PendingAcquireLimitException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.RequestCancelledException;
import io.discagent.api.error.SessionClosedException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One pool request ({@code acquireAny}, {@code withLockAny}) while it waits: the request its subscriber holds
 * ({@link #request}, an ordinary {@link AcquireOperation} with a selector) and one <em>place</em> in each matching
 * recorder: an {@link AcquireOperation} the agent made, queued in that recorder's {@link RecorderSlot} exactly like a
 * single-recorder request of the same session and options, whose grant is offered here
 * ({@link AcquireOperation.Receiver}).
 *
 * <p>So the slots need to know nothing of pools: each serves a place in its own FIFO order, and the pool's fairness is
 * the slots' fairness. The first place granted hands its grant to {@link #request} through the ordinary delivery
 * protocol ({@link AcquireOperation#deliver}), which settles the race with the subscriber's cancellation; whatever
 * the outcome, the request has ended, and every other place is withdrawn (a native acquire still in flight for one of
 * them is released when it returns, as for any request that ended). A grant offered after the request ended is
 * refused, and its slot releases it. Everything happens on the event loop, so two recorders freeing "at the same
 * moment" are two events in a row: the second one finds the request ended.
 *
 * <p>A place that fails (its recorder was removed, a holder outside the agent outlasted its retries, a native error,
 * its deadline) leaves the pool; the request keeps waiting on the others and fails only when none is left, with an
 * error that says so. A failure that concerns the request and not the recorder (its session closed, the agent
 * closed) fails it at once. Event loop only.
 */
final class PoolRequest implements AcquireOperation.Receiver {

    private final AgentCore core;
    /** The request the subscriber holds. */
    final AcquireOperation request;
    private final RecorderSelector selector;
    private final AcquireOptions options;
    /** The live places, by recorder. */
    private final Map<RecorderSlot, AcquireOperation> places = new LinkedHashMap<>();
    private boolean starting;
    private boolean ended;
    private boolean timeoutCounted;
    private @Nullable RecorderLockedException firstLocked;
    private @Nullable RecorderException lastError;

    PoolRequest(AgentCore core, AcquireOperation request, RecorderSelector selector, AcquireOptions options) {
        this.core = core;
        this.request = request;
        this.selector = selector;
        this.options = options;
    }

    boolean isEnded() {
        return ended;
    }

    /** How many recorders the request waits on now. */
    int places() {
        return places.size();
    }

    /** Takes a place in every matching recorder; fails the request if there is none. */
    void start(List<RecorderSlot> slots) {
        starting = true;
        for (RecorderSlot slot : slots) {
            if (ended) {
                break;
            }
            join(slot);
        }
        starting = false;
        if (!ended && places.isEmpty()) {
            fail(noneLeft());
        }
    }

    /** A recorder arrived while the request waits: it joins the pool if it matches. */
    void arrived(RecorderSlot slot) {
        if (!ended && request.isLive() && options.waits() && !places.containsKey(slot)) {
            join(slot);
        }
    }

    private void join(RecorderSlot slot) {
        RecorderInfo info = slot.info();
        boolean matches;
        try {
            matches = selector.matches(info);
        } catch (RuntimeException e) {
            fail(new InvalidArgumentException("the selector (" + selector + ") failed on recorder " + info.id()
                    + ": " + e, info.id()));
            return;
        }
        if (!matches) {
            return;
        }
        AcquireOperation place = new AcquireOperation(core, request.session, slot.id, options, this);
        place.pool = this;
        place.activate();
        place.startedNanos = request.startedNanos;
        place.deadlineNanos = request.deadlineNanos;
        places.put(slot, place);
        if (place.deadlineNanos != Long.MAX_VALUE) {
            core.deadlines().add(place);
        }
        slot.admit(place);
    }

    // ------------------------------------------------------------------------------------------------ places

    @Override
    public boolean offer(AcquireOperation place, LockGrant grant) {
        places.values().remove(place);
        if (ended) {
            return false;
        }
        Grant granted = place.granted();
        int outcome = granted == null ? AcquireOperation.CANCELLED_BEFORE : request.deliver(granted);
        end();
        return outcome == AcquireOperation.TAKEN;
    }

    @Override
    public void failed(AcquireOperation place, Throwable error) {
        places.values().remove(place);
        if (ended) {
            return;
        }
        RecorderException failure = error instanceof RecorderException r ? r
                : NativeCalls.asRecorderException(error, place.recorder, "acquire");
        if (failure instanceof SessionClosedException || failure instanceof RequestCancelledException) {
            fail(failure); // the request's own end, not its recorder's
            return;
        }
        if (failure instanceof RecorderLockedException locked && firstLocked == null) {
            firstLocked = locked;
        }
        lastError = failure;
        if (!starting && places.isEmpty()) {
            fail(noneLeft());
        }
    }

    /** Why the request fails once no recorder is left to wait on. */
    private RecorderException noneLeft() {
        RecorderException last = lastError;
        if (last == null) {
            return new RecorderRemovedException("no recorder matches " + selector, null);
        }
        if (last instanceof AcquireTimeoutException) {
            return new AcquireTimeoutException(last.hresult(), "no recorder of the pool (" + selector + ") was granted "
                    + "within the wait; last: " + last.detailMessage(), last.recorder().orElse(null),
                    last.owner().orElse(null), null, null);
        }
        if (last instanceof RecorderRemovedException) {
            return new RecorderRemovedException(last.hresult(), "no recorder of the pool (" + selector + ") remains; "
                    + "last: " + last.detailMessage(), last.recorder().orElse(null), last.owner().orElse(null),
                    null, null);
        }
        RecorderLockedException locked = firstLocked;
        if (locked != null) {
            return new RecorderLockedException(locked.hresult(), "every recorder of the pool (" + selector + ") is "
                    + "held; first: " + locked.detailMessage(), locked.recorder().orElse(null),
                    locked.owner().orElse(null), null, null);
        }
        if (last instanceof PendingAcquireLimitException) {
            return new PendingAcquireLimitException(last.hresult(), "every recorder of the pool (" + selector + ") "
                    + "has its queue full; last: " + last.detailMessage(), last.recorder().orElse(null), null, null,
                    null);
        }
        return last;
    }

    // ------------------------------------------------------------------------------------------------ the request

    /** Whether this is the first of its places to time out: the request's timeout is counted once. */
    boolean firstTimeout() {
        if (timeoutCounted) {
            return false;
        }
        timeoutCounted = true;
        return true;
    }

    /** The subscriber cancelled the request: every place is withdrawn. */
    void cancelled() {
        end();
    }

    private void fail(RecorderException error) {
        end();
        request.fail(error);
    }

    /** The request has ended: withdraws every place (each leaves its queue as a cancelled request does). */
    private void end() {
        if (ended) {
            return;
        }
        ended = true;
        core.poolEnded(this);
        List<AcquireOperation> left = new ArrayList<>(places.values());
        places.clear();
        for (AcquireOperation place : left) {
            place.cancel();
        }
    }

    @Override
    public String toString() {
        return "pool request for " + selector + " by " + request.session + " on " + places.keySet().size()
                + " recorders";
    }
}
