package io.discagent.agent.internal;

import io.discagent.api.AcquireOptions;
import io.discagent.api.RetryPolicy;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderLockedException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.Exceptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.util.retry.Retry;

/**
 * How one acquire request retries {@code E_IMAPI_RECORDER_LOCKED}, built the first time a request meets that failure
 * (most requests never do, and keep nothing of it). Only {@link RecorderLockedException} is retried. The request
 * keeps its place while it retries: the recorder's slot holds it at the head of its queue (or, for a request that
 * does not wait, outside any queue), and this class only says when to try again, or that the request must give up.
 *
 * <p>The built-in policies run their delays on the agent's scheduler and never wait past the request's deadline. A
 * user's {@link Retry} is driven as Reactor's {@code retryWhen} drives it: each failure is a {@link Retry.RetrySignal}
 * on its companion; a value from the companion means "try again", its end means "give up". Whatever thread the
 * companion signals on, the outcome hops to the event loop. When the retries are exhausted the request fails with
 * the last {@code RecorderLockedException} (with its owner), never with Reactor's {@code RetryExhaustedException}.
 */
abstract class LockedRetry {

    static final Duration AUTOMATIC_MIN = Duration.ofMillis(100);
    static final Duration AUTOMATIC_MAX = Duration.ofSeconds(1);
    static final double AUTOMATIC_JITTER = 0.5;

    /** Whether a request with these options retries an outside holder at all. */
    static boolean applies(AcquireOptions options) {
        RetryPolicy policy = options.retry();
        return !(policy instanceof RetryPolicy.None) && (options.waits() || !(policy instanceof RetryPolicy.Automatic));
    }

    /**
     * Whether a request that does not wait retries a holder inside the agent too (polling it under its policy): an
     * explicit policy on a request that does not queue.
     */
    static boolean appliesToAgentHolders(AcquireOptions options) {
        return !options.waits() && applies(options);
    }

    /** The retry of {@code op}, whose options {@link #applies}. */
    static LockedRetry of(AcquireOperation op, EventLoop loop, Scheduler time) {
        AcquireOptions options = op.opts();
        long deadline = options.waits() ? op.deadlineNanos : Long.MAX_VALUE;
        RetryPolicy policy = options.retry();
        if (policy instanceof RetryPolicy.Backoff b) {
            return new Backoff(loop, time, b.maxAttempts(), b.minBackoff(), b.maxBackoff(), b.jitter(), deadline);
        }
        if (policy instanceof RetryPolicy.Custom c) {
            return new Companion(loop, c.retry());
        }
        return new Backoff(loop, time, Long.MAX_VALUE, AUTOMATIC_MIN, AUTOMATIC_MAX, AUTOMATIC_JITTER, deadline);
    }

    protected final EventLoop loop;

    LockedRetry(EventLoop loop) {
        this.loop = loop;
    }

    /**
     * Another {@code LOCKED} failure. Event loop only.
     *
     * @param failure the failure
     * @param again run on the event loop when the request should try again
     * @param giveUp run on the event loop with the error to fail the request with, when it must give up
     */
    abstract void failed(RecorderLockedException failure, Runnable again, Consumer<RecorderException> giveUp);

    /** Stops waiting: nothing will run any more. Event loop only. */
    abstract void cancel();

    /** Exponential backoff with jitter on the agent's scheduler: the built-in policies. */
    static final class Backoff extends LockedRetry {

        private final Scheduler time;
        private final long maxAttempts;
        private final long minNanos;
        private final long maxNanos;
        private final double jitter;
        private final long deadlineNanos;
        private long retries;
        private @Nullable Disposable timer;

        Backoff(EventLoop loop, Scheduler time, long maxAttempts, Duration min, Duration max, double jitter,
                long deadlineNanos) {
            super(loop);
            this.time = time;
            this.maxAttempts = maxAttempts;
            this.minNanos = Durations.toNanos(min);
            this.maxNanos = Durations.toNanos(max);
            this.jitter = jitter;
            this.deadlineNanos = deadlineNanos;
        }

