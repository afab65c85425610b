package io.discagent.agent.backend.windows;

import io.discagent.agent.spi.BackendConfig;
import java.time.Duration;
import java.util.Locale;

/**
 * The Windows backend's properties.
 *
 * @param deviceEvents {@code windows.deviceEvents} (default {@code true}): subscribe to {@code DDiscMaster2Events}
 * @param pollDevices {@code windows.pollDevicesMillis} (default 0, off): also diff {@code Count}/{@code Item} this
 *     often; when the event subscription fails, polling every {@link #FALLBACK_POLL} starts anyway
 * @param pumpInterval {@code windows.pumpIntervalMillis} (default 10): how often an idle native worker pumps window
 *     messages (and the control worker handles device changes)
 */
record WindowsSettings(boolean deviceEvents, Duration pollDevices, Duration pumpInterval) {

    static final String DEVICE_EVENTS = "windows.deviceEvents";
    static final String POLL_DEVICES_MILLIS = "windows.pollDevicesMillis";
    static final String PUMP_INTERVAL_MILLIS = "windows.pumpIntervalMillis";

    /** The polling interval used when device events cannot be subscribed and polling was not asked for. */
    static final Duration FALLBACK_POLL = Duration.ofSeconds(2);

    static final WindowsSettings DEFAULTS = new WindowsSettings(true, Duration.ZERO, Duration.ofMillis(10));

    WindowsSettings {
        if (pollDevices.isNegative()) {
            throw new IllegalArgumentException(POLL_DEVICES_MILLIS + " must not be negative: " + pollDevices);
        }
        if (pumpInterval.isNegative() || pumpInterval.isZero()) {
            throw new IllegalArgumentException(PUMP_INTERVAL_MILLIS + " must be positive: " + pumpInterval);
        }
    }

    /** The settings in {@code config}, with the defaults for what it does not say. */
    static WindowsSettings from(BackendConfig config) {
        return new WindowsSettings(
                bool(config.get(DEVICE_EVENTS, String.valueOf(DEFAULTS.deviceEvents()))),
                config.getMillis(POLL_DEVICES_MILLIS, DEFAULTS.pollDevices()),
                config.getMillis(PUMP_INTERVAL_MILLIS, DEFAULTS.pumpInterval()));
    }

    private static boolean bool(String value) {
        switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true":
                return true;
            case "false":
                return false;
            default:
                throw new IllegalArgumentException("property " + DEVICE_EVENTS + " is not true or false: " + value);
        }
    }
}
