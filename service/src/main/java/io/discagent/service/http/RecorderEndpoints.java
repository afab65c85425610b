package io.discagent.service.http;

import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderAgent;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
import io.discagent.api.RecorderSelector;
import io.discagent.api.RetryPolicy;
import io.discagent.service.ServiceConfig;
import io.discagent.service.events.EventJson;
import io.discagent.service.session.Lease;
import io.discagent.service.session.LeaseRegistry;
import io.discagent.service.ContextHop;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.List;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * {@code /api/v1/recorders}: listing, owner, acquire (of one recorder, or of any of a pool) and release. Handlers run on the HTTP event loop; agent results
 * come back to it through {@link ContextHop}.
 */
final class RecorderEndpoints {

    private final RecorderAgent agent;
    private final LeaseRegistry leases;
    private final ServiceConfig config;

    RecorderEndpoints(RecorderAgent agent, LeaseRegistry leases, ServiceConfig config) {
        this.agent = agent;
        this.leases = leases;
        this.config = config;
    }

    List<Endpoint> endpoints() {
        return List.of(
                Endpoint.of(HttpMethod.GET, "/api/v1/recorders", "listRecorders", "recorders",
                                "Every recorder with its names, backend and lock state")
                        .ok(200, "The recorders, by id", "RecorderList")
                        .handler(this::list),
                Endpoint.of(HttpMethod.GET, "/api/v1/recorders/{rid}", "getRecorder", "recorders",
                                "One recorder with its lock state")
                        .ok(200, "The recorder", "Recorder").problems(400, 404)
                        .handler(this::get),
                Endpoint.of(HttpMethod.GET, "/api/v1/recorders/{rid}/owner", "getOwner", "recorders",
                                "IMAPI2's ExclusiveAccessOwner: a session's client name, or an external holder")
                        .ok(200, "The owner (null when free)", "Owner").problems(400, 404, 502, 503)
                        .handler(this::owner),
                Endpoint.of(HttpMethod.POST, "/api/v1/recorders/{rid}/acquire", "acquire", "recorders",
                                "AcquireExclusiveAccess for a session: one more count; may wait up to waitMillis")
                        .sessionToken().body("AcquireRequest", true)
                        .ok(200, "Granted, with the session's new lock count", "AcquireResult")
                        .problems(400, 404, 409, 410, 423, 429, 502, 503, 504)
                        .handler(this::acquire),
                Endpoint.of(HttpMethod.POST, "/api/v1/recorders/acquire-any", "acquireAny", "recorders",
                                "A pool acquire for a session: the first of the named recorders (or of all) that "
                                + "reaches it; waits in each one's FIFO up to waitMillis")
                        .sessionToken().body("AcquireAnyRequest", true)
                        .ok(200, "Granted, with the recorder and the session's new lock count", "AcquireResult")
                        .problems(400, 404, 409, 410, 423, 429, 502, 503, 504)
                        .handler(this::acquireAny),
                Endpoint.of(HttpMethod.POST, "/api/v1/recorders/{rid}/release", "release", "recorders",
                                "ReleaseExclusiveAccess for a session: one count less")
                        .sessionToken().body("ReleaseRequest", true)
                        .ok(200, "Released, with the session's new lock count", "ReleaseResult")
                        .problems(400, 404, 409, 410, 503)
                        .handler(this::release));
    }

    private void list(RoutingContext rc) {
        Replies.respond(rc, agent.recorders(), recorders -> {
            JsonArray array = new JsonArray();
            // the agent lists recorders in the order they finished opening; clients get a stable order
            List<RecorderInfo> sorted = new java.util.ArrayList<>(recorders);
            sorted.sort(java.util.Comparator.comparing(info -> info.id().value()));
            for (RecorderInfo info : sorted) {
                array.add(EventJson.recorder(info));
            }
            return new JsonObject().put("recorders", array);
        });
    }

    private void get(RoutingContext rc) {
        RecorderId id = PathParams.recorder(rc);
        Replies.respond(rc, agent.recorder(id), EventJson::recorder);
    }

    private void owner(RoutingContext rc) {
        RecorderId id = PathParams.recorder(rc);
        // The owner query first: the agent's answer updates the lock state that follows it (an outside holder).
        Mono<JsonObject> owner = agent.exclusiveAccessOwner(id)
                .map(java.util.Optional::of).defaultIfEmpty(java.util.Optional.empty())
                .flatMap(name -> agent.recorder(id).map(info -> new JsonObject()
                        .put("recorder", id.value())
                        .put("owner", name.orElse(null))
                        .put("external", name.isPresent() && !info.lockState().isHeld())
                        .put("lock", EventJson.lock(info.lockState()))));
        Replies.respond(rc, owner, json -> json);
    }

