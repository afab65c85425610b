package io.discagent.agent.internal;

import io.discagent.agent.AgentActivity;
import io.discagent.agent.AgentStatistics;
import io.discagent.agent.spi.HotplugListener;
import io.discagent.agent.spi.NativeWorkerKind;
import io.discagent.agent.spi.RecorderBackend;
import io.discagent.agent.spi.RecorderDescriptor;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientNames;
import io.discagent.api.ClientSession;
import io.discagent.api.LockState;
import io.discagent.api.RecorderAgent;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
import io.discagent.api.SessionId;
import io.discagent.api.error.AcquireTimeoutException;
import io.discagent.api.error.HResult;
import io.discagent.api.error.NativeRecorderException;
import io.discagent.api.error.NoSuchRecorderException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.RequestCancelledException;
import io.discagent.api.error.SessionClosedException;
import io.discagent.api.event.AcquireTimedOutEvent;
import io.discagent.api.event.CommandTimedOutEvent;
import io.discagent.api.event.DeviceEvent;
import io.discagent.api.event.EjectRequestedEvent;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.LockTransition.Cause;
import io.discagent.api.event.MediaChangedEvent;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import io.discagent.api.event.RecorderArrivedEvent;
import io.discagent.api.event.RecorderEvent;
import io.discagent.api.event.RecorderRemovedEvent;
import io.discagent.api.event.TimeoutEvent;
import io.discagent.api.event.TrayUnlockedEvent;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;

/**
 * The agent: sessions, recorders and events, all owned by one {@link EventLoop}.
 *
 * <h2>Threading (the rules every method here follows)</h2>
 * <ul>
 * <li>State (the maps, every {@link RecorderSlot}, every session's holds) is read and written on the event loop
 * only. Public methods may be called from any thread: they return a {@code Mono}/{@code Flux} whose work is moved to
 * the event loop with {@link EventLoop#execute}.</li>
 * <li>Backend calls run on native workers only: enumeration and hotplug on the control worker, each recorder's calls
 * on its own worker ({@link RecorderSlot#call}). Their outcomes come back to the event loop before anything else
 * happens, so every result, error and event a user sees is signalled from the event loop.</li>
 * <li>Delays, timeouts and backoff go through the injected Reactor {@link Scheduler} ({@link #time()}); their tasks
 * only hop back to the event loop.</li>
 * </ul>
 */
public final class AgentCore implements RecorderAgent {

    private static final System.Logger LOG = System.getLogger(AgentCore.class.getName());

    private final EventLoop loop;
    private final Scheduler time;
    private final RecorderBackend backend;
    private final AgentSettings settings;
    private final NativeWorker control;
    private final EventHub hub;

    private final Map<RecorderId, RecorderSlot> slots = new LinkedHashMap<>();
    private final Map<RecorderId, Boolean> opening = new LinkedHashMap<>();
    private final Map<SessionId, SessionImpl> sessions = new LinkedHashMap<>();
    private long sequence;
    private long holdIds;
    private long sessionIds;
    private long arrivals;
    // Statistics: written on the event loop only (one writer), read from any thread.
    private volatile long grants;
    private volatile long retries;
    private volatile long acquireTimeouts;
    private volatile long commandTimeouts;
    private volatile long removals;
    private volatile long waiting;
    private boolean closed;
    private @Nullable Disposable mediaPoller;
    private @Nullable Mono<Void> closing;

    private AgentCore(EventLoop loop, Scheduler time, RecorderBackend backend, AgentSettings settings) {
        this.loop = loop;
        this.time = time;
        this.backend = backend;
        this.settings = settings;
        this.control = new NativeWorker("discagent-native-control", backend.threadHooks(NativeWorkerKind.CONTROL));
        this.hub = new EventHub(loop, settings.eventBufferSize());
        // Sequences of successive runs never overlap, so a client resuming with a number from an earlier run is
        // recognised as such (1000 numbers per millisecond of the previous run's life; exact in JavaScript too).
        this.sequence = time.now(TimeUnit.MILLISECONDS) * 1000;
    }

