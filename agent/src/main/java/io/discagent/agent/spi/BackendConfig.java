package io.discagent.agent.spi;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Properties for backends, such as {@code simulated.recorders=3} or {@code linux.devices=/dev/loop7}. Each backend
 * reads the keys under its own name.
 *
 * @param properties the properties
 */
public record BackendConfig(Map<String, String> properties) {

    /** No properties. */
    public static final BackendConfig EMPTY = new BackendConfig(Map.of());

    public BackendConfig {
        properties = Map.copyOf(Objects.requireNonNull(properties, "properties"));
    }

    /** A property, or {@code defaultValue}. */
    public String get(String key, String defaultValue) {
        return properties.getOrDefault(key, defaultValue);
    }

    /** An integer property, or {@code defaultValue}. */
    public int getInt(String key, int defaultValue) {
        String value = properties.get(key);
        try {
            return value == null ? defaultValue : Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("property " + key + " is not an integer: " + value, e);
        }
    }

    /** A duration property in milliseconds, or {@code defaultValue}. */
    public Duration getMillis(String key, Duration defaultValue) {
        String value = properties.get(key);
        return value == null ? defaultValue : Duration.ofMillis(getInt(key, 0));
    }
}
