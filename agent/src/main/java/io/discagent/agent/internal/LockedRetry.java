package io.discagent.agent.internal;

import io.discagent.api.AcquireOptions;
import io.discagent.api.RetryPolicy;
import io.discagent.api.error.RecorderLockedException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.util.retry.Retry;

/**
 * Builds the Reactor {@link Retry} of an acquire request from its {@link RetryPolicy}. Only
 * {@link RecorderLockedException} is retried; the backoff runs on the agent's scheduler (so virtual time drives it in
 * tests) and never waits past the request's deadline.
 */
final class LockedRetry {

    static final Duration AUTOMATIC_MIN = Duration.ofMillis(100);
    static final Duration AUTOMATIC_MAX = Duration.ofSeconds(1);
    static final double AUTOMATIC_JITTER = 0.5;

    private LockedRetry() {
    }

    /** Whether {@link #forRequest} gives a retry for these options (without building it). */
    static boolean mayRetry(AcquireOptions options) {
        RetryPolicy policy = options.retry();
        return !(policy instanceof RetryPolicy.None) && (options.waits() || !(policy instanceof RetryPolicy.Automatic));
    }

    /**
     * @param options the request's options
     * @param deadlineNanos when the request's wait ends, on {@code time}'s clock ({@link Long#MAX_VALUE}: never)
     * @param time the agent's scheduler
     * @return the retry, or {@code null} for none
     */
    static @Nullable Retry forRequest(AcquireOptions options, long deadlineNanos, Scheduler time) {
        RetryPolicy policy = options.retry();
        long deadline = options.waits() ? deadlineNanos : Long.MAX_VALUE;
        if (policy instanceof RetryPolicy.None) {
            return null;
        }
        if (policy instanceof RetryPolicy.Automatic) {
            return options.waits() ? backoff(Long.MAX_VALUE, AUTOMATIC_MIN, AUTOMATIC_MAX, AUTOMATIC_JITTER, deadline,
                    time) : null;
        }
        if (policy instanceof RetryPolicy.Backoff) {
            RetryPolicy.Backoff b = (RetryPolicy.Backoff) policy;
            return backoff(b.maxAttempts(), b.minBackoff(), b.maxBackoff(), b.jitter(), deadline, time);
        }
        return lockedOnly(((RetryPolicy.Custom) policy).retry());
    }

    private static Retry backoff(long maxAttempts, Duration min, Duration max, double jitter, long deadlineNanos,
            Scheduler time) {
        long minNanos = min.toNanos();
        long maxNanos = max.toNanos();
        return Retry.from(signals -> signals.concatMap(signal -> {
            Throwable failure = signal.failure();
            if (!(failure instanceof RecorderLockedException) || signal.totalRetries() >= maxAttempts) {
                return Mono.error(failure);
            }
            long delay = jittered(exponential(minNanos, maxNanos, signal.totalRetries()), jitter, minNanos, maxNanos);
            if (deadlineNanos != Long.MAX_VALUE) {
                // The next attempt runs at the deadline at the latest; it then fails with the acquire timeout.
                delay = Math.max(0, Math.min(delay, deadlineNanos - time.now(TimeUnit.NANOSECONDS)));
            }
            return Mono.delay(Duration.ofNanos(delay), time);
        }));
    }

    private static Retry lockedOnly(Retry user) {
        return Retry.from(signals -> user.generateCompanion(signals.map(signal -> {
            if (!(signal.failure() instanceof RecorderLockedException)) {
                throw Exceptions.propagate(signal.failure());
            }
            return signal;
        })));
    }

    static long exponential(long minNanos, long maxNanos, long retry) {
        if (minNanos == 0) {
            return 0;
        }
        if (retry >= 62 || minNanos > (maxNanos >> Math.min(retry, 62))) {
            return maxNanos;
        }
        return Math.min(maxNanos, minNanos << retry);
    }

    private static long jittered(long delay, double jitter, long minNanos, long maxNanos) {
        if (jitter == 0 || delay == 0) {
            return delay;
        }
        long offset = (long) (delay * jitter);
        long low = Math.max(minNanos, delay - offset);
        long high = Math.min(maxNanos, delay + offset);
        return high <= low ? low : ThreadLocalRandom.current().nextLong(low, high + 1);
    }
}