    /**
     * Starts an agent on {@code backend}: enumerates on the control worker, opens every recorder on its own worker,
     * then starts hotplug and media polling.
     *
     * @return the agent, once its initial recorders are open
     */
    public static Mono<AgentCore> start(EventLoop loop, Scheduler time, RecorderBackend backend,
            AgentSettings settings) {
        AgentCore core = new AgentCore(loop, time, backend, settings);
        return Mono.create(sink -> core.start(sink));
    }

    private void start(MonoSink<AgentCore> sink) {
        control.start();
        control.execute(() -> {
            List<RecorderDescriptor> found;
            try {
                found = backend.enumerate();
            } catch (Throwable t) {
                RecorderException failure = asRecorderException(t, null, "enumerate");
                control.stop();
                loop.execute(() -> sink.error(failure));
                return;
            }
            loop.execute(() -> {
                int[] remaining = {found.size()};
                Runnable opened = () -> {
                    if (--remaining[0] == 0) {
                        started(sink);
                    }
                };
                if (found.isEmpty()) {
                    started(sink);
                }
                for (RecorderDescriptor descriptor : found) {
                    addRecorder(descriptor, opened);
                }
            });
        });
    }

    /** The initial recorders are open: start hotplug, then media polling, then report the agent ready. */
    private void started(MonoSink<AgentCore> sink) {
        control.execute(() -> {
            try {
                backend.startHotplug(new Hotplug());
            } catch (Throwable t) {
                LOG.log(Level.ERROR, "the " + backend.name() + " backend could not start hotplug", t);
            }
            loop.execute(() -> {
                Duration interval = settings.mediaPollInterval();
                if (!interval.isZero()) {
                    mediaPoller = time.schedulePeriodically(() -> loop.execute(this::pollMedia),
                            interval.toNanos(), interval.toNanos(), TimeUnit.NANOSECONDS);
                }
                sink.success(this);
            });
        });
    }

    // ------------------------------------------------------------------------------------------------ recorders

    private void addRecorder(RecorderDescriptor descriptor, @Nullable Runnable opened) {
        RecorderId id = RecorderId.of(descriptor.id());
        if (closed || slots.containsKey(id) || opening.containsKey(id)) {
            if (opened != null) {
                opened.run();
            }
            return;
        }
        opening.put(id, Boolean.TRUE);
        NativeWorker worker = new NativeWorker(threadName(id), backend.threadHooks(NativeWorkerKind.RECORDER)).start();
        RecorderHandle handle = new RecorderHandle(backend, descriptor, worker);
        RecorderSlot slot = new RecorderSlot(this, descriptor, worker, handle, ++arrivals);
        worker.execute(() -> {
            RecorderException failure = null;
            boolean polling = false;
            try {
                handle.open();
                polling = handle.get().supportsMediaPolling();
            } catch (Throwable t) {
                failure = asRecorderException(t, id, "open");
            }
            RecorderException error = failure;
            boolean mediaPolling = polling;
            loop.execute(() -> opened(slot, error, mediaPolling, opened));
        });
    }

    private void opened(RecorderSlot slot, @Nullable RecorderException error, boolean mediaPolling,
            @Nullable Runnable opened) {
        opening.remove(slot.id);
        if (error != null || closed) {
            if (error != null) {
                LOG.log(Level.WARNING, "recorder " + slot.id + " could not be opened; it is ignored", error);
            }
            slot.shutdown(new RequestCancelledException("the recorder could not be opened", slot.id), () -> { });
        } else {
            slot.enableMediaPolling(mediaPolling);
            insertInArrivalOrder(slot);
            publish(new RecorderArrivedEvent(++sequence, now(), slot.id, slot.info()));
        }
        if (opened != null) {
            opened.run();
        }
    }

    private void insertInArrivalOrder(RecorderSlot slot) {
        List<RecorderSlot> all = new ArrayList<>(slots.values());
        all.add(slot);
        all.sort(java.util.Comparator.comparingLong(s -> s.arrival));
        slots.clear();
        for (RecorderSlot s : all) {
            slots.put(s.id, s);
        }
    }

    /** The recorder is gone (hotplug removal, or a native call said so). */
    void recorderGone(RecorderSlot slot) {
        if (slots.remove(slot.id, slot)) {
            slot.remove(new RecorderRemovedException("recorder " + slot.id + " was removed", slot.id));
        }
    }

