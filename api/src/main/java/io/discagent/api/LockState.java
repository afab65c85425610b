package io.discagent.api;

import io.discagent.api.error.InvalidArgumentException;
import org.jspecify.annotations.Nullable;

/**
 * Who holds a recorder through this agent, and how many times.
 *
 * @param status {@link Status#FREE} or {@link Status#HELD}
 * @param owner the client name of the holding session; {@code null} when free
 * @param session the holding session; {@code null} when free
 * @param count the holding session's lock count (0 when free)
 */
public record LockState(Status status, @Nullable String owner, @Nullable SessionId session, int count) {

    /** The state of a recorder nobody holds. */
    public static final LockState FREE = new LockState(Status.FREE, null, null, 0);

    /** Whether a recorder is held by a session of this agent. */
    public enum Status { FREE, HELD }

    public LockState {
        InvalidArgumentException.requireNonNull(status, "status");
        InvalidArgumentException.require(status != Status.FREE || (owner == null && session == null && count == 0),
                "a free recorder has no owner and a count of 0");
        InvalidArgumentException.require(status != Status.HELD || (owner != null && session != null && count >= 1),
                "a held recorder has an owner, a session and a count of at least 1");
    }

    /** The state of a recorder held {@code count} times by {@code session}. */
    public static LockState held(String owner, SessionId session, int count) {
        return new LockState(Status.HELD, owner, session, count);
    }

    /** Whether a session holds the recorder. */
    public boolean isHeld() {
        return status == Status.HELD;
    }
}
