package io.discagent.agent.backend.simulated;

import io.discagent.api.RecorderId;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import io.discagent.api.error.HResult;
import java.time.Duration;
import java.util.ArrayDeque;
import org.jspecify.annotations.Nullable;

/** The state of one simulated device. Guarded by the backend's lock. */
final class SimulatedDevice {

    final RecorderId id;
    boolean present = true;
    @Nullable SimulatedRecorder holder;
    @Nullable String holderName;
    @Nullable String externalOwner;
    @Nullable String mountedAt;
    long locksTaken;
    long locksDropped;
    long handOvers;
    Duration latency = Duration.ZERO;
    final ArrayDeque<Fault> faults = new ArrayDeque<>();
    long hangEpoch;
    int blockedCalls;
    MediaState media = MediaState.MEDIA_PRESENT;
    /** The disc in the drive (read and written only while {@link #media} is {@code MEDIA_PRESENT}). */
    SimulatedDisc disc;
    /** How many bytes of the disc a burn has written (from its start). */
    long discWritten;
    /** How fast burns write, in bytes per second of the agent's clock. */
    long burnSpeed;
    /** A fault the next burn meets at a share of its image, or null. */
    @Nullable PlannedBurnFault burnFault;
    /** Whether a burn runs on the device. */
    boolean burning;

    SimulatedDevice(RecorderId id, SimulatedDisc disc, long burnSpeed) {
        this.id = id;
        this.disc = disc;
        this.burnSpeed = burnSpeed;
    }

    /** A burn fault planned at a share of the image. */
    record PlannedBurnFault(int percent, BurnFault fault) {
    }

    /** A planned failure or hang of the next calls of one operation. */
    static final class Fault {
        final Simulator.Operation operation;
        final @Nullable HResult failure;
        int remaining;

        Fault(Simulator.Operation operation, @Nullable HResult failure, int remaining) {
            this.operation = operation;
            this.failure = failure;
            this.remaining = remaining;
        }

        boolean matches(Simulator.Operation op) {
            return operation == Simulator.Operation.ANY || operation == op;
        }
    }

    SimulatedDeviceState snapshot() {
        return new SimulatedDeviceState(id, present, holderName, externalOwner, mountedAt, locksTaken, locksDropped,
                blockedCalls, media, disc, discWritten, burning, handOvers);
    }
}