        @Override
        void failed(RecorderLockedException failure, Runnable again, Consumer<RecorderException> giveUp) {
            if (retries >= maxAttempts) {
                giveUp.accept(failure);
                return;
            }
            long delay = jittered(exponential(minNanos, maxNanos, retries), jitter, minNanos, maxNanos);
            retries++;
            if (deadlineNanos != Long.MAX_VALUE) {
                // at the deadline at the latest; the request's own deadline fails it there
                delay = Math.max(0, Math.min(delay, deadlineNanos - time.now(TimeUnit.NANOSECONDS)));
            }
            timer = time.schedule(() -> loop.execute(() -> {
                if (timer != null) {
                    timer = null;
                    again.run();
                }
            }), delay, TimeUnit.NANOSECONDS);
        }

        @Override
        void cancel() {
            Disposable armed = timer;
            timer = null;
            if (armed != null) {
                armed.dispose();
            }
        }
    }

    /** A user's {@link Retry}, driven through its companion. */
    static final class Companion extends LockedRetry implements CoreSubscriber<Object> {

        private final Retry retry;
        private Sinks.@Nullable Many<Retry.RetrySignal> signals;
        private volatile @Nullable Subscription subscription;
        private long failures;
        private @Nullable RecorderLockedException last;
        private @Nullable Runnable again;
        private @Nullable Consumer<RecorderException> giveUp;
        private boolean done;

        Companion(EventLoop loop, Retry retry) {
            super(loop);
            this.retry = retry;
        }

        @Override
        void failed(RecorderLockedException failure, Runnable again, Consumer<RecorderException> giveUp) {
            this.last = failure;
            this.again = again;
            this.giveUp = giveUp;
            if (signals == null) {
                signals = Sinks.many().unicast().onBackpressureBuffer();
                try {
                    Flux.from(retry.generateCompanion(signals.asFlux())).subscribe(this);
                } catch (Throwable t) {
                    finish(failure);
                    return;
                }
            }
            signals.tryEmitNext(new Signal(failures, failures, failure));
            failures++;
        }

        @Override
        void cancel() {
            done = true;
            Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
        }

        @Override
        public void onSubscribe(Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(Object ignored) {
            loop.execute(() -> {
                Runnable next = again;
                if (!done && next != null) {
                    again = null;
                    next.run();
                }
            });
        }

        @Override
        public void onError(Throwable error) {
            loop.execute(() -> {
                if (Exceptions.isRetryExhausted(error) || error instanceof RecorderLockedException) {
                    finish(last);
                } else if (error instanceof RecorderException typed) {
                    finish(typed);
                } else {
                    RecorderLockedException locked = last;
                    if (locked != null) {
                        locked.addSuppressed(error);
                    }
                    finish(locked);
                }
            });
        }

        @Override
        public void onComplete() {
            loop.execute(() -> finish(last));
        }

        private void finish(@Nullable RecorderException error) {
            Consumer<RecorderException> end = giveUp;
            if (done || end == null || error == null) {
                return;
            }
            done = true;
            end.accept(error);
        }

        /** One failure, as {@code retryWhen} would describe it. */
        private record Signal(long totalRetries, long totalRetriesInARow, Throwable failure)
                implements Retry.RetrySignal {

            @Override
            public Retry.RetrySignal copy() {
                return this;
            }
        }
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

    static long jittered(long delay, double jitter, long minNanos, long maxNanos) {
        if (jitter == 0 || delay == 0) {
            return delay;
        }
        long offset = (long) (delay * jitter);
        long low = Math.max(minNanos, delay - offset);
        long high = Math.min(maxNanos, delay + offset);
        return high <= low ? low : ThreadLocalRandom.current().nextLong(low, high + 1);
    }
}
