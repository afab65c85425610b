package io.discagent.api;

import io.discagent.api.error.InvalidArgumentException;
import java.time.Duration;
import java.time.temporal.ChronoUnit;

/**
 * How an acquire request behaves. The default is IMAPI2's: no force, fail at once when the recorder is held, no
 * retry.
 *
 * @param force IMAPI2's {@code force}: take the recorder even when a file system is mounted on it (the backend
 *     dismounts it). It never takes a recorder away from another client.
 * @param waitTimeout how long the request may wait in all: {@link Duration#ZERO} fails at once when the recorder
 *     is held (IMAPI2), a positive duration queues behind holders of this agent (FIFO, granted the moment the holder
 *     releases) and retries external holders until it ends, {@link #WAIT_FOREVER} never gives up
 * @param retry how to retry when the backend reports the recorder locked by a holder outside the agent
 */
public record AcquireOptions(boolean force, Duration waitTimeout, RetryPolicy retry) {

    /** A wait timeout that never ends. */
    public static final Duration WAIT_FOREVER = ChronoUnit.FOREVER.getDuration();

    /** IMAPI2's behaviour: no force, no wait, no retry. */
    public static final AcquireOptions DEFAULT = new AcquireOptions(false, Duration.ZERO, RetryPolicy.automatic());

    /**
     * Checks the options.
     *
     * @param force whether to take the recorder even when a file system is mounted on it
     * @param waitTimeout how long the request may wait in all, not negative
     * @param retry how to retry when a holder outside the agent has the recorder
     * @throws InvalidArgumentException ({@code E_INVALIDARG}) if {@code waitTimeout} or
     *     {@code retry} is {@code null}, or {@code waitTimeout} is negative
     */
    public AcquireOptions {
        InvalidArgumentException.requireNonNull(waitTimeout, "waitTimeout");
        InvalidArgumentException.requireNonNull(retry, "retry");
        InvalidArgumentException.require(!waitTimeout.isNegative(), "waitTimeout must not be negative: " + waitTimeout);
    }

    /**
     * Fail at once when the recorder is held (the default).
     *
     * @return {@link #DEFAULT}
     */
    public static AcquireOptions failFast() {
        return DEFAULT;
    }

    /**
     * Wait up to {@code timeout} for the recorder: queue behind holders of this agent and retry holders outside it
     * until the timeout ends.
     *
     * @param timeout how long the request may wait in all; {@link Duration#ZERO} fails at once, {@link #WAIT_FOREVER}
     *     never gives up
     * @return the default options with this wait timeout
     * @throws InvalidArgumentException if {@code timeout} is {@code null} or negative
     */
    public static AcquireOptions waitUpTo(Duration timeout) {
        return DEFAULT.withWaitTimeout(timeout);
    }

    /**
     * Wait until the recorder is granted, the request is cancelled, or the recorder goes away.
     *
     * @return the default options with the wait timeout {@link #WAIT_FOREVER}
     */
    public static AcquireOptions waitIndefinitely() {
        return DEFAULT.withWaitTimeout(WAIT_FOREVER);
    }

    /**
     * A copy with {@code force}.
     *
     * @param force whether to take the recorder even when a file system is mounted on it (see {@link #force()})
     * @return these options with {@code force} replaced
     */
    public AcquireOptions withForce(boolean force) {
        return new AcquireOptions(force, waitTimeout, retry);
    }

    /**
     * A copy with another wait timeout.
     *
     * @param waitTimeout how long the request may wait in all (see {@link #waitTimeout()})
     * @return these options with {@code waitTimeout} replaced
     * @throws InvalidArgumentException if {@code waitTimeout} is {@code null} or negative
     */
    public AcquireOptions withWaitTimeout(Duration waitTimeout) {
        return new AcquireOptions(force, waitTimeout, retry);
    }

    /**
     * A copy with another retry policy.
     *
     * @param retry how to retry when a holder outside the agent has the recorder (see {@link #retry()})
     * @return these options with {@code retry} replaced
     * @throws InvalidArgumentException if {@code retry} is {@code null}
     */
    public AcquireOptions withRetry(RetryPolicy retry) {
        return new AcquireOptions(force, waitTimeout, retry);
    }

    /**
     * Whether the request may wait at all.
     *
     * @return {@code true} unless the wait timeout is {@link Duration#ZERO}
     */
    public boolean waits() {
        return !waitTimeout.isZero();
    }

    /**
     * Whether the request waits without a time limit.
     *
     * @return {@code true} if the wait timeout is {@link #WAIT_FOREVER}
     */
    public boolean waitsForever() {
        return waitTimeout.equals(WAIT_FOREVER);
    }
}
