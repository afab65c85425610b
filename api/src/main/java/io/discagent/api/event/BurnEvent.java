package io.discagent.api.event;

import io.discagent.api.RecorderId;
import io.discagent.api.burn.BurnProgress;
import io.discagent.api.error.HResult;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A burn started, moved on, or ended. The agent publishes one when a burn starts, at each change of phase, at most
 * every burn event interval while it writes or verifies (default 1 s: {@code AgentOptions.burnEventInterval}), and
 * once when it ends, so that a status page or a kiosk front end can follow every burn of the machine without
 * subscribing to each one.
 *
 * @param sequence see {@link RecorderEvent#sequence()}
 * @param at see {@link RecorderEvent#at()}
 * @param recorder the recorder written to
 * @param client the client name of the session that burns
 * @param image the image's name (its path, usually)
 * @param progress the burn's state
 * @param outcome whether it runs or how it ended
 * @param error the failure's HRESULT, when it failed or was cancelled
 * @param errorMessage the failure's message, when it failed or was cancelled
 */
public record BurnEvent(long sequence, Instant at, RecorderId recorder, String client, String image,
        BurnProgress progress, Outcome outcome, @Nullable HResult error, @Nullable String errorMessage)
        implements RecorderEvent {

    /** Whether the burn runs, or how it ended. */
    public enum Outcome {
        /** The burn runs: it started, changed phase, or made progress. */
        RUNNING,
        /** The burn ended with its {@link io.discagent.api.burn.BurnPhase#COMPLETED COMPLETED} progress. */
        SUCCEEDED,
        /** The burn failed: {@link BurnEvent#error()} and {@link BurnEvent#errorMessage()} say why. */
        FAILED,
        /**
         * The burn's subscriber cancelled it ({@code E_IMAPI_REQUEST_CANCELLED}); the writer is stopped, and a
         * write-once disc is usually lost.
         */
        CANCELLED
    }

    /**
     * Checks that the required components are present.
     *
     * @param sequence see {@link RecorderEvent#sequence()}
     * @param at see {@link RecorderEvent#at()}
     * @param recorder the recorder written to
     * @param client the client name of the session that burns
     * @param image the image's name (its path, usually)
     * @param progress the burn's state
     * @param outcome whether it runs or how it ended
     * @param error the failure's HRESULT, when it failed or was cancelled; {@code null} otherwise
     * @param errorMessage the failure's message, when it failed or was cancelled; {@code null} otherwise
     * @throws NullPointerException if {@code at}, {@code recorder}, {@code client}, {@code image},
     *     {@code progress} or {@code outcome} is {@code null}
     */
    public BurnEvent {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(recorder, "recorder");
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(progress, "progress");
        Objects.requireNonNull(outcome, "outcome");
    }

    /**
     * Whether the burn has ended.
     *
     * @return {@code true} unless the outcome is {@link Outcome#RUNNING}
     */
    public boolean ended() {
        return outcome != Outcome.RUNNING;
    }
}
