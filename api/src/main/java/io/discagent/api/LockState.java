package io.discagent.api;

import io.discagent.api.error.InvalidArgumentException;
import org.jspecify.annotations.Nullable;

/**
 * Who holds a recorder: a session of this agent, a process outside the agent, or nobody.
 *
 * <table>
 * <caption>The three states</caption>
 * <tr><th>{@link #status()}</th><th>{@link #owner()}</th><th>{@link #session()}</th><th>{@link #count()}</th></tr>
 * <tr><td>{@link Status#FREE FREE}</td><td>{@code null}</td><td>{@code null}</td><td>0</td></tr>
 * <tr><td>{@link Status#HELD HELD}: a session of this agent</td><td>its client name</td><td>the session</td>
 * <td>its lock count, at least 1</td></tr>
 * <tr><td>{@link Status#EXTERNAL EXTERNAL}: an outside holder</td><td>the holder as the backend names it, such as
 * {@code wodim (pid 4242)} or {@code mounted at /media/disc}</td><td>{@code null}</td><td>0</td></tr>
 * </table>
 *
 * <p>An outside holder is a process outside this agent that has the drive: a burning tool, a mounted file system,
 * another IMAPI2 client. The agent learns of it from the backend's owner discovery (IMAPI2's
 * {@code ExclusiveAccessOwner}): whenever a native acquire fails with {@code E_IMAPI_RECORDER_LOCKED} naming the
 * holder, whenever {@link RecorderAgent#exclusiveAccessOwner} asks, and by asking again at least every
 * {@code ownerRefreshInterval} (default 2 s) while someone watches the recorder's lock transitions or an acquire
 * waits for it. A recorder nobody watches keeps the outside holder it was last seen with. {@code EXTERNAL} does not
 * stop an acquire: the native acquire decides, exactly as in IMAPI2. A holder the backend cannot name is not shown
 * (no backend of discagent leaves one unnamed: the Linux backend says {@code a process this agent cannot see}).
 *
 * @param status {@link Status#FREE}, {@link Status#HELD} or {@link Status#EXTERNAL}
 * @param owner the client name of the holding session, or the name of the outside holder; {@code null} when free
 * @param session the holding session; {@code null} unless {@link Status#HELD}
 * @param count the holding session's lock count; 0 unless {@link Status#HELD} (the agent cannot count another
 *     program's locks)
 */
public record LockState(Status status, @Nullable String owner, @Nullable SessionId session, int count) {

    /** The state of a recorder nobody holds. */
    public static final LockState FREE = new LockState(Status.FREE, null, null, 0);

    /** Who holds a recorder. */
    public enum Status {
        /** Nobody, as far as the agent knows. */
        FREE,
        /** A session of this agent, with a lock count of at least 1. */
        HELD,
        /** A process outside the agent (an outside holder), named by the backend. */
        EXTERNAL
    }

    /**
     * Checks that the components agree with {@code status}, as the table of the class comment shows.
     *
     * @param status free, held by a session of this agent, or held outside it
     * @param owner the holding session's client name or the outside holder's name; {@code null} when free
     * @param session the holding session; {@code null} unless held
     * @param count the holding session's lock count; 0 unless held
     * @throws InvalidArgumentException ({@code E_INVALIDARG}) if {@code status} is
     *     {@code null} or the other components do not fit it
     */
    public LockState {
        InvalidArgumentException.requireNonNull(status, "status");
        InvalidArgumentException.require(status != Status.FREE || (owner == null && session == null && count == 0),
                "a free recorder has no owner and a count of 0");
        InvalidArgumentException.require(status != Status.HELD || (owner != null && session != null && count >= 1),
                "a held recorder has an owner, a session and a count of at least 1");
        InvalidArgumentException.require(status != Status.EXTERNAL
                        || (owner != null && !owner.isEmpty() && session == null && count == 0),
                "a recorder held outside the agent has an owner, no session and a count of 0");
    }

    /**
     * The state of a recorder held {@code count} times by {@code session}.
     *
     * @param owner the client name of {@code session}
     * @param session the holding session
     * @param count the session's lock count, at least 1
     * @return a {@link Status#HELD} state
     * @throws InvalidArgumentException if {@code owner} or {@code session} is {@code null}
     *     or {@code count} is less than 1
     */
    public static LockState held(String owner, SessionId session, int count) {
        return new LockState(Status.HELD, owner, session, count);
    }

    /**
     * The state of a recorder held by a process outside the agent, named {@code owner} by the backend.
     *
     * @param owner the outside holder as the backend names it, such as {@code wodim (pid 4242)}; not empty
     * @return an {@link Status#EXTERNAL} state
     * @throws InvalidArgumentException if {@code owner} is {@code null} or empty
     */
    public static LockState external(String owner) {
        return new LockState(Status.EXTERNAL, owner, null, 0);
    }

    /**
     * Whether a session of this agent holds the recorder.
     *
     * @return {@code true} if {@link #status()} is {@link Status#HELD}
     */
    public boolean isHeld() {
        return status == Status.HELD;
    }

    /**
     * Whether a process outside the agent holds the recorder.
     *
     * @return {@code true} if {@link #status()} is {@link Status#EXTERNAL}
     */
    public boolean isExternal() {
        return status == Status.EXTERNAL;
    }

    /**
     * Whether nobody holds the recorder, as far as the agent knows.
     *
     * @return {@code true} if {@link #status()} is {@link Status#FREE}
     */
    public boolean isFree() {
        return status == Status.FREE;
    }
}