    private void acquire(RoutingContext rc) {
        RecorderId id = PathParams.recorder(rc);
        acquire(rc, (session, options) -> session.acquire(id, options));
    }

    /** An acquire of one recorder or of a pool: the body's options, the session's lease and pending limit. */
    private void acquire(RoutingContext rc, BiFunction<ClientSession, AcquireOptions, Mono<LockGrant>> acquire) {
        RequestBody body = RequestBody.of(rc);
        String sessionId = body.requiredString("sessionId");
        boolean force = body.bool("force", false);
        long waitMillis = body.integer("waitMillis", 0);
        RetryPolicy retry = retry(body);
        Lease lease = leases.authorize(sessionId, rc.request().getHeader(SessionEndpoints.TOKEN_HEADER));
        leases.beginAcquire(lease, config.maxPendingPerSession());
        AcquireOptions options = new AcquireOptions(force, Duration.ofMillis(waitMillis), retry);
        ContextHop.Cancellable request = ContextHop.subscribe(Vertx.currentContext(),
                acquire.apply(lease.session(), options), (grant, error) -> {
                    leases.endAcquire(lease);
                    if (error != null) {
                        Replies.problem(rc, error);
                    } else {
                        Replies.json(rc, 200, grantJson(lease, grant));
                    }
                });
        // A client that goes away stops waiting (on every recorder of a pool); a grant that races with it is
        // released by the agent.
        rc.response().closeHandler(v -> request.cancel());
    }

    private void acquireAny(RoutingContext rc) {
        RequestBody body = RequestBody.of(rc);
        RecorderSelector pool = selector(body.raw("recorders"));
        RequestBody medium = body.object("medium"); // the schema: {"writable": true, "minFreeBytes": n}
        RecorderSelector selector = medium == null ? pool : pool.withWritableMedium(medium.integer("minFreeBytes", 0));
        acquire(rc, (session, options) -> session.acquireAny(selector, options));
    }

    /** The pool of an acquire-any body: the ids it names (validated by its schema), or every recorder. */
    private static RecorderSelector selector(@Nullable Object recorders) {
        if (recorders == null) {
            return RecorderSelector.any();
        }
        if (!(recorders instanceof JsonArray ids)) {
            throw new InvalidArgumentException("'recorders' must be an array of recorder ids");
        }
        List<RecorderId> pool = new java.util.ArrayList<>(ids.size());
        for (Object id : ids) {
            if (!(id instanceof String value) || value.isBlank()) {
                throw new InvalidArgumentException("'recorders' must hold recorder ids: " + id);
            }
            pool.add(RecorderId.of(value));
        }
        return RecorderSelector.anyOf(pool);
    }

    private static JsonObject grantJson(Lease lease, LockGrant grant) {
        return new JsonObject()
                .put("recorder", grant.recorder().value())
                .put("sessionId", lease.id())
                .put("lockCount", grant.lockCount())
                .put("holdId", grant.holdId())
                .put("devicePaths", new JsonArray(grant.devicePaths()));
    }

    private static RetryPolicy retry(RequestBody body) {
        RequestBody backoff = body.object("retry");
        if (backoff == null) { // the schema allows the two words or a backoff object
            return "none".equals(body.raw("retry")) ? RetryPolicy.none() : RetryPolicy.automatic();
        }
        long maxAttempts = backoff.integer("maxAttempts", 1);
        long min = backoff.integer("minBackoffMillis", 100);
        long max = backoff.integer("maxBackoffMillis", Math.max(min, 1000));
        if (max < min) {
            throw new InvalidArgumentException("'retry.maxBackoffMillis' (" + max + ") is less than "
                    + "'retry.minBackoffMillis' (" + min + ")");
        }
        return RetryPolicy.backoff(maxAttempts, Duration.ofMillis(min), Duration.ofMillis(max),
                backoff.number("jitter", 0.5));
    }

    private void release(RoutingContext rc) {
        RecorderId id = PathParams.recorder(rc);
        Lease lease = leases.authorize(RequestBody.of(rc).requiredString("sessionId"),
                rc.request().getHeader(SessionEndpoints.TOKEN_HEADER));
        Replies.respond(rc, lease.session().release(id), count -> new JsonObject()
                .put("recorder", id.value())
                .put("sessionId", lease.id())
                .put("lockCount", count));
    }
}
