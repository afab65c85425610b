package io.discagent.service.events;

import io.discagent.api.LockState;
import io.discagent.api.RecorderAgent;
import io.discagent.api.RecorderId;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.RecorderArrivedEvent;
import io.discagent.api.event.RecorderEvent;
import io.discagent.api.event.RecorderRemovedEvent;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The service's one subscription to the agent's event stream, shared by every SSE and WebSocket client.
 *
 * <p>It keeps the current lock state of every recorder (to give each new client a snapshot) and the recent events (to
 * replay what a reconnecting client missed, by {@code sequence}). Events arrive on the agent's event loop; clients
 * register from HTTP threads; one lock orders both, so a client sees its snapshot or replay and then every later
 * event exactly once. {@link Listener}s are called with that lock held and must only hand the event on (for example
 * with {@code Context.runOnContext}).
 */
public final class EventFeed implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(EventFeed.class.getName());

    /** Receives a client's events. Called with the feed's lock held: never block. */
    public interface Listener {

        /** An event (a snapshot, a replayed event or a live one). */
        void event(RecorderEvent event);

        /**
         * The client asked to resume after an event that is no longer kept: it gets a snapshot instead.
         *
         * @param lastEventId what the client asked to resume after
         */
        void replayUnavailable(long lastEventId);

        /** The feed ended (the agent closed, or the feed fell behind): the client should reconnect. */
        void ended(String reason);
    }

    private final RecorderAgent agent;
    private final Scheduler time;
    private final int maxEvents;
    private final long windowNanos;

    private final Object lock = new Object();
    private final Map<RecorderId, LockState> states = new LinkedHashMap<>();
    private final ArrayDeque<RecorderEvent> recent = new ArrayDeque<>();
    private final List<Registration> registrations = new ArrayList<>();
    private long lastSequence;
    private long replayFloor;
    private boolean ended;
    private @Nullable Disposable upstream;

    /**
     * @param agent the agent
     * @param time the scheduler whose clock ages kept events
     * @param maxEvents how many recent events to keep
     * @param window how long to keep them
     */
    public EventFeed(RecorderAgent agent, Scheduler time, int maxEvents, java.time.Duration window) {
        this.agent = agent;
        this.time = time;
        this.maxEvents = maxEvents;
        this.windowNanos = window.toNanos();
    }

    /** Subscribes to the agent; completes once the current state of every recorder is known. */
    public Mono<Void> start() {
        return Mono.defer(() -> {
            subscribeUpstream();
            // The agent registers the subscription (and emits its snapshot) before it answers this query.
            return agent.recorders().then();
        });
    }

    private void subscribeUpstream() {
        upstream = agent.events().subscribe(this::onEvent, this::onError, () -> end("the agent closed"));
    }

    private void onEvent(RecorderEvent event) {
        synchronized (lock) {
            if (event instanceof LockTransition snapshot && snapshot.cause() == LockTransition.Cause.SNAPSHOT) {
                states.put(snapshot.recorder(), snapshot.to());
                lastSequence = snapshot.sequence();
                replayFloor = snapshot.sequence();
                return;
            }
            apply(event);
            lastSequence = event.sequence();
            recent.addLast(event);
            trim();
            for (Registration registration : registrations) {
                registration.offer(event);
            }
        }
    }

    private void apply(RecorderEvent event) {
        if (event instanceof LockTransition transition) {
            states.put(event.recorder(), transition.to());
        } else if (event instanceof RecorderArrivedEvent arrived) {
            states.put(event.recorder(), arrived.info().lockState());
        } else if (event instanceof RecorderRemovedEvent) {
            states.remove(event.recorder());
        }
    }

    private void onError(Throwable error) {
        LOG.log(Level.WARNING, "the event feed lost its subscription; clients must reconnect", error);
        synchronized (lock) {
            for (Registration registration : new ArrayList<>(registrations)) {
                registration.listener.ended("the event feed fell behind");
            }
            registrations.clear();
            states.clear();
            recent.clear();
            if (ended) {
                return;
            }
        }
        subscribeUpstream();
    }

    private void end(String reason) {
        synchronized (lock) {
            ended = true;
            for (Registration registration : registrations) {
                registration.listener.ended(reason);
            }
            registrations.clear();
        }
    }

    private void trim() {
        long oldest = time.now(TimeUnit.NANOSECONDS) - windowNanos;
        while (!recent.isEmpty() && (recent.size() > maxEvents
                || recent.peekFirst().at().isBefore(Instant.ofEpochSecond(0, oldest)))) {
            replayFloor = recent.removeFirst().sequence();
        }
    }

    /**
     * Registers a client. It first receives either the events after {@code lastEventId} (when they are all still
     * kept) or a snapshot of the current lock states ({@link LockTransition.Cause#SNAPSHOT}, carrying the sequence
     * of the last event), then every later event that passes {@code filter}.
     *
     * @param filter which recorders the client wants
     * @param lastEventId the sequence of the last event the client saw, if it is resuming
     * @param listener where the events go
     * @return what ends the registration
     */
    public Disposable register(Predicate<RecorderId> filter, OptionalLong lastEventId, Listener listener) {
        Registration registration = new Registration(filter, listener);
        synchronized (lock) {
            if (ended) {
                listener.ended("the agent closed");
                return () -> { };
            }
            trim();
            if (lastEventId.isPresent() && canReplayAfter(lastEventId.getAsLong())) {
                for (RecorderEvent event : recent) {
                    if (event.sequence() > lastEventId.getAsLong()) {
                        registration.offer(event);
                    }
                }
            } else {
                if (lastEventId.isPresent()) {
                    listener.replayUnavailable(lastEventId.getAsLong());
                }
                Instant now = Instant.ofEpochMilli(time.now(TimeUnit.MILLISECONDS));
                for (Map.Entry<RecorderId, LockState> entry : states.entrySet()) {
                    LockState state = entry.getValue();
                    registration.offer(new LockTransition(lastSequence, now, entry.getKey(), state, state,
                            LockTransition.Cause.SNAPSHOT));
                }
            }
            registrations.add(registration);
        }
        return () -> {
            synchronized (lock) {
                registrations.remove(registration);
            }
        };
    }

    private boolean canReplayAfter(long sequence) {
        return sequence >= replayFloor && sequence <= lastSequence;
    }

    /** How many clients are registered. */
    public int clients() {
        synchronized (lock) {
            return registrations.size();
        }
    }

    @Override
    public void close() {
        Disposable d = upstream;
        if (d != null) {
            d.dispose();
        }
        end("the service is stopping");
    }

    private static final class Registration {

        final Predicate<RecorderId> filter;
        final Listener listener;

        Registration(Predicate<RecorderId> filter, Listener listener) {
            this.filter = filter;
            this.listener = listener;
        }

        void offer(RecorderEvent event) {
            if (filter.test(event.recorder())) {
                listener.event(event);
            }
        }
    }
}
