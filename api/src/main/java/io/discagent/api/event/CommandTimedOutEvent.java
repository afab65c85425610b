package io.discagent.api.event;

import io.discagent.api.RecorderId;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A native command did not return within the command timeout; its caller failed with
 * {@code E_IMAPI_RECORDER_COMMAND_TIMEOUT}.
 *
 * @param sequence see {@link RecorderEvent#sequence()}
 * @param at see {@link RecorderEvent#at()}
 * @param recorder the recorder
 * @param command the command, such as {@code AcquireExclusiveAccess}
 * @param timeout the command timeout that ran out
 */
public record CommandTimedOutEvent(long sequence, Instant at, RecorderId recorder, String command,
        Duration timeout) implements TimeoutEvent {

    /**
     * Checks that the required components are present.
     *
     * @param sequence see {@link RecorderEvent#sequence()}
     * @param at see {@link RecorderEvent#at()}
     * @param recorder the recorder
     * @param command the command, such as {@code AcquireExclusiveAccess}
     * @param timeout the command timeout that ran out
     * @throws NullPointerException if {@code at}, {@code recorder}, {@code command} or {@code timeout} is {@code null}
     */
    public CommandTimedOutEvent {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(recorder, "recorder");
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(timeout, "timeout");
    }
}
