package io.discagent.api;

import io.discagent.api.error.InvalidArgumentException;

/**
 * Identifies a client session within one agent.
 *
 * @param value the identifier
 */
public record SessionId(String value) {

    /**
     * Checks the identifier.
     *
     * @param value the identifier
     * @throws InvalidArgumentException ({@code E_INVALIDARG}) if {@code value} is
     *     {@code null}
     */
    public SessionId {
        InvalidArgumentException.requireNonNull(value, "value");
    }

    @Override
    public String toString() {
        return value;
    }
}
