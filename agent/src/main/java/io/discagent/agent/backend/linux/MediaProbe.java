package io.discagent.agent.backend.linux;

import io.discagent.agent.backend.linux.jna.DeviceFd;
import io.discagent.agent.backend.linux.jna.Linux;
import io.discagent.agent.backend.linux.jna.SgIoResult;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import org.jspecify.annotations.Nullable;

/**
 * Asks an optical drive what is in it, on a descriptor the caller holds: {@code CDROM_DRIVE_STATUS} first (the cdrom
 * layer's own TEST UNIT READY and event status), then GET EVENT STATUS NOTIFICATION, then TEST UNIT READY. All three
 * are read-safe commands any opener may send. Runs on the thread that owns the descriptor.
 */
final class MediaProbe {

    private MediaProbe() {
    }

    /**
     * The medium state, or {@code null} while the drive cannot tell (becoming ready).
     *
     * @throws io.discagent.agent.backend.linux.jna.NativeCallException when the device is gone ({@code ENODEV}) or
     *     refuses the ioctls
     */
    static @Nullable MediaState probe(DeviceFd fd, int timeoutMillis) {
        int status = fd.ioctl(Linux.CDROM_DRIVE_STATUS, Linux.CDSL_CURRENT, "CDROM_DRIVE_STATUS");
        switch (status) {
            case Linux.CDS_NO_DISC:
                return MediaState.NO_MEDIA;
            case Linux.CDS_TRAY_OPEN:
                return MediaState.TRAY_OPEN;
            case Linux.CDS_DISC_OK:
                return MediaState.MEDIA_PRESENT;
            case Linux.CDS_DRIVE_NOT_READY:
                return null;
            default:
                return fromEventStatus(fd, timeoutMillis);
        }
    }

    /**
     * Whether the drive reports an eject request (its button was pressed while the tray is locked): GET EVENT STATUS
     * NOTIFICATION, media class, event code 1. The kernel does the same in its own event polling and sends
     * {@code DISK_EJECT_REQUEST}, but it blocks that polling while a process holds the drive exclusively for writing
     * ({@code DISK_EVENT_FLAG_BLOCK_ON_EXCL_WRITE} in sr), so the holder has to ask itself. The event is reported once.
     *
     * @throws io.discagent.agent.backend.linux.jna.NativeCallException when the device is gone or refuses the ioctl
     */
    static boolean ejectRequested(DeviceFd fd, int timeoutMillis) {
        SgIoResult gesn = fd.sgIo("GET EVENT STATUS NOTIFICATION", ScsiCommands.getEventStatusMedia(), 8,
                timeoutMillis);
        return gesn.ok() && isEjectRequest(gesn.data());
    }

    /** Whether a GET EVENT STATUS NOTIFICATION reply carries a media-class "eject request" event. */
    static boolean isEjectRequest(byte[] reply) {
        return reply.length >= 6 && (reply[2] & 0x80) == 0 && (reply[2] & 0x07) == 4 && (reply[4] & 0x0f) == 1;
    }

    private static @Nullable MediaState fromEventStatus(DeviceFd fd, int timeoutMillis) {
        SgIoResult gesn = fd.sgIo("GET EVENT STATUS NOTIFICATION", ScsiCommands.getEventStatusMedia(), 8,
                timeoutMillis);
        if (gesn.ok() && gesn.data().length >= 6) {
            int media = gesn.data()[5];
            if ((media & 0x01) != 0) {
                return MediaState.TRAY_OPEN;
            }
            return (media & 0x02) != 0 ? MediaState.MEDIA_PRESENT : MediaState.NO_MEDIA;
        }
        SgIoResult tur = fd.sgIo("TEST UNIT READY", ScsiCommands.testUnitReady(), 0, timeoutMillis);
        if (tur.ok()) {
            return MediaState.MEDIA_PRESENT;
        }
        if (tur.senseKey() == 2 && tur.asc() == 0x3a) {
            return tur.ascq() == 0x02 ? MediaState.TRAY_OPEN : MediaState.NO_MEDIA;
        }
        return null;
    }
}
