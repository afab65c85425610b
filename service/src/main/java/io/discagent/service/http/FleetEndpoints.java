package io.discagent.service.http;

import io.discagent.api.RecorderId;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.service.fleet.FleetMembership;
import io.discagent.service.fleet.FleetNode;
import io.discagent.service.fleet.FleetView;
import io.discagent.service.problem.ProblemKind;
import io.discagent.service.problem.ServiceProblem;
import io.discagent.service.session.Lease;
import io.discagent.service.session.LeaseRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code /api/v1/fleet}: every recorder of every node of the fleet this service is in ({@code serve --cluster}), and
 * acquire/release of a recorder of another node for a session of this one (docs/fleet.md). Handlers run on the HTTP
 * event loop; the fleet's answers hop back to it.
 */
final class FleetEndpoints {

    private static final Pattern NODE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    private final FleetMembership fleet;
    private final LeaseRegistry leases;
    private final Duration maxWait;
    private final int maxPendingPerSession;

    FleetEndpoints(FleetMembership fleet, LeaseRegistry leases, Duration maxWait, int maxPendingPerSession) {
        this.fleet = fleet;
        this.leases = leases;
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
                Endpoint.of(HttpMethod.POST, "/api/v1/fleet/recorders/{node}/{rid}/acquire", "acquireRemote",
                                "fleet", "AcquireExclusiveAccess of a recorder of another node for a session of this "
                                + "one: the owning node holds it for the session; may wait up to waitMillis")
                        .sessionToken().body("AcquireRequest", true)
                        .ok(200, "Granted, with the session's new lock count there", "AcquireResult")
                        .problems(400, 404, 409, 410, 423, 429, 502, 503, 504)
                        .handler(this::acquire),
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

    private void acquire(RoutingContext rc) {
        target(rc).ifPresent(target -> {
            Duration wait = Duration.ofMillis(RequestBody.of(rc).integer("waitMillis", 0));
            if (wait.isNegative() || wait.compareTo(maxWait) > 0) {
                throw new InvalidArgumentException("waitMillis must be 0 to the service's limit of "
                        + maxWait.toMillis() + ": " + wait.toMillis());
            }
            Lease lease = target.lease();
            leases.beginAcquire(lease, maxPendingPerSession); // a remote wait counts like a local one
            io.vertx.core.Context http = Vertx.currentContext();
            boolean[] ended = {false}; // HTTP loop only: the pending count ends once, answered or given up
            Runnable giveUp = target.fleetNode().acquireRemote(target.node(), target.recorder(), lease.id(),
                    lease.clientName(), wait, (grant, error) -> http.runOnContext(v -> {
                        if (!ended[0]) {
                            ended[0] = true;
                            leases.endAcquire(lease);
                        }
                        if (grant != null && rc.response().closed()) {
                            // the client hung up as the grant came: given back, as a local acquire's would be
                            target.fleetNode().releaseRemote(target.node(), target.recorder(), lease.id())
                                    .subscribe(count -> { }, e -> { });
                        } else if (error != null) {
                            Replies.problem(rc, error);
                        } else {
                            Replies.json(rc, 200, new JsonObject().put("recorder", target.qualified())
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
        });
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
        Lease lease = leases.authorize(RequestBody.of(rc).requiredString("sessionId"),
                rc.request().getHeader(SessionEndpoints.TOKEN_HEADER));
        return Optional.of(new Target(fleetNode.get(), node, id, lease));
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
