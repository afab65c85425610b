package io.discagent.service.events;

import io.discagent.api.LockState;
import io.discagent.api.RecorderAgent;
import io.discagent.api.RecorderId;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.RecorderArrivedEvent;
import io.discagent.api.event.RecorderEvent;
import io.discagent.api.event.RecorderRemovedEvent;
import io.vertx.core.Context;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The service's one subscription to the agent's events, fanned out to every SSE and WebSocket client.
 *
 * <h2>Cost per event: O(1)</h2>
 * The agent's event loop only hands each event to the feed's own thread ({@code discagent-streams}): no lock, no
 * work per client. There each event is encoded once ({@link EncodedEvent}) and appended to the {@link EventLog};
 * clients read from the log, each at its own position, so an event costs the same however many clients there are.
 * Deliveries run in cycles: a cycle hands every client the events it has not had yet as one batch (one joined SSE
 * buffer, shared by every client at the same position; WebSocket messages from the shared bytes), and Vert.x flushes
 * each connection once. The next cycle starts no sooner than {@value #PACING} times as long after the last one ended
 * as that one took (from its start until every connection it wrote to had been flushed on its event loop; the pause
 * is at most {@link #MAX_PAUSE}), so the streams take about a third of the HTTP event loop at most, however many
 * clients there are: with a few clients events go out at once, with a thousand they go out in batches.
 *
 * <h2>Clients that fall behind</h2>
 * A client is written to only while its connection takes more, and at most {@value #MAX_BATCH} events at a time, so
 * what waits for it in memory is bounded. A client is cut off (told why, and disconnected within a second:
 * {@link StreamClient#cutOff}) when the events it still needs are no longer in the log (it is more than
 * {@code maxEvents} events behind), or when its connection has refused more for {@code stallTimeout} while events
 * waited (checked every quarter of it). It reconnects with {@code Last-Event-ID} and loses nothing that is still
 * kept. Until then it costs nothing per event, only its position.
 *
 * <h2>Snapshots and replay</h2>
 * The feed keeps the current lock state of every recorder: a new client first receives a snapshot of them
 * ({@link LockTransition.Cause#SNAPSHOT}, carrying the sequence of the last event), or, resuming after an event that
 * is still kept, exactly the events after it. Then every later event that passes its filter, in order, exactly once.
 * Keep-alives and the stall check run on the injected scheduler; the pacing of cycles (a matter of CPU time, not a
 * timeout) on the real clock.
 */
public final class EventFeed implements AutoCloseable {

    /** The pause after a delivery cycle, in multiples of the time the cycle took. */
    static final int PACING = 2;
    /** The longest pause between delivery cycles. */
    static final Duration MAX_PAUSE = Duration.ofMillis(50);
    /** The most events a client is handed in one cycle. */
    static final int MAX_BATCH = 256;

    private static final System.Logger LOG = System.getLogger(EventFeed.class.getName());

    private final RecorderAgent agent;
    private final Scheduler time;
    private final long windowNanos;
    private final long stallNanos;
    private final Duration keepAlive;
    private final ScheduledExecutorService streams;
    private final AtomicInteger clientCount = new AtomicInteger();
    private final Disposable.Composite ticks = Disposables.composite();

    // the feed's thread only
    private final EventLog log;
    private final Map<RecorderId, LockState> states = new LinkedHashMap<>();
    private final Set<StreamClient> clients = new LinkedHashSet<>();
    private long lastSequence;
    private boolean ended;
    private boolean cycleScheduled;
    private boolean cycleInFlight;
    private long nextCycleNanos;
    private volatile @Nullable Disposable upstream;

    /**
     * @param agent the agent
     * @param time the scheduler of keep-alives and stall checks, and whose clock ages kept events
     * @param maxEvents how many recent events to keep (for replay, and as the most a client may fall behind)
     * @param window how long to keep them
     * @param keepAlive how often every client gets a keep-alive
     * @param stallTimeout how long a client's connection may refuse more while events wait for it
     */
    public EventFeed(RecorderAgent agent, Scheduler time, int maxEvents, Duration window, Duration keepAlive,
            Duration stallTimeout) {
        this.agent = agent;
        this.time = time;
        this.log = new EventLog(maxEvents);
        this.windowNanos = window.toNanos();
        this.keepAlive = keepAlive;
        this.stallNanos = stallTimeout.toNanos();
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "discagent-streams");
            thread.setDaemon(true);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
        this.streams = executor;
    }

    /** Subscribes to the agent; completes once the current state of every recorder is known. */
    public Mono<Void> start() {
        return Mono.defer(() -> {
            subscribeUpstream();
            long keepAliveNanos = keepAlive.toNanos();
            ticks.add(time.schedulePeriodically(() -> onFeedThread(this::keepAlives), keepAliveNanos,
                    keepAliveNanos, TimeUnit.NANOSECONDS));
            long check = Math.max(1, stallNanos / 4);
            ticks.add(time.schedulePeriodically(() -> onFeedThread(this::checkStalls), check, check,
                    TimeUnit.NANOSECONDS));
            // The agent emits its snapshot while it registers the subscription, before it answers this query; the
            // snapshot's events are queued to the feed's thread before the empty task that completes the start.
            return agent.recorders().then(Mono.create(done -> onFeedThread(done::success)));
        });
    }

    private void subscribeUpstream() {
        upstream = agent.events().subscribe(event -> onFeedThread(() -> accept(event)),
                error -> onFeedThread(() -> lost(error)), () -> onFeedThread(() -> end("the agent closed")));
    }

    private void onFeedThread(Runnable task) {
        onFeedThread(task, 0);
    }

    /** Runs {@code task} on the feed's thread, after {@code delayNanos} if positive; nothing once it is closed. */
    private void onFeedThread(Runnable task, long delayNanos) {
        Runnable logged = () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "the event feed failed", e);
            }
        };
        try {
            if (delayNanos > 0) {
                streams.schedule(logged, delayNanos, TimeUnit.NANOSECONDS);
            } else {
                streams.execute(logged);
            }
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed: nothing is delivered any more
        }
    }

    private void accept(RecorderEvent event) {
        lastSequence = event.sequence();
        if (event instanceof LockTransition snapshot && snapshot.cause() == LockTransition.Cause.SNAPSHOT) {
            states.put(snapshot.recorder(), snapshot.to());
            log.restart(snapshot.sequence());
            return;
        }
        if (event instanceof LockTransition transition) {
            states.put(event.recorder(), transition.to());
        } else if (event instanceof RecorderArrivedEvent arrived) {
            states.put(event.recorder(), arrived.info().lockState());
        } else if (event instanceof RecorderRemovedEvent) {
            states.remove(event.recorder());
        }
        log.append(EncodedEvent.of(event), time.now(TimeUnit.NANOSECONDS));
        requestCycle();
    }

    private void lost(Throwable error) {
        LOG.log(Level.WARNING, "the event feed lost its subscription; clients must reconnect", error);
        endClients("the event feed fell behind");
        states.clear();
        if (!ended) {
            subscribeUpstream();
        }
    }

    private void end(String reason) {
        ended = true;
        endClients(reason);
    }

    private void endClients(String reason) {
        for (StreamClient client : clients) {
            guarded(client, () -> client.end(reason));
        }
        clients.clear();
        clientCount.set(0);
    }

    /**
     * Registers a client. It first receives either the events after {@code lastEventId} (when they are all still
     * kept) or a snapshot of the current lock states, then every later event it wants.
     *
     * @param lastEventId the sequence of the last event the client saw, if it is resuming
     */
    public void register(StreamClient client, OptionalLong lastEventId) {
        onFeedThread(() -> add(client, lastEventId));
    }

    /** Forgets a client whose connection closed. */
    public void unregister(StreamClient client) {
        client.markClosed();
        onFeedThread(() -> {
            if (clients.remove(client)) {
                clientCount.decrementAndGet();
            }
        });
    }

    /** A client's connection takes writes again (its drain handler): deliver what waits. */
    public void wake() {
        onFeedThread(this::requestCycle);
    }

    private void add(StreamClient client, OptionalLong lastEventId) {
        if (ended) {
            guarded(client, () -> client.end("the agent closed"));
            return;
        }
        if (client.isClosed()) {
            return;
        }
        log.trim(time.now(TimeUnit.NANOSECONDS) - windowNanos);
        long from = lastEventId.isPresent() ? log.positionAfter(lastEventId.getAsLong(), lastSequence) : -1;
        if (from >= 0) {
            client.position = from;
        } else {
            List<EncodedEvent> snapshot = new ArrayList<>();
            Instant now = Instant.ofEpochMilli(time.now(TimeUnit.MILLISECONDS));
            for (Map.Entry<RecorderId, LockState> entry : states.entrySet()) {
                if (client.wants(entry.getKey())) {
                    LockState state = entry.getValue();
                    snapshot.add(EncodedEvent.of(new LockTransition(lastSequence, now, entry.getKey(), state, state,
                            LockTransition.Cause.SNAPSHOT)));
                }
            }
            boolean written = guarded(client, () -> {
                if (lastEventId.isPresent()) {
                    client.replayUnavailable(lastEventId.getAsLong());
                }
                if (!snapshot.isEmpty()) {
                    client.send(new StreamClient.Batch(snapshot));
                }
            });
            if (!written) {
                return;
            }
            client.position = log.end();
        }
        clients.add(client);
        clientCount.incrementAndGet();
        if (client.position < log.end()) {
            requestCycle();
        }
    }

    private void requestCycle() {
        if (cycleScheduled || cycleInFlight || ended) {
            return;
        }
        cycleScheduled = true;
        // queued (not run now): the events already queued to this thread join the batch
        onFeedThread(this::cycle, nextCycleNanos - System.nanoTime());
    }

    /** Hands every client that takes writes the events it has not had (at most {@link #MAX_BATCH}), one batch each. */
    private void cycle() {
        cycleScheduled = false;
        long start = System.nanoTime();
        log.trim(time.now(TimeUnit.NANOSECONDS) - windowNanos);
        long end = log.end();
        Map<Long, StreamClient.Batch> shared = new HashMap<>();
        Map<Context, Boolean> written = new IdentityHashMap<>();
        for (Iterator<StreamClient> it = clients.iterator(); it.hasNext(); ) {
            StreamClient client = it.next();
            if (client.isClosed()) {
                it.remove();
                clientCount.decrementAndGet();
            } else if (client.position < log.first()) {
                it.remove();
                clientCount.decrementAndGet();
                guarded(client, () -> client.cutOff("this client fell further behind than the kept events reach"));
            } else if (client.position < end) {
                deliver(client, end, shared, written);
            }
        }
        if (written.isEmpty()) {
            cycleDone(start, System.nanoTime());
            return;
        }
        // The cycle's work ends when every connection written to has been flushed: its event loop ran the drains
        // queued by these writes before this marker.
        AtomicInteger pending = new AtomicInteger(written.size());
        for (Context context : written.keySet()) {
            context.runOnContext(v -> {
                if (pending.decrementAndGet() == 0) {
                    long flushed = System.nanoTime();
                    onFeedThread(() -> cycleDone(start, flushed));
                }
            });
        }
        cycleInFlight = true;
    }

    private void deliver(StreamClient client, long end, Map<Long, StreamClient.Batch> shared,
            Map<Context, Boolean> written) {
        boolean[] full = new boolean[1];
        if (!guarded(client, () -> full[0] = client.writeQueueFull())) {
            return;
        }
        if (full[0]) {
            if (client.stalledSince < 0) {
                client.stalledSince = time.now(TimeUnit.NANOSECONDS);
            }
            return;
        }
        client.stalledSince = -1;
        long from = client.position;
        long to = Math.min(end, from + MAX_BATCH);
        StreamClient.Batch batch = client.wantsEverything()
                ? shared.computeIfAbsent(from, position -> batch(position, to, client))
                : batch(from, to, client);
        client.position = to;
        if (!batch.events().isEmpty() && guarded(client, () -> client.send(batch))) {
            written.put(client.context(), Boolean.TRUE);
        }
    }

    private StreamClient.Batch batch(long from, long to, StreamClient client) {
        List<EncodedEvent> events = new ArrayList<>((int) (to - from));
        for (long p = from; p < to; p++) {
            EncodedEvent event = log.get(p);
            if (client.wants(event.recorder())) {
                events.add(event);
            }
        }
        return new StreamClient.Batch(events);
    }

    /**
     * A cycle that started at {@code start} finished its work at {@code finished}: the next one may start after a
     * pause in proportion.
     */
    private void cycleDone(long start, long finished) {
        cycleInFlight = false;
        long pause = Math.min(PACING * (finished - start), MAX_PAUSE.toNanos());
        nextCycleNanos = finished + pause;
        for (StreamClient client : clients) {
            // a client whose connection is full is woken by its drain handler (or the stall check)
            if (client.position < log.end() && client.stalledSince < 0) {
                requestCycle();
                return;
            }
        }
    }

    private void keepAlives() {
        for (StreamClient client : clients) {
            guarded(client, () -> {
                if (!client.writeQueueFull()) {
                    client.keepAlive();
                }
            });
        }
    }

    private void checkStalls() {
        long now = time.now(TimeUnit.NANOSECONDS);
        for (Iterator<StreamClient> it = clients.iterator(); it.hasNext(); ) {
            StreamClient client = it.next();
            if (client.isClosed()) {
                it.remove();
                clientCount.decrementAndGet();
            } else if (client.stalledSince >= 0 && now - client.stalledSince >= stallNanos) {
                it.remove();
                clientCount.decrementAndGet();
                guarded(client, () -> client.cutOff("this client took nothing for " + stallNanos / 1_000_000
                        + " ms while events waited"));
            }
        }
        requestCycle(); // a client whose connection drained takes what waits for it
    }

    /** Runs {@code action} on {@code client}; a client whose connection is gone is marked closed. */
    private static boolean guarded(StreamClient client, Runnable action) {
        try {
            action.run();
            return true;
        } catch (RuntimeException gone) { // Vert.x refuses writes to a response or WebSocket that closed
            client.markClosed();
            return false;
        }
    }

    /** How many clients are registered. */
    public int clients() {
        return clientCount.get();
    }

    @Override
    public void close() {
        ticks.dispose();
        Disposable d = upstream;
        if (d != null) {
            d.dispose();
        }
        onFeedThread(() -> end("the service is stopping"));
        streams.shutdown();
        try {
            if (!streams.awaitTermination(10, TimeUnit.SECONDS)) {
                streams.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            streams.shutdownNow();
        }
    }
}
