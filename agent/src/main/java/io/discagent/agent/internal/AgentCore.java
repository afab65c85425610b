package io.discagent.agent.internal;

import io.discagent.agent.AgentActivity;
import io.discagent.agent.AgentHealth;
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
import io.discagent.api.MediaInfo;
import io.discagent.api.RecorderAgent;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
import io.discagent.api.RecorderSelector;
import io.discagent.api.burn.BurnProgress;
import io.discagent.api.burn.BurnRequest;
import io.discagent.api.error.AcquireTimeoutException;
import io.discagent.api.error.CommandTimeoutException;
import io.discagent.api.error.HResult;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.error.LockNotHeldException;
import io.discagent.api.error.WriteInProgressException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RequestCancelledException;
import io.discagent.api.error.SessionClosedException;
import io.discagent.api.event.AcquireTimedOutEvent;
import io.discagent.api.event.BurnEvent;
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
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
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
    private final Burns burns = new Burns();

    private final OpenSessions sessions = new OpenSessions();
    /** The pool requests that wait, in the order they were admitted. */
    private final Set<PoolRequest> pools = new LinkedHashSet<>();
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
    private volatile long sessionsOpened;
    private volatile long sessionsClosed;
    private volatile long acquiresGranted;
    private volatile long acquiresCancelled;
    /** Acquire requests that failed, by HRESULT name; replaced (never changed) on every failure. */
    private volatile Map<String, Long> acquiresFailed = Map.of();
    private volatile long handOvers;
    private boolean closed;
    /** The periodic work: media polling and the owner refresh. */
    private final Disposable.Composite periodic = Disposables.composite();
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

    /**
     * The initial recorders are open: start hotplug, then media polling and the owner refresh, then report the agent
     * ready.
     */
    private void started(MonoSink<AgentCore> sink) {
        control.execute(() -> {
            try {
                backend.startHotplug(new Hotplug());
            } catch (Throwable t) {
                LOG.log(Level.ERROR, "the " + backend.name() + " backend could not start hotplug", t);
            }
            loop.execute(() -> {
                try {
                    every(settings.mediaPollInterval(), this::pollMedia);
                    every(settings.ownerRefreshInterval(), this::refreshOwners);
                    sink.success(this);
                } catch (Throwable t) {
                    sink.error(NativeCalls.asRecorderException(t, null, "start"));
                }
            });
        });
    }

    /**
     * Runs {@code task} on the event loop every {@code interval} of the time scheduler (never when zero): a one-shot
     * timer re-armed from the loop after each run, so runs never pile up behind a busy loop, and a virtual clock
     * moved a century ahead in one step runs the task once, not once per interval of that century.
     */
    private void every(Duration interval, Runnable task) {
        if (!interval.isZero()) {
            Disposable.Swap timer = Disposables.swap();
            periodic.add(timer);
            arm(timer, Durations.toNanos(interval), task);
        }
    }

    private void arm(Disposable.Swap timer, long nanos, Runnable task) {
        timer.update(time.schedule(() -> loop.execute(() -> {
            if (!closed) {
                try {
                    task.run();
                } finally {
                    arm(timer, nanos, task);
                }
            }
        }), nanos, TimeUnit.NANOSECONDS));
    }

    private void pollMedia() {
        for (RecorderSlot slot : registry.slots()) {
            slot.pollMedia();
        }
    }

    /**
     * Asks the backend who holds each recorder that someone watches (its lock transitions) or that an acquire waits
     * for, so that holders outside the agent appear in its lock state and go from it.
     */
    private void refreshOwners() {
        for (RecorderSlot slot : registry.slots()) {
            if (slot.isAwaited() || hub.watchesLocksOf(slot.id)) {
                slot.refreshOwner();
            }
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
            SessionImpl session = new SessionImpl(this, ++sessionIds, name);
            sessions.add(session);
            sessionsOpened++;
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
        sessions.remove(session);
        sessionsClosed++;
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
        eachPool(pool -> {
            if (pool.request.session == session) {
                pool.sessionClosed(failure); // one waiting only for a medium has no place a slot could fail
            }
        });
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

    /**
     * A pool request ({@code acquireAny}) as a {@code Mono}: an acquire of the first recorder {@code selector}
     * matches ({@link PoolRequest}); the same delivery protocol as {@link #acquire}.
     */
    Mono<LockGrant> acquireAny(SessionImpl session, @Nullable RecorderSelector selector,
            @Nullable AcquireOptions options, boolean keepDelivered) {
        if (selector == null) {
            return sessionReply(session, reply -> reply.error(new InvalidArgumentException(
                    "selector must not be null")));
        }
        return new AcquireMono(this, session, null, selector, options, keepDelivered);
    }

    /** A requested acquire reaches the event loop. */
    void admit(AcquireOperation op) {
        try {
            if (!op.isLive()) {
                return;
            }
            RecorderSelector selector = op.selector();
            if (selector != null) {
                admitPool(op, selector);
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
            if (options.waits() && !options.waitsForever() && !Durations.isForever(options.waitTimeout())) {
                op.deadlineNanos = Durations.saturatedAdd(nowNanos(), Durations.toNanos(options.waitTimeout()));
                deadlines.add(op);
            }
            slot.admit(op);
        } catch (RuntimeException | AssertionError e) {
            deadlines.remove(op);
            PoolRequest pool = op.pool();
            if (pool != null) {
                pool.cancelled(); // withdraw whatever places it took before the failure
            }
            if (!(e instanceof RecorderException)) {
                LOG.log(Level.ERROR, "admitting " + op + " failed", e);
            }
            op.fail(NativeCalls.asRecorderException(e, op.recorder, "acquire"));
        }
    }

    /**
     * A pool request reaches the event loop: it takes a place in every matching recorder ({@link PoolRequest}). Its
     * deadline is its places' deadline; it is in no queue, and in the deadline heap itself only while it waits for a
     * medium ({@link PoolRequest#deadlineReached}).
     */
    private void admitPool(AcquireOperation op, RecorderSelector selector) {
        AcquireOptions options = InvalidArgumentException.requireNonNull(op.options, "options");
        if (!op.session.isOpen()) {
            op.fail(sessionClosed(op.session));
            return;
        }
        if (closed) {
            op.fail(new RequestCancelledException("the agent is closed", null));
            return;
        }
        if (options.waits() && !options.waitsForever() && !Durations.isForever(options.waitTimeout())) {
            op.deadlineNanos = Durations.saturatedAdd(nowNanos(), Durations.toNanos(options.waitTimeout()));
        }
        PoolRequest pool = new PoolRequest(this, op, selector, options);
        op.pool(pool);
        pools.add(pool);
        pool.start(registry.slots());
    }

    /** A pool request has ended (granted, failed or cancelled): recorders that arrive no longer join it. */
    void poolEnded(PoolRequest pool) {
        pools.remove(pool);
    }

    /** A request was cancelled before it was granted. */
    void cancelled(AcquireOperation op) {
        if (op.isCounted()) {
            acquiresCancelled++;
        }
        PoolRequest pool = op.pool();
        if (pool != null && pool.request == op) {
            pool.cancelled();
            return;
        }
        RecorderSlot slot = op.slot;
        if (slot != null) {
            slot.cancelled(op);
        } else {
            deadlines.remove(op);
        }
    }

    private void deadlineReached(AcquireOperation op) {
        RecorderSlot slot = op.slot;
        PoolRequest pool = op.pool();
        try {
            if (slot != null) {
                slot.deadlineReached(op);
            } else if (pool != null && pool.request == op) {
                pool.deadlineReached(); // waiting only for a medium, it had no place to time out in
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

    Mono<Map<RecorderId, Integer>> placesInLine(SessionImpl session) {
        return reply(reply -> {
            if (!session.isOpen()) {
                throw sessionClosed(session);
            }
            Map<RecorderId, Integer> places = new LinkedHashMap<>();
            for (RecorderSlot slot : registry.slots()) {
                int place = slot.placeInLine(session);
                if (place > 0) {
                    places.put(slot.id, place);
                }
            }
            reply.success(Collections.unmodifiableMap(places));
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
    public Mono<MediaInfo> media(RecorderId recorder) {
        return reply(reply -> {
            RecorderSlot slot = slot(recorder);
            BurnJob burning = burns.on(slot.id);
            MediaInfo known = burning == null ? null : burning.media();
            if (known != null) {
                reply.success(known); // the worker is busy writing: what the burn read when it started
            } else {
                slot.readMedia(reply::success, reply::error);
            }
        });
    }

    @Override
    public Flux<RecorderEvent> events() {
        return hub.subscribe(RecorderEvent.class, null, () -> lockSnapshot(null));
    }

    @Override
    public Flux<LockTransition> lockTransitions() {
        return hub.subscribe(LockTransition.class, null, () -> lockSnapshot(null));
    }

    @Override
    public Flux<LockTransition> lockTransitions(RecorderId recorder) {
        // A null recorder fails the subscription in its snapshot (on the event loop), so it never watches every one.
        return hub.subscribe(LockTransition.class, recorder, () -> {
            slot(recorder);
            return lockSnapshot(recorder);
        });
    }

    @Override
    public Flux<TimeoutEvent> timeouts() {
        return hub.subscribe(TimeoutEvent.class, null, List::of);
    }

    @Override
    public Flux<DeviceEvent> deviceEvents() {
        return hub.subscribe(DeviceEvent.class, null, List::of);
    }

    @Override
    public Flux<BurnEvent> burnEvents() {
        return hub.subscribe(BurnEvent.class, null, List::of);
    }

    // ------------------------------------------------------------------------------------------------ burn

    /**
     * {@code ClientSession.burn(grant, request)}: a {@link BurnJob} under the grant's hold, whose progress is emitted
     * latest-first (a slow subscriber gets the newest state, nothing else is kept). Signals on the event loop.
     */
    Flux<BurnProgress> burn(SessionImpl session, @Nullable LockGrant grant, @Nullable BurnRequest request) {
        return Flux.<BurnProgress>create(sink -> {
            if (!loop.execute(() -> startBurn(session, grant, request, sink))) {
                sink.error(new RequestCancelledException("the agent is closed", null));
            }
        }, FluxSink.OverflowStrategy.LATEST);
    }

    private void startBurn(SessionImpl session, @Nullable LockGrant grant, @Nullable BurnRequest request,
            FluxSink<BurnProgress> sink) {
        BurnJob[] job = {null};
        sink.onCancel(() -> loop.execute(() -> {
            if (job[0] != null) {
                job[0].cancelled();
            }
        }));
        if (sink.isCancelled()) {
            return;
        }
        try {
            LockGrant value = InvalidArgumentException.requireNonNull(grant, "grant");
            BurnRequest what = InvalidArgumentException.requireNonNull(request, "request");
            if (closed) {
                throw new RequestCancelledException("the agent is closed", value.recorder());
            }
            if (!session.isOpen()) {
                throw sessionClosed(session);
            }
            if (!value.session().equals(session.id())) {
                throw new InvalidArgumentException("the grant belongs to session " + value.session() + ", not to "
                        + session.id(), value.recorder());
            }
            RecorderSlot slot = slot(value.recorder());
            Hold hold = slot.hold();
            if (hold == null || hold.id != value.holdId() || hold.session != session) {
                throw new LockNotHeldException(HResult.HRESULT_FROM_WIN32_ERROR_INVALID_FUNCTION, "the hold of this "
                        + "grant on recorder " + slot.id + " has ended", slot.id, null, null, null);
            }
            BurnJob running = burns.on(slot.id);
            if (running != null) {
                throw new WriteInProgressException(HResult.E_IMAPI_DF2DATA_WRITE_IN_PROGRESS, "recorder " + slot.id
                        + " is burning " + running.imageName() + " (" + running.id + ") for '" + running.client()
                        + "'", slot.id, running.client(), null, null);
            }
            BurnJob created = new BurnJob(this, slot, hold, session, burns.nextId(), what, sink);
            if (!slot.addScope(hold, created)) {
                throw new LockNotHeldException(HResult.HRESULT_FROM_WIN32_ERROR_INVALID_FUNCTION, "the hold of this "
                        + "grant on recorder " + slot.id + " has ended", slot.id, null, null, null);
            }
            burns.add(created);
            job[0] = created;
            created.start();
        } catch (RuntimeException | AssertionError e) {
            if (!(e instanceof io.discagent.api.error.RecorderException)) {
                LOG.log(Level.ERROR, "starting a burn failed", e);
            }
            sink.error(NativeCalls.asRecorderException(e, grant == null ? null : grant.recorder(), "burn"));
        }
    }

    /** A burn's scope ended. */
    void burnEnded(BurnJob job) {
        burns.remove(job);
    }

    /** Publishes a burn's progress or end. */
    void publishBurn(BurnJob job, BurnProgress progress, BurnEvent.Outcome outcome,
            @Nullable RecorderException error) {
        publish(new BurnEvent(++sequence, now(), job.recorder(), job.client(), job.imageName(), progress, outcome,
                error == null ? null : error.hresult(), error == null ? null : error.detailMessage()));
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
        periodic.dispose();
        RequestCancelledException cancelled = new RequestCancelledException("the agent is closing", null);
        for (SessionImpl session : sessions.list()) {
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
        eachPool(pool -> pool.arrived(slot)); // a matching recorder joins every pool request that waits, in order
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
        publish(new AcquireTimedOutEvent(++sequence, now(), op.recorderId(), op.session.id(),
                op.session.clientName(), waited, owner));
    }

    @Override
    public void publishRemoved(RecorderId recorder, @Nullable String lastOwner, int failedWaiters) {
        removals++;
        eachPool(pool -> pool.removed(recorder));
        publish(new RecorderRemovedEvent(++sequence, now(), recorder, lastOwner, failedWaiters));
    }

    @Override
    public void publishMedia(RecorderId recorder, MediaState state, @Nullable MediaInfo media) {
        publish(new MediaChangedEvent(++sequence, now(), recorder, state, media));
    }

    @Override
    public void mediumRead(RecorderSlot slot) {
        eachPool(pool -> pool.mediumRead(slot));
    }

    @Override
    public boolean mediumAwaited(RecorderSlot slot) {
        for (PoolRequest pool : pools) {
            if (pool.parks(slot)) {
                return true;
            }
        }
        return false;
    }

    /** Tells every waiting pool request, in the order they came; one may end (and leave the set) as it is told. */
    private void eachPool(java.util.function.Consumer<PoolRequest> tell) {
        for (PoolRequest pool : new ArrayList<>(pools)) {
            tell.accept(pool);
        }
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

    /** A request received its grant (its outcome, counted once per request). Event loop only. */
    void countAcquireGranted() {
        acquiresGranted++;
    }

    /**
     * A request failed with {@code error} (its outcome, counted once per request; a timeout here, where the outcome is
     * decided, not where a wait ran out: a request cancelled as its deadline passes is counted as cancelled only, and
     * a pool request once however many recorders it waited on). Event loop only.
     */
    void countAcquireFailed(Throwable error) {
        if (error instanceof AcquireTimeoutException) {
            acquireTimeouts++;
        }
        String name = (error instanceof RecorderException typed ? typed.hresult() : HResult.E_FAIL).name();
        Map<String, Long> next = new HashMap<>(acquiresFailed);
        next.merge(name, 1L, Long::sum);
        acquiresFailed = Map.copyOf(next); // immutable: AgentStatistics takes it without a copy
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
            inFlight += burns.workerTasks(); // a burn's writes and reads run on the workers too
            reply.success(new AgentActivity(all.size(), registry.opening(), sessions.size(), held, waitingNow,
                    inFlight, hub.subscriberCount(), sequence));
        });
    }

    /**
     * Whether the agent serves: closed ({@code DOWN}), or, once the backend's control thread (enumeration, hotplug,
     * its message pump on Windows) has run a task for it, {@code UP} or {@code DEGRADED} naming the recorders that do
     * not respond. Answers when the control thread does: bound it with a timeout.
     */
    public Mono<AgentHealth> health() {
        AgentHealth down = AgentHealth.down(backend.name(), "the agent is closed");
        return this.<AgentHealth>reply(reply -> {
            if (closed) {
                reply.success(down);
                return;
            }
            control.execute(() -> loop.execute(() -> reply.success(closed ? down : healthNow())));
        }).onErrorReturn(RequestCancelledException.class, down); // the event loop is gone: closed
    }

    private AgentHealth healthNow() {
        List<RecorderSlot> all = registry.slots();
        List<RecorderId> unresponsive = new ArrayList<>(0);
        for (RecorderSlot slot : all) {
            if (slot.isUnresponsive()) {
                unresponsive.add(slot.id);
            }
        }
        if (unresponsive.isEmpty()) {
            return new AgentHealth(AgentHealth.Status.UP, backend.name(), all.size(), unresponsive, null);
        }
        return new AgentHealth(AgentHealth.Status.DEGRADED, backend.name(), all.size(), unresponsive,
                (unresponsive.size() == 1 ? "recorder " + unresponsive.get(0) + " is" : "recorders "
                        + unresponsive.stream().map(RecorderId::value).collect(Collectors.joining(", ")) + " are")
                        + " not responding: a native call has not returned within "
                        + settings.commandTimeout().toMillis() + " ms");
    }

    /** Counts since start; any thread. */
    public AgentStatistics statistics() {
        return new AgentStatistics(grants, retries, acquireTimeouts, commandTimeouts, removals, waiting,
                unclaimedBefore, droppedIn, droppedAfter, revoked, sessionsOpened, sessionsClosed, acquiresGranted,
                acquiresCancelled, acquiresFailed, handOvers);
    }
}
