package io.discagent.api.event;

import io.discagent.api.RecorderId;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * While the agent held a recorder with its tray locked, another process unlocked the tray (for example
 * {@code sg_prevent --allow}, {@code eject -i off}) or ejected the disc ({@code eject -F}). The backend noticed on
 * one of its polls of the held drive (at most one media poll interval later) and locked the tray again. The lock
 * itself (the session's hold and count) is not affected.
 *
 * @param sequence see {@link RecorderEvent#sequence()}
 * @param at see {@link RecorderEvent#at()}
 * @param recorder the recorder
 * @param culprit the processes that had the drive open when it was noticed, such as {@code eject (pid 4242)}, if any
 *     could be found; the culprit is often gone by then
 * @param trayOpened whether the tray was found open (the disc was ejected), not only unlocked
 * @param relocked whether the tray is locked again
 */
public record TrayUnlockedEvent(long sequence, Instant at, RecorderId recorder, @Nullable String culprit,
        boolean trayOpened, boolean relocked) implements DeviceEvent {

    /**
     * Checks that the required components are present.
     *
     * @param sequence see {@link RecorderEvent#sequence()}
     * @param at see {@link RecorderEvent#at()}
     * @param recorder the recorder
     * @param culprit the processes that had the drive open when it was noticed, or {@code null}
     * @param trayOpened whether the tray was found open, not only unlocked
     * @param relocked whether the tray is locked again
     * @throws NullPointerException if {@code at} or {@code recorder} is {@code null}
     */
    public TrayUnlockedEvent {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(recorder, "recorder");
    }
}
