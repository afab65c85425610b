package io.discagent.agent.internal;

import io.discagent.api.AcquireOptions;
import io.discagent.api.RecorderId;
import io.discagent.api.error.RecorderLockedException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.util.retry.Retry;

/**
 * One acquire request of a session: what it asks for, when it started, its deadline, and the attempts made for it
 * (each one a {@link PendingAcquire}). Immutable but for the attempt count.
 *
 * <p>As a {@link Consumer} of {@code MonoSink}s it is the body of {@code Mono.create}: each subscription makes one
 * more attempt (on the subscribing thread, which only hands the attempt to the event loop). As a {@link Function} it
 * is the request's {@code onErrorResume}: the retry machinery is built only when an attempt fails with
 * {@link RecorderLockedException} (the only failure retried), so the many requests that are granted, or wait in the
 * queue, without ever meeting an outside holder keep none of it alive.
 */
final class AcquireRequest implements Consumer<MonoSink<Granted>>, Function<Throwable, Mono<Granted>> {

    final AgentCore core;
    final SessionImpl session;
    final RecorderId recorder;
    final AcquireOptions options;
    final long startedNanos;
    /** When the wait ends, on the agent scheduler's clock; {@link Long#MAX_VALUE} for never. */
    final long deadlineNanos;
    /** Attempts made; written by each subscription, and subscriptions happen one after the other. */
    private volatile int attempts;

    AcquireRequest(AgentCore core, SessionImpl session, RecorderId recorder, AcquireOptions options,
            long startedNanos) {
        this.core = core;
        this.session = session;
        this.recorder = recorder;
        this.options = options;
        this.startedNanos = startedNanos;
        this.deadlineNanos = deadline(options, startedNanos);
    }

    /** The request as a {@code Mono}: its attempts under its retry policy. */
    Mono<Granted> toMono() {
        Mono<Granted> attempt = Mono.create(this);
        return LockedRetry.mayRetry(options) ? attempt.onErrorResume(this) : attempt;
    }

    /** Whether a deadline timer applies: the request waits, but not forever. */
    boolean hasDeadline() {
        return options.waits() && deadlineNanos != Long.MAX_VALUE;
    }

    /** One more attempt. */
    @Override
    public void accept(MonoSink<Granted> sink) {
        int attempt = attempts + 1;
        attempts = attempt;
        core.startAttempt(new PendingAcquire(this, attempt, sink));
    }

    /**
     * After a failed attempt: a {@link RecorderLockedException} goes on under the retry policy, anything else fails
     * the request. The retry sees that first failure before anything else (its back-off starts from it, as if it had
     * watched the first attempt), then resubscribes for each further attempt. Between attempts the request sits in a
     * backoff timer, in no queue: closing the session ends it there.
     */
    @Override
    public Mono<Granted> apply(Throwable error) {
        if (!(error instanceof RecorderLockedException)) {
            return Mono.error(error);
        }
        Retry retry = LockedRetry.forRequest(options, deadlineNanos, core.time());
        if (retry == null) {
            return Mono.error(error);
        }
        Mono<Granted> attempt = Mono.create(this);
        AtomicBoolean firstReplayed = new AtomicBoolean();
        Mono<Granted> again = Mono.defer(() -> firstReplayed.getAndSet(true) ? attempt : Mono.error(error));
        return Mono.firstWithSignal(again.retryWhen(retry), session.<Granted>closedSignal());
    }

    private static long deadline(AcquireOptions options, long started) {
        if (!options.waits() || options.waitsForever()) {
            return Long.MAX_VALUE;
        }
        try {
            return Math.addExact(started, options.waitTimeout().toNanos());
        } catch (ArithmeticException overflow) {
            return Long.MAX_VALUE;
        }
    }
}
