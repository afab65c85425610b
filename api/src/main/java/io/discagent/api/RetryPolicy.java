package io.discagent.api;

import io.discagent.api.error.InvalidArgumentException;
import java.time.Duration;
import reactor.util.retry.Retry;

/**
 * How an acquire request retries when the backend reports the recorder locked ({@code E_IMAPI_RECORDER_LOCKED}),
 * which happens when the holder is outside the agent: another process, or a driver-level lock.
 *
 * <p>Waiting for a holder inside the agent is not retrying: such requests queue in FIFO order and are granted the
 * moment the holder's count reaches zero (see {@link AcquireOptions#waitTimeout()}).
 */
public sealed interface RetryPolicy {

    /**
     * The default: no retry when the request does not wait (IMAPI2 behaviour); when it waits, exponential backoff
     * from 100 ms to 1 s with jitter 0.5 until the wait timeout ends.
     *
     * @return the automatic policy ({@link AcquireOptions#DEFAULT}'s)
     */
    static RetryPolicy automatic() {
        return Automatic.INSTANCE;
    }

    /**
     * Never retry: a recorder locked outside the agent fails the request at once, even when the request has a wait
     * timeout (it still queues behind holders inside the agent, which is not retrying).
     *
     * @return the policy that never retries
     */
    static RetryPolicy none() {
        return None.INSTANCE;
    }

    /**
     * Exponential backoff with jitter, on the agent's scheduler, never past the request's wait timeout.
     *
     * @param maxAttempts how many retries at most ({@link Long#MAX_VALUE} for no limit)
     * @param minBackoff the first delay
     * @param maxBackoff the longest delay
     * @param jitter between 0 and 1: how far each delay may randomly move
     * @return the policy
     * @throws InvalidArgumentException ({@code E_INVALIDARG}) if a duration is {@code null}, {@code maxAttempts} is
     *     negative, {@code minBackoff} is negative or longer than {@code maxBackoff}, or {@code jitter} is outside
     *     0 to 1
     */
    static RetryPolicy backoff(long maxAttempts, Duration minBackoff, Duration maxBackoff, double jitter) {
        return new Backoff(maxAttempts, minBackoff, maxBackoff, jitter);
    }

    /**
     * A Reactor {@link Retry} of your own. It sees only {@code E_IMAPI_RECORDER_LOCKED} failures (others fail the
     * request directly), and it runs on whatever scheduler it was built with.
     *
     * @param retry the Reactor retry strategy
     * @return the policy
     * @throws InvalidArgumentException ({@code E_INVALIDARG}) if {@code retry} is {@code null}
     */
    static RetryPolicy of(Retry retry) {
        return new Custom(retry);
    }

    /** See {@link #automatic()}. */
    enum Automatic implements RetryPolicy {
        /** The one automatic policy. */
        INSTANCE
    }

    /** See {@link #none()}. */
    enum None implements RetryPolicy {
        /** The one policy that never retries. */
        INSTANCE
    }

    /**
     * See {@link #backoff(long, Duration, Duration, double)}.
     *
     * @param maxAttempts how many retries at most ({@link Long#MAX_VALUE} for no limit)
     * @param minBackoff the first delay
     * @param maxBackoff the longest delay
     * @param jitter between 0 and 1: how far each delay may randomly move
     */
    record Backoff(long maxAttempts, Duration minBackoff, Duration maxBackoff, double jitter) implements RetryPolicy {

        /**
         * Checks the policy.
         *
         * @param maxAttempts how many retries at most ({@link Long#MAX_VALUE} for no limit)
         * @param minBackoff the first delay
         * @param maxBackoff the longest delay
         * @param jitter between 0 and 1: how far each delay may randomly move
         * @throws InvalidArgumentException ({@code E_INVALIDARG}) if a duration is {@code null},
         *     {@code maxAttempts} is negative, {@code minBackoff} is negative or longer than {@code maxBackoff}, or
         *     {@code jitter} is outside 0 to 1
         */
        public Backoff {
            InvalidArgumentException.requireNonNull(minBackoff, "minBackoff");
            InvalidArgumentException.requireNonNull(maxBackoff, "maxBackoff");
            InvalidArgumentException.require(maxAttempts >= 0, "maxAttempts must not be negative: " + maxAttempts);
            InvalidArgumentException.require(!minBackoff.isNegative() && maxBackoff.compareTo(minBackoff) >= 0,
                    "need 0 <= minBackoff <= maxBackoff, got " + minBackoff + " and " + maxBackoff);
            InvalidArgumentException.require(jitter >= 0 && jitter <= 1, "jitter must be between 0 and 1: " + jitter);
        }
    }

    /**
     * See {@link #of(Retry)}.
     *
     * @param retry the Reactor retry strategy, which sees only {@code E_IMAPI_RECORDER_LOCKED} failures
     */
    record Custom(Retry retry) implements RetryPolicy {

        /**
         * Checks the policy.
         *
         * @param retry the Reactor retry strategy
         * @throws InvalidArgumentException ({@code E_INVALIDARG}) if {@code retry} is {@code null}
         */
        public Custom {
            InvalidArgumentException.requireNonNull(retry, "retry");
        }
    }
}
