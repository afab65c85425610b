package io.discagent.api;

import io.discagent.api.error.InvalidArgumentException;

/**
 * Identifies a recorder within one agent: {@code sim-0} on the simulated backend, {@code sr0} or a block device
 * name on Linux, the IMAPI2 unique id on Windows.
 *
 * @param value the identifier, never blank
 */
public record RecorderId(String value) {

    /**
     * Checks the identifier.
     *
     * @param value the identifier, never blank
     * @throws InvalidArgumentException ({@code E_INVALIDARG}) if {@code value} is
     *     {@code null} or blank
     */
    public RecorderId {
        InvalidArgumentException.requireNonNull(value, "value");
        InvalidArgumentException.require(!value.isBlank(), "a recorder id cannot be blank");
    }

    /**
     * Shorthand for {@code new RecorderId(value)}.
     *
     * @param value the identifier, never blank
     * @return the id
     * @throws InvalidArgumentException if {@code value} is {@code null} or blank
     */
    public static RecorderId of(String value) {
        return new RecorderId(value);
    }

    @Override
    public String toString() {
        return value;
    }
}
