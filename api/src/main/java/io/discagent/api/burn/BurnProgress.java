package io.discagent.api.burn;

import io.discagent.api.RecorderId;
import io.discagent.api.error.InvalidArgumentException;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The state of a burn at one moment. A burn's {@code Flux} emits these, latest first: a subscriber that does not keep
 * up gets the most recent state when it asks for the next one, never a backlog.
 *
 * @param burnId identifies the burn within the agent
 * @param recorder the recorder it writes to
 * @param phase where it is
 * @param bytesDone in {@link BurnPhase#WRITING}, the bytes written; in {@link BurnPhase#VERIFYING}, the bytes read
 *     back; the image's size from {@link BurnPhase#CLOSING} on
 * @param totalBytes the image's size
 * @param bytesPerSecond the current speed of the phase (0 when it is not measured)
 * @param bufferPercent how full the writer's buffer is, 0 to 100, or -1 when the writer does not tell
 * @param elapsed since the burn started
 * @param remaining the writer's or the agent's estimate of the time left in this phase, when there is one
 * @param result the result, on the last progress of a successful burn ({@link BurnPhase#COMPLETED})
 */
public record BurnProgress(String burnId, RecorderId recorder, BurnPhase phase, long bytesDone, long totalBytes,
        long bytesPerSecond, int bufferPercent, Duration elapsed, @Nullable Duration remaining,
        @Nullable BurnResult result) {

    /**
     * Checks the state.
     *
     * @param burnId identifies the burn within the agent
     * @param recorder the recorder it writes to
     * @param phase where it is
     * @param bytesDone the bytes written or read back
     * @param totalBytes the image's size
     * @param bytesPerSecond the current speed of the phase (0 when it is not measured)
     * @param bufferPercent how full the writer's buffer is, 0 to 100, or -1 when the writer does not tell
     * @param elapsed since the burn started
     * @param remaining the estimate of the time left in this phase, or {@code null}
     * @param result the result, required in {@link BurnPhase#COMPLETED}, or {@code null}
     * @throws InvalidArgumentException if {@code burnId}, {@code recorder}, {@code phase} or {@code elapsed} is
     *     {@code null}, a byte count or the speed is negative, {@code bufferPercent} is out of range, or a
     *     {@code COMPLETED} progress has no result
     */
    public BurnProgress {
        InvalidArgumentException.requireNonNull(burnId, "burnId");
        InvalidArgumentException.requireNonNull(recorder, "recorder");
        InvalidArgumentException.requireNonNull(phase, "phase");
        InvalidArgumentException.requireNonNull(elapsed, "elapsed");
        InvalidArgumentException.require(bytesDone >= 0 && totalBytes >= 0 && bytesPerSecond >= 0,
                "byte counts must not be negative");
        InvalidArgumentException.require(bufferPercent >= -1 && bufferPercent <= 100,
                "bufferPercent must be -1 or 0 to 100: " + bufferPercent);
        InvalidArgumentException.require(phase != BurnPhase.COMPLETED || result != null,
                "a completed burn carries its result");
    }

    /**
     * The share of the current phase that is done.
     *
     * @return 0 to 100: the share of {@code totalBytes} in {@code bytesDone} while writing or verifying (0 for an
     *     empty image); 100 while closing and once completed; 0 while preparing or formatting
     */
    public double percent() {
        if (phase == BurnPhase.COMPLETED || phase == BurnPhase.CLOSING) {
            return 100;
        }
        if (totalBytes == 0 || (phase != BurnPhase.WRITING && phase != BurnPhase.VERIFYING)) {
            return 0;
        }
        return Math.min(100, bytesDone * 100.0 / totalBytes);
    }

    /**
     * {@link #remaining}, as an optional.
     *
     * @return the estimate of the time left in this phase, or empty when there is none
     */
    public Optional<Duration> eta() {
        return Optional.ofNullable(remaining);
    }

    /**
     * The result, when the burn completed.
     *
     * @return the result on the {@link BurnPhase#COMPLETED} progress, empty before
     */
    public Optional<BurnResult> completed() {
        return Optional.ofNullable(result);
    }
}
