package io.discagent.agent.internal;

import io.discagent.api.error.RecorderException;

/**
 * Work that runs under a {@link Hold} and must stop before the recorder can pass to anyone else: the body of a
 * {@code withLock}, a child process or a native write the agent runs for the holder. When the hold ends for any
 * reason but its own release (the session closed or its service lease expired, the agent closed, the recorder was removed,
 * the backend lost the lock), the recorder asks each scope to stop and waits for all of them before the next grant.
 */
interface HoldScope {

    /**
     * Stops the work because the hold ended under it. Called on the event loop.
     *
     * @param cause why: the error the work's caller receives
     * @param stopped to run (on the event loop, at once or later) when the work has stopped: for a child process,
     *     once it has been reaped
     */
    void revoke(RecorderException cause, Runnable stopped);
}
