package io.discagent.agent.internal;

import io.discagent.api.AcquireOptions;
import io.discagent.api.LockGrant;
import io.discagent.api.MediaInfo;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
import io.discagent.api.RecorderSelector;
import io.discagent.api.error.AcquireTimeoutException;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.error.MediaNotWritableException;
import io.discagent.api.error.PendingAcquireLimitException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.RequestCancelledException;
import io.discagent.api.error.SessionClosedException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * closed) fails it at once.
 *
 * <p><b>Media.</b> With a medium condition ({@link RecorderSelector#hasMediumCondition}) a recorder is given a place
 * only while the medium the agent last read there ({@link RecorderSlot#lastMedium}) matches; a matching recorder whose
 * medium was not read yet, or does not match, is <em>parked</em>: the request reads it if it is unread, and looks again
 * whenever the agent reads it ({@link #mediumRead}), taking a place (at the back of that recorder's line) once it
 * matches, and withdrawing its place from a recorder whose medium stops matching. A grant offered for a recorder
 * whose medium no longer matches is refused and the recorder parked, so a request never holds a recorder with the
 * wrong medium and never spins on one. While a waiting request has only parked recorders it has no place, so it keeps
 * its own deadline ({@link #armDeadline}); a request that may not wait fails once no place is left and no read it
 * waits for is pending. Event loop only.
 */
final class PoolRequest implements AcquireOperation.Receiver {

    private final AgentCore core;
    /** The request the subscriber holds. */
    final AcquireOperation request;
    private final RecorderSelector selector;
    private final AcquireOptions options;
    /** The live places, by recorder. */
    private final Map<RecorderSlot, AcquireOperation> places = new LinkedHashMap<>();
    /** Recorders that match but whose medium does not (or is not read yet); empty without a medium condition. */
    private final Set<RecorderSlot> parked = new LinkedHashSet<>();
    private boolean starting;
    private boolean ended;
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
        if (!ended && !parked.isEmpty()) {
            armDeadline();
        }
        failIfNoneLeft();
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
        if (!mediumMatches(slot)) {
            parked.add(slot);
            return;
        }
        AcquireOperation place = new AcquireOperation(request.session, slot.id, options, this);
        place.activate();
        place.deadlineNanos = request.deadlineNanos;
        places.put(slot, place);
        if (place.deadlineNanos != Long.MAX_VALUE) {
            core.deadlines().add(place);
        }
        slot.admit(place);
    }

    /**
     * Whether the medium last read in {@code slot} meets the selector's medium condition; an unread medium is read
     * (and does not match until it is), and so is one whose last read failed when a new request meets it. Fails the
     * request if the condition throws.
     */
    private boolean mediumMatches(RecorderSlot slot) {
        if (!selector.hasMediumCondition()) {
            return true;
        }
        MediaInfo medium = slot.lastMedium();
        if (medium == null || (starting && !medium.isKnown())) {
            slot.refreshMedium();
            return false;
        }
        try {
            return selector.acceptsMedium(medium);
        } catch (RuntimeException e) {
            fail(new InvalidArgumentException("the selector's medium condition (" + selector + ") failed on recorder "
                    + slot.id + ": " + e, slot.id));
            return false;
        }
    }

    /**
     * The agent read (or forgot) the medium of {@code slot}: a parked recorder whose medium now matches takes a place,
     * a recorder whose medium stopped matching gives up its place.
     */
    void mediumRead(RecorderSlot slot) {
        if (ended || !request.isLive() || !selector.hasMediumCondition()) {
            return;
        }
        AcquireOperation place = places.get(slot);
        if (place != null) {
            if (place.isLive() && !mediumMatches(slot) && !ended) {
                places.remove(slot);
                parked.add(slot);
                place.cancel(); // leaves the recorder's line as a cancelled request does
                armDeadline();
            }
        } else if (parked.contains(slot)) {
            if (slot.lastMedium() == null) {
                slot.refreshMedium(); // forgotten (a burn began or ended): read again
            } else {
                parked.remove(slot);
                join(slot); // takes a place if the medium matches now, parks it again otherwise
            }
        }
        failIfNoneLeft();
    }

    /** Whether this request waits for the medium of {@code slot} to match. */
    boolean parks(RecorderSlot slot) {
        return !ended && parked.contains(slot);
    }

    /** A recorder was removed: if it was parked, the request stops waiting for its medium. */
    void removed(RecorderId recorder) {
        if (!ended && parked.removeIf(slot -> slot.id.equals(recorder))) {
            failIfNoneLeft();
        }
    }

    /** Fails the request once it has no place left and nothing it may still wait for. */
    private void failIfNoneLeft() {
        if (ended || starting || !places.isEmpty()) {
            return;
        }
        parked.removeIf(slot -> slot.phase() == Phase.REMOVED);
        if (parked.isEmpty()) {
            fail(noneLeft());
        } else if (waitEnded()) {
            if (lastError instanceof AcquireTimeoutException) {
                fail(noneLeft()); // its places timed out, and counted it
            } else {
                failTimedOutWaitingForMedium();
            }
        } else if (!options.waits()
                && parked.stream().noneMatch(slot -> slot.mediumReadPending()
                        && (slot.lastMedium() == null || !slot.lastMedium().isKnown()))) {
            // a recorder whose medium matched is held: that says more than the ones whose medium does not
            fail(firstLocked != null ? locked(firstLocked) : noMatchingMedium());
        }
    }

    /** Whether the request's wait has run out (its places' deadlines and its own are the same instant). */
    private boolean waitEnded() {
        return request.deadlineNanos != Long.MAX_VALUE && core.nowNanos() >= request.deadlineNanos;
    }

    /**
     * A waiting request with parked recorders keeps its own deadline, in the agent's deadline heap beside its places':
     * it may have no place to time out in.
     */
    private void armDeadline() {
        if (request.deadlineIndex < 0 && !ended && request.deadlineNanos != Long.MAX_VALUE && options.waits()) {
            core.deadlines().add(request);
        }
    }

    /** The request's own deadline ({@link #armDeadline}) passed: it fails unless a place still waits (its own). */
    void deadlineReached() {
        if (!ended && places.isEmpty()) {
            failTimedOutWaitingForMedium();
        }
    }

    /** The wait ran out with no place to time out in: the request times out. */
    private void failTimedOutWaitingForMedium() {
        fail(new AcquireTimeoutException("no recorder of the pool (" + selector + ") had a matching medium and was "
                + "granted within the wait", null));
    }

    private RecorderException noMatchingMedium() {
        return new MediaNotWritableException("no recorder of the pool (" + selector + ") holds a matching medium",
                null);
    }

    // ------------------------------------------------------------------------------------------------ places

    @Override
    public boolean offer(AcquireOperation place, LockGrant grant) {
        places.values().remove(place);
        if (ended) {
            return false;
        }
        RecorderSlot slot = place.slot;
        if (slot != null && !mediumMatches(slot)) {
            if (!ended) {
                parked.add(slot); // the medium changed under the place: refused, and looked at again when read
                armDeadline();
                failIfNoneLeft();
            }
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
        failIfNoneLeft();
    }

    private RecorderLockedException locked(RecorderLockedException first) {
        return new RecorderLockedException(first.hresult(), "every recorder of the pool (" + selector + ") "
                + (selector.hasMediumCondition() ? "with a matching medium " : "") + "is held; first: "
                + first.detailMessage(), first.recorder().orElse(null), first.owner().orElse(null), null, null);
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
            return locked(locked);
        }
        if (last instanceof PendingAcquireLimitException) {
            return new PendingAcquireLimitException(last.hresult(), "every recorder of the pool (" + selector + ") "
                    + "has its queue full; last: " + last.detailMessage(), last.recorder().orElse(null), null, null,
                    null);
        }
        return last;
    }

    // ------------------------------------------------------------------------------------------------ the request

    /** The subscriber cancelled the request: every place is withdrawn. */
    void cancelled() {
        end();
    }

    /** Its session closed (or the agent did): the request fails with {@code failure} if it has not ended. */
    void sessionClosed(RecorderException failure) {
        if (!ended) {
            fail(failure);
        }
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
        core.deadlines().remove(request);
        parked.clear();
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
