package io.discagent.api.event;

import io.discagent.api.RecorderId;
import java.time.Instant;

/**
 * Everything the agent publishes. Events are emitted from the agent's event loop, in one total order given by
 * {@link #sequence()}.
 */
public sealed interface RecorderEvent permits LockTransition, TimeoutEvent, DeviceEvent, BurnEvent {

    /**
     * The position of this event in the agent's stream, increasing by one per published event. It starts at the
     * agent's start time in milliseconds times 1000 (on its scheduler's clock), so the sequences of successive runs do
     * not overlap. A {@link LockTransition.Cause#SNAPSHOT snapshot} carries the sequence of the last event published
     * before it.
     *
     * @return the event's sequence number
     */
    long sequence();

    /**
     * When it happened, on the agent's scheduler clock.
     *
     * @return the event's time
     */
    Instant at();

    /**
     * The recorder it concerns.
     *
     * @return the recorder's id
     */
    RecorderId recorder();
}
