package io.discagent.agent.internal;

import io.discagent.api.LockState;
import io.discagent.api.MediaInfo;
import io.discagent.api.RecorderId;
import io.discagent.api.event.LockTransition.Cause;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import reactor.core.scheduler.Scheduler;

/**
 * What a {@link RecorderSlot} may ask of the rest of the agent: its clock and settings, where to publish, and how to
 * report that its device is gone. Narrow on purpose: a slot knows nothing of sessions it is not serving, of other
 * recorders, or of the API.
 */
interface SlotContext {

    EventLoop loop();

    Scheduler time();

    AgentSettings settings();

    long nowNanos();

    String backendName();

    /** Ids for new holds, unique in the agent. */
    long nextHoldId();

    /** Where requests with a wait deadline are watched. */
    Deadlines deadlines();

    void publishTransition(RecorderId recorder, LockState from, LockState to, Cause cause);

    void publishCommandTimeout(RecorderId recorder, String command, Duration timeout);

    void publishAcquireTimeout(AcquireOperation op, Duration waited, @Nullable String owner);

    void publishRemoved(RecorderId recorder, @Nullable String lastOwner, int failedWaiters);

    /** A media change, with the medium's details when they could be read ({@code null} otherwise). */
    void publishMedia(RecorderId recorder, MediaState state, @Nullable MediaInfo media);

    /**
     * The agent read the medium of {@code slot} (or forgot it: {@link RecorderSlot#lastMedium} null): the pool
     * requests that test media look again.
     */
    void mediumRead(RecorderSlot slot);

    /** Whether a pool request waits for the medium of {@code slot} to match (it parks that recorder). */
    boolean mediumAwaited(RecorderSlot slot);

    /** A native call said the device does not exist any more: the registry removes the slot. */
    void deviceGone(RecorderSlot slot);

    void countGrant();

    void countRetry();

    /** A grant nobody took: its request ended before it ({@code before}), or its subscriber dropped it. */
    void countUnclaimed(boolean before);

    /** The native lock passed from one session to the next without a native release. */
    void countHandOver();

    /** Work under a lock was stopped because its hold ended under it. */
    void countRevoked();

    void waitingChanged(int delta);
}
