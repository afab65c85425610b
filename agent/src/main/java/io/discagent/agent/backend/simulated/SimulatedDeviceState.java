package io.discagent.agent.backend.simulated;

import io.discagent.api.RecorderId;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import org.jspecify.annotations.Nullable;

/**
 * A snapshot of one simulated device.
 *
 * @param recorder the recorder
 * @param present whether it is plugged in
 * @param nativeOwner the client name the agent's handle locked it with, or {@code null}
 * @param externalOwner the owner of an external lock, or {@code null}
 * @param mountedAt the mount point of a mounted file system, or {@code null}
 * @param locksTaken native locks taken by acquires
 * @param locksDropped native locks dropped by releases or by closing the handle
 * @param blockedCalls native calls blocked by {@link Simulator#hangNext} and not yet let go: a call stops counting
 *     when {@link Simulator#releaseHangs}, removal or closing the backend releases it, before its thread runs on
 * @param media the medium
 * @param disc the disc in the drive (what it is when {@code media} is {@code MEDIA_PRESENT})
 * @param discBytesWritten how many bytes burns have written on it
 * @param burning whether a burn runs on it now
 * @param handOvers hand-overs that kept the lock and changed only its owner ({@link Simulator.HandOver#KEEP_CLAIM}):
 *     neither an acquire nor a release
 */
public record SimulatedDeviceState(RecorderId recorder, boolean present, @Nullable String nativeOwner,
        @Nullable String externalOwner, @Nullable String mountedAt, long locksTaken, long locksDropped,
        int blockedCalls, MediaState media, SimulatedDisc disc, long discBytesWritten, boolean burning,
        long handOvers) {
}
