package io.discagent.api;

import java.util.function.Function;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A client of the agent, with a lock count per recorder: IMAPI2's {@code IDiscRecorder2} object.
 *
 * <p>The first {@link #acquire acquire} of a recorder locks it for this session (one native acquire); each further
 * acquire adds one to the count; each {@link #release release} takes one away; the recorder is free for other
 * sessions only when the count reaches zero (one native release). N acquires need N releases.
 *
 * <p>Nothing leaks: a request cancelled while it waits leaves the queue, a grant that arrives after its subscriber
 * cancelled is released, {@link #withLock} releases on completion, error and cancellation, and {@link #close}
 * releases everything the session holds.
 */
public interface ClientSession {

    /** This session's id. */
    SessionId id();

    /** The name other clients see as the owner of what this session holds. */
    String clientName();

    /** {@link #acquire(RecorderId, AcquireOptions)} with {@link AcquireOptions#DEFAULT} (fail at once if held). */
    default Mono<LockGrant> acquire(RecorderId recorder) {
        return acquire(recorder, AcquireOptions.DEFAULT);
    }

    /**
     * IMAPI2's {@code AcquireExclusiveAccess(force, clientName)}.
     *
     * <p>Errors: {@link io.discagent.api.error.RecorderLockedException} (held by another client and not waiting, or
     * retries exhausted), {@link io.discagent.api.error.AcquireTimeoutException} (waited the whole wait timeout),
     * {@link io.discagent.api.error.PendingAcquireLimitException} (too many already waiting),
     * {@link io.discagent.api.error.CommandTimeoutException}, {@link io.discagent.api.error.RecorderRemovedException},
     * {@link io.discagent.api.error.NoSuchRecorderException}, {@link io.discagent.api.error.VolumeMountedException},
     * {@link io.discagent.api.error.SessionClosedException}, and any native failure.
     *
     * @return the grant, with the session's new lock count
     */
    Mono<LockGrant> acquire(RecorderId recorder, AcquireOptions options);

    /**
     * IMAPI2's {@code ReleaseExclusiveAccess()}: takes one off this session's lock count.
     *
     * @return the new lock count; {@link io.discagent.api.error.LockNotHeldException} when the count is already
     *     zero (nothing native is called and the count stays zero)
     */
    Mono<Integer> release(RecorderId recorder);

    /** This session's lock count on a recorder (0 when it does not hold it). */
    Mono<Integer> lockCount(RecorderId recorder);

    /**
     * Acquires recorders one request at a time: the next request is taken from {@code requests} only after the
     * previous one was granted, so a producer of requests is held back by the rate of grants.
     *
     * @return the grants, in request order; the first failure ends the stream
     */
    Flux<LockGrant> acquireEach(Publisher<AcquireRequest> requests);

    /**
     * Acquire, use, release: acquires the recorder, runs {@code body} with the grant, and releases that grant when
     * the body completes, fails or is cancelled. If the lock is lost while the body runs (the recorder is removed),
     * the body is cancelled and the returned {@code Flux} fails with
     * {@link io.discagent.api.error.RecorderRemovedException}.
     */
    <T> Flux<T> withLock(RecorderId recorder, AcquireOptions options,
            Function<? super LockGrant, ? extends Publisher<T>> body);

    /** Whether the session is still open. */
    boolean isOpen();

    /**
     * Closes the session: releases every lock it holds (whatever the counts) and fails its pending requests with
     * {@link io.discagent.api.error.SessionClosedException}. Closing twice does nothing.
     */
    Mono<Void> close();
}
