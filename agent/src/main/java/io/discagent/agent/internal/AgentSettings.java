package io.discagent.agent.internal;

import java.time.Duration;
import java.util.Objects;

/**
 * The agent's tunables, checked.
 *
 * @param commandTimeout how long a native call may take before its caller fails with
 *     {@code E_IMAPI_RECORDER_COMMAND_TIMEOUT} ({@link Duration#ZERO}: never)
 * @param pendingAcquireMaxCount how many acquire requests may wait for one recorder
 * @param eventBufferSize how many events a subscriber may fall behind before it is ended
 * @param mediaPollInterval how often to poll media state on backends that support it ({@link Duration#ZERO}: never)
 */
public record AgentSettings(Duration commandTimeout, int pendingAcquireMaxCount, int eventBufferSize,
        Duration mediaPollInterval) {

    public AgentSettings {
        Objects.requireNonNull(commandTimeout, "commandTimeout");
        Objects.requireNonNull(mediaPollInterval, "mediaPollInterval");
        if (commandTimeout.isNegative() || mediaPollInterval.isNegative()) {
            throw new IllegalArgumentException("timeouts and intervals must not be negative");
        }
        if (pendingAcquireMaxCount < 0) {
            throw new IllegalArgumentException("pendingAcquireMaxCount must not be negative");
        }
        if (eventBufferSize < 1) {
            throw new IllegalArgumentException("eventBufferSize must be at least 1");
        }
    }
}
