package io.discagent.agent.internal;

import io.discagent.api.RecorderId;
import io.discagent.api.error.EventOverflowException;
import io.discagent.api.event.RecorderEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;

/**
 * Publishes the agent's events to its subscribers, from the event loop.
 *
 * <p>Each subscriber is registered on the event loop in the same task that emits its snapshot (the current state),
 * so it sees every later event exactly once and nothing twice.
 *
 * <p>Slow subscribers: each subscriber has a bounded buffer for events it has not requested yet. The event that finds
 * the buffer full is not delivered; at that moment the subscriber is removed from the hub (so it costs nothing more),
 * and it then receives the events already in its buffer followed by {@link EventOverflowException} (HRESULT
 * {@code HRESULT_FROM_WIN32(ERROR_BUFFER_OVERFLOW)}). A subscriber that does not request those buffered events within
 * the overflow grace (default 1 s) gets the error at once without them (Reactive Streams allows {@code onError}
 * without demand): so even a subscriber that never requests again learns within a bounded time that it fell behind.
 * Other subscribers are not affected. Lock transitions are therefore never dropped silently, and subscribing again
 * starts from the current state.
 *
 * <p>Each subscription is a {@link HubSubscription}: a subscriber that requests everything gets its events straight
 * from the event loop, without a buffer in between (the fan-out benchmark: 1,000 subscribers).
 */
final class EventHub {

    private final EventLoop loop;
    private final Scheduler time;
    private final int bufferSize;
    private final long overflowGraceNanos;
    private final List<HubSubscription<?>> listeners = new ArrayList<>();
    /**
     * The listeners that take each event class, in registration order; rebuilt after every change of
     * {@link #listeners} (rare), so that publishing does no type check per subscriber.
     */
    private final Map<Class<?>, HubSubscription<?>[]> byEventClass = new HashMap<>();
    private boolean completed;

    /**
     * @param loop the event loop that publishes
     * @param time the scheduler of the overflow grace
     * @param bufferSize the most events buffered for a subscriber that has not requested them
     * @param overflowGrace how long an overflowed subscriber has to take its buffered events before the error comes
     *     without them
     */
    public EventHub(EventLoop loop, Scheduler time, int bufferSize, Duration overflowGrace) {
        this.loop = loop;
        this.time = time;
        this.bufferSize = bufferSize;
        this.overflowGraceNanos = Durations.toNanos(overflowGrace);
    }

    /**
     * A stream of the events of one type, of every recorder or of one, starting with {@code snapshot}.
     *
     * @param type the event type
     * @param only the one recorder whose events to take; {@code null} for every recorder
     * @param snapshot what a new subscriber receives first; computed on the event loop, may throw to fail the
     *     subscription
     */
    public <T extends RecorderEvent> Flux<T> subscribe(Class<T> type, @Nullable RecorderId only,
            Supplier<? extends List<? extends T>> snapshot) {
        return Flux.from(subscriber -> {
            Objects.requireNonNull(subscriber, "subscriber");
            HubSubscription<T> subscription = new HubSubscription<>(this, type, only, subscriber, bufferSize);
            subscriber.onSubscribe(subscription);
            if (!loop.execute(() -> register(subscription, snapshot))) {
                // The agent is closed and its event loop gone: the streams have ended. Nothing else can touch the
                // subscription any more, so it is ended from here.
                subscription.terminate(null);
            }
        });
    }

    private <T extends RecorderEvent> void register(HubSubscription<T> subscription,
            Supplier<? extends List<? extends T>> snapshot) {
        if (subscription.isCancelled()) {
            return;
        }
        if (completed) {
            subscription.terminate(null);
            return;
        }
        List<? extends T> first;
        try {
            first = snapshot.get();
        } catch (RuntimeException e) {
            subscription.terminate(e);
            return;
        }
        for (T event : first) {
            subscription.emit(event);
        }
        if (!subscription.isTerminated() && !subscription.isCancelled()) {
            listeners.add(subscription);
            byEventClass.clear();
        }
    }

    /** Delivers an event to every matching subscriber. Event loop only. */
    public void publish(RecorderEvent event) {
        loop.checkInLoop();
        HubSubscription<?>[] targets = byEventClass.computeIfAbsent(event.getClass(), this::accepting);
        for (HubSubscription<?> target : targets) {
            target.offerAccepted(event);
        }
    }

    private HubSubscription<?>[] accepting(Class<?> eventClass) {
        return listeners.stream().filter(l -> l.accepts(eventClass)).toArray(HubSubscription<?>[]::new);
    }

    private void remove(HubSubscription<?> subscription) {
        if (listeners.remove(subscription)) {
            byEventClass.clear();
        }
    }

    /** Completes every subscription, and every later one. Event loop only. */
    public void complete() {
        loop.checkInLoop();
        completed = true;
        List<HubSubscription<?>> all = new ArrayList<>(listeners);
        listeners.clear();
        byEventClass.clear();
        for (HubSubscription<?> listener : all) {
            listener.terminate(null);
        }
    }

    /**
     * Whether someone watches the lock transitions of {@code recorder}: a subscriber of every event, of every lock
     * transition, or of that recorder's. Event loop only.
     */
    public boolean watchesLocksOf(RecorderId recorder) {
        for (HubSubscription<?> listener : listeners) {
            if (listener.watchesLocksOf(recorder)) {
                return true;
            }
        }
        return false;
    }

    /** How many subscribers are registered. Event loop only. */
    public int subscriberCount() {
        return listeners.size();
    }

    /**
     * A subscription overflowed: it leaves the hub, and after the grace its buffered events are dropped so that its
     * error reaches it even without demand. Event loop only.
     */
    void overflowed(HubSubscription<?> subscription) {
        remove(subscription);
        if (overflowGraceNanos >= Durations.FOREVER_NANOS) {
            return;
        }
        time.schedule(() -> loop.execute(subscription::dropBufferedAndEnd), overflowGraceNanos, TimeUnit.NANOSECONDS);
    }

    /** Drains a subscription on the event loop: at once there, through a hop from any other thread. */
    void drainOnLoop(HubSubscription<?> subscription) {
        if (loop.inLoop()) {
            subscription.drain();
        } else {
            loop.execute(subscription::drain); // a loop that is gone has ended every stream already
        }
    }

    /** Takes a subscription off the hub (it cancelled, or overflowed); any thread. */
    void removeLater(HubSubscription<?> subscription) {
        loop.execute(() -> remove(subscription));
    }

    /** Fails a subscription on the event loop (it broke the Reactive Streams rules); any thread. */
    void failLater(HubSubscription<?> subscription, Throwable failure) {
        loop.execute(() -> {
            remove(subscription);
            subscription.terminate(failure);
        });
    }
}
