package io.discagent.agent;

import io.discagent.agent.backend.simulated.Simulator;
import io.discagent.agent.internal.AgentCore;
import io.discagent.agent.internal.AgentSettings;
import io.discagent.agent.internal.BackendSelector;
import io.discagent.agent.internal.EventLoop;
import io.discagent.agent.spi.BackendConfig;
import io.discagent.agent.spi.RecorderBackend;
import io.discagent.api.ClientSession;
import io.discagent.api.MediaInfo;
import io.discagent.api.RecorderAgent;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
import io.discagent.api.event.BurnEvent;
import io.discagent.api.event.DeviceEvent;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.RecorderEvent;
import io.discagent.api.event.TimeoutEvent;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The discagent agent, ready to embed: {@code DiscAgent.start(AgentOptions.defaults()).block()}.
 *
 * <p>It owns exclusive access to the machine's optical recorders (or to simulated ones where none exist) and
 * shares it between {@link ClientSession sessions} with IMAPI2's semantics. See {@link RecorderAgent} for the
 * contract and the threading rules.
 */
public final class DiscAgent implements RecorderAgent {

    private static final System.Logger LOG = System.getLogger(DiscAgent.class.getName());

    private final AgentCore core;
    private final EventLoop loop;
    private final @Nullable Vertx ownedVertx;
    private final Mono<Void> closing;

    private DiscAgent(AgentCore core, EventLoop loop, @Nullable Vertx ownedVertx) {
        this.core = core;
        this.loop = loop;
        this.ownedVertx = ownedVertx;
        this.closing = Mono.defer(this::closeOnce).cache();
    }

    /**
     * Starts an agent: creates (or joins) Vert.x, deploys the agent's event loop, selects the backend and opens
     * every recorder.
     *
     * @return the running agent; fails if no backend could start
     */
    public static Mono<DiscAgent> start(AgentOptions options) {
        return Mono.defer(() -> {
            Vertx vertx = options.vertx().orElse(null);
            Vertx owned = vertx == null ? Vertx.vertx(defaultVertxOptions()) : null;
            Vertx used = vertx != null ? vertx : owned;
            Mono<DiscAgent> agent = Mono.fromCompletionStage(EventLoop.deploy(used, owned != null).toCompletionStage())
                    .flatMap(loop -> startOn(loop, options)
                            .onErrorResume(e -> Mono.fromCompletionStage(loop.undeploy().toCompletionStage())
                                    .onErrorResume(ignored -> Mono.empty())
                                    .then(Mono.error(e)))
                            .map(core -> new DiscAgent(core, loop, owned)));
            return owned == null ? agent : agent.onErrorResume(e -> Mono.fromCompletionStage(
                    owned.close().toCompletionStage()).onErrorResume(ignored -> Mono.empty()).then(Mono.error(e)));
        });
    }

    private static Mono<AgentCore> startOn(EventLoop loop, AgentOptions options) {
        AgentSettings settings = AgentSettings.of(options);
        Optional<RecorderBackend> instance = options.backendInstance();
        if (instance.isPresent()) {
            return AgentCore.start(loop, options.timeScheduler(), instance.get(), settings);
        }
        List<BackendSelector.Candidate> candidates = BackendSelector.candidates(options.backend(),
                new BackendConfig(options.backendProperties()));
        boolean auto = options.backend().equals("auto");
        Mono<AgentCore> chain = Mono.error(new IllegalStateException("no backend could start"));
        for (int i = candidates.size() - 1; i >= 0; i--) {
            BackendSelector.Candidate candidate = candidates.get(i);
            Mono<AgentCore> fallback = chain;
            chain = Mono.defer(() -> AgentCore.start(loop, options.timeScheduler(), candidate.factory().get(),
                            settings))
                    .flatMap(core -> keepOrSkip(core, candidate, auto, fallback))
                    .onErrorResume(e -> {
                        if (!auto) {
                            return Mono.error(e);
                        }
                        LOG.log(Level.INFO, "backend " + candidate.name() + " did not start: " + e.getMessage());
                        return fallback;
                    });
        }
        return chain;
    }

