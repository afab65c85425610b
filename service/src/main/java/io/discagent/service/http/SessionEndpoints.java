package io.discagent.service.http;

import io.discagent.api.RecorderAgent;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
import io.discagent.service.session.CloseCause;
import io.discagent.service.session.Lease;
import io.discagent.service.session.LeaseRegistry;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Mono;

/**
 * {@code /api/v1/sessions}: open, read, heartbeat and close sessions. Every call on an existing session needs its
 * token in {@value #TOKEN_HEADER}; an admin token closes any session. Handlers run on the HTTP event loop.
 */
final class SessionEndpoints {

    /** The header of the session token. */
    static final String TOKEN_HEADER = "X-Session-Token";

    private final RecorderAgent agent;
    private final LeaseRegistry leases;
    private final Guard guard;

    SessionEndpoints(RecorderAgent agent, LeaseRegistry leases, Guard guard) {
        this.agent = agent;
        this.leases = leases;
        this.guard = guard;
    }

    List<Endpoint> endpoints() {
        return List.of(
                Endpoint.of(HttpMethod.POST, "/api/v1/sessions", "openSession", "sessions",
                                "Open a session (an IDiscRecorder2 of your own); the token is returned only here")
                        .body("SessionRequest", true)
                        .ok(201, "The session, its secret token and its lease", "SessionCreated")
                        .problems(400, 422, 429)
                        .handler(this::create),
                Endpoint.of(HttpMethod.GET, "/api/v1/sessions/{sid}", "getSession", "sessions",
                                "The session's lease, the locks it holds and its places in line")
                        .sessionToken()
                        .ok(200, "The session", "Session").problems(400, 404, 410)
                        .handler(this::get),
                Endpoint.of(HttpMethod.POST, "/api/v1/sessions/{sid}/heartbeat", "heartbeat", "sessions",
                                "Keep the session alive for another TTL")
                        .sessionToken().noBody()
                        .ok(200, "The renewed lease", "Lease").problems(400, 404, 410)
                        .handler(this::heartbeat),
                Endpoint.of(HttpMethod.DELETE, "/api/v1/sessions/{sid}", "closeSession", "sessions",
                                "Close the session: every lock it holds is released, its waits fail")
                        .sessionToken().adminToken().noBody()
                        .ok(204, "Closed", null).problems(400, 404, 410)
                        .handler(this::delete));
    }

    private void create(RoutingContext rc) {
        RequestBody body = RequestBody.of(rc);
        String clientName = body.requiredString("clientName");
        Duration ttl = body.has("ttlMillis") ? Duration.ofMillis(body.integer("ttlMillis", 0)) : null;
        leases.open(clientName, ttl).onComplete(result -> {
            if (result.failed()) {
                Replies.problem(rc, result.cause());
                return;
            }
            Lease lease = result.result();
            rc.response().putHeader("Location", "/api/v1/sessions/" + lease.id());
            Replies.json(rc, 201, leaseJson(lease)
                    .put("token", lease.token())
                    .put("heartbeatIntervalMillis", Math.max(1, lease.ttl().toMillis() / 3)));
        });
    }

    private JsonObject leaseJson(Lease lease) {
        return new JsonObject()
                .put("sessionId", lease.id())
                .put("clientName", lease.clientName())
                .put("scope", lease.scope().name().toLowerCase(java.util.Locale.ROOT))
                .put("ttlMillis", lease.ttl().toMillis())
                .put("expiresInMillis", lease.scope() == Lease.Scope.LEASE
                        ? Math.max(0, (lease.expiresAtNanos() - leases.nowNanos()) / 1_000_000) : null);
    }

    private Lease authorized(RoutingContext rc) {
        return leases.authorize(PathParams.id(rc, "sid"), rc.request().getHeader(TOKEN_HEADER));
    }

    private void get(RoutingContext rc) {
        Lease lease = authorized(rc);
        Replies.respond(rc, Mono.zip(agent.recorders(), lease.session().placesInLine()), both -> {
            JsonArray locks = new JsonArray();
            JsonArray waiting = new JsonArray();
            Map<RecorderId, Integer> places = both.getT2();
            for (RecorderInfo info : both.getT1()) {
                if (info.lockState().isHeld() && lease.session().id().equals(info.lockState().session())) {
                    locks.add(new JsonObject().put("recorder", info.id().value())
                            .put("count", info.lockState().count()));
                }
                Integer place = places.get(info.id());
                if (place != null) {
                    waiting.add(new JsonObject().put("recorder", info.id().value()).put("place", place)
                            .put("owner", info.lockState().owner()));
                }
            }
            return leaseJson(lease)
                    .put("pendingAcquires", lease.pendingAcquires())
                    .put("locks", locks)
                    .put("waiting", waiting);
        });
    }

    private void heartbeat(RoutingContext rc) {
        Lease lease = authorized(rc);
        leases.heartbeat(lease);
        Replies.json(rc, 200, leaseJson(lease));
    }

    private void delete(RoutingContext rc) {
        String sessionId = PathParams.id(rc, "sid");
        Lease lease;
        CloseCause cause;
        if (guard.isAdmin(rc)) {
            lease = leases.require(sessionId);
            cause = CloseCause.ADMIN;
        } else {
            lease = leases.authorize(sessionId, rc.request().getHeader(TOKEN_HEADER));
            cause = CloseCause.CLIENT;
        }
        leases.close(lease, cause).onComplete(v -> Replies.noContent(rc));
    }
}
