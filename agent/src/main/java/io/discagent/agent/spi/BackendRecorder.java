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
     * Passes the native lock this handle holds to the next client of the agent, {@code clientName}: the agent's
     * hand-off from one session to the next. A backend whose claim does not depend on the client keeps it (the drive
     * is never free between two clients of the agent); the default drops the lock and takes it again right away,
     * for a backend whose native owner name can change no other way (IMAPI2: {@code cdrom.sys} stores the name when
     * the lock is taken and refuses a second lock while one is held).
     *
     * <p>Counts as neither an acquire nor a release: the one acquire of the first client and the one release of the
     * last still pair up.
     *
     * @param force IMAPI2's {@code force}, for a backend that has to take the lock again
     * @param clientName the validated name of the new holder
     * @throws io.discagent.api.error.RecorderLockedException when the lock was dropped and another holder took the
     *     recorder before it could be taken again (naming it when possible); after this or any other failure the
     *     agent treats the lock as no longer held by this handle
     */
    default void handOverExclusiveAccess(boolean force, String clientName) {
        releaseExclusiveAccess();
        acquireExclusiveAccess(force, clientName);
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
