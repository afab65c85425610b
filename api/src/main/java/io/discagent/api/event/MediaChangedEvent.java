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
 *     respond, or its backend cannot tell) or when the read returned only after a later change (it then describes
 *     that later medium, and the later change's event carries it)
 */
public record MediaChangedEvent(long sequence, Instant at, RecorderId recorder, MediaState state,
        @Nullable MediaInfo media) implements DeviceEvent {

    /** What is in the drive. */
    public enum MediaState {
        /** There is no medium in the drive, and the drive does not report its tray open. */
        NO_MEDIA,
        /** The tray is open. */
        TRAY_OPEN,
        /** A medium is in the drive. */
        MEDIA_PRESENT,
        /** The backend cannot tell. */
        UNKNOWN
    }

    /**
     * Checks that the required components are present.
     *
     * @param sequence see {@link RecorderEvent#sequence()}
     * @param at see {@link RecorderEvent#at()}
     * @param recorder the recorder
     * @param state the new state
     * @param media the medium as the backend read it right after the change, or {@code null} when it could not be
     *     read then
     * @throws NullPointerException if {@code at}, {@code recorder} or {@code state} is {@code null}
     */
    public MediaChangedEvent {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(recorder, "recorder");
        Objects.requireNonNull(state, "state");
    }

    /**
     * An event without the medium's details.
     *
     * @param sequence see {@link RecorderEvent#sequence()}
     * @param at see {@link RecorderEvent#at()}
     * @param recorder the recorder
     * @param state the new state
     * @throws NullPointerException if {@code at}, {@code recorder} or {@code state} is {@code null}
     */
    public MediaChangedEvent(long sequence, Instant at, RecorderId recorder, MediaState state) {
        this(sequence, at, recorder, state, null);
    }
}
