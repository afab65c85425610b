package io.discagent.agent.backend.windows;

import io.discagent.api.RecorderAgent;
import io.discagent.api.RecorderId;
import io.discagent.api.event.RecorderArrivedEvent;
import io.discagent.api.event.RecorderEvent;
import io.discagent.api.event.RecorderRemovedEvent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import reactor.core.Disposable;

/** Every event an agent publishes, collected as it happens. */
final class EventLog implements AutoCloseable {

    private final List<RecorderEvent> events = new CopyOnWriteArrayList<>();
    private final Disposable subscription;

    EventLog(RecorderAgent agent) {
        subscription = agent.events().subscribe(events::add);
    }

    <T extends RecorderEvent> List<T> of(Class<T> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }

    long arrivals(RecorderId id) {
        return of(RecorderArrivedEvent.class).stream().filter(e -> e.recorder().equals(id)).count();
    }

    long removals(RecorderId id) {
        return of(RecorderRemovedEvent.class).stream().filter(e -> e.recorder().equals(id)).count();
    }

    /** Waits until {@code id} has arrived (after the start) {@code n} times. */
    void awaitArrivals(RecorderId id, int n) {
        WindowsTestAgent.await(() -> arrivals(id) >= n, id + " arrived " + n + " time(s)");
    }

    void awaitRemovals(RecorderId id, int n) {
        WindowsTestAgent.await(() -> removals(id) >= n, id + " was removed " + n + " time(s)");
    }

    @Override
    public void close() {
        subscription.dispose();
    }
}
