package io.discagent.agent.internal;

import java.time.Duration;

/**
 * Duration arithmetic that cannot overflow. {@link Duration#toNanos()} throws for anything beyond about 292 years
 * ({@code ChronoUnit.FOREVER}, "1000 years"); the agent saturates instead, and treats every duration at or beyond
 * {@link #FOREVER_NANOS} as "never": a timeout that never fires, an interval that never ticks.
 */
final class Durations {

    /** 100 years in nanoseconds: at or beyond it, a duration means "never". */
    static final long FOREVER_NANOS = Duration.ofDays(36_525).toNanos();

    private Durations() {
    }

    /** {@code d} in nanoseconds, {@link Long#MAX_VALUE} if it does not fit. */
    static long toNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException overflow) {
            return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    /** Whether {@code d} is so long that it means "never". */
    static boolean isForever(Duration d) {
        return toNanos(d) >= FOREVER_NANOS;
    }

    /** {@code a + b}, {@link Long#MAX_VALUE} on overflow (both non-negative). */
    static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }
}
