package io.discagent.agent;

/**
 * Counts since the agent started. Readable from any thread without waiting for the event loop (for metrics
 * scrapers); each number is exact, but two numbers may be a moment apart.
 *
 * @param grants acquire requests granted (first and further counts)
 * @param retries attempts made again after the backend reported the recorder locked
 * @param acquireTimeouts acquire requests whose wait ran out
 * @param commandTimeouts native commands that did not return within the command timeout
 * @param removals recorders removed
 * @param waiting acquire requests queued now
 * @param grantsUnclaimedBeforeDelivery grants the agent released itself because their request had ended (cancelled,
 *     timed out, its session closed) before the grant reached it: a native acquire that returned too late included
 * @param grantsDroppedInDelivery grants released because the subscriber cancelled from another thread while it was
 *     being handed the grant (and so dropped it)
 * @param grantsDroppedAfterDelivery grants released because the subscriber cancelled after taking the grant (a
 *     {@code publishOn} queue disposed, a {@code timeout}, a {@code block(Duration)} that gave up, a chain cancelled)
 * @param bodiesRevoked work under a lock ({@code withLock} bodies) stopped because the hold ended under it, before
 *     the recorder passed on
 * @param handOvers hand-offs from one session straight to a waiting one through
 *     {@code BackendRecorder.handOverExclusiveAccess} instead of a native release and a fresh acquire (the claim stays
 *     taken where the backend allows it)
 */
public record AgentStatistics(long grants, long retries, long acquireTimeouts, long commandTimeouts, long removals,
        long waiting, long grantsUnclaimedBeforeDelivery, long grantsDroppedInDelivery,
        long grantsDroppedAfterDelivery, long bodiesRevoked, long handOvers) {
}
