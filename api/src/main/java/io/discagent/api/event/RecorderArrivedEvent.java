package io.discagent.api.event;

import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
import java.time.Instant;
import java.util.Objects;

/**
 * A recorder appeared (plugged in, or added to the simulated backend) and is ready to be acquired.
 *
 * @param sequence see {@link RecorderEvent#sequence()}
 * @param at see {@link RecorderEvent#at()}
 * @param recorder the recorder
 * @param info what is known of it
 */
public record RecorderArrivedEvent(long sequence, Instant at, RecorderId recorder, RecorderInfo info)
        implements DeviceEvent {

    /**
     * Checks that the required components are present.
     *
     * @param sequence see {@link RecorderEvent#sequence()}
     * @param at see {@link RecorderEvent#at()}
     * @param recorder the recorder
     * @param info what is known of it
     * @throws NullPointerException if {@code at}, {@code recorder} or {@code info} is {@code null}
     */
    public RecorderArrivedEvent {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(recorder, "recorder");
        Objects.requireNonNull(info, "info");
    }
}
