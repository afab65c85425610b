package io.discagent.agent.internal;

import io.discagent.api.error.InvalidArgumentException;
import java.time.Duration;

/**
 * The agent's tunables, checked once. A duration too long to count in nanoseconds (or of 100 years and more) means
 * "never" ({@link Durations}); nothing here overflows later on the event loop.
 *
 * @param commandTimeout how long a native call may take before its caller fails with
 *     {@code E_IMAPI_RECORDER_COMMAND_TIMEOUT} ({@link Duration#ZERO}: never)
 * @param pendingAcquireMaxCount how many acquire requests may wait for one recorder
 * @param eventBufferSize how many events a subscriber may fall behind before it is ended
 * @param eventOverflowGrace how long a subscriber that fell behind has to take the events buffered for it before the
 *     overflow error reaches it without them
 * @param mediaPollInterval how often to poll media state on backends that support it ({@link Duration#ZERO}: never)
 * @param burnStallTimeout how long a burn's writer may make no progress before the burn fails with
 *     {@code E_IMAPI_RECORDER_COMMAND_TIMEOUT} ({@link Duration#ZERO}: never)
 * @param burnEventInterval the shortest time between two progress events of one burn ({@link Duration#ZERO}: one per
 *     progress report of the writer)
 */
public record AgentSettings(Duration commandTimeout, int pendingAcquireMaxCount, int eventBufferSize,
        Duration eventOverflowGrace, Duration mediaPollInterval, Duration burnStallTimeout,
        Duration burnEventInterval) {

    public AgentSettings {
        InvalidArgumentException.requireNonNull(commandTimeout, "commandTimeout");
        InvalidArgumentException.requireNonNull(eventOverflowGrace, "eventOverflowGrace");
        InvalidArgumentException.requireNonNull(mediaPollInterval, "mediaPollInterval");
        InvalidArgumentException.requireNonNull(burnStallTimeout, "burnStallTimeout");
        InvalidArgumentException.requireNonNull(burnEventInterval, "burnEventInterval");
        InvalidArgumentException.require(!commandTimeout.isNegative() && !mediaPollInterval.isNegative()
                && !eventOverflowGrace.isNegative() && !burnStallTimeout.isNegative()
                && !burnEventInterval.isNegative(), "timeouts and intervals must not be negative");
        InvalidArgumentException.require(pendingAcquireMaxCount >= 0, "pendingAcquireMaxCount must not be negative");
        InvalidArgumentException.require(eventBufferSize >= 1, "eventBufferSize must be at least 1");
        commandTimeout = Durations.isForever(commandTimeout) ? Duration.ZERO : commandTimeout;
        mediaPollInterval = Durations.isForever(mediaPollInterval) ? Duration.ZERO : mediaPollInterval;
        burnStallTimeout = Durations.isForever(burnStallTimeout) ? Duration.ZERO : burnStallTimeout;
        burnEventInterval = Durations.isForever(burnEventInterval) ? Duration.ZERO : burnEventInterval;
        eventOverflowGrace = Durations.isForever(eventOverflowGrace)
                ? Duration.ofNanos(Durations.FOREVER_NANOS) : eventOverflowGrace;
    }
}