    /**
     * {@code discagent-native-<id>}; a long id (IMAPI2's unique ids share their prefix and their interface GUID) is
     * shortened to its start and a hash of the whole, so two recorders never share a thread name.
     */
    static String threadName(RecorderId id) {
        String clean = id.value().replaceAll("[^A-Za-z0-9._-]", "_");
        if (clean.length() > 40) {
            clean = clean.substring(0, 28) + "-" + String.format("%08x", id.value().hashCode());
        }
        return "discagent-native-" + clean;
    }

    private void pollMedia() {
        for (RecorderSlot slot : slots.values()) {
            slot.pollMedia();
        }
    }

    private final class Hotplug implements HotplugListener {

        @Override
        public void recorderArrived(RecorderDescriptor descriptor) {
            loop.execute(() -> addRecorder(descriptor, null));
        }

        @Override
        public void recorderRemoved(String id) {
            loop.execute(() -> {
                RecorderSlot slot = slots.get(RecorderId.of(id));
                if (slot != null) {
                    recorderGone(slot);
                }
            });
        }

        @Override
        public void mediaChanged(String id, MediaState state) {
            loop.execute(() -> {
                RecorderSlot slot = slots.get(RecorderId.of(id));
                if (slot != null) {
                    slot.mediaObserved(state, false);
                }
            });
        }

        @Override
        public void lockLost(String id, RecorderException reason) {
            loop.execute(() -> {
                RecorderSlot slot = slots.get(RecorderId.of(id));
                if (slot != null) {
                    slot.lockLost(reason);
                }
            });
        }

        // Issue 14: device events the Linux backend reports about a held drive; they only publish an event.
        @Override
        public void trayUnlocked(String id, @Nullable String culprit, boolean trayOpened, boolean relocked) {
            loop.execute(() -> {
                RecorderSlot slot = slots.get(RecorderId.of(id));
                if (slot != null) {
                    publish(new TrayUnlockedEvent(++sequence, now(), slot.id, culprit, trayOpened, relocked));
                }
            });
        }

        @Override
        public void ejectRequested(String id) {
            loop.execute(() -> {
                RecorderSlot slot = slots.get(RecorderId.of(id));
                if (slot != null) {
                    publish(new EjectRequestedEvent(++sequence, now(), slot.id, slot.currentOwner()));
                }
            });
        }
    }

    // ------------------------------------------------------------------------------------------------ sessions

    @Override
    public Mono<ClientSession> openSession(String clientName) {
        return Mono.defer(() -> {
            String name = ClientNames.requireValid(clientName);
            return onLoop(sink -> {
                if (closed) {
                    sink.error(new SessionClosedException("the agent is closed", null));
                    return;
                }
                SessionImpl session = new SessionImpl(this, new SessionId("s-" + ++sessionIds), name);
                sessions.put(session.id(), session);
                sink.success(session);
            });
        });
    }

    /** Closes the session; completes once the native releases it caused have returned. */
    Mono<Void> closeSession(SessionImpl session) {
        return onLoop(sink -> closeSession(session, Cause.SESSION_CLOSED,
                new SessionClosedException("session '" + session.clientName() + "' was closed", null),
                sink::success));
    }

    private void closeSession(SessionImpl session, Cause cause, RecorderException failure, Runnable done) {
        if (!session.markClosed(failure)) {
            done.run();
            return;
        }
        sessions.remove(session.id());
        List<RecorderSlot> all = new ArrayList<>(slots.values());
        int[] remaining = {all.size() + 1};
        Runnable oneDone = () -> {
            if (--remaining[0] == 0) {
                done.run();
            }
        };
        for (RecorderSlot slot : all) {
            slot.sessionClosed(session, cause, failure, oneDone);
        }
        oneDone.run();
    }

    // ------------------------------------------------------------------------------------------------ acquire

