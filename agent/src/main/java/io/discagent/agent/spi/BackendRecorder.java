package io.discagent.agent.spi;

import io.discagent.api.event.MediaChangedEvent.MediaState;
import org.jspecify.annotations.Nullable;

/**
 * One opened recorder: IMAPI2's {@code MsftDiscRecorder2}. The agent calls it only on the recorder's native worker,
 * makes exactly one {@link #acquireExclusiveAccess} on its 0&rarr;1 transition and one
 * {@link #releaseExclusiveAccess} on 1&rarr;0, and keeps the lock count itself.
 */
public interface BackendRecorder {

    /**
     * Takes the native exclusive lock.
     *
     * @param force IMAPI2's {@code force}: dismount a mounted file system instead of failing with
     *     {@code HRESULT_FROM_WIN32(ERROR_BAD_COMMAND)}
     * @param clientName the validated client name
     * @throws io.discagent.api.error.RecorderLockedException when another holder has it (naming it when possible)
     */
    void acquireExclusiveAccess(boolean force, String clientName);

    /** Drops the native exclusive lock. */
    void releaseExclusiveAccess();

    /** IMAPI2's {@code ExclusiveAccessOwner}: the native holder's name, or {@code null}/empty when free. */
    @Nullable String exclusiveAccessOwner();

    /**
     * Whether {@link #pollMedia()} is worth calling periodically. Asked once, after {@link RecorderBackend#open}.
     */
    default boolean supportsMediaPolling() {
        return false;
    }

    /**
     * The medium state now, for backends whose media-change notifications are unreliable; {@code null} when it
     * cannot be told.
     */
    default @Nullable MediaState pollMedia() {
        return null;
    }

    /** Closes the handle; a native lock still held is dropped with it. */
    void close();
}
