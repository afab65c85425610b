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
import io.discagent.api.LockGrant;
import io.discagent.api.LockState;
import io.discagent.api.RecorderAgent;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
import io.discagent.api.SessionId;
import io.discagent.api.error.CommandTimeoutException;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.RecorderException;
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
 * The agent: sessions, recorders and events, all owned by one {@link EventLoop}. It is the one implementation of
 * {@link RecorderAgent} ({@code DiscAgent} is its public face) and the {@link SlotContext} of every recorder.
 *
 * <h2>Threading (the rules every method here follows)</h2>
 * <ul>
 * <li>State (the registry of recorders, every {@link RecorderSlot}, every session) is read and written on the event
 * loop only. Public methods may be called from any thread: they return a {@code Mono}/{@code Flux} whose work is
 * moved to the event loop; nothing happens before it is requested.</li>
 * <li>Backend calls run on native workers only: enumeration and hotplug on the control worker, each recorder's calls
 * on its own worker ({@link NativeCalls}). Their outcomes come back to the event loop before anything else happens,
 * so every result, error and event a user sees is signalled from the event loop.</li>
 * <li>Delays, timeouts and backoff go through the injected Reactor {@link Scheduler}; their tasks only hop back to the
 * event loop.</li>
 * </ul>
 */
public final class AgentCore implements RecorderAgent, SlotContext, RecorderRegistry.Host {

    private static final System.Logger LOG = System.getLogger(AgentCore.class.getName());

    private final EventLoop loop;
    private final Scheduler time;
    private final RecorderBackend backend;
    private final AgentSettings settings;
    private final NativeWorker control;
    private final EventHub hub;
    private final RecorderRegistry registry;
    private final Deadlines deadlines;

    private final Map<SessionId, SessionImpl> sessions = new LinkedHashMap<>();
    private long sequence;
    private long holdIds;
    private long sessionIds;
    // Statistics: written on the event loop only (one writer), read from any thread.
    private volatile long grants;
    private volatile long retries;
    private volatile long acquireTimeouts;
    private volatile long commandTimeouts;
    private volatile long removals;
    private volatile long waiting;
    private volatile long unclaimedBefore;
    private volatile long droppedIn;
    private volatile long droppedAfter;
    private volatile long revoked;
    private volatile long handOvers;
    private boolean closed;
    private @Nullable Disposable mediaPoller;
    private @Nullable Mono<Void> closing;

    private AgentCore(EventLoop loop, Scheduler time, RecorderBackend backend, AgentSettings settings) {
        this.loop = loop;
        this.time = time;
        this.backend = backend;
        this.settings = settings;
        this.control = new NativeWorker("discagent-native-control", backend.threadHooks(NativeWorkerKind.CONTROL));
        this.hub = new EventHub(loop, time, settings.eventBufferSize(), settings.eventOverflowGrace());
        this.registry = new RecorderRegistry(backend, this);
        this.deadlines = new Deadlines(loop, time, this::deadlineReached);
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
        return Mono.create(core::start);
    }

