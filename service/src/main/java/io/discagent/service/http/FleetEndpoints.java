package io.discagent.service.http;

import io.discagent.api.RecorderId;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.service.fleet.FleetMembership;
import io.discagent.service.fleet.FleetNode;
import io.discagent.service.fleet.FleetPool;
import io.discagent.service.fleet.RemoteGrant;
import io.discagent.service.fleet.FleetView;
import io.discagent.service.problem.ProblemKind;
import io.discagent.service.problem.ServiceProblem;
import io.discagent.service.session.Lease;
import io.discagent.service.session.LeaseRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * {@code /api/v1/fleet}: every recorder of every node of the fleet this service is in ({@code serve --cluster}), and
 * acquire/release of a recorder of another node for a session of this one (docs/fleet.md). Handlers run on the HTTP
 * event loop; the fleet's answers hop back to it.
 */
final class FleetEndpoints {

    private static final Pattern NODE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    private final FleetMembership fleet;
    private final LeaseRegistry leases;
    private final Connections connections;
    private final Duration maxWait;
    private final int maxPendingPerSession;

    FleetEndpoints(FleetMembership fleet, LeaseRegistry leases, Connections connections, Duration maxWait,
            int maxPendingPerSession) {
        this.fleet = fleet;
        this.leases = leases;
        this.connections = connections;
        this.maxWait = maxWait;
        this.maxPendingPerSession = maxPendingPerSession;
    }

    List<Endpoint> endpoints() {
        return List.of(
                Endpoint.of(HttpMethod.GET, "/api/v1/fleet/recorders", "listFleetRecorders", "fleet",
                                "Every recorder of every node of the fleet, named node/id, with its node's "
                                + "reachability")
                        .ok(200, "The fleet's nodes and recorders", "FleetView").problems(404, 503)
                        .handler(this::list),
                Endpoint.of(HttpMethod.GET, "/api/v1/fleet/events", "fleetEvents", "fleet",
                                "Server-Sent Events of the whole fleet: a snapshot of the fleet view, then each "
                                + "change of each node (arrived, removed, lock, media, reachable, unreachable) with "
                                + "its node and that node's snapshot sequence")
                        .tokenInQuery()
                        .okText(200, "An endless text/event-stream; the event's name is its type",
                                "text/event-stream")
                        .problems(404, 503)
                        .handler(this::events),
                Endpoint.of(HttpMethod.GET, "/api/v1/fleet/events/ws", "fleetEventsWebSocket", "fleet",
                                "The fleet's events over a WebSocket: one JSON text message per event, as on "
                                + "/api/v1/fleet/events (its type in \"type\")")
                        .tokenInQuery()
                        .okText(101, "Switching to the WebSocket protocol", "application/json")
                        .problems(404, 503)
                        .handler(this::webSocket),
                Endpoint.of(HttpMethod.POST, "/api/v1/fleet/recorders/{node}/{rid}/acquire", "acquireRemote",
                                "fleet", "AcquireExclusiveAccess of a recorder of another node for a session of this "
                                + "one: the owning node holds it for the session; may wait up to waitMillis")
                        .sessionToken().body("AcquireRequest", true)
                        .ok(200, "Granted, with the session's new lock count there", "AcquireResult")
                        .problems(400, 404, 409, 410, 423, 429, 502, 503, 504)
                        .handler(this::acquire),
                Endpoint.of(HttpMethod.POST, "/api/v1/fleet/recorders/acquire-any", "acquireAnyRemote", "fleet",
                                "A pool acquire across the fleet for a session of this one: the first recorder of "
                                + "the pool (node/id names, or every recorder of every reachable node; with a "
                                + "writable medium if asked) that any node can grant; may wait up to waitMillis")
                        .sessionToken().body("AcquireAnyRequest", true)
                        .ok(200, "Granted: the recorder (node/id) and the session's lock count there",
                                "AcquireResult")
                        .problems(400, 404, 409, 410, 423, 429, 502, 503, 504)
                        .handler(this::acquireAny),
                Endpoint.of(HttpMethod.POST, "/api/v1/fleet/recorders/{node}/{rid}/release", "releaseRemote",
                                "fleet", "ReleaseExclusiveAccess of a remote hold of a session: one count less "
                                + "(409 lock-not-held when the hold is gone: fenced)")
                        .sessionToken().body("ReleaseRequest", true)
                        .ok(200, "Released, with the session's new lock count there", "ReleaseResult")
                        .problems(400, 404, 409, 410, 503)
                        .handler(this::release));
    }

