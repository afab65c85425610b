package io.discagent.agent;

import io.discagent.agent.internal.BackendSelector;
import io.discagent.agent.spi.RecorderBackend;
import io.discagent.api.error.InvalidArgumentException;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * How to start a {@link DiscAgent}. Immutable; build with {@link #builder()}, or change a copy with
 * {@link #toBuilder()}.
 *
 * <p>Every tunable is described once, in {@link #settings()}: its name, type, default ({@code DEFAULT_*}) and
 * meaning. The service's command-line options, its configuration keys and its documentation are derived from that
 * list, so a setting added here reaches all of them (Vert.x's {@code VertxOptions} is the shape).
 */
public final class AgentOptions {

    /** The default backend: the platform's real one when it finds recorders, else the simulated one. */
    public static final String DEFAULT_BACKEND = "auto";

    /** IMAPI2's default command timeout ({@code IMAPI2_DEFAULT_COMMAND_TIMEOUT}, 10 s). */
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(10);

    /** How many acquire requests may wait for one recorder by default. */
    public static final int DEFAULT_PENDING_ACQUIRE_MAX_COUNT = 1000;

    /** How many unrequested events a subscriber may fall behind by default. */
    public static final int DEFAULT_EVENT_BUFFER_SIZE = 1024;

    /** How long an overflowed event subscriber has to take its buffered events (1 s). */
    public static final Duration DEFAULT_EVENT_OVERFLOW_GRACE = Duration.ofSeconds(1);

    /** How often media and the tray lock of held drives are polled by default. */
    public static final Duration DEFAULT_MEDIA_POLL_INTERVAL = Duration.ofSeconds(2);

    /** How long a burn's writer may make no progress before the burn fails as a hung write (60 s). */
    public static final Duration DEFAULT_BURN_STALL_TIMEOUT = Duration.ofSeconds(60);

    /** The shortest time between two progress events of one burn by default (1 s). */
    public static final Duration DEFAULT_BURN_EVENT_INTERVAL = Duration.ofSeconds(1);

    /** How often the backend is asked for outside holders of watched or awaited recorders by default (2 s). */
    public static final Duration DEFAULT_OWNER_REFRESH_INTERVAL = Duration.ofSeconds(2);

    private static final List<Setting<Builder, AgentOptions, ?>> SETTINGS = List.of(
            new Setting<>("backend", String.class, DEFAULT_BACKEND,
                    "The backend: auto (the real recorders if there are any, else simulated), simulated, linux or "
                            + "windows.", Builder::backend, AgentOptions::backend),
            new Setting<>("commandTimeout", Duration.class, DEFAULT_COMMAND_TIMEOUT,
                    "How long a native call may take before its caller fails with E_IMAPI_RECORDER_COMMAND_TIMEOUT "
                            + "(0: no limit).", Builder::commandTimeout, AgentOptions::commandTimeout),
            new Setting<>("pendingAcquireMaxCount", Integer.class, DEFAULT_PENDING_ACQUIRE_MAX_COUNT,
                    "How many acquire requests may wait for one recorder; beyond it a request fails at once.",
                    Builder::pendingAcquireMaxCount, AgentOptions::pendingAcquireMaxCount),
            new Setting<>("eventBufferSize", Integer.class, DEFAULT_EVENT_BUFFER_SIZE,
                    "How many unrequested events an event subscriber may fall behind before it is ended.",
                    Builder::eventBufferSize, AgentOptions::eventBufferSize),
            new Setting<>("eventOverflowGrace", Duration.class, DEFAULT_EVENT_OVERFLOW_GRACE,
                    "How long a subscriber that fell behind has to take its buffered events before its overflow "
                            + "error comes without them.", Builder::eventOverflowGrace,
                    AgentOptions::eventOverflowGrace),
            new Setting<>("mediaPollInterval", Duration.class, DEFAULT_MEDIA_POLL_INTERVAL,
                    "How often media state (and on Linux the tray lock of held drives) is polled (0: never).",
                    Builder::mediaPollInterval, AgentOptions::mediaPollInterval),
            new Setting<>("burnStallTimeout", Duration.class, DEFAULT_BURN_STALL_TIMEOUT,
                    "How long a burn's writer may make no progress before the burn fails as a hung write with "
                            + "E_IMAPI_RECORDER_COMMAND_TIMEOUT (0: no limit).", Builder::burnStallTimeout,
                    AgentOptions::burnStallTimeout),
            new Setting<>("burnEventInterval", Duration.class, DEFAULT_BURN_EVENT_INTERVAL,
                    "The shortest time between two progress events of one burn on the event streams.",
                    Builder::burnEventInterval, AgentOptions::burnEventInterval),
            new Setting<>("ownerRefreshInterval", Duration.class, DEFAULT_OWNER_REFRESH_INTERVAL,
                    "How often the backend is asked who holds a recorder that someone watches or waits for, to show "
                            + "holders outside the agent (0: only on failed acquires and owner queries).",
                    Builder::ownerRefreshInterval, AgentOptions::ownerRefreshInterval));

    private final String backend;
    private final @Nullable RecorderBackend backendInstance;
    private final Map<String, String> backendProperties;
    private final Duration commandTimeout;
    private final int pendingAcquireMaxCount;
    private final int eventBufferSize;
    private final Duration eventOverflowGrace;
    private final Duration mediaPollInterval;
    private final Duration burnStallTimeout;
    private final Duration burnEventInterval;
    private final Duration ownerRefreshInterval;
    private final Scheduler timeScheduler;
    private final @Nullable Vertx vertx;

    private AgentOptions(Builder b) {
        this.backend = b.backend;
        this.backendInstance = b.backendInstance;
        this.backendProperties = Map.copyOf(b.backendProperties);
        this.commandTimeout = b.commandTimeout;
        this.pendingAcquireMaxCount = b.pendingAcquireMaxCount;
        this.eventBufferSize = b.eventBufferSize;
        this.eventOverflowGrace = b.eventOverflowGrace;
        this.mediaPollInterval = b.mediaPollInterval;
        this.burnStallTimeout = b.burnStallTimeout;
        this.burnEventInterval = b.burnEventInterval;
        this.ownerRefreshInterval = b.ownerRefreshInterval;
        this.timeScheduler = b.timeScheduler;
        this.vertx = b.vertx;
    }

    /** A builder with the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** The defaults: {@code auto} backend, 10 s command timeout, 1000 pending acquires per recorder. */
    public static AgentOptions defaults() {
        return builder().build();
    }

    /** Every tunable of the agent, described once (see the class comment). */
    public static List<Setting<Builder, AgentOptions, ?>> settings() {
        return SETTINGS;
    }

    /** A builder that starts from these options. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.backend = backend;
        b.backendInstance = backendInstance;
        b.backendProperties.putAll(backendProperties);
        b.commandTimeout = commandTimeout;
        b.pendingAcquireMaxCount = pendingAcquireMaxCount;
        b.eventBufferSize = eventBufferSize;
        b.eventOverflowGrace = eventOverflowGrace;
        b.mediaPollInterval = mediaPollInterval;
        b.burnStallTimeout = burnStallTimeout;
        b.burnEventInterval = burnEventInterval;
        b.ownerRefreshInterval = ownerRefreshInterval;
        b.timeScheduler = timeScheduler;
        b.vertx = vertx;
        return b;
    }

    /** The backend to use: {@code auto}, {@code simulated}, {@code linux} or {@code windows}. */
    public String backend() {
        return backend;
    }

    /** A backend instance given directly, instead of one found by name. */
    public Optional<RecorderBackend> backendInstance() {
        return Optional.ofNullable(backendInstance);
    }

    /** Properties for the backends, such as {@code simulated.recorders}. */
    public Map<String, String> backendProperties() {
        return backendProperties;
    }

    /** How long a native call may take. */
    public Duration commandTimeout() {
        return commandTimeout;
    }

    /** How many acquire requests may wait for one recorder. */
    public int pendingAcquireMaxCount() {
        return pendingAcquireMaxCount;
    }

    /** How many events a subscriber may fall behind. */
    public int eventBufferSize() {
        return eventBufferSize;
    }

    /**
     * How long a subscriber that fell more than {@link #eventBufferSize()} events behind has to take the events
     * already buffered for it; after that its {@code EventOverflowException} comes without them.
     */
    public Duration eventOverflowGrace() {
        return eventOverflowGrace;
    }

    /** How often media state is polled on backends that support it. */
    public Duration mediaPollInterval() {
        return mediaPollInterval;
    }

    /** How long a burn's writer may make no progress before the burn fails as a hung write. */
    public Duration burnStallTimeout() {
        return burnStallTimeout;
    }

    /** The shortest time between two progress events of one burn. */
    public Duration burnEventInterval() {
        return burnEventInterval;
    }

    /**
     * How often the backend's owner discovery runs for recorders that someone watches (subscribed to their lock
     * transitions) or that an acquire waits for, so that holders outside the agent appear in the lock state
     * ({@link io.discagent.api.LockState.Status#EXTERNAL}) and go from it.
     */
    public Duration ownerRefreshInterval() {
        return ownerRefreshInterval;
    }

    /** The scheduler of every delay, timeout and backoff. */
    public Scheduler timeScheduler() {
        return timeScheduler;
    }

    /** The Vert.x instance to run on, if one was given (otherwise the agent makes and closes its own). */
    public Optional<Vertx> vertx() {
        return Optional.ofNullable(vertx);
    }

    /** Builds {@link AgentOptions}. Every setter validates its argument ({@code InvalidArgumentException}). */
    public static final class Builder {

        private String backend = DEFAULT_BACKEND;
        private @Nullable RecorderBackend backendInstance;
        private final Map<String, String> backendProperties = new LinkedHashMap<>();
        private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;
        private int pendingAcquireMaxCount = DEFAULT_PENDING_ACQUIRE_MAX_COUNT;
        private int eventBufferSize = DEFAULT_EVENT_BUFFER_SIZE;
        private Duration eventOverflowGrace = DEFAULT_EVENT_OVERFLOW_GRACE;
        private Duration mediaPollInterval = DEFAULT_MEDIA_POLL_INTERVAL;
        private Duration burnStallTimeout = DEFAULT_BURN_STALL_TIMEOUT;
        private Duration burnEventInterval = DEFAULT_BURN_EVENT_INTERVAL;
        private Duration ownerRefreshInterval = DEFAULT_OWNER_REFRESH_INTERVAL;
        private Scheduler timeScheduler = Schedulers.parallel();
        private @Nullable Vertx vertx;

        private Builder() {
        }

        /**
         * The backend, by name: {@code auto} (the default: the platform's real backend when it finds recorders,
         * otherwise the simulated one), {@code simulated}, {@code linux} or {@code windows}: {@code auto} or the name
         * of a backend on the class path, else {@link InvalidArgumentException} naming the known ones.
         */
        public Builder backend(String name) {
            InvalidArgumentException.requireNonNull(name, "backend");
            List<String> known = new ArrayList<>(List.of(DEFAULT_BACKEND));
            BackendSelector.providers().forEach(p -> known.add(p.name()));
            InvalidArgumentException.require(known.contains(name), "backend must be one of " + String.join(", ", known)
                    + ": " + name);
            this.backend = name;
            return this;
        }

        /** Use this backend instance (for example a {@code SimulatedBackend} you keep a reference to). */
        public Builder backend(RecorderBackend instance) {
            this.backendInstance = InvalidArgumentException.requireNonNull(instance, "instance");
            return this;
        }

        /** A backend property, such as {@code simulated.recorders=3} or {@code linux.devices=/dev/loop7}. */
        public Builder backendProperty(String key, String value) {
            backendProperties.put(InvalidArgumentException.requireNonNull(key, "key"),
                    InvalidArgumentException.requireNonNull(value, "value"));
            return this;
        }

        /** Backend properties. */
        public Builder backendProperties(Map<String, String> properties) {
            InvalidArgumentException.requireNonNull(properties, "properties").forEach(this::backendProperty);
            return this;
        }

        /**
         * How long a native call may take before its caller fails with {@code E_IMAPI_RECORDER_COMMAND_TIMEOUT}
         * (default 10 s; {@link Duration#ZERO}, or a duration of 100 years and more, means no limit).
         */
        public Builder commandTimeout(Duration timeout) {
            this.commandTimeout = requireNotNegative(timeout, "commandTimeout");
            return this;
        }

        /**
         * How many acquire requests may wait for one recorder (default 1000). Beyond it a waiting request fails at
         * once with {@code PendingAcquireLimitException}.
         */
        public Builder pendingAcquireMaxCount(int max) {
            InvalidArgumentException.require(max >= 0, "pendingAcquireMaxCount must not be negative: " + max);
            this.pendingAcquireMaxCount = max;
            return this;
        }

        /** How many events a subscriber may fall behind before it is ended (default 1024). */
        public Builder eventBufferSize(int size) {
            InvalidArgumentException.require(size >= 1, "eventBufferSize must be at least 1: " + size);
            this.eventBufferSize = size;
            return this;
        }

        /**
         * How long a subscriber that overflowed has to take the events buffered for it before its
         * {@code EventOverflowException} comes without them (default 1 s): the bound within which even a subscriber
         * that never requests again learns that it fell behind.
         */
        public Builder eventOverflowGrace(Duration grace) {
            this.eventOverflowGrace = requireNotNegative(grace, "eventOverflowGrace");
            return this;
        }

        /** How often to poll media state on backends that support it (default 2 s; zero disables). */
        public Builder mediaPollInterval(Duration interval) {
            this.mediaPollInterval = requireNotNegative(interval, "mediaPollInterval");
            return this;
        }

        /**
         * How long a burn's writer may make no progress (no more bytes written or read back, no new phase) before the
         * burn fails as a hung write with {@code E_IMAPI_RECORDER_COMMAND_TIMEOUT} (default 60 s; zero: no limit).
         */
        public Builder burnStallTimeout(Duration timeout) {
            this.burnStallTimeout = requireNotNegative(timeout, "burnStallTimeout");
            return this;
        }

        /** The shortest time between two progress events of one burn on the event streams (default 1 s). */
        public Builder burnEventInterval(Duration interval) {
            this.burnEventInterval = requireNotNegative(interval, "burnEventInterval");
            return this;
        }

        /**
         * How often the backend is asked who holds a recorder that someone watches or that an acquire waits for
         * (default 2 s; zero: only when a native acquire meets a holder and when {@code exclusiveAccessOwner} asks).
         */
        public Builder ownerRefreshInterval(Duration interval) {
            this.ownerRefreshInterval = requireNotNegative(interval, "ownerRefreshInterval");
            return this;
        }

        /**
         * The scheduler of every delay, timeout and backoff (default {@code Schedulers.parallel()}); tests pass a
         * {@code VirtualTimeScheduler}.
         */
        public Builder timeScheduler(Scheduler scheduler) {
            this.timeScheduler = InvalidArgumentException.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /** Run on this Vert.x instance (the agent deploys its own verticle, and does not close it). */
        public Builder vertx(Vertx vertx) {
            this.vertx = InvalidArgumentException.requireNonNull(vertx, "vertx");
            return this;
        }

        /** The options. */
        public AgentOptions build() {
            return new AgentOptions(this);
        }

        private static Duration requireNotNegative(Duration d, String name) {
            InvalidArgumentException.requireNonNull(d, name);
            InvalidArgumentException.require(!d.isNegative(), name + " must not be negative: " + d);
            return d;
        }
    }
}
