package io.discagent.agent;

/**
 * What an agent is doing now, taken on its event loop (so the numbers are consistent with each other).
 *
 * @param recorders recorders known
 * @param opening recorders that arrived and are being opened
 * @param sessions open sessions
 * @param held recorders held by a session
 * @param waiting acquire requests queued for a recorder (a pool request counts once for each recorder it waits on)
 * @param nativeCallsInFlight native calls submitted and not yet returned
 * @param subscribers event subscribers
 * @param lastSequence the sequence of the last published event
 */
public record AgentActivity(int recorders, int opening, int sessions, int held, int waiting, int nativeCallsInFlight,
        int subscribers, long lastSequence) {
}
