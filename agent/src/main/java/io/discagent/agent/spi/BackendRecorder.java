package io.discagent.agent.spi;

import io.discagent.api.MediaInfo;
import io.discagent.api.error.BurnNotSupportedException;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import java.nio.ByteBuffer;
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
