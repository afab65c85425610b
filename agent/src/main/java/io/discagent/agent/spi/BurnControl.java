package io.discagent.agent.spi;

import io.discagent.api.burn.BurnPhase;
import io.discagent.api.error.RecorderException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * What a backend's burn reports to the agent, and how the agent stops it. Every method may be called from any
 * thread and returns at once.
 *
 * <p>The backend reports progress as often as it likes (the agent samples it), and calls {@link #finished} exactly
 * once, after everything it started for the burn has stopped: a tool's process has exited and been reaped, a native
 * write has returned. Until then the agent lets nobody else have the recorder, whatever happened to the lock.
 */
public interface BurnControl {

    /**
     * Where the burn is.
     *
     * @param phase the phase
     * @param bytesDone the bytes written (in {@code WRITING}) or read back (in {@code VERIFYING}) so far
     * @param bytesPerSecond the writer's current speed, or 0 to let the agent measure it
     * @param bufferPercent the drive's (or writer's) buffer fill, 0 to 100, or -1 when unknown
     * @param remaining the writer's estimate of the time left in this phase, or {@code null}
     */
    void progress(BurnPhase phase, long bytesDone, long bytesPerSecond, int bufferPercent,
            @Nullable Duration remaining);

    /**
     * The burn is over and everything it started has stopped.
     *
     * @param failure why it failed (a typed error with its HRESULT and native detail), or {@code null} when the
     *     image was written completely; after a cancellation, any failure (the agent reports the cancellation)
     */
    void finished(@Nullable RecorderException failure);

    /** Whether the agent asked the burn to stop (the subscriber cancelled, the hold ended, the writer hung). */
    boolean cancelRequested();

    /**
     * Runs {@code hook} when the agent asks the burn to stop, on the agent's event loop (so it must return at once:
     * signal a process, set a flag), or at once on the calling thread if it has asked already.
     */
    void onCancel(Runnable hook);

    /**
     * Runs {@code task} on the recorder's native worker after {@code delay} on the agent's clock (the injected
     * scheduler: virtual time in tests); a zero delay queues it on the worker at once. For backends that pace their
     * writing themselves (the simulated one).
     */
    void onWorkerAfter(Duration delay, Runnable task);
}
