package io.discagent.agent.backend.simulated;

import io.discagent.api.RecorderId;
import io.discagent.api.error.HResult;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The control panel of the simulated backend: virtual recorders for kiosk demos, for testing your own application
 * without hardware, and for the agent's own tests. Every method is thread-safe and deterministic: nothing here is
 * random, and each effect applies to the very next native calls of the recorder.
 *
 * <p>Bad input follows the agent's convention: {@link io.discagent.api.error.InvalidArgumentException}
 * ({@code 0x80070057}) naming the parameter; a recorder that is not present is
 * {@link io.discagent.api.error.RecorderRemovedException}; adding a recorder that is present is an
 * {@link IllegalStateException}.
 */
public interface Simulator {

    /** The recorders present now, in the order they were added. */
    List<RecorderId> recorders();

    /** Adds a recorder with the next free id ({@code sim-N}) and reports its arrival. */
    RecorderId addRecorder();

    /** Adds (or brings back) a recorder with this id, in a clean state, and reports its arrival. */
    RecorderId addRecorder(String id);

    /**
     * Removes a recorder (as if unplugged): its native calls fail with
     * {@code HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)}, hung calls are woken with that error, and the removal is
     * reported.
     */
    void removeRecorder(RecorderId recorder);

    /**
     * Locks the recorder as another process would, with this owner name.
     *
     * @throws io.discagent.api.error.RecorderLockedException if the agent holds it (naming the holder)
     */
    void lockExternally(RecorderId recorder, String owner);

    /**
     * Drops the lock the agent holds natively, as a driver would after a bus reset, and reports the loss: the agent
     * frees the recorder ({@code FORCED_BY_BACKEND}) and stops the work running under the lost lock.
     */
    void loseLock(RecorderId recorder);

    /** Every open of a recorder takes this long, so that tests can change devices while the agent opens them. */
    void setOpenLatency(Duration latency);

    /** Ends an external lock. */
    void unlockExternally(RecorderId recorder);

    /** Mounts a file system on the recorder: an acquire without {@code force} then fails. */
    void mountVolume(RecorderId recorder, String mountPoint);

    /** Unmounts the file system, if one is mounted. */
    void unmountVolume(RecorderId recorder);

    /** Every native call of the recorder takes this long (on the native worker). */
    void setLatency(RecorderId recorder, Duration latency);

    /** The next {@code times} native calls of {@code operation} on the recorder fail with {@code hresult}. */
    void failNext(RecorderId recorder, Operation operation, HResult hresult, int times);

    /** The next {@code times} native calls of {@code operation} on the recorder block until {@link #releaseHangs}. */
    void hangNext(RecorderId recorder, Operation operation, int times);

    /** Lets every blocked call of the recorder continue. */
    void releaseHangs(RecorderId recorder);

    /** Changes the medium and reports it. */
    void changeMedia(RecorderId recorder, MediaState state);

    /**
     * Puts {@code disc} in the recorder (taking out the one it had) and reports the change: what the next burn meets
     * ({@link SimulatedDisc#blank(io.discagent.api.MediaProfile, long)} with a small capacity makes an image too large
     * for it; {@link SimulatedDisc#closed} a disc that cannot be written).
     */
    void insertDisc(RecorderId recorder, SimulatedDisc disc);

    /** How fast the recorder's burns write, in bytes per second of the agent's clock (4x DVD by default). */
    void setBurnSpeed(RecorderId recorder, long bytesPerSecond);

    /**
     * The recorder's next burn meets {@code fault} once it has written {@code percent} percent of its image: a
     * MEDIUM ERROR, a write that hangs, or the recorder's removal.
     */
    void failBurnAt(RecorderId recorder, int percent, BurnFault fault);

    /** The file that stands for the recorder's disc: burns write the image into it, verification reads it back. */
    Path discImage(RecorderId recorder);

    /**
     * Another process unlocks the tray of a recorder the agent holds (as {@code sg_prevent --allow} would) and the
     * backend locks it again at once: reports {@code trayUnlocked} to the agent, which publishes a
     * {@link io.discagent.api.event.TrayUnlockedEvent}.
     *
     * @param culprit the process to name, or {@code null} for one that could not be found
     * @throws IllegalStateException when the agent does not hold the recorder (an unheld tray is not locked)
     */
    void unlockTrayExternally(RecorderId recorder, @Nullable String culprit);

    /** Someone presses the recorder's eject button: reports an eject request ({@code EjectRequestedEvent}). */
    void pressEjectButton(RecorderId recorder);

    /** What the simulated device knows now. */
    SimulatedDeviceState state(RecorderId recorder);

    /**
     * Native locks taken and dropped over every device this simulator ever had (a device that was removed counts
     * too): at quiescence the two are equal, or a lock leaked.
     */
    LockCounts lockCounts();

    /** See {@link #lockCounts()}. */
    record LockCounts(long taken, long dropped) {
    }

    /** The last native calls (at most 10,000), oldest first. */
    List<SimulatedCall> calls();

    /**
     * How the recorders pass the lock from one client of the agent to the next from now on (the default is
     * {@link HandOver#KEEP_CLAIM}, or the backend property {@code simulated.handOver=keep|reacquire|rename}).
     */
    void setHandOver(HandOver mode);

    /** How a simulated recorder passes its lock from one client of the agent to the next. */
    enum HandOver {
        /** The lock stays taken and only its owner name changes, as on Linux: nobody can take it in between. */
        KEEP_CLAIM,
        /** A release and an acquire, back to back, as on IMAPI2 (whose owner name changes no other way). */
        RELEASE_AND_ACQUIRE,
        /**
         * As {@link #KEEP_CLAIM}, and the recorder says so ({@code BackendRecorder.handsOverInPlace}), as the Linux
         * backend does: the agent grants its next client without a native call and renames the holder before its next
         * call on the recorder. Faults planned for {@link Operation#ACQUIRE} do not apply to the rename. Applies to
         * recorders opened after it is set.
         */
        RENAME_IN_PLACE
    }

    /** Native operations, for {@link #failNext} and {@link #hangNext}. */
    enum Operation {
        ACQUIRE, RELEASE, OWNER,
        /** Every native call. */
        ANY,
        /** Reading the medium's details. */
        MEDIA,
        /** Each write of a burn (every tick of writing). */
        WRITE,
        /** Each read of a verification. */
        READ
    }
}
