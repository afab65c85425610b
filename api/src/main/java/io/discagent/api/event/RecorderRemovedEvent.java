package io.discagent.api.event;

import io.discagent.api.RecorderId;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A recorder disappeared. If it was held, a {@link LockTransition} with cause
 * {@link LockTransition.Cause#DEVICE_REMOVED} precedes this event, the holder's withLock scopes fail, and pending acquires
 * fail with {@code HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)}.
 *
 * @param sequence see {@link RecorderEvent#sequence()}
 * @param at see {@link RecorderEvent#at()}
 * @param recorder the recorder
 * @param lastOwner the client name of the session that held it when it went, if any
 * @param failedWaiters how many pending acquire requests failed because of the removal
 */
public record RecorderRemovedEvent(long sequence, Instant at, RecorderId recorder, @Nullable String lastOwner,
        int failedWaiters) implements DeviceEvent {

    /**
     * Checks that the required components are present.
     *
     * @param sequence see {@link RecorderEvent#sequence()}
     * @param at see {@link RecorderEvent#at()}
     * @param recorder the recorder
     * @param lastOwner the client name of the session that held it when it went, or {@code null}
     * @param failedWaiters how many pending acquire requests failed because of the removal
     * @throws NullPointerException if {@code at} or {@code recorder} is {@code null}
     */
    public RecorderRemovedEvent {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(recorder, "recorder");
    }
}