    private void start(MonoSink<AgentCore> sink) {
        control.start();
        control.execute(() -> {
            List<RecorderDescriptor> found;
            try {
                found = backend.enumerate();
            } catch (Throwable t) {
                RecorderException failure = NativeCalls.asRecorderException(t, null, "enumerate");
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
                    registry.arrived(descriptor, opened);
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
                try {
                    Duration interval = settings.mediaPollInterval();
                    if (!interval.isZero()) {
                        long nanos = Durations.toNanos(interval);
                        mediaPoller = time.schedulePeriodically(() -> loop.execute(this::pollMedia), nanos, nanos,
                                TimeUnit.NANOSECONDS);
                    }
                    sink.success(this);
                } catch (Throwable t) {
                    sink.error(NativeCalls.asRecorderException(t, null, "start"));
                }
            });
        });
    }

    private void pollMedia() {
        for (RecorderSlot slot : registry.slots()) {
            slot.pollMedia();
        }
    }

    private final class Hotplug implements HotplugListener {

        @Override
        public void recorderArrived(RecorderDescriptor descriptor) {
            loop.execute(() -> registry.arrived(descriptor, null));
        }

        @Override
        public void recorderRemoved(String id) {
            loop.execute(() -> registry.removed(RecorderId.of(id)));
        }

        @Override
        public void mediaChanged(String id, MediaState state) {
            loop.execute(() -> {
                RecorderSlot slot = registry.slot(RecorderId.of(id));
                if (slot != null) {
                    slot.mediaObserved(state, false);
                }
            });
        }

        @Override
        public void lockLost(String id, RecorderException reason) {
            loop.execute(() -> {
                RecorderSlot slot = registry.slot(RecorderId.of(id));
                if (slot != null) {
                    slot.lockLost(reason);
                }
            });
        }

        @Override
        public void trayUnlocked(String id, @Nullable String culprit, boolean trayOpened, boolean relocked) {
            loop.execute(() -> {
                RecorderSlot slot = registry.slot(RecorderId.of(id));
                if (slot != null) {
                    publish(new TrayUnlockedEvent(++sequence, now(), slot.id, culprit, trayOpened, relocked));
                }
            });
        }

        @Override
        public void ejectRequested(String id) {
            loop.execute(() -> {
                RecorderSlot slot = registry.slot(RecorderId.of(id));
                if (slot != null) {
                    publish(new EjectRequestedEvent(++sequence, now(), slot.id, slot.currentOwner()));
                }
            });
        }
    }

    // ------------------------------------------------------------------------------------------------ sessions

    @Override
    public Mono<ClientSession> openSession(String clientName) {
        return reply(reply -> {
            String name = ClientNames.requireValid(clientName);
            if (closed) {
                throw new SessionClosedException("the agent is closed", null);
            }
            SessionImpl session = new SessionImpl(this, new SessionId("s-" + ++sessionIds), name);
            sessions.put(session.id(), session);
            reply.success(session);
        });
    }

    /** Closes the session; completes once the native releases it caused have returned. */
    Mono<Void> closeSession(SessionImpl session, Cause cause, @Nullable RecorderException reason) {
        return new LoopReply<Void>(loop, reply -> closeSession(session, cause, reason != null ? reason
                : new SessionClosedException("session '" + session.clientName() + "' was closed", null),
                () -> reply.success(null)), reply -> { // the agent closed it already: closing again does nothing
                    if (session.isOpen()) {
                        reply.error(new RequestCancelledException("the agent is closed", null));
                    } else {
                        reply.success(null);
                    }
                });
    }

    private void closeSession(SessionImpl session, Cause cause, RecorderException failure, Runnable done) {
        if (!session.markClosed()) {
            done.run();
            return;
        }
        sessions.remove(session.id());
        List<RecorderSlot> all = registry.slots();
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

    /** The error for any call on a closed session. */
    static SessionClosedException sessionClosed(SessionImpl session) {
        return new SessionClosedException("session '" + session.clientName() + "' is closed", null);
    }

    // ------------------------------------------------------------------------------------------------ acquire

    /**
     * An acquire request as a {@code Mono}; see {@link AcquireOperation} for who owns its grant when.
     *
     * @param keepDelivered whether a grant that reached {@code onNext} is the subscriber's whatever happens next (the
     *     agent's own subscribers), instead of being released by a later cancellation (the public {@code acquire})
     */
    Mono<LockGrant> acquire(SessionImpl session, @Nullable RecorderId recorder, @Nullable AcquireOptions options,
            boolean keepDelivered) {
        return new AcquireMono(this, session, recorder, options, keepDelivered);
    }

    /** A requested acquire reaches the event loop. */
    void admit(AcquireOperation op) {
        try {
            if (!op.isLive()) {
                return;
            }
            RecorderId recorder = InvalidArgumentException.requireNonNull(op.recorder, "recorder");
            AcquireOptions options = InvalidArgumentException.requireNonNull(op.options, "options");
            if (!op.session.isOpen()) {
                op.fail(sessionClosed(op.session));
                return;
            }
            if (closed) {
                op.fail(new RequestCancelledException("the agent is closed", recorder));
                return;
            }
            RecorderSlot slot = registry.slot(recorder);
            if (slot == null) {
                op.fail(noSuchRecorder(recorder));
                return;
            }
            op.startedNanos = nowNanos();
            if (options.waits() && !options.waitsForever() && !Durations.isForever(options.waitTimeout())) {
                op.deadlineNanos = Durations.saturatedAdd(op.startedNanos, Durations.toNanos(options.waitTimeout()));
                deadlines.add(op);
            }
            slot.admit(op);
        } catch (RuntimeException | AssertionError e) {
            deadlines.remove(op);
            if (!(e instanceof RecorderException)) {
                LOG.log(Level.ERROR, "admitting " + op + " failed", e);
            }
            op.fail(NativeCalls.asRecorderException(e, op.recorder, "acquire"));
        }
    }

    /** A request was cancelled before it was granted. */
    void cancelled(AcquireOperation op) {
        RecorderSlot slot = op.slot;
        if (slot != null) {
            slot.cancelled(op);
        } else {
            deadlines.remove(op);
        }
    }

    private void deadlineReached(AcquireOperation op) {
        RecorderSlot slot = op.slot;
        try {
            if (slot != null) {
                slot.deadlineReached(op);
            }
        } catch (RuntimeException | AssertionError bug) {
            LOG.log(Level.ERROR, "handling the deadline of " + op + " failed", bug);
            op.fail(NativeCalls.asRecorderException(bug, op.recorder, "acquire"));
        }
    }

    /** A grant its subscriber dropped after all ({@link AcquireOperation}): release it. */
    void releaseDiscarded(@Nullable Grant grant) {
        if (grant != null) {
            if (!grant.isReleased()) {
                droppedAfter++;
            }
            release(grant, RecorderSlot.Released.NONE);
        }
    }

    /** Releases one grant (idempotent). Event loop only. */
    void release(Grant grant, RecorderSlot.Released done) {
        RecorderSlot slot = registry.slot(grant.hold.recorder);
        if (slot == null) {
            grant.markReleased();
            done.accept(0);
        } else {
            slot.release(grant, done);
        }
    }

    /** The slot a grant belongs to, while its hold lasts. Event loop only. */
    @Nullable RecorderSlot slotOf(Grant grant) {
        return registry.slot(grant.hold.recorder);
    }

    // ------------------------------------------------------------------------------------------------ release

    Mono<Integer> release(SessionImpl session, @Nullable RecorderId recorder) {
        return sessionReply(session, reply -> {
            RecorderId id = InvalidArgumentException.requireNonNull(recorder, "recorder");
            if (!session.isOpen()) {
                throw sessionClosed(session);
            }
            RecorderSlot slot = slot(id);
            slot.release(session, count -> {
                if (count < 0) {
                    reply.error(new CommandTimeoutException("ReleaseExclusiveAccess on recorder " + id
                            + " did not return within " + settings.commandTimeout().toMillis() + " ms; the lock "
                            + "count is 0", id));
                } else {
                    reply.success(count);
                }
            }, reply::error);
        });
    }

    Mono<Integer> release(SessionImpl session, @Nullable LockGrant grant) {
        return sessionReply(session, reply -> {
            LockGrant value = InvalidArgumentException.requireNonNull(grant, "grant");
            if (!session.isOpen()) {
                throw sessionClosed(session);
            }
            RecorderSlot slot = registry.slot(value.recorder());
            if (slot == null) {
                reply.success(0);
                return;
            }
            slot.release(session, value, count -> {
                if (count < 0) {
                    reply.error(new CommandTimeoutException("ReleaseExclusiveAccess on recorder " + value.recorder()
                            + " did not return within " + settings.commandTimeout().toMillis() + " ms; the lock "
                            + "count is 0", value.recorder()));
                } else {
                    reply.success(count);
                }
            });
        });
    }

    Mono<Integer> lockCount(SessionImpl session, @Nullable RecorderId recorder) {
        return sessionReply(session, reply -> {
            RecorderId id = InvalidArgumentException.requireNonNull(recorder, "recorder");
            if (!session.isOpen()) {
                throw sessionClosed(session);
            }
            RecorderSlot slot = registry.slot(id);
            reply.success(slot == null ? 0 : slot.lockCount(session));
        });
    }

    // ------------------------------------------------------------------------------------------------ queries

    @Override
    public Mono<List<RecorderInfo>> recorders() {
        return reply(reply -> {
            List<RecorderSlot> all = registry.slots();
            List<RecorderInfo> infos = new ArrayList<>(all.size());
            for (RecorderSlot slot : all) {
                infos.add(slot.info());
            }
            reply.success(infos);
        });
    }

    @Override
    public Mono<RecorderInfo> recorder(RecorderId recorder) {
        return reply(reply -> reply.success(slot(recorder).info()));
    }

    @Override
    public Mono<String> exclusiveAccessOwner(RecorderId recorder) {
        return reply(reply -> slot(recorder).owner(reply::success, reply::error));
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

        private final @Nullable RecorderId wanted;
        private @Nullable RecorderId seen;

        SameRecorder(@Nullable RecorderId wanted) {
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
        for (RecorderSlot slot : registry.slots()) {
            if (only == null || only.equals(slot.id)) {
                LockState state = slot.state();
                snapshot.add(new LockTransition(sequence, at, slot.id, state, state, Cause.SNAPSHOT));
            }
        }
        return snapshot;
    }

    /** The open recorder, or {@link RecorderRemovedException} (a null id: {@link InvalidArgumentException}). */
    private RecorderSlot slot(@Nullable RecorderId recorder) {
        RecorderSlot slot = registry.slot(InvalidArgumentException.requireNonNull(recorder, "recorder"));
        if (slot == null) {
            throw noSuchRecorder(recorder);
        }
        return slot;
    }

    private static RecorderRemovedException noSuchRecorder(RecorderId recorder) {
        return new RecorderRemovedException("no recorder with id " + recorder, recorder);
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
        deadlines.clear();
        hub.complete();
        Mono<Void> done = Mono.create(sink -> {
            List<RecorderSlot> all = new ArrayList<>(registry.clear());
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
            Duration patience = settings.commandTimeout().isZero() || Durations.isForever(settings.commandTimeout())
                    ? Duration.ofSeconds(10) : settings.commandTimeout();
            oneClosed.run();
            if (!finished[0]) {
                patienceTimer[0] = time.schedule(() -> loop.execute(closeBackend), Durations.toNanos(patience),
                        TimeUnit.NANOSECONDS);
            }
        });
        closing = done.cache();
        return closing;
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    // ------------------------------------------------------------------------------------------------ plumbing

    /** A {@code Mono} answered on the event loop by {@code work} ({@link LoopReply}). */
    <T> Mono<T> reply(Consumer<LoopReply.Reply<T>> work) {
        return new LoopReply<>(loop, work, reply -> reply.error(new RequestCancelledException("the agent is closed",
                null)));
    }

    /** A call on {@code session}: after the agent closed (and with it the session), it fails as on a closed session. */
    <T> Mono<T> sessionReply(SessionImpl session, Consumer<LoopReply.Reply<T>> work) {
        return new LoopReply<>(loop, work, reply -> reply.error(whenAgentClosed(session)));
    }

    /** What a call on {@code session} fails with once the agent is closed. */
    static RecorderException whenAgentClosed(SessionImpl session) {
        return session.isOpen() ? new RequestCancelledException("the agent is closed", null) : sessionClosed(session);
    }

    @Override
    public SlotContext slotContext() {
        return this;
    }

    @Override
    public void publishArrival(RecorderSlot slot) {
        publish(new RecorderArrivedEvent(++sequence, now(), slot.id, slot.info()));
    }

    @Override
    public void publishTransition(RecorderId recorder, LockState from, LockState to, Cause cause) {
        publish(new LockTransition(++sequence, now(), recorder, from, to, cause));
    }

    @Override
    public void publishCommandTimeout(RecorderId recorder, String command, Duration timeout) {
        commandTimeouts++;
        publish(new CommandTimedOutEvent(++sequence, now(), recorder, command, timeout));
    }

    @Override
    public void publishAcquireTimeout(AcquireOperation op, Duration waited, @Nullable String owner) {
        acquireTimeouts++;
        publish(new AcquireTimedOutEvent(++sequence, now(), op.recorderId(), op.session.id(),
                op.session.clientName(), waited, owner));
    }

    @Override
    public void publishRemoved(RecorderId recorder, @Nullable String lastOwner, int failedWaiters) {
        removals++;
        publish(new RecorderRemovedEvent(++sequence, now(), recorder, lastOwner, failedWaiters));
    }

    @Override
    public void publishMedia(RecorderId recorder, MediaState state) {
        publish(new MediaChangedEvent(++sequence, now(), recorder, state));
    }

    private void publish(RecorderEvent event) {
        hub.publish(event);
    }

    @Override
    public void deviceGone(RecorderSlot slot) {
        registry.deviceGone(slot);
    }

    @Override
    public void countGrant() {
        grants++;
    }

    @Override
    public void countRetry() {
        retries++;
    }

    @Override
    public void countUnclaimed(boolean before) {
        if (before) {
            unclaimedBefore++;
        } else {
            droppedIn++;
        }
    }

    @Override
    public void countHandOver() {
        handOvers++;
    }

    @Override
    public void countRevoked() {
        revoked++;
    }

    @Override
    public void waitingChanged(int delta) {
        waiting += delta;
    }

    @Override
    public long nextHoldId() {
        return ++holdIds;
    }

    @Override
    public Deadlines deadlines() {
        return deadlines;
    }

    Instant now() {
        return Instant.ofEpochMilli(time.now(TimeUnit.MILLISECONDS));
    }

    @Override
    public long nowNanos() {
        return time.now(TimeUnit.NANOSECONDS);
    }

    @Override
    public EventLoop loop() {
        return loop;
    }

    @Override
    public Scheduler time() {
        return time;
    }

    @Override
    public AgentSettings settings() {
        return settings;
    }

    @Override
    public String backendName() {
        return backend.name();
    }

    /** The backend (for its control API, such as the simulator's). */
    public RecorderBackend backend() {
        return backend;
    }

    /** What the agent is doing now, taken on the event loop. */
    public Mono<AgentActivity> activity() {
        return reply(reply -> {
            int waitingNow = 0;
            int held = 0;
            int inFlight = 0;
            List<RecorderSlot> all = registry.slots();
            for (RecorderSlot slot : all) {
                waitingNow += slot.waiting();
                held += slot.isHeld() ? 1 : 0;
                inFlight += slot.inFlightCalls();
            }
            reply.success(new AgentActivity(all.size(), registry.opening(), sessions.size(), held, waitingNow,
                    inFlight, hub.subscriberCount(), sequence));
        });
    }

    /** Counts since start; any thread. */
    public AgentStatistics statistics() {
        return new AgentStatistics(grants, retries, acquireTimeouts, commandTimeouts, removals, waiting,
                unclaimedBefore, droppedIn, droppedAfter, revoked, handOvers);
    }
}
