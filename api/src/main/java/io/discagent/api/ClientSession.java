package io.discagent.api;

import io.discagent.api.burn.BurnProgress;
import io.discagent.api.burn.BurnRequest;
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
 * ({@code dispose()} racing the emission, {@code timeout}, {@code block(Duration)}, {@code firstWithValue} dropping
 * it, a cancelled {@code flatMap} chain) releases it. An operator that drops a value without cancelling ({@code when},
 * {@code then}, and {@code zip}, which keeps the grant and discards it when its partner fails) cannot be seen:
 * release such a grant with a discard hook,
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

    /**
     * This session's id.
     *
     * @return the id the agent gave this session when it opened it
     */
    SessionId id();

    /**
     * The name other clients see as the owner of what this session holds.
     *
     * @return the client name given when the session was opened
     */
    String clientName();

    /**
     * {@link #acquire(RecorderId, AcquireOptions)} with {@link AcquireOptions#DEFAULT} (fail at once if held).
     *
     * @param recorder the recorder to lock
     * @return the grant, with the session's new lock count
     */
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
     * {@link io.discagent.api.error.VolumeMountedException}, {@link io.discagent.api.error.SessionClosedException},
     * and any native failure.
     *
     * @param recorder the recorder to lock
     * @param options force, wait timeout and retry policy of this request
     * @return the grant, with the session's new lock count
     */
    Mono<LockGrant> acquire(RecorderId recorder, AcquireOptions options);

    /**
     * IMAPI2's {@code ReleaseExclusiveAccess()}: takes one off this session's lock count.
     *
     * @param recorder the recorder to release one count of
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
     * @param grant a grant this session received
     * @return the session's lock count on the grant's recorder afterwards
     */
    Mono<Integer> release(LockGrant grant);

    /**
     * This session's lock count on a recorder.
     *
     * @param recorder the recorder
     * @return the number of acquires not yet released, 0 when the session does not hold it
     */
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
     * @param requests the requests, taken one at a time
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
     *
     * @param <T> the type of the body's elements
     * @param recorder the recorder to lock
     * @param options force, wait timeout and retry policy of the acquire
     * @param body what to do with the grant; its publisher is subscribed once the recorder is locked
     * @return the body's elements; it completes or fails after the grant is released
     */
    <T> Flux<T> withLock(RecorderId recorder, AcquireOptions options,
            Function<? super LockGrant, ? extends Publisher<T>> body);

    /**
     * {@link #acquireAny(RecorderSelector, AcquireOptions)} with {@link AcquireOptions#DEFAULT} (fail at once).
     *
     * @param selector which recorders the request may take
     * @return a grant on one matching recorder
     */
    default Mono<LockGrant> acquireAny(RecorderSelector selector) {
        return acquireAny(selector, AcquireOptions.DEFAULT);
    }

    /**
     * A pool request: a grant on the first recorder {@code selector} matches that becomes available to this session,
     * with exactly the rules of {@link #acquire(RecorderId, AcquireOptions)} for delivery, ownership, timeout,
     * cancellation and backpressure. The {@link LockGrant#recorder()} says which recorder it is.
     *
     * <p><b>Waiting and fairness.</b> When admitted, the request takes one place at the tail of the FIFO of every
     * matching recorder (the recorders that have room under {@code pendingAcquireMaxCount}), so on each recorder it is
     * served after the requests that came before it and before those that came after it, single-recorder and pool
     * requests alike. It is granted by whichever recorder reaches its place first, the moment that recorder frees (no
     * polling); its places in the other recorders are given up at once. If two recorders reach it at the same moment,
     * it keeps the first grant and the other recorder's native acquire is released at once: it is never granted twice.
     * A matching recorder that arrives while it waits adds a place at the tail of that recorder's FIFO. A recorder
     * this session already holds grants it at once (one more count), as {@code acquire} would.
     *
     * <p><b>Ending.</b> {@code failFast()} tries every matching recorder once and fails with
     * {@link io.discagent.api.error.RecorderLockedException} when none is free. A waiting request fails with
     * {@link io.discagent.api.error.AcquireTimeoutException} when its wait runs out (every recorder it waited for
     * publishes its {@link io.discagent.api.event.AcquireTimedOutEvent}). A recorder that is removed, or that fails
     * the request for a reason of its own (a holder outside the agent it gave up retrying, a native error), leaves
     * the pool and the request keeps waiting on the others; when the last one leaves it fails with that recorder's
     * error ({@link io.discagent.api.error.RecorderRemovedException}, {@code 0x80070037}, for a removal). When no
     * recorder matches at admission, it fails at once with {@code RecorderRemovedException};
     * {@link io.discagent.api.error.PendingAcquireLimitException} when every matching recorder's queue is full. The
     * session closing or the agent closing fail it as they fail {@code acquire}.
     *
     * @param selector which recorders the request may take
     * @param options force, wait timeout and retry policy of the request
     * @return a grant on one matching recorder, with the session's new lock count on it
     */
    Mono<LockGrant> acquireAny(RecorderSelector selector, AcquireOptions options);

    /**
     * {@link #withLock} on the first recorder {@code selector} matches: waits as {@link #acquireAny} does, then runs
     * {@code body} with the grant and releases it, with every guarantee of {@code withLock}.
     *
     * @param <T> the type of the body's elements
     * @param selector which recorders the request may take
     * @param options force, wait timeout and retry policy of the acquire
     * @param body what to do with the grant ({@link LockGrant#recorder()} says which recorder it is)
     * @return the body's elements; it completes or fails after the grant is released
     */
    <T> Flux<T> withLockAny(RecorderSelector selector, AcquireOptions options,
            Function<? super LockGrant, ? extends Publisher<T>> body);

    /**
     * Burns an image on a recorder this session holds, through the agent's own lock: the agent runs the writer (the
     * simulated disc, a cooperating burning tool on Linux, IMAPI2's {@code IDiscFormat2Data} on Windows) under the
     * hold that {@code grant} belongs to, so no other client can touch the drive while it burns.
     *
     * <p>The {@code Flux} emits {@link BurnProgress}: the phases ({@code PREPARING}, {@code FORMATTING} when needed,
     * {@code WRITING} with bytes, speed and buffer fill, {@code CLOSING}, {@code VERIFYING} when asked), sampled so
     * that a slow subscriber gets the latest state when it requests the next one (nothing is buffered but that one),
     * and ends with a {@code COMPLETED} progress carrying the {@link io.discagent.api.burn.BurnResult} (bytes
     * written, duration, SHA-256). It signals on the event loop.
     *
     * <p>The burn is refused before anything is written when the medium cannot take it
     * ({@link io.discagent.api.error.MediaNotWritableException}: no disc, read-only, closed, not blank) or is too
     * small ({@link io.discagent.api.error.MediaTooSmallException}), when the recorder cannot burn
     * ({@link io.discagent.api.error.BurnNotSupportedException}, for example its tool is not installed), when the
     * grant's hold has ended ({@link io.discagent.api.error.LockNotHeldException}) or when a burn already runs on
     * the recorder ({@link io.discagent.api.error.WriteInProgressException}). Once started it fails with
     * {@link io.discagent.api.error.RecorderRemovedException} ({@code 0x80070037}) when the drive is removed,
     * {@link io.discagent.api.error.CommandTimeoutException} ({@code 0xC0AA020D}) when the writer makes no progress
     * for the burn stall timeout (a hung write), {@link io.discagent.api.error.MediumErrorException} with the
     * drive's sense data on a medium error, or a failed verification ({@code 0xC0AA0007}), and the hold's cause
     * when the hold ends under it (as {@link #withLock}).
     *
     * <p>Cancelling the subscription aborts the burn: the writer is stopped (a tool's process is stopped and reaped)
     * before the recorder can pass to anyone else, even when the lock is released at once. A write-once disc whose
     * burn was aborted is usually lost; a rewritable one can be written again.
     *
     * @param grant a grant of this session's (its hold must still be the current one)
     * @param request the image and the options
     * @return the burn's progress, ending with a {@code COMPLETED} progress
     */
    Flux<BurnProgress> burn(LockGrant grant, BurnRequest request);

    /**
     * Acquire, burn, release in one {@code Flux}: {@link #withLock} around {@link #burn(LockGrant, BurnRequest)}.
     * The recorder is released once the burn has ended and its writer has stopped, whichever way it ended.
     *
     * @param recorder the recorder to lock and burn on
     * @param options force, wait timeout and retry policy of the acquire
     * @param request the image and the options
     * @return the burn's progress, as {@link #burn(LockGrant, BurnRequest)} emits it; it ends after the release
     */
    default Flux<BurnProgress> burn(RecorderId recorder, AcquireOptions options, BurnRequest request) {
        return withLock(recorder, options, grant -> burn(grant, request));
    }

    /**
     * Whether the session is still open.
     *
     * @return {@code false} once it was closed by its client, by the service (lease expired) or by the agent's close
     */
    boolean isOpen();

    /**
     * Closes the session: releases every lock it holds (whatever the counts) and fails its pending requests with
     * {@link io.discagent.api.error.SessionClosedException}. Closing twice does nothing.
     *
     * @return completes once every lock the session held has been released
     */
    Mono<Void> close();
}
