package io.discagent.api.event;

import io.discagent.api.LockState;
import io.discagent.api.RecorderId;
import java.time.Instant;
import java.util.Objects;

/**
 * A change of who holds a recorder ({@link LockState}): free to held, a count change, held to free, and an outside
 * holder (a process outside the agent) appearing, changing or going ({@link Cause#EXTERNAL_ACQUIRED},
 * {@link Cause#EXTERNAL_RELEASED}). A session's hold never follows an outside holder directly: when a native acquire
 * succeeds while the agent still showed an outside holder, an {@code EXTERNAL_RELEASED} to free comes first, then the
 * {@code ACQUIRED}.
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
        /** The recorder was removed while held (by a session, or outside the agent). */
        DEVICE_REMOVED,
        /** The backend reported that the lock was lost (handle died, media or driver reset). */
        FORCED_BY_BACKEND,
        /** The agent shut down while the recorder was held. */
        AGENT_CLOSED,
        /**
         * The backend's owner discovery found a holder outside the agent where there was none, or another one than
         * before: {@code to} is {@link LockState.Status#EXTERNAL}, {@code from} is free or the previous outside holder.
         */
        EXTERNAL_ACQUIRED,
        /**
         * The holder outside the agent let the recorder go: from {@link LockState.Status#EXTERNAL} to free. Seen by the
         * backend's owner discovery, or by a native acquire of the agent that succeeded.
         */
        EXTERNAL_RELEASED
    }

    /**
     * Checks that the required components are present.
     *
     * @param sequence see {@link RecorderEvent#sequence()}
     * @param at see {@link RecorderEvent#at()}
     * @param recorder the recorder
     * @param from the state before
     * @param to the state after
     * @param cause why it changed
     * @throws NullPointerException if {@code at}, {@code recorder}, {@code from}, {@code to} or {@code cause} is
     *     {@code null}
     */
    public LockTransition {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(recorder, "recorder");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(cause, "cause");
    }
}
