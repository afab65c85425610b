package io.discagent.api;

import java.util.Objects;

/**
 * Identifies a recorder within one agent: {@code sim-0} on the simulated backend, {@code sr0} or a block device
 * name on Linux, the IMAPI2 unique id on Windows.
 *
 * @param value the identifier, never blank
 */
public record RecorderId(String value) {

    public RecorderId {
        Objects.requireNonNull(value, "value");
        if (value.isBlank()) {
            throw new IllegalArgumentException("a recorder id cannot be blank");
        }
    }

    /** Shorthand for {@code new RecorderId(value)}. */
    public static RecorderId of(String value) {
        return new RecorderId(value);
    }

    @Override
    public String toString() {
        return value;
    }
}
