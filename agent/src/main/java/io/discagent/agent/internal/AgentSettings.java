package io.discagent.agent.internal;

import io.discagent.agent.AgentOptions;
import java.time.Duration;

/**
 * The tunables the core reads, taken from {@link AgentOptions} (checked once, by its builder). A duration too long
 * to count in nanoseconds (or of 100 years and more) means
 * "never" ({@link Durations}); nothing here overflows later on the event loop.
 *
 * @param commandTimeout how long a native call may take before its caller fails with
 *     {@code E_IMAPI_RECORDER_COMMAND_TIMEOUT} ({@link Duration#ZERO}: never)
 * @param pendingAcquireMaxCount how many acquire requests may wait for one recorder
 * @param eventBufferSize how many events a subscriber may fall behind before it is ended
 * @param eventOverflowGrace how long a subscriber that fell behind has to take the events buffered for it before the
 *     overflow error reaches it without them
 * @param mediaPollInterval how often to poll media state on backends that support it ({@link Duration#ZERO}: never)
 * @param ownerRefreshInterval how often to ask the backend who holds a watched or awaited recorder
 *     ({@link Duration#ZERO}: never)
 * @param burnStallTimeout how long a burn's writer may make no progress before the burn fails with
 *     {@code E_IMAPI_RECORDER_COMMAND_TIMEOUT} ({@link Duration#ZERO}: never)
 * @param burnEventInterval the shortest time between two progress events of one burn ({@link Duration#ZERO}: one per
 *     progress report of the writer)
 */
public record AgentSettings(Duration commandTimeout, int pendingAcquireMaxCount, int eventBufferSize,
        Duration eventOverflowGrace, Duration mediaPollInterval, Duration ownerRefreshInterval,
        Duration burnStallTimeout, Duration burnEventInterval) {

    /** The settings of {@code options} (which its builder checked), "never" written as {@link Duration#ZERO}. */
    public static AgentSettings of(AgentOptions options) {
        return new AgentSettings(noLimit(options.commandTimeout()), options.pendingAcquireMaxCount(),
                options.eventBufferSize(), Durations.isForever(options.eventOverflowGrace())
                        ? Duration.ofNanos(Durations.FOREVER_NANOS) : options.eventOverflowGrace(),
                noLimit(options.mediaPollInterval()), noLimit(options.ownerRefreshInterval()),
                noLimit(options.burnStallTimeout()), noLimit(options.burnEventInterval()));
    }

    private static Duration noLimit(Duration duration) {
        return Durations.isForever(duration) ? Duration.ZERO : duration;
    }
}
