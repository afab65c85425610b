package io.discagent.service.http;

import io.discagent.service.problem.ServiceProblem;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.agent.backend.simulated.Simulator;
import io.discagent.agent.DiscAgent;
import io.discagent.api.error.RecorderException;
import io.discagent.service.ServiceConfig;
import io.discagent.service.burn.ServiceBurns;
import io.discagent.service.events.EventFeed;
import io.discagent.service.fleet.FleetMembership;
import io.discagent.service.metrics.ServiceMetrics;
import io.discagent.service.problem.ProblemKind;
import io.discagent.service.session.LeaseRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import reactor.core.scheduler.Scheduler;

/**
 * The HTTP API: the table of {@link Endpoint}s, the router built from it, and the OpenAPI document built from the
 * same table. Every failure, including the router's own (no route, wrong method, body too large), becomes an
 * {@code application/problem+json} document. Built on the HTTP event loop, which runs every handler.
 */
public final class HttpApi {

    /** The API version in paths and in the OpenAPI document. */
    public static final String VERSION = "1.0.0";

    private final List<Endpoint> endpoints;
    private final Router router;
    private final JsonObject openApi;

    /**
     * @param simulator the simulated backend's control, when the agent runs it ({@code /api/v1/sim} is served only
     *     then, and only with simulator control on)
     * @param burns the service's burns (on the same event loop)
     * @param connections the server's connections (a WebSocket leaves their timeouts)
     * @param fleet the fleet this service is in, if any ({@code /api/v1/fleet})
     */
    public HttpApi(Vertx vertx, DiscAgent agent, Optional<Simulator> simulator, LeaseRegistry leases,
            EventFeed feed, ServiceMetrics metrics, ServiceConfig config, Scheduler time, ServiceBurns burns,
            Connections connections, FleetMembership fleet) {
        Guard guard = new Guard(config);
        List<Endpoint> all = new ArrayList<>();
        all.addAll(new SystemEndpoints(metrics, this::openApi).endpoints());
        all.addAll(new HealthEndpoints(agent, time, config.agent().commandTimeout()).endpoints());
        all.addAll(new RecorderEndpoints(agent, leases, config).endpoints());
        all.addAll(new BurnEndpoints(vertx, agent, leases, config, burns).endpoints());
        all.addAll(new SessionEndpoints(agent, leases, guard).endpoints());
        all.addAll(new EventEndpoints(feed, leases, connections).endpoints());
        all.addAll(new FleetEndpoints(fleet, leases, connections, config.maxWait(), config.maxPendingPerSession()).endpoints());
        Optional<Simulator> controlled = simulator.filter(sim -> config.servesSimulatorControl());
        controlled.ifPresent(sim -> all.addAll(new SimulatorEndpoints(sim, config.maxSimulatedRecorders())
                .endpoints()));
        this.endpoints = Collections.unmodifiableList(all);
        RequestSchemas schemas = RequestSchemas.of(config);
        this.openApi = OpenApi.document(endpoints, VERSION, schemas.components());
        ServiceProblem simulatorOff = simulator.isEmpty() ? ServiceProblem.notSimulated(agent.backendName())
                : ServiceProblem.of(ProblemKind.NOT_SIMULATED, "simulator control is off: start the service with "
                        + "--simulator-control (or --demo) to serve /api/v1/sim");
        this.router = buildRouter(vertx, guard, schemas, config.maxBodyBytes(), config.accessLog(),
                controlled.isPresent() ? null : simulatorOff);
    }

    /** @param simulatorOff what a request under {@code /api/v1/sim} gets while simulator control is not served */
    private Router buildRouter(Vertx vertx, Guard guard, RequestSchemas schemas, int maxBodyBytes, boolean accessLog,
            @Nullable ServiceProblem simulatorOff) {
        Router r = Router.router(vertx);
        if (accessLog) {
            r.route().handler(new AccessLog()); // first: refused requests are logged too
        }
        r.route().handler(guard.frontDoor());
        for (Endpoint endpoint : endpoints) {
            Route route = r.route(endpoint.method(), endpoint.routerPath());
            route.handler(guard.handler(endpoint.access(), endpoint.acceptsTokenInQuery()));
            if (endpoint.method() != HttpMethod.GET && endpoint.method() != HttpMethod.HEAD) {
                if (!endpoint.hasBody()) { // every write is read as JSON, or it could be a cross-site form post
                    throw new IllegalStateException(endpoint.operationId() + " is a write without a body schema");
                }
                route.handler(RequestBody.validation(schemas, endpoint, maxBodyBytes));
            }
            route.handler(endpoint.handler());
        }
        r.errorHandler(404, rc -> Replies.problem(rc, simulatorOff != null && rc.request().path() != null
                && rc.request().path().startsWith("/api/v1/sim") ? simulatorOff
                : ServiceProblem.noRoute(method(rc), rc.request().path())));
        r.errorHandler(405, rc -> Replies.problem(rc, ServiceProblem.methodNotAllowed(method(rc), rc.request().path())));
        r.errorHandler(400, rc -> Replies.problem(rc, malformed(rc.failure())));
        r.errorHandler(500, rc -> Replies.problem(rc, rc.failure() != null ? rc.failure()
                : new IllegalStateException("failed without a cause")));
        return r;
    }

    /**
     * What the router's own refusal of a malformed request (no valid {@code Host}, a bad escape in the path) becomes:
     * an invalid-argument problem with Vert.x's reason, never an internal error.
     */
    private static Throwable malformed(@Nullable Throwable failure) {
        if (failure instanceof ServiceProblem || failure instanceof RecorderException) {
            return failure;
        }
        return new InvalidArgumentException("the request is malformed" + (failure == null || failure.getMessage()
                == null ? "" : ": " + ServiceProblem.shorten(failure.getMessage())));
    }

    private static String method(RoutingContext rc) {
        return rc.request().method().name();
    }

    /** The router serving every endpoint. */
    public Router router() {
        return router;
    }

    /** The endpoints served, in document order. */
    public List<Endpoint> endpoints() {
        return endpoints;
    }

    /** The OpenAPI document of {@link #endpoints()}. */
    public JsonObject openApi() {
        return openApi;
    }
}
