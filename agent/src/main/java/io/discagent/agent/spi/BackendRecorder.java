package io.discagent.agent.spi;

import io.discagent.api.MediaInfo;
import io.discagent.api.error.BurnNotSupportedException;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import java.nio.ByteBuffer;
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

    /**
     * Whether {@link #handOverExclusiveAccess} only renames the holder: the claim belongs to the process, the hand-over
     * does no I/O and cannot lose it. The agent then grants its next client at once on its event loop, without a native
     * call of its own, and passes the new name to {@link #handOverExclusiveAccess} right before the next call it makes
     * on this recorder (so {@link #exclusiveAccessOwner} still answers the new name). Asked once, after
     * {@link RecorderBackend#open}, on the native worker. The default is false.
     *
     * @return true if a hand-over is a change of name only
     */
    default boolean handsOverInPlace() {
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

    /**
     * The medium in the drive and the kinds of medium the drive writes. Called on the recorder's worker, held or
     * not; a backend that cannot tell answers {@link MediaInfo#unknown}.
     */
    default MediaInfo media() {
        return MediaInfo.unknown("this backend cannot read media");
    }

    /**
     * Burns {@code plan}'s image while this handle holds the recorder. Called on the recorder's worker. It may block
     * the worker for the whole burn (a native write that returns when done) or return once the burn runs elsewhere
     * (a tool's process, writes paced on the agent's clock); either way it calls {@link BurnControl#finished} exactly
     * once, when everything it started has stopped. Throwing is the same as {@code finished} with the failure.
     *
     * @throws BurnNotSupportedException when this backend or drive cannot burn (the default)
     */
    default void burn(BurnPlan plan, BurnControl control) {
        throw new BurnNotSupportedException("this backend cannot burn", null);
    }

    /**
     * Whether {@link #burn} verifies the written disc itself when asked to (IMAPI2's burn verification); otherwise
     * the agent verifies by reading the disc back with {@link #readBack}.
     */
    default boolean verifiesWhileBurning() {
        return false;
    }

    /**
     * Reads written data back from the medium for verification: fills {@code dst} (its remaining bytes, a whole
     * number of 2048-byte sectors) from byte {@code offset} on. Called on the recorder's worker while it holds the
     * recorder, under the command timeout.
     *
     * @throws BurnNotSupportedException when the backend cannot read the medium back (the default)
     */
    default void readBack(long offset, ByteBuffer dst) {
        throw new BurnNotSupportedException("this backend cannot read a disc back", null);
    }

    /** Closes the handle; a native lock still held is dropped with it. */
    void close();
}
