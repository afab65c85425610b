package io.discagent.agent.internal;

import io.discagent.api.RecorderId;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The burns under way: at most one per recorder ({@link BurnJob}). Event loop only. */
final class Burns {

    private final Map<RecorderId, BurnJob> running = new HashMap<>();
    private long ids;

    /** The burn on {@code recorder}, if one runs (or still stops). */
    @Nullable BurnJob on(RecorderId recorder) {
        return running.get(recorder);
    }

    /** An id for a new burn, unique in the agent: {@code b-1}, {@code b-2}, ... */
    String nextId() {
        return "b-" + ++ids;
    }

    void add(BurnJob job) {
        running.put(job.recorder(), job);
    }

    void remove(BurnJob job) {
        running.remove(job.recorder(), job);
    }

    int size() {
        return running.size();
    }

    /** The burns' tasks queued on or running on native workers. */
    int workerTasks() {
        int n = 0;
        for (BurnJob job : running.values()) {
            n += job.workerTasks();
        }
        return n;
    }
}
