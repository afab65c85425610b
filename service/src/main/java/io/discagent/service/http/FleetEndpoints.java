package io.discagent.service.http;

import io.discagent.service.fleet.FleetMembership;
import io.discagent.service.fleet.FleetNode;
import io.discagent.service.fleet.FleetView;
import io.discagent.service.problem.ProblemKind;
import io.discagent.service.problem.ServiceProblem;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Optional;

/**
 * {@code /api/v1/fleet/recorders}: every recorder of every node of the fleet this service is in ({@code serve
 * --cluster}), with its node and reachability. Answered from what this node knows (docs/fleet.md).
 */
final class FleetEndpoints {

    private final FleetMembership fleet;

    FleetEndpoints(FleetMembership fleet) {
        this.fleet = fleet;
    }

    List<Endpoint> endpoints() {
        return List.of(Endpoint.of(HttpMethod.GET, "/api/v1/fleet/recorders", "listFleetRecorders", "fleet",
                        "Every recorder of every node of the fleet, named node/id, with its node's reachability")
                .ok(200, "The fleet's nodes and recorders", "FleetView").problems(404, 503)
                .handler(this::list));
    }

    private void list(RoutingContext rc) {
        Optional<FleetNode> node = fleet.node();
        if (node.isEmpty()) {
            Replies.problem(rc, fleet.configured()
                    ? ServiceProblem.of(ProblemKind.FLEET_NOT_JOINED, String.valueOf(fleet.problem()))
                    : ServiceProblem.of(ProblemKind.NO_FLEET, "this service is not in a fleet: start it with "
                            + "--cluster NAME --cluster-secret-file FILE"));
            return;
        }
        Replies.respond(rc, node.get().view(), FleetView::toJson);
    }
}
