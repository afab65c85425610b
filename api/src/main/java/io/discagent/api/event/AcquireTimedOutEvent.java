package io.discagent.api.event;

import io.discagent.api.RecorderId;
import io.discagent.api.SessionId;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An acquire request waited for its whole wait timeout without being granted.
 *
 * @param sequence see {@link RecorderEvent#sequence()}
 * @param at see {@link RecorderEvent#at()}
 * @param recorder the recorder
 * @param session the waiting session
 * @param clientName the waiting session's client name
 * @param waited how long it waited
 * @param owner who held the recorder at that moment, if known
 */
public record AcquireTimedOutEvent(long sequence, Instant at, RecorderId recorder, SessionId session,
        String clientName, Duration waited, @Nullable String owner) implements TimeoutEvent {

    /**
     * Checks that the required components are present.
     *
     * @param sequence see {@link RecorderEvent#sequence()}
     * @param at see {@link RecorderEvent#at()}
     * @param recorder the recorder
     * @param session the waiting session
     * @param clientName the waiting session's client name
     * @param waited how long it waited
     * @param owner who held the recorder at that moment, or {@code null}
     * @throws NullPointerException if {@code at}, {@code recorder}, {@code session}, {@code clientName} or
     *     {@code waited} is {@code null}
     */
    public AcquireTimedOutEvent {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(recorder, "recorder");
        Objects.requireNonNull(session, "session");
        Objects.requireNonNull(clientName, "clientName");
        Objects.requireNonNull(waited, "waited");
    }
}
