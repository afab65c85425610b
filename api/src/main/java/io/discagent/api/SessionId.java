package io.discagent.api;

import io.discagent.api.error.InvalidArgumentException;

/**
 * Identifies a client session within one agent.
 *
 * @param value the identifier
 */
public record SessionId(String value) {

    public SessionId {
        InvalidArgumentException.requireNonNull(value, "value");
    }

    @Override
    public String toString() {
        return value;
    }
}
