package io.discagent.api.event;

import io.discagent.api.MediaInfo;
import io.discagent.api.RecorderId;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The backend saw the medium or the tray change.
 *
 * @param sequence see {@link RecorderEvent#sequence()}
 * @param at see {@link RecorderEvent#at()}
 * @param recorder the recorder
 * @param state the new state
 * @param media the medium as the backend read it right after the change ({@link MediaInfo}: profile, blank or
 *     closed, free capacity, writable, tray); {@code null} when it could not be read then (the recorder did not
 *     respond, or its backend cannot tell)
 */
public record MediaChangedEvent(long sequence, Instant at, RecorderId recorder, MediaState state,
        @Nullable MediaInfo media) implements DeviceEvent {

    /** What is in the drive. */
    public enum MediaState { NO_MEDIA, TRAY_OPEN, MEDIA_PRESENT, UNKNOWN }

    public MediaChangedEvent {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(recorder, "recorder");
        Objects.requireNonNull(state, "state");
    }

    /** An event without the medium's details. */
    public MediaChangedEvent(long sequence, Instant at, RecorderId recorder, MediaState state) {
        this(sequence, at, recorder, state, null);
    }
}