    private void list(RoutingContext rc) {
        node(rc).ifPresent(node -> Replies.respond(rc, node.view(), FleetView::toJson));
    }

    /**
     * The fleet's changes as SSE. A client whose connection takes no more is cut off (told why) instead of buffered
     * without bound: it reconnects and starts again from a snapshot.
     */
    private void events(RoutingContext rc) {
        node(rc).ifPresent(node -> {
            HttpServerResponse response = EventEndpoints.startSse(rc.response(), "discagent fleet event stream");
            io.vertx.core.Context http = Vertx.currentContext();
            reactor.core.Disposable.Swap subscription = reactor.core.Disposables.swap();
            response.closeHandler(v -> subscription.dispose());
            subscription.update(node.events().subscribe(event -> http.runOnContext(v -> {
                if (response.ended() || response.closed()) {
                    return;
                }
                if (response.writeQueueFull()) {
                    subscription.dispose();
                    response.end(": discagent: this client fell behind the fleet's events; reconnect for a fresh "
                            + "snapshot\n\n");
                    rc.request().connection().shutdown(io.discagent.service.events.StreamClient.CUT_OFF_GRACE);
                    return;
                }
                response.write("event: " + event.getString("type") + "\ndata: " + event.encode() + "\n\n");
            }), error -> http.runOnContext(v -> {
                if (!response.ended() && !response.closed()) {
                    response.end("event: end\ndata: " + new JsonObject().put("reason", error.getMessage()).encode()
                            + "\n\n");
                }
            })));
        });
    }

    /**
     * The fleet's changes over a WebSocket: the same JSON events as the SSE stream, one text message each. A client
     * whose socket takes no more is cut off (close code 1008) instead of buffered without bound; the end of the node's
     * membership ends it ({@code {"type":"end"}}, close code 1001).
     */
    private void webSocket(RoutingContext rc) {
        node(rc).ifPresent(node -> rc.request().toWebSocket().onSuccess(ws -> {
            Runnable untracked = connections.upgraded(rc.request());
            io.vertx.core.Context http = Vertx.currentContext();
            reactor.core.Disposable.Swap subscription = reactor.core.Disposables.swap();
            ws.closeHandler(v -> {
                untracked.run();
                subscription.dispose();
            });
            subscription.update(node.events().subscribe(event -> http.runOnContext(v -> {
                if (ws.isClosed()) {
                    return;
                }
                if (ws.writeQueueFull()) {
                    subscription.dispose();
                    ws.close((short) 1008, "fell behind the fleet's events; reconnect for a fresh snapshot");
                    return;
                }
                ws.writeTextMessage(event.encode());
            }), error -> http.runOnContext(v -> {
                if (!ws.isClosed()) {
                    ws.writeTextMessage(new JsonObject().put("type", "end").put("reason", error.getMessage())
                            .encode());
                    ws.close((short) 1001, "fleet event stream ended");
                }
            })));
        }).onFailure(error -> Replies.problem(rc, new io.discagent.api.error.InvalidArgumentException(
                "WebSocket upgrade failed: " + error.getMessage()))));
    }

    private void acquire(RoutingContext rc) {
        target(rc).ifPresent(target -> waitFor(rc, target.fleetNode(), target.lease(), (wait, done) -> target
                .fleetNode().acquireRemote(target.node(), target.recorder(), target.lease().id(),
                        target.lease().clientName(), wait, done)));
    }

    private void acquireAny(RoutingContext rc) {
        node(rc).ifPresent(node -> {
            RequestBody body = RequestBody.of(rc);
            FleetPool pool = new FleetPool(qualifiedIds(body.raw("recorders")), Optional.ofNullable(body
                    .object("medium")).map(medium -> (long) medium.integer("minFreeBytes", 0)).orElse(null));
            Lease lease = authorized(rc);
            waitFor(rc, node, lease, (wait, done) -> node.acquireAnyRemote(pool, lease.id(), lease.clientName(),
                    wait, done));
        });
    }

    /** What starts a remote acquire for at most {@code wait}, and returns what gives it up. */
    @FunctionalInterface
    private interface RemoteAcquire {
        Runnable start(Duration wait, BiConsumer<@Nullable RemoteGrant, @Nullable Throwable> done);
    }

