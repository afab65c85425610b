package io.discagent.agent.internal;

import io.discagent.api.error.EventOverflowException;
import io.discagent.api.event.RecorderEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;
import reactor.core.Exceptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;

/**
 * Publishes the agent's events to its subscribers, from the event loop.
 *
 * <p>Each subscriber is registered on the event loop in the same task that emits its snapshot (the current state),
 * so it sees every later event exactly once and nothing twice.
 *
 * <p>Slow subscribers: each subscriber has a bounded buffer for events it has not requested yet. The event that finds
 * the buffer full is not delivered; at that moment the subscriber is removed from the hub (so it costs nothing more),
 * and it then receives the events already in its buffer followed by {@link EventOverflowException} (HRESULT
 * {@code HRESULT_FROM_WIN32(ERROR_BUFFER_OVERFLOW)}). Other subscribers are not affected. Lock transitions are
 * therefore never dropped silently: a slow subscriber learns that it fell behind, and subscribing again starts from
 * the current state.
 */
public final class EventHub {

    private final EventLoop loop;
    private final int bufferSize;
    private final List<Listener<?>> listeners = new ArrayList<>();
    private boolean completed;

    /**
     * @param loop the event loop that publishes
     * @param bufferSize the most events buffered for a subscriber that has not requested them
     */
    public EventHub(EventLoop loop, int bufferSize) {
        this.loop = loop;
        this.bufferSize = bufferSize;
    }

    /**
     * A stream of the events of one type that pass {@code filter}, starting with {@code snapshot}.
     *
     * @param type the event type
     * @param filter which events of that type
     * @param snapshot what a new subscriber receives first; computed on the event loop, may throw to fail the
     *     subscription
     */
    public <T extends RecorderEvent> Flux<T> subscribe(Class<T> type, Predicate<? super T> filter,
            Supplier<? extends List<? extends T>> snapshot) {
        Flux<T> source = Flux.create(sink -> {
            if (!loop.execute(() -> register(type, filter, snapshot, sink))) {
                sink.complete(); // the agent is closed and its event loop gone: the streams have ended
            }
        }, FluxSink.OverflowStrategy.IGNORE);
        return source.onBackpressureBuffer(bufferSize)
                .onErrorMap(Exceptions::isOverflow, e -> new EventOverflowException("the subscriber fell more than "
                        + bufferSize + " events behind; subscribe again to start from the current state", null));
    }

    private <T extends RecorderEvent> void register(Class<T> type, Predicate<? super T> filter,
            Supplier<? extends List<? extends T>> snapshot, FluxSink<T> sink) {
        if (sink.isCancelled()) {
            return;
        }
        if (completed) {
            sink.complete();
            return;
        }
        List<? extends T> first;
        try {
            first = snapshot.get();
        } catch (RuntimeException e) {
            sink.error(e);
            return;
        }
        for (T event : first) {
            sink.next(event);
        }
        Listener<T> listener = new Listener<>(type, filter, sink);
        listeners.add(listener);
        sink.onDispose(() -> loop.execute(() -> listeners.remove(listener)));
    }

    /** Delivers an event to every matching subscriber. Event loop only. */
    public void publish(RecorderEvent event) {
        loop.checkInLoop();
        for (int i = 0; i < listeners.size(); i++) {
            listeners.get(i).offer(event);
        }
    }

    /** Completes every subscription, and every later one. Event loop only. */
    public void complete() {
        loop.checkInLoop();
        completed = true;
        List<Listener<?>> all = new ArrayList<>(listeners);
        listeners.clear();
        for (Listener<?> listener : all) {
            listener.sink.complete();
        }
    }

    /** How many subscribers are registered. Event loop only. */
    public int subscriberCount() {
        return listeners.size();
    }

    private static final class Listener<T extends RecorderEvent> {

        private final Class<T> type;
        private final Predicate<? super T> filter;
        private final FluxSink<T> sink;

        Listener(Class<T> type, Predicate<? super T> filter, FluxSink<T> sink) {
            this.type = type;
            this.filter = filter;
            this.sink = sink;
        }

        void offer(RecorderEvent event) {
            if (type.isInstance(event)) {
                T typed = type.cast(event);
                if (filter.test(typed)) {
                    sink.next(typed);
                }
            }
        }
    }
}
