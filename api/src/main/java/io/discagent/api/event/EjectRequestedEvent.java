package io.discagent.api.event;

import io.discagent.api.RecorderId;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Someone pressed the eject button of a recorder whose tray is locked (on Linux, the kernel's
 * {@code DISK_EJECT_REQUEST} uevent). The tray stays shut; a kiosk can tell the user why, or release the recorder.
 *
 * @param sequence see {@link RecorderEvent#sequence()}
 * @param at see {@link RecorderEvent#at()}
 * @param recorder the recorder
 * @param holder the client name of the session holding the recorder at that moment, if any
 */
public record EjectRequestedEvent(long sequence, Instant at, RecorderId recorder, @Nullable String holder)
        implements DeviceEvent {

    /**
     * Checks that the required components are present.
     *
     * @param sequence see {@link RecorderEvent#sequence()}
     * @param at see {@link RecorderEvent#at()}
     * @param recorder the recorder
     * @param holder the client name of the holding session, or {@code null}
     * @throws NullPointerException if {@code at} or {@code recorder} is {@code null}
     */
    public EjectRequestedEvent {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(recorder, "recorder");
    }
}