    /**
     * Answers a remote acquire of {@code lease}'s session: counted as one of its pending acquires until answered or
     * given up; a client that hangs up gives it up, and a grant that races with that is given back.
     */
    private void waitFor(RoutingContext rc, FleetNode fleetNode, Lease lease, RemoteAcquire acquire) {
        Duration wait = Duration.ofMillis(RequestBody.of(rc).integer("waitMillis", 0));
        if (wait.isNegative() || wait.compareTo(maxWait) > 0) {
            throw new InvalidArgumentException("waitMillis must be 0 to the service's limit of "
                    + maxWait.toMillis() + ": " + wait.toMillis());
        }
        leases.beginAcquire(lease, maxPendingPerSession); // a remote wait counts like a local one
        io.vertx.core.Context http = Vertx.currentContext();
        boolean[] ended = {false}; // HTTP loop only: the pending count ends once, answered or given up
        Runnable giveUp = acquire.start(wait, (grant, error) -> http.runOnContext(v -> {
            if (!ended[0]) {
                ended[0] = true;
                leases.endAcquire(lease);
            }
            if (grant != null && rc.response().closed()) {
                // the client hung up as the grant came: given back, as a local acquire's would be
                fleetNode.releaseRemote(grant.node(), grant.recorder(), lease.id()).subscribe(count -> { }, e -> { });
            } else if (error != null) {
                Replies.problem(rc, error);
            } else {
                Replies.json(rc, 200, new JsonObject().put("recorder", grant.node() + "/" + grant.recorder().value())
                        .put("sessionId", lease.id()).put("lockCount", grant.lockCount())
                        .put("holdId", grant.holdId()));
            }
        }));
        rc.response().closeHandler(v -> { // a grant that races with it is given back
            giveUp.run();
            if (!ended[0]) {
                ended[0] = true;
                leases.endAcquire(lease);
            }
        });
    }

    /** The pool of a fleet acquire-any body: the {@code node/id} names it holds (validated by its schema), or null. */
    private static @Nullable Set<String> qualifiedIds(@Nullable Object recorders) {
        if (recorders == null) {
            return null;
        }
        Set<String> ids = new java.util.HashSet<>();
        for (Object id : (io.vertx.core.json.JsonArray) recorders) {
            String value = (String) id;
            int slash = value.indexOf('/');
            if (slash < 0 || !NODE.matcher(value.substring(0, slash)).matches() || slash == value.length() - 1) {
                throw new InvalidArgumentException("'recorders' of a fleet pool must name node/recorder: " + value);
            }
            ids.add(value);
        }
        return ids;
    }

    private void release(RoutingContext rc) {
        target(rc).ifPresent(target -> Replies.respond(rc, target.fleetNode().releaseRemote(target.node(),
                target.recorder(), target.lease().id()), count -> new JsonObject().put("recorder", target.qualified())
                .put("sessionId", target.lease().id()).put("lockCount", count)));
    }

    /** What a remote acquire or release names: the fleet node here, the owning node, its recorder, the session. */
    private record Target(FleetNode fleetNode, String node, RecorderId recorder, Lease lease) {

        String qualified() {
            return node + "/" + recorder.value();
        }
    }

    /** The request's target, checked and authorized; empty when answered already (not in a fleet, not joined). */
    private Optional<Target> target(RoutingContext rc) {
        Optional<FleetNode> fleetNode = node(rc);
        if (fleetNode.isEmpty()) {
            return Optional.empty();
        }
        String node = nodeParam(rc);
        RecorderId id = PathParams.recorder(rc);
        return Optional.of(new Target(fleetNode.get(), node, id, authorized(rc)));
    }

    /** The lease of the body's session, checked against the request's session token. */
    private Lease authorized(RoutingContext rc) {
        return leases.authorize(RequestBody.of(rc).requiredString("sessionId"),
                rc.request().getHeader(SessionEndpoints.TOKEN_HEADER));
    }

    /** The fleet node, or the problem answered when there is none (not in a fleet, not joined yet). */
    private Optional<FleetNode> node(RoutingContext rc) {
        Optional<FleetNode> node = fleet.node();
        if (node.isEmpty()) {
            Replies.problem(rc, fleet.configured()
                    ? ServiceProblem.of(ProblemKind.FLEET_NOT_JOINED, String.valueOf(fleet.problem()))
                    : ServiceProblem.of(ProblemKind.NO_FLEET, "this service is not in a fleet: start it with "
                            + "--cluster NAME --cluster-secret-file FILE"));
        }
        return node;
    }

    private static String nodeParam(RoutingContext rc) {
        String node = rc.pathParam("node");
        if (node == null || !NODE.matcher(node).matches()) {
            throw new InvalidArgumentException("not a node name: " + node);
        }
        return node;
    }
}
