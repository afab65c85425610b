package io.discagent.service.http;

import io.discagent.api.RecorderAgent;
import io.discagent.api.RecorderId;
import io.discagent.api.error.LockNotHeldException;
import io.discagent.service.ContextHop;
import io.discagent.service.ServiceConfig;
import io.discagent.service.burn.ImageFiles;
import io.discagent.service.burn.ServiceBurns;
import io.discagent.service.events.EventJson;
import io.discagent.service.problem.ProblemKind;
import io.discagent.service.problem.ServiceProblem;
import io.discagent.service.session.Lease;
import io.discagent.service.session.LeaseRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Path;
import java.util.List;

/**
 * Burning through the service: {@code GET /api/v1/recorders/{rid}/media}, {@code POST /api/v1/recorders/{rid}/burns}
 * (a session that holds the recorder burns an image of the burn directory), {@code GET /api/v1/burns},
 * {@code GET /api/v1/burns/{bid}} and {@code POST /api/v1/burns/{bid}/cancel}. A burn's progress also reaches every
 * event stream as {@code burn} events. Handlers run on the HTTP event loop (agent results come back to it through {@link ContextHop}); opening the
 * image runs off it.
 */
final class BurnEndpoints {

    private final Vertx vertx;
    private final RecorderAgent agent;
    private final LeaseRegistry leases;
    private final ServiceConfig config;
    private final ServiceBurns burns;

    BurnEndpoints(Vertx vertx, RecorderAgent agent, LeaseRegistry leases, ServiceConfig config, ServiceBurns burns) {
        this.vertx = vertx;
        this.agent = agent;
        this.leases = leases;
        this.config = config;
        this.burns = burns;
    }

    List<Endpoint> endpoints() {
        return List.of(
                Endpoint.of(HttpMethod.GET, "/api/v1/recorders/{rid}/media", "getMedia", "burns",
                                "The medium: profile, blank/appendable/closed, free capacity, writable, tray")
                        .ok(200, "The medium as the recorder reports it now", "Media")
                        .problems(400, 404, 502, 503)
                        .handler(this::media),
                Endpoint.of(HttpMethod.POST, "/api/v1/recorders/{rid}/burns", "startBurn", "burns",
                                "Burns an image of the burn directory, for a session that holds the recorder; "
                                + "answers once the image is measured and the medium checked")
                        .sessionToken().body("BurnRequest", true)
                        .ok(202, "Accepted: the burn runs (follow it with GET /api/v1/burns/{bid} or the event "
                                + "streams' burn events)", "Burn")
                        .problems(400, 403, 404, 409, 410, 423, 501, 502, 503)
                        .handler(this::start),
                Endpoint.of(HttpMethod.GET, "/api/v1/burns", "listBurns", "burns",
                                "The running burns, then the last ended ones")
                        .ok(200, "The burns", "BurnList")
                        .handler(this::list),
                Endpoint.of(HttpMethod.GET, "/api/v1/burns/{bid}", "getBurn", "burns",
                                "One burn: its state, latest progress, and result or error")
                        .ok(200, "The burn", "Burn").problems(400, 404)
                        .handler(this::get),
                Endpoint.of(HttpMethod.POST, "/api/v1/burns/{bid}/cancel", "cancelBurn", "burns",
                                "Cancels a running burn of the session: its writer is stopped before the recorder "
                                + "passes on")
                        .sessionToken().body("CancelBurnRequest", true)
                        .ok(200, "The burn, cancelled (or as it had ended already)", "Burn")
                        .problems(400, 403, 404, 410)
                        .handler(this::cancel));
    }

    private void media(RoutingContext rc) {
        RecorderId id = PathParams.recorder(rc);
        Replies.respond(rc, agent.media(id), media -> EventJson.media(media).put("recorder", id.value()));
    }

    private void start(RoutingContext rc) {
        RecorderId id = PathParams.recorder(rc);
        RequestBody body = RequestBody.of(rc);
        String sessionId = body.requiredString("sessionId");
        String image = body.requiredString("image");
        boolean verify = body.bool("verify", false);
        boolean closeDisc = body.bool("closeDisc", true);
        int speed = (int) body.integer("writeSpeedKBps", 0);
        boolean simulate = body.bool("simulate", false);
        Lease lease = leases.authorize(sessionId, rc.request().getHeader(SessionEndpoints.TOKEN_HEADER));
        Path directory = config.burnDirectory().orElseThrow(() -> ServiceProblem.imageNotAllowed(
                "burning through the service is off: start it with --burn-directory (burnDirectory)"));
        ContextHop.subscribe(Vertx.currentContext(), lease.session().lockCount(id), (count, error) -> {
            if (error != null) {
                Replies.problem(rc, error);
                return;
            }
            if (count == null || count == 0) {
                Replies.problem(rc, new LockNotHeldException("session '" + lease.clientName() + "' does not hold "
                        + "recorder " + id + ": acquire it before burning", id));
                return;
            }
            vertx.<ImageFiles.Opened>executeBlocking(() -> ImageFiles.open(directory, image), false)
                    .onComplete(opened -> {
                        if (opened.failed()) {
                            Replies.problem(rc, opened.cause());
                            return;
                        }
                        burns.start(lease.session(), lease.id(), id, opened.result(), b -> b.verify(verify)
                                .closeDisc(closeDisc).writeSpeedKBps(speed).simulate(simulate), (burn, failure) -> {
                                    if (failure != null || burn == null) {
                                        Replies.problem(rc, failure != null ? failure
                                                : new IllegalStateException("the burn gave nothing"));
                                    } else {
                                        rc.response().putHeader("Location", "/api/v1/burns/" + burn.id());
                                        Replies.json(rc, 202, burn.json());
                                    }
                                });
                    });
        });
    }

    private void list(RoutingContext rc) {
        Replies.json(rc, 200, new JsonObject().put("burns", burns.json()));
    }

    private void get(RoutingContext rc) {
        Replies.json(rc, 200, burn(rc).json());
    }

    private void cancel(RoutingContext rc) {
        ServiceBurns.Burn burn = burn(rc);
        Lease lease = leases.authorize(RequestBody.of(rc).requiredString("sessionId"),
                rc.request().getHeader(SessionEndpoints.TOKEN_HEADER));
        if (!lease.id().equals(burn.sessionId())) {
            throw ServiceProblem.of(ProblemKind.FORBIDDEN, "burn " + burn.id() + " belongs to another session");
        }
        burns.cancel(burn);
        Replies.json(rc, 200, burn.json());
    }

    private ServiceBurns.Burn burn(RoutingContext rc) {
        String id = PathParams.id(rc, "bid");
        ServiceBurns.Burn burn = burns.get(id);
        if (burn == null) {
            throw ServiceProblem.noSuchBurn(id);
        }
        return burn;
    }
}
