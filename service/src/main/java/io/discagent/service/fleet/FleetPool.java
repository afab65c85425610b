package io.discagent.service.fleet;

import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What a fleet-wide pool acquire may be granted: the recorders named (each {@code node/id}), or every recorder of every
 * reachable node; and, when {@code minFreeBytes} is given, only one holding a writable medium with that much free space.
 *
 * @param recorders the qualified ids of the pool, or null for every recorder of the fleet
 * @param minFreeBytes the free space of the writable medium the recorder must hold, or null for no medium condition
 */
public record FleetPool(@Nullable Set<String> recorders, @Nullable Long minFreeBytes) {

    public FleetPool {
        recorders = recorders == null ? null : Set.copyOf(recorders);
        if (minFreeBytes != null && minFreeBytes < 0) {
            throw new IllegalArgumentException("minFreeBytes must not be negative: " + minFreeBytes);
        }
    }

    /** Whether recorder {@code id} of {@code node} is in the pool (its medium is judged by the owning node). */
    boolean includes(String node, String id) {
        return recorders == null || recorders.contains(node + "/" + id);
    }

    @Override
    public String toString() {
        return (recorders == null ? "(every recorder)" : new java.util.TreeSet<>(recorders).toString())
                + (minFreeBytes == null ? "" : " with a writable medium of at least " + minFreeBytes + " bytes free");
    }
}