    /**
     * An acquire request ({@link AcquireRequest}): attempts (each one {@link PendingAcquire}) under the request's
     * retry policy, with one deadline for the whole request. A grant that reaches a cancelled subscriber is discarded
     * by Reactor and released by the session ({@link SessionImpl#releaseDiscarded}).
     */
    Mono<Granted> acquire(SessionImpl session, RecorderId recorder, AcquireOptions options) {
        Objects.requireNonNull(recorder, "recorder");
        Objects.requireNonNull(options, "options");
        return Mono.defer(() -> new AcquireRequest(this, session, recorder, options, nowNanos()).toMono())
                .doOnDiscard(Granted.class, session.releaseDiscarded);
    }

    /** Hands a new attempt to the event loop, and arms its deadline; called on the subscribing thread. */
    void startAttempt(PendingAcquire attempt) {
        attempt.sink.onCancel(attempt);
        if (!loop.execute(() -> attempt(attempt))) {
            attempt.sink.error(agentGone());
            return;
        }
        AcquireRequest request = attempt.request;
        if (request.hasDeadline()) {
            long remaining = request.deadlineNanos - nowNanos();
            attempt.deadlineTimer = time.schedule(() -> loop.execute(() -> deadlineReached(attempt)),
                    Math.max(0, remaining), TimeUnit.NANOSECONDS);
        }
    }

    private void attempt(PendingAcquire request) {
        if (request.isFinished()) {
            return;
        }
        if (request.attempt > 1) {
            retries++;
        }
        if (closed) {
            request.fail(new RequestCancelledException("the agent is closed", request.recorder()));
            return;
        }
        if (!request.session.isOpen()) {
            request.fail(new SessionClosedException("session '" + request.session.clientName() + "' is closed",
                    request.recorder()));
            return;
        }
        RecorderSlot slot = slots.get(request.recorder());
        if (slot == null) {
            request.fail(noSuchRecorder(request.recorder()));
            return;
        }
        if (request.request.hasDeadline() && nowNanos() >= request.request.deadlineNanos) {
            timedOut(request, slot);
            return;
        }
        slot.acquire(request);
    }

    private void deadlineReached(PendingAcquire request) {
        if (!request.isFinished()) {
            timedOut(request, slots.get(request.recorder()));
        }
    }

    private void timedOut(PendingAcquire request, @Nullable RecorderSlot slot) {
        String owner = slot == null ? null : slot.currentOwner();
        Duration waited = Duration.ofNanos(Math.max(0, nowNanos() - request.request.startedNanos));
        request.fail(new AcquireTimeoutException(HResult.HRESULT_FROM_WIN32_ERROR_TIMEOUT, "waited "
                + waited.toMillis() + " ms for recorder " + request.recorder() + (owner == null ? ""
                : "; it is held by '" + owner + "'"), request.recorder(), owner, null, null));
        acquireTimeouts++;
        publish(new AcquireTimedOutEvent(++sequence, now(), request.recorder(), request.session.id(),
                request.session.clientName(), waited, owner));
    }

    // ------------------------------------------------------------------------------------------------ release

    Mono<Integer> release(SessionImpl session, RecorderId recorder) {
        Objects.requireNonNull(recorder, "recorder");
        return onLoop(sink -> {
            RecorderSlot slot = slots.get(recorder);
            if (slot == null) {
                sink.error(noSuchRecorder(recorder));
            } else {
                slot.release(session, sink);
            }
        });
    }

    /** Releases one count of the grant's hold, if the session still holds that hold. */
    Mono<Void> releaseHold(SessionImpl session, Granted granted) {
        return Mono.<Integer>create(sink -> loop.execute(() -> {
            RecorderSlot slot = slots.get(granted.grant().recorder());
            if (slot == null) {
                sink.success();
            } else {
                slot.releaseHold(session, granted.hold().id, sink);
            }
        })).then();
    }

    Mono<Integer> lockCount(SessionImpl session, RecorderId recorder) {
        return onLoop(sink -> {
            RecorderSlot slot = slots.get(recorder);
            sink.success(slot == null ? 0 : slot.lockCount(session));
        });
    }

    // ------------------------------------------------------------------------------------------------ queries

    @Override
    public Mono<List<RecorderInfo>> recorders() {
        return onLoop(sink -> {
            List<RecorderInfo> infos = new ArrayList<>(slots.size());
            for (RecorderSlot slot : slots.values()) {
                infos.add(slot.info());
            }
            sink.success(infos);
        });
    }

