package io.discagent.api.event;

import io.discagent.api.RecorderId;
import java.time.Instant;
import java.util.Objects;

/**
 * The backend saw the medium or the tray change.
 *
 * @param sequence see {@link RecorderEvent#sequence()}
 * @param at see {@link RecorderEvent#at()}
 * @param recorder the recorder
 * @param state the new state
 */
public record MediaChangedEvent(long sequence, Instant at, RecorderId recorder, MediaState state)
        implements DeviceEvent {

    /** What is in the drive. */
    public enum MediaState { NO_MEDIA, TRAY_OPEN, MEDIA_PRESENT, UNKNOWN }

    public MediaChangedEvent {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(recorder, "recorder");
        Objects.requireNonNull(state, "state");
    }
}
