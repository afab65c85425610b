package io.discagent.api.event;

import io.discagent.api.LockState;
import io.discagent.api.RecorderId;
import java.time.Instant;
import java.util.Objects;

/**
 * A change of who holds a recorder through the agent: free to held, a count change, held to free.
 *
 * @param sequence see {@link RecorderEvent#sequence()}
 * @param at see {@link RecorderEvent#at()}
 * @param recorder the recorder
 * @param from the state before
 * @param to the state after
 * @param cause why it changed
 */
public record LockTransition(long sequence, Instant at, RecorderId recorder, LockState from, LockState to,
        Cause cause) implements RecorderEvent {

    /** Why a lock state changed. */
    public enum Cause {
        /** Not a change: the current state, sent first to every new subscriber ({@code from == to}). */
        SNAPSHOT,
        /** A session acquired (free to held, or a higher count). */
        ACQUIRED,
        /** A session released (a lower count, or held to free). */
        RELEASED,
        /** The holding session was closed (by its client, its lease or its transport). */
        SESSION_CLOSED,
        /** The recorder was removed while held. */
        DEVICE_REMOVED,
        /** The backend reported that the lock was lost (handle died, media or driver reset). */
        FORCED_BY_BACKEND,
        /** The agent shut down while the recorder was held. */
        AGENT_CLOSED
    }

    public LockTransition {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(recorder, "recorder");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(cause, "cause");
    }
}