    @Override
    public Mono<RecorderInfo> recorder(RecorderId recorder) {
        return onLoop(sink -> sink.success(slot(recorder).info()));
    }

    @Override
    public Mono<String> exclusiveAccessOwner(RecorderId recorder) {
        return onLoop(sink -> slot(recorder).owner(sink));
    }

    @Override
    public Flux<RecorderEvent> events() {
        return hub.subscribe(RecorderEvent.class, e -> true, () -> lockSnapshot(null));
    }

    @Override
    public Flux<LockTransition> lockTransitions() {
        return hub.subscribe(LockTransition.class, e -> true, () -> lockSnapshot(null));
    }

    @Override
    public Flux<LockTransition> lockTransitions(RecorderId recorder) {
        Objects.requireNonNull(recorder, "recorder");
        return hub.subscribe(LockTransition.class, new SameRecorder(recorder), () -> {
            slot(recorder);
            return lockSnapshot(recorder);
        });
    }

    @Override
    public Flux<TimeoutEvent> timeouts() {
        return hub.subscribe(TimeoutEvent.class, e -> true, List::of);
    }

    @Override
    public Flux<DeviceEvent> deviceEvents() {
        return hub.subscribe(DeviceEvent.class, e -> true, List::of);
    }

    /**
     * Whether an event concerns one recorder; remembers the agent's own instance of its id, so that most events are
     * matched by identity instead of by comparing strings (it runs for every subscriber and event). Event loop only.
     */
    private static final class SameRecorder implements Predicate<LockTransition> {

        private final RecorderId wanted;
        private @Nullable RecorderId seen;

        SameRecorder(RecorderId wanted) {
            this.wanted = wanted;
        }

        @Override
        public boolean test(LockTransition event) {
            RecorderId id = event.recorder();
            if (id == seen) {
                return true;
            }
            if (id.equals(wanted)) {
                seen = id;
                return true;
            }
            return false;
        }
    }

    private List<LockTransition> lockSnapshot(@Nullable RecorderId only) {
        List<LockTransition> snapshot = new ArrayList<>();
        Instant at = now();
        for (RecorderSlot slot : slots.values()) {
            if (only == null || only.equals(slot.id)) {
                LockState state = slot.state();
                snapshot.add(new LockTransition(sequence, at, slot.id, state, state, Cause.SNAPSHOT));
            }
        }
        return snapshot;
    }

    private RecorderSlot slot(RecorderId recorder) {
        RecorderSlot slot = slots.get(Objects.requireNonNull(recorder, "recorder"));
        if (slot == null) {
            throw noSuchRecorder(recorder);
        }
        return slot;
    }

    private static NoSuchRecorderException noSuchRecorder(RecorderId recorder) {
        return new NoSuchRecorderException("no recorder with id " + recorder, recorder);
    }

    // ------------------------------------------------------------------------------------------------ close

    @Override
    public Mono<Void> close() {
        return Mono.<Mono<Void>>create(sink -> {
            if (!loop.execute(() -> sink.success(closeOnLoop()))) {
                sink.success(Mono.empty()); // the event loop is gone: the agent was closed already
            }
        }).flatMap(done -> done);
    }

    private Mono<Void> closeOnLoop() {
        if (closing != null) {
            return closing;
        }
        closed = true;
        if (mediaPoller != null) {
            mediaPoller.dispose();
        }
        RequestCancelledException cancelled = new RequestCancelledException("the agent is closing", null);
        for (SessionImpl session : new ArrayList<>(sessions.values())) {
            closeSession(session, Cause.AGENT_CLOSED, cancelled, () -> { });
        }
        hub.complete();
        Mono<Void> done = Mono.create(sink -> {
            List<RecorderSlot> all = new ArrayList<>(slots.values());
            slots.clear();
            int[] remaining = {all.size() + 1};
            boolean[] finished = {false};
            Disposable[] patienceTimer = {null};
            Runnable closeBackend = () -> {
                if (finished[0]) {
                    return;
                }
                finished[0] = true;
                if (patienceTimer[0] != null) {
                    patienceTimer[0].dispose();
                }
                control.execute(() -> {
                    try {
                        backend.close();
                    } catch (Throwable t) {
                        LOG.log(Level.WARNING, "closing the " + backend.name() + " backend failed", t);
                    }
                    loop.execute(sink::success);
                });
                control.stop();
            };
            Runnable oneClosed = () -> {
                if (--remaining[0] == 0) {
                    closeBackend.run();
                }
            };
            for (RecorderSlot slot : all) {
                slot.shutdown(cancelled, oneClosed);
            }
            // A worker blocked in a native call never reports back: do not wait for it longer than a command.
            Duration patience = settings.commandTimeout().isZero() ? Duration.ofSeconds(10)
                    : settings.commandTimeout();
            oneClosed.run();
            if (!finished[0]) {
                patienceTimer[0] = time.schedule(() -> loop.execute(closeBackend), patience.toNanos(),
                        TimeUnit.NANOSECONDS);
            }
        });
        closing = done.cache();
        return closing;
    }