    private static Mono<AgentCore> keepOrSkip(AgentCore core, BackendSelector.Candidate candidate, boolean auto,
            Mono<AgentCore> fallback) {
        if (!auto || !candidate.real()) {
            return Mono.just(core);
        }
        return core.recorders().flatMap(recorders -> {
            if (!recorders.isEmpty()) {
                return Mono.just(core);
            }
            LOG.log(Level.INFO, "backend " + candidate.name() + " found no recorders; trying the next one");
            return core.close().then(fallback);
        });
    }

    private static VertxOptions defaultVertxOptions() {
        return new VertxOptions()
                .setEventLoopPoolSize(1)
                .setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1)
                .setFileSystemOptions(new FileSystemOptions().setFileCachingEnabled(false)
                        .setClassPathResolvingEnabled(false));
    }

    /** The name of the backend in use: {@code simulated}, {@code linux} or {@code windows}. */
    public String backendName() {
        return core.backend().name();
    }

    /** The simulated backend's control panel, when that backend is in use. */
    public Optional<Simulator> simulator() {
        RecorderBackend backend = core.backend();
        return backend instanceof Simulator simulator ? Optional.of(simulator) : Optional.empty();
    }

    /** The Vert.x instance the agent runs on. */
    public Vertx vertx() {
        return loop.vertx();
    }

    /** The event-loop thread that owns the agent's state and signals every result. */
    public Thread eventLoopThread() {
        return loop.thread();
    }

    /** What the agent is doing now (recorders, sessions, holds, waiters, native calls in flight, subscribers). */
    public Mono<AgentActivity> activity() {
        return core.activity();
    }

    /**
     * Whether the agent serves: {@code DOWN} once closed; otherwise, as soon as the backend's control thread
     * (enumeration, hotplug) has answered, {@code UP}, or {@code DEGRADED} naming the recorders that do not respond (a
     * native call over the command timeout that has not returned). A backend whose control thread is stuck never
     * answers: bound the {@code Mono} with a timeout (the service answers {@code DOWN} after the command timeout).
     */
    public Mono<AgentHealth> health() {
        return core.health();
    }

    /**
     * Counts since start (grants, retries, timeouts, removals, waiting, sessions, acquire outcomes): any thread, no
     * waiting.
     */
    public AgentStatistics statistics() {
        return core.statistics();
    }

    @Override
    public Mono<ClientSession> openSession(String clientName) {
        return core.openSession(clientName);
    }

    @Override
    public Mono<List<RecorderInfo>> recorders() {
        return core.recorders();
    }

    @Override
    public Mono<RecorderInfo> recorder(RecorderId recorder) {
        return core.recorder(recorder);
    }

    @Override
    public Mono<String> exclusiveAccessOwner(RecorderId recorder) {
        return core.exclusiveAccessOwner(recorder);
    }

    @Override
    public Mono<MediaInfo> media(RecorderId recorder) {
        return core.media(recorder);
    }

    @Override
    public Flux<RecorderEvent> events() {
        return core.events();
    }

    @Override
    public Flux<BurnEvent> burnEvents() {
        return core.burnEvents();
    }

    @Override
    public Flux<LockTransition> lockTransitions() {
        return core.lockTransitions();
    }

    @Override
    public Flux<LockTransition> lockTransitions(RecorderId recorder) {
        return core.lockTransitions(recorder);
    }

    @Override
    public Flux<TimeoutEvent> timeouts() {
        return core.timeouts();
    }

    @Override
    public Flux<DeviceEvent> deviceEvents() {
        return core.deviceEvents();
    }

    /** Closes the agent once; closing again returns the same completion. */
    @Override
    public Mono<Void> close() {
        return closing;
    }

    private Mono<Void> closeOnce() {
        return core.close()
                .then(Mono.defer(() -> Mono.fromCompletionStage(loop.undeploy().toCompletionStage())))
                .onErrorResume(e -> Mono.empty())
                .then(Mono.defer(() -> ownedVertx == null ? Mono.empty()
                        : Mono.fromCompletionStage(ownedVertx.close().toCompletionStage())))
                .then()
                .cache();
    }
}
