package io.discagent.agent.spi;

import io.discagent.api.event.MediaChangedEvent.MediaState;
import org.jspecify.annotations.Nullable;

/**
 * One opened recorder: IMAPI2's {@code MsftDiscRecorder2}. The agent calls it only on the recorder's native worker,
 * makes exactly one {@link #acquireExclusiveAccess} on its 0&rarr;1 transition and one
 * {@link #releaseExclusiveAccess} on 1&rarr;0, and keeps the lock count itself. When the count of one session reaches
 * zero while another session waits, the agent passes the lock on with {@link #handOverExclusiveAccess} instead.
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

    /**
     * Passes the native lock this handle holds to the next client of the agent, {@code clientName}, without dropping
     * it: the agent's hand-off from one session to the next. A backend whose claim does not depend on the client keeps
     * it and returns true (the drive is never free between two clients of the agent). The default returns false:
     * the backend cannot, and the agent calls {@link #releaseExclusiveAccess} and {@link #acquireExclusiveAccess}
     * instead, back to back on this thread (IMAPI2: {@code cdrom.sys} stores the owner name when the lock is taken and
     * refuses a second lock while one is held, so the name changes no other way).
     *
     * <p>A hand-over counts as neither an acquire nor a release: the one acquire of the first client and the one
     * release of the last still pair up. After a failure the agent treats the lock as no longer held by this handle
     * (it closes the handle to make certain).
     *
     * @param clientName the validated name of the new holder
     * @return whether the lock passed on; false when this backend cannot keep it across clients
     */
    default boolean handOverExclusiveAccess(String clientName) {
        return false;
    }

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
