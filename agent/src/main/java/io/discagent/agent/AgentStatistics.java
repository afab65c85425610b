package io.discagent.agent;

import java.util.Map;

/**
 * Counts since the agent started. Readable from any thread without waiting for the event loop (for metrics
 * scrapers); each number is exact, but two numbers may be a moment apart.
 *
 * @param grants acquire requests granted (first and further counts)
 * @param retries attempts made again after the backend reported the recorder locked
 * @param acquireTimeouts acquire requests that failed because their wait ran out (each also counted in
 *     {@link #acquiresFailed}; a pool request once, however many recorders it waited on; a request cancelled as its
 *     deadline passed is counted as cancelled, not here)
 * @param commandTimeouts native commands that did not return within the command timeout
 * @param removals recorders removed
 * @param waiting acquire requests queued now (a pool request counts once for each recorder it waits on)
 * @param grantsUnclaimedBeforeDelivery grants the agent released itself because their request had ended (cancelled,
 *     timed out, its session closed) before the grant reached it: a native acquire that returned too late included
 * @param grantsDroppedInDelivery grants released because the subscriber cancelled from another thread while it was
 *     being handed the grant (and so dropped it)
 * @param grantsDroppedAfterDelivery grants released because the subscriber cancelled after taking the grant (a
 *     {@code publishOn} queue disposed, a {@code timeout}, a {@code block(Duration)} that gave up, a chain cancelled)
 * @param bodiesRevoked work under a lock ({@code withLock} bodies) stopped because the hold ended under it, before
 *     the recorder passed on
 * @param sessionsOpened sessions opened, of every client: in-process (library) and the service's
 * @param sessionsClosed sessions closed (by their client, a service lease, or the agent closing)
 * @param acquiresGranted acquire requests (of {@code acquire}, {@code withLock}, {@code acquireEach}) whose grant was
 *     handed to them; unlike {@link #grants}, a grant made for a request that had ended already is not counted here
 * @param acquiresCancelled acquire requests cancelled by their subscriber before they were granted
 * @param acquiresFailed acquire requests that failed, by the name of their HRESULT ({@code E_IMAPI_RECORDER_LOCKED},
 *     {@code HRESULT_FROM_WIN32(ERROR_TIMEOUT)}, ...); every request the agent admitted ends in exactly one of granted,
 *     cancelled or failed
 * @param handOvers hand-offs from one session straight to a waiting one through
 *     {@code BackendRecorder.handOverExclusiveAccess} instead of a native release and a fresh acquire (the claim stays
 *     taken where the backend allows it)
 */
public record AgentStatistics(long grants, long retries, long acquireTimeouts, long commandTimeouts, long removals,
        long waiting, long grantsUnclaimedBeforeDelivery, long grantsDroppedInDelivery,
        long grantsDroppedAfterDelivery, long bodiesRevoked, long sessionsOpened, long sessionsClosed,
        long acquiresGranted, long acquiresCancelled, Map<String, Long> acquiresFailed, long handOvers) {

    public AgentStatistics {
        acquiresFailed = Map.copyOf(acquiresFailed);
    }

    /** Sessions open now: {@link #sessionsOpened} minus {@link #sessionsClosed}. */
    public long sessionsOpen() {
        return sessionsOpened - sessionsClosed;
    }
}
