package io.discagent.agent.backend.windows;

import io.discagent.agent.spi.BackendConfig;
import java.time.Duration;
import java.util.Locale;

/**
 * The Windows backend's properties.
 *
 * @param deviceEvents {@code windows.deviceEvents} (default {@code true}): subscribe to {@code DDiscMaster2Events}
 * @param pollDevices {@code windows.pollDevicesMillis} (default 30000; 0 turns it off): also diff
 *     {@code Count}/{@code Item} this often, a safety net for an event lost while the control worker was busy; when
 *     the event subscription fails, polling every {@link #FALLBACK_POLL} (or the shorter interval asked for) starts
 * @param pumpInterval {@code windows.pumpIntervalMillis} (default 1000): the longest an idle native worker waits for a
 *     call or a window message before it pumps and (the control worker) looks at its polling clock anyway; calls and
 *     messages wake it at once
 */
record WindowsSettings(boolean deviceEvents, Duration pollDevices, Duration pumpInterval) {

    static final String DEVICE_EVENTS = "windows.deviceEvents";
    static final String POLL_DEVICES_MILLIS = "windows.pollDevicesMillis";
    static final String PUMP_INTERVAL_MILLIS = "windows.pumpIntervalMillis";

    /** The polling interval when device events cannot be subscribed. */
    static final Duration FALLBACK_POLL = Duration.ofSeconds(2);

    static final WindowsSettings DEFAULTS = new WindowsSettings(true, Duration.ofSeconds(30), Duration.ofSeconds(1));

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

    /** How often to poll when the event subscription failed: {@link #FALLBACK_POLL}, or less if asked. */
    Duration pollWithoutEvents() {
        return pollDevices.isZero() || pollDevices.compareTo(FALLBACK_POLL) > 0 ? FALLBACK_POLL : pollDevices;
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
