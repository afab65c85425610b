package io.discagent.api;

import java.util.Objects;

/**
 * Identifies a client session within one agent.
 *
 * @param value the identifier
 */
public record SessionId(String value) {

    public SessionId {
        Objects.requireNonNull(value, "value");
    }

    @Override
    public String toString() {
        return value;
    }
}