    // ------------------------------------------------------------------------------------------------ plumbing

    /** Runs {@code body} on the event loop with a sink; an exception it throws fails the {@code Mono}. */
    <T> Mono<T> onLoop(Consumer<MonoSink<T>> body) {
        return Mono.create(sink -> {
            boolean accepted = loop.execute(() -> {
                try {
                    body.accept(sink);
                } catch (RuntimeException e) {
                    sink.error(e);
                }
            });
            if (!accepted) {
                sink.error(agentGone());
            }
        });
    }

    private static RequestCancelledException agentGone() {
        return new RequestCancelledException("the agent is closed", null);
    }

    void publishTransition(RecorderId recorder, LockState from, LockState to, Cause cause) {
        publish(new LockTransition(++sequence, now(), recorder, from, to, cause));
    }

    void countGrant() {
        grants++;
    }

    void waitingChanged(int delta) {
        waiting += delta;
    }

    void publishCommandTimeout(RecorderId recorder, String command, Duration timeout) {
        commandTimeouts++;
        publish(new CommandTimedOutEvent(++sequence, now(), recorder, command, timeout));
    }

    void publishRemoved(RecorderId recorder, @Nullable String lastOwner, int failedWaiters) {
        removals++;
        publish(new RecorderRemovedEvent(++sequence, now(), recorder, lastOwner, failedWaiters));
    }

    void publishMedia(RecorderId recorder, MediaState state) {
        publish(new MediaChangedEvent(++sequence, now(), recorder, state));
    }

    private void publish(RecorderEvent event) {
        hub.publish(event);
    }

    long nextHoldId() {
        return ++holdIds;
    }

    RecorderException asRecorderException(Throwable t, @Nullable RecorderId recorder, String command) {
        if (t instanceof RecorderException) {
            return (RecorderException) t;
        }
        return new NativeRecorderException(HResult.E_FAIL, command + " failed: " + t, recorder, null, null, t);
    }

    Instant now() {
        return Instant.ofEpochMilli(time.now(TimeUnit.MILLISECONDS));
    }

    long nowNanos() {
        return time.now(TimeUnit.NANOSECONDS);
    }

    EventLoop loop() {
        return loop;
    }

    Scheduler time() {
        return time;
    }

    AgentSettings settings() {
        return settings;
    }

    String backendName() {
        return backend.name();
    }

    /** The backend (for its control API, such as the simulator's). */
    public RecorderBackend backend() {
        return backend;
    }

    /** What the agent is doing now, taken on the event loop. */
    public Mono<AgentActivity> activity() {
        return onLoop(sink -> {
            int waiting = 0;
            int held = 0;
            int inFlight = 0;
            for (RecorderSlot slot : slots.values()) {
                waiting += slot.waiting();
                held += slot.isHeld() ? 1 : 0;
                inFlight += slot.inFlightCalls();
            }
            sink.success(new AgentActivity(slots.size(), opening.size(), sessions.size(), held, waiting, inFlight,
                    hub.subscriberCount(), sequence));
        });
    }

    /** Counts since start; any thread. */
    public AgentStatistics statistics() {
        return new AgentStatistics(grants, retries, acquireTimeouts, commandTimeouts, removals, waiting);
    }
}
