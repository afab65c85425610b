package io.discagent.api;

import java.util.Map;
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
 * <h2>Who owns a grant</h2>
 * A grant is the agent's until its subscriber has taken it: a request cancelled while it waits leaves the queue at
 * once, a native acquire that returns for a request that has ended is released, a grant that meets a cancellation on
 * its way in is released, and so is a grant delivered to a {@code toFuture()} cancelled meanwhile. A cancellation
 * after the grant left the agent is read from the operators below: one that comes while an operator passes the grant
 * on ({@code next()}, {@code take(1)}, {@code blockFirst()}, also after a {@code publishOn}) leaves the grant yours;
 * one that finds it still queued ({@code publishOn} disposed before it ran) or comes from outside any delivery
 * ({@code dispose()} racing the emission, {@code timeout}, {@code block(Duration)}, {@code zip} and
 * {@code firstWithValue} dropping it, a cancelled {@code flatMap} chain) releases it. An operator that drops a value
 * without cancelling ({@code when}, {@code then}) cannot be seen: release such a grant with a discard hook,
 * {@code .doOnDiscard(LockGrant.class, g -> session.release(g).subscribe())}. {@link #withLock}
 * is leak-free whatever surrounds it. {@link #close} releases everything the session holds, whatever happened.
 *
 * <h2>Errors</h2>
 * A {@code null} argument fails with {@link io.discagent.api.error.InvalidArgumentException} ({@code 0x80070057}),
 * signalled on the event loop. Every call on a closed session fails with
 * {@link io.discagent.api.error.SessionClosedException} ({@code 0x80010108}); {@link #close} does nothing then. A
 * session of a closed agent is closed.
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
     * {@link io.discagent.api.error.RecorderRemovedException}, {@link io.discagent.api.error.VolumeMountedException},
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

    /**
     * Releases exactly the count {@code grant} stands for, once: releasing the same grant again, or a grant whose
     * hold has already ended (the recorder was released to zero, removed, or the session closed), takes nothing away.
     * This is the release to use where a grant may be dropped on its way, for instance in a discard hook:
     * {@code Mono.zip(session.acquire(a), other).doOnDiscard(LockGrant.class, g -> session.release(g).subscribe())}.
     *
     * @return the session's lock count on the grant's recorder afterwards
     */
    Mono<Integer> release(LockGrant grant);

    /** This session's lock count on a recorder (0 when it does not hold it). */
    Mono<Integer> lockCount(RecorderId recorder);

    /**
     * Where this session's waiting acquires stand in line: for each recorder it waits for, its place in that
     * recorder's FIFO (1: it is next, or its native acquire is under way; 2: one request goes first; ...). A request
     * that does not wait (it fails at once, or only sleeps between retries) has no place. Empty when the session
     * waits for nothing.
     *
     * @return the places, by recorder id
     */
    Mono<Map<RecorderId, Integer>> placesInLine();

    /**
     * Acquires recorders one request at a time: the next request is taken from {@code requests} only after the
     * previous one was granted, so a producer of requests is held back by the rate of grants.
     *
     * <p>Cancelling the stream cancels the request under way (its grant, if one comes, is released); every grant the
     * stream has emitted is the subscriber's. A failure of {@code requests} ends the stream at once, cancelling the
     * request under way. Every signal, {@code requests}' end included, comes from the event loop.
     *
     * @return the grants, in request order; the first failure ends the stream
     */
    Flux<LockGrant> acquireEach(Publisher<AcquireRequest> requests);

    /**
     * Acquire, use, release: acquires the recorder, runs {@code body} with the grant, and releases exactly that
     * grant when the body completes, fails or is cancelled; the returned {@code Flux} ends after the release. Nothing
     * around it can leak the grant ({@code dispose}, {@code publishOn}, {@code timeout}, {@code take(Duration)},
     * {@code zip}, {@code firstWithValue}, {@code block(Duration)}).
     *
     * <p>The body never outlives its lock. When the hold ends for another reason than the body's own end, the body
     * is cancelled on the event loop before the recorder can be granted to anyone else, and the {@code Flux} fails
     * with: {@link io.discagent.api.error.SessionClosedException} when the session is closed (by its client, or by
     * the service when its lease expires); {@link io.discagent.api.error.RequestCancelledException} when the agent
     * closes; {@link io.discagent.api.error.RecorderRemovedException} when the recorder is removed; the backend's
     * error (for example {@link io.discagent.api.error.InvalidHandleException}) when the backend loses the native
     * lock; {@link io.discagent.api.error.LockNotHeldException} when the session releases its counts to zero while
     * the body runs.
     *
     * <p>The grant reaches the body on the event loop; the body's elements pass through on the threads it emits them
     * on; the terminal signal comes from the event loop.
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
