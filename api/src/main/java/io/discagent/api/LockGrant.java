package io.discagent.api;

import io.discagent.api.error.InvalidArgumentException;
import java.util.List;

/**
 * A granted acquire: one more count on the session's lock of a recorder.
 *
 * <p>{@link #devicePaths()} tells the holder where to reach the drive it now holds, so that its own burning tool can
 * use it while others are kept out: the agent's claim refuses every program that asks for exclusive access,
 * including the holder's own tool, so the tool must be run in its non-exclusive mode on {@code devicePaths().get(0)}
 * (on Linux, for example, {@code xorriso -drive_access shared:unrestricted -outdev /dev/sr0} or
 * {@code cdrskin --drive_not_exclusive dev=/dev/sr0}; see docs/linux.md). {@code discagent exec} does this for a
 * command.
 *
 * @param recorder the recorder
 * @param session the session that holds it
 * @param lockCount the session's lock count after this acquire (1 for the acquire that locked the device)
 * @param holdId identifies the continuous hold this grant belongs to: it changes each time the session takes the
 *     recorder from free, so a release meant for a hold that was already lost (device removed) can be told apart
 * @param devicePaths the device paths of the held drive, as {@link RecorderInfo#paths()}: first the node to open
 *     ({@code /dev/sr0}), then sibling nodes of the same drive the agent also holds (its SCSI generic node
 *     {@code /dev/sg0}, which nobody else can open while it is held); a volume path such as {@code D:\} on Windows
 */
public record LockGrant(RecorderId recorder, SessionId session, int lockCount, long holdId,
        List<String> devicePaths) {

    /**
     * Checks the grant and copies {@code devicePaths}.
     *
     * @param recorder the recorder
     * @param session the session that holds it
     * @param lockCount the session's lock count after this acquire
     * @param holdId identifies the continuous hold this grant belongs to
     * @param devicePaths the device paths of the held drive, first the node to open
     * @throws InvalidArgumentException ({@code E_INVALIDARG}) if {@code recorder},
     *     {@code session} or {@code devicePaths} is {@code null}
     */
    public LockGrant {
        InvalidArgumentException.requireNonNull(recorder, "recorder");
        InvalidArgumentException.requireNonNull(session, "session");
        devicePaths = List.copyOf(InvalidArgumentException.requireNonNull(devicePaths, "devicePaths"));
    }

    /**
     * A grant without device paths.
     *
     * @param recorder the recorder
     * @param session the session that holds it
     * @param lockCount the session's lock count after this acquire
     * @param holdId identifies the continuous hold this grant belongs to
     */
    public LockGrant(RecorderId recorder, SessionId session, int lockCount, long holdId) {
        this(recorder, session, lockCount, holdId, List.of());
    }
}
