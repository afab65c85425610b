package io.discagent.service;

import io.discagent.agent.AgentOptions;
import io.discagent.agent.DiscAgent;
import io.discagent.service.demo.DemoTraffic;
import io.discagent.service.burn.ServiceBurns;
import io.discagent.service.events.EventFeed;
import io.discagent.service.events.StreamClient;
import io.discagent.service.fleet.FleetMembership;
import io.discagent.service.http.Connections;
import io.discagent.service.http.HttpApi;
import io.discagent.service.metrics.ServiceMetrics;
import io.discagent.service.session.CloseCause;
import io.discagent.service.session.Lease;
import io.discagent.service.session.LeaseRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The discagent service: an agent, and the HTTP API in front of it.
 *
 * <h2>Threads</h2>
 * One Vert.x instance with two event loops: the agent deploys its own verticle (its event loop owns all agent
 * state), and {@link HttpVerticle} runs on another one, which owns the HTTP server, the {@link LeaseRegistry} and
 * every handler. The agent's native workers are the agent's own threads. Every delay (lease expiry, keep-alives,
 * acquire waits and backoff) runs on the configured Reactor scheduler, or on one the service makes
 * ({@code discagent-time}) and disposes when it stops.
 */
public final class DiscService implements AutoCloseable {

    private static final Duration STARTUP = Duration.ofSeconds(60);

    private final ServiceConfig config;
    private final Vertx vertx;
    private final DiscAgent agent;
    private final ServiceMetrics metrics;
    private final EventFeed feed;
    private final HttpVerticle http;
    private final String deployment;
    private final @Nullable DemoTraffic demo;
    private final @Nullable Scheduler ownedTime;
    private final FleetMembership fleet;

    private DiscService(ServiceConfig config, Vertx vertx, DiscAgent agent, ServiceMetrics metrics, EventFeed feed,
            HttpVerticle http, String deployment, @Nullable DemoTraffic demo, @Nullable Scheduler ownedTime,
            FleetMembership fleet) {
        this.config = config;
        this.vertx = vertx;
        this.agent = agent;
        this.metrics = metrics;
        this.feed = feed;
        this.http = http;
        this.deployment = deployment;
        this.demo = demo;
        this.ownedTime = ownedTime;
        this.fleet = fleet;
    }

    /**
     * Starts the agent and the HTTP server, and waits until both are ready.
     *
     * @throws IllegalStateException when the agent or the server could not start (for example, the port is taken)
     */
    public static DiscService start(ServiceConfig config) {
        return start(config, null);
    }

    /**
     * Starts the agent and the HTTP server on {@code time}, the scheduler of every delay of the service and the
     * agent (tests pass a {@code VirtualTimeScheduler}); the caller disposes it. With {@code null} the service makes
     * its own ({@code discagent-time}) and disposes it when it stops.
     *
     * @throws IllegalStateException when the agent or the server could not start (for example, the port is taken)
     */
    public static DiscService start(ServiceConfig config, @Nullable Scheduler time) {
        return start(config, time, vertx -> { });
    }

