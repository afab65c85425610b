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

    SimulatedDevice(RecorderId id) {
        this.id = id;
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
                blockedCalls, media, handOvers);
    }
}
