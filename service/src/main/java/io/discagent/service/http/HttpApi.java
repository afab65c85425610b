package io.discagent.service.http;

import io.discagent.service.problem.ServiceProblem;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.agent.backend.simulated.Simulator;
import io.discagent.agent.DiscAgent;
import io.discagent.service.ServiceConfig;
import io.discagent.service.burn.ServiceBurns;
import io.discagent.service.events.EventFeed;
import io.discagent.service.metrics.ServiceMetrics;
import io.discagent.service.session.LeaseRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
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
     *     then)
     * @param burns the service's burns (on the same event loop)
     */
    public HttpApi(Vertx vertx, DiscAgent agent, Optional<Simulator> simulator, LeaseRegistry leases,
            EventFeed feed, ServiceMetrics metrics, ServiceConfig config, Scheduler time, ServiceBurns burns) {
        Guard guard = new Guard(config.accessToken().orElse(null), config.adminToken().orElse(null),
                config.bindsLoopback(), config.host());
        List<Endpoint> all = new ArrayList<>();
        all.addAll(new SystemEndpoints(metrics, this::openApi).endpoints());
        all.addAll(new HealthEndpoints(agent, time, config.agent().commandTimeout()).endpoints());
        all.addAll(new RecorderEndpoints(agent, leases, config).endpoints());
        all.addAll(new BurnEndpoints(vertx, agent, leases, config, burns).endpoints());
        all.addAll(new SessionEndpoints(agent, leases, guard).endpoints());
        all.addAll(new EventEndpoints(feed, leases, time, config.keepAliveInterval()).endpoints());
        simulator.ifPresent(sim -> all.addAll(new SimulatorEndpoints(sim).endpoints()));
        this.endpoints = Collections.unmodifiableList(all);
        RequestSchemas schemas = RequestSchemas.of(config);
        this.openApi = OpenApi.document(endpoints, VERSION, schemas.components());
        this.router = buildRouter(vertx, guard, schemas, config.maxBodyBytes(), config.accessLog());
    }

    private Router buildRouter(Vertx vertx, Guard guard, RequestSchemas schemas, int maxBodyBytes,
            boolean accessLog) {
        Router r = Router.router(vertx);
        if (accessLog) {
            r.route().handler(new AccessLog());
        }
        r.route().handler(rc -> {
            rc.response().putHeader("X-Content-Type-Options", "nosniff");
            rc.next();
        });
        for (Endpoint endpoint : endpoints) {
            Route route = r.route(endpoint.method(), endpoint.routerPath());
            if (endpoint.method() != HttpMethod.GET) {
                route.handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes));
            }
            route.handler(guard.handler(endpoint.access(), endpoint.acceptsTokenInQuery()));
            if (endpoint.hasBody()) {
                route.handler(RequestBody.validation(schemas, endpoint));
            }
            route.handler(endpoint.handler());
        }
        r.errorHandler(404, rc -> Replies.problem(rc, ServiceProblem.noRoute(method(rc), rc.request().path())));
        r.errorHandler(405, rc -> Replies.problem(rc, ServiceProblem.methodNotAllowed(method(rc), rc.request().path())));
        r.errorHandler(413, rc -> Replies.problem(rc, ServiceProblem.tooLarge(maxBodyBytes)));
        r.errorHandler(400, rc -> Replies.problem(rc, rc.failure() != null ? rc.failure()
                : new InvalidArgumentException("the request is malformed")));
        r.errorHandler(415, rc -> Replies.problem(rc, ServiceProblem.unsupportedMediaType(
                rc.request().getHeader("Content-Type"))));
        r.errorHandler(500, rc -> Replies.problem(rc, rc.failure() != null ? rc.failure()
                : new IllegalStateException("failed without a cause")));
        return r;
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