    /** {@link #start(ServiceConfig, Scheduler)}, running {@code beforeHttp} just before the HTTP server is deployed. */
    static DiscService start(ServiceConfig config, @Nullable Scheduler time,
            java.util.function.Consumer<Vertx> beforeHttp) {
        // Start-up uses both cores: Reactor's time scheduler and the metrics registry share no classes with Vert.x,
        // so a second thread builds them while this one creates Vert.x (each side is ~0.1 s of class loading).
        CompletableFuture<StartedAside> aside = CompletableFuture.supplyAsync(() -> StartedAside.start(time),
                task -> new Thread(task, "discagent-start").start());
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setWorkerPoolSize(2)
                .setInternalBlockingPoolSize(2));
        StartedAside started;
        try {
            started = aside.join();
        } catch (RuntimeException e) {
            vertx.close();
            throw new IllegalStateException("the service could not start: " + e.getMessage(), e);
        }
        Scheduler ownedTime = started.ownedTime();
        Scheduler scheduler = ownedTime != null ? ownedTime : time;
        DiscAgent agent = null;
        FleetMembership fleet = FleetMembership.none();
        try {
            agent = DiscAgent.start(config.agent().toBuilder().timeScheduler(scheduler).vertx(vertx).build())
                    .block(STARTUP);
            ServiceMetrics metrics = started.metrics();
            metrics.observe(agent);
            EventFeed feed = new EventFeed(agent, scheduler, config.replayEvents(), config.replayWindow(),
                    config.keepAliveInterval(), config.streamStallTimeout());
            feed.start().block(STARTUP);
            metrics.streamClients(feed::clients);
            DiscAgent running = agent;
            fleet = config.fleet().map(f -> FleetMembership.join(f, running, scheduler))
                    .orElseGet(FleetMembership::none); // in the background: the service is ready before the fleet
            beforeHttp.accept(vertx);
            HttpVerticle http = null;
            String deployment = null;
            for (int attempt = 1; deployment == null; attempt++) {
                http = new HttpVerticle(agent, feed, metrics, config, scheduler, fleet, attempt < DEPLOY_ATTEMPTS);
                deployment = deployOffTheAgentLoop(vertx, http);
            }
            DemoTraffic demo = null;
            if (config.demo() && agent.simulator().isPresent()) {
                demo = DemoTraffic.start(agent, agent.simulator().get(), scheduler);
            }
            metrics.bindJvmAndProcessMetrics(); // ready: what follows is off the start-up path
            return new DiscService(config, vertx, agent, metrics, feed, http, deployment, demo, ownedTime, fleet);
        } catch (Exception e) {
            fleet.leave(STARTUP);
            if (agent != null) {
                agent.close().onErrorComplete().block(STARTUP);
            }
            started.metrics().close();
            vertx.close();
            if (ownedTime != null) {
                ownedTime.dispose();
            }
            Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null
                    ? e.getCause() : e;
            throw new IllegalStateException("the service could not start: " + cause.getMessage(), cause);
        }
    }

    /** What {@link #start} builds beside Vert.x: the time scheduler (unless the configuration has one) and metrics. */
    private record StartedAside(@Nullable Scheduler ownedTime, ServiceMetrics metrics) {

        static StartedAside start(@Nullable Scheduler given) {
            ServiceMetrics metrics = new ServiceMetrics(); // first: if it fails, no scheduler thread is left behind
            Scheduler ownedTime = given != null ? null : Schedulers.newParallel("discagent-time", 2, true);
            return new StartedAside(ownedTime, metrics);
        }
    }

    /** The port the server listens on. */
    public int port() {
        return http.server().actualPort();
    }

    /** The base URL, such as {@code http://127.0.0.1:8731}. */
    public String url() {
        String host = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
        if (host.equals("0.0.0.0") || host.equals("[::]")) {
            host = "127.0.0.1";
        }
        return "http://" + host + ":" + port();
    }

    /** The agent behind the service. */
    public DiscAgent agent() {
        return agent;
    }

    /**
     * The API's id of the open session that the agent knows as {@code agentSession} (the API shows ids of its own),
     * if there is one: for an operator or a test that sees a holder in the agent and wants to close its session.
     */
    public Optional<String> sessionIdOf(io.discagent.api.SessionId agentSession) {
        LeaseRegistry registry = http.leases;
        if (registry == null) {
            return Optional.empty();
        }
        CompletableFuture<Optional<String>> id = new CompletableFuture<>();
        http.eventLoop().runOnContext(v -> id.complete(registry.find(agentSession).map(Lease::id)));
        return id.orTimeout(STARTUP.toMillis(), TimeUnit.MILLISECONDS).join();
    }

    /** The HTTP API (its endpoint table and OpenAPI document). */
    public HttpApi api() {
        return http.api();
    }

    /** The metrics. */
    public ServiceMetrics metrics() {
        return metrics;
    }

    /** Whether the demo traffic loop runs. */
    public Optional<DemoTraffic> demo() {
        return Optional.ofNullable(demo);
    }

    /** Stops the demo, closes every session (releasing its locks), the server, the agent and Vert.x. */
    @Override
    public void close() {
        if (demo != null) {
            demo.close();
        }
        fleet.leave(STARTUP); // first: the other members see this node go while its recorders still answer
        try {
            vertx.undeploy(deployment).toCompletionStage().toCompletableFuture()
                    .get(STARTUP.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            System.getLogger(DiscService.class.getName()).log(System.Logger.Level.WARNING,
                    "stopping the HTTP server failed", e);
        }
        feed.close();
        metrics.close();
        agent.close().onErrorComplete().block(STARTUP);
        if (ownedTime != null) {
            ownedTime.dispose(); // before Vert.x goes: no timer may fire into a closed event loop
        }
        vertx.close().toCompletionStage().toCompletableFuture().orTimeout(STARTUP.toSeconds(), TimeUnit.SECONDS)
                .exceptionally(e -> null).join();
    }

    /** This service's membership of a fleet ({@code --cluster}); {@link FleetMembership#configured()} false if none. */
    public FleetMembership fleet() {
        return fleet;
    }

    /** The thread of the HTTP server's event loop (for tests: it is never the agent's). */
    Thread httpThread() {
        CompletableFuture<Thread> thread = new CompletableFuture<>();
        http.eventLoop().runOnContext(v -> thread.complete(Thread.currentThread()));
        return thread.orTimeout(STARTUP.toSeconds(), TimeUnit.SECONDS).join();
    }

    /** How often the HTTP verticle is deployed again when Vert.x put it on the agent's event loop. */
    private static final int DEPLOY_ATTEMPTS = 8;

    /**
     * Deploys the HTTP verticle; null when it refused the agent's event-loop thread (Vert.x hands out its two event
     * loops in turn, so the next deployment lands on the other one). On a thread of its own the service answers,
     * and its health probes report the agent down, while the agent's loop is stuck.
     */
    private static @Nullable String deployOffTheAgentLoop(Vertx vertx, HttpVerticle http) throws Exception {
        try {
            return vertx.deployVerticle(http).toCompletionStage().toCompletableFuture()
                    .get(STARTUP.toSeconds(), TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof OnTheAgentLoop) {
                return null;
            }
            throw e;
        }
    }

    /** The HTTP verticle's start refused the agent's event-loop thread. */
    private static final class OnTheAgentLoop extends RuntimeException {
        OnTheAgentLoop() {
            super("the HTTP verticle landed on the agent's event loop", null, false, false);
        }
    }

    /**
     * The verticle of the HTTP server; its event loop owns the lease registry and runs every handler. It runs on the
     * other of the service's two event loops than the agent ({@link #deployOffTheAgentLoop}).
     */
    static final class HttpVerticle extends VerticleBase {

        private final DiscAgent agent;
        private final EventFeed feed;
        private final ServiceMetrics metrics;
        private final ServiceConfig config;
        private final Scheduler time;
        private @Nullable HttpServer server;
        private @Nullable HttpApi api;
        private @Nullable LeaseRegistry leases;
        private @Nullable ServiceBurns burns;
        private final boolean refusesTheAgentLoop;
        private final FleetMembership fleet;

        HttpVerticle(DiscAgent agent, EventFeed feed, ServiceMetrics metrics, ServiceConfig config, Scheduler time,
                FleetMembership fleet, boolean refusesTheAgentLoop) {
            this.agent = agent;
            this.feed = feed;
            this.metrics = metrics;
            this.config = config;
            this.time = time;
            this.refusesTheAgentLoop = refusesTheAgentLoop;
            this.fleet = fleet;
        }

        /** The context of the HTTP event loop, which owns the lease registry. */
        io.vertx.core.Context eventLoop() {
            return context;
        }

        @Override
        public Future<?> start() {
            if (Thread.currentThread() == agent.eventLoopThread()) {
                if (refusesTheAgentLoop) {
                    return Future.failedFuture(new OnTheAgentLoop());
                }
                System.getLogger(DiscService.class.getName()).log(System.Logger.Level.WARNING, "the HTTP server "
                        + "shares the agent's event loop: while the agent is stuck, the service does not answer");
            }
            leases = new LeaseRegistry(agent, context, time, config.maxSessions(), config.sessionTtl(),
                    config.minSessionTtl(), config.maxSessionTtl(), fleet.closingRemoteHolds(metrics));
            burns = new ServiceBurns(context);
            Connections connections = new Connections(config.maxConnections(), config.headerTimeout(),
                    config.idleTimeout(), config.requestTimeout());
            api = new HttpApi(vertx, agent, agent.simulator(), leases, feed, metrics, config, time, burns,
                    connections, fleet);
            HttpServerOptions options = new HttpServerOptions()
                    .setHost(config.host())
                    .setPort(config.port())
                    .setHttp2ClearTextEnabled(false) // HTTP/1.1 only: every request passes the same checks
                    // a WebSocket that is closed (cut off, or at its client's request) waits this long for the
                    // client's answer before its TCP connection is closed
                    .setWebSocketClosingTimeout((int) StreamClient.CUT_OFF_GRACE.toSeconds())
                    .setMaxWebSocketFrameSize(config.maxBodyBytes())
                    .setMaxWebSocketMessageSize(config.maxBodyBytes());
            vertx.setPeriodic(connections.sweepMillis(), id -> connections.sweep());
            server = vertx.createHttpServer(options)
                    .connectionHandler(connections::opened)
                    .requestHandler(request -> {
                        connections.request(request);
                        api.router().handle(request);
                    });
            return server.listen();
        }

        @Override
        public Future<?> stop() {
            LeaseRegistry registry = leases;
            Future<Void> closing = registry == null ? Future.succeededFuture() : registry.closeAll(CloseCause.SHUTDOWN);
            return closing.transform(v -> server == null ? Future.succeededFuture() : server.close());
        }

        HttpServer server() {
            HttpServer s = server;
            if (s == null) {
                throw new IllegalStateException("the HTTP server is not started");
            }
            return s;
        }

        HttpApi api() {
            HttpApi a = api;
            if (a == null) {
                throw new IllegalStateException("the HTTP server is not started");
            }
            return a;
        }
    }
}
