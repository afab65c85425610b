package io.discagent.service.fleet;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What one member knows of the fleet at one moment: every node and every recorder, each with its node and whether
 * that node is reachable now. A recorder of an unreachable node shows its last known state.
 *
 * @param fleet the fleet's name
 * @param self the node that answered
 * @param nodes every node, the answering one first
 * @param recorders every recorder of every node
 */
public record FleetView(String fleet, String self, List<Node> nodes, List<Recorder> recorders) {

    public FleetView {
        nodes = List.copyOf(nodes);
        recorders = List.copyOf(recorders);
    }

    /**
     * A node of the fleet.
     *
     * @param name its name ({@code --node})
     * @param self whether it is the node that answered
     * @param reachable whether it is a member now and published within the stale limit
     * @param silentMillis how long ago its last snapshot arrived (0 for the answering node)
     * @param recorders how many recorders it has (as last published)
     */
    public record Node(String name, boolean self, boolean reachable, long silentMillis, int recorders) {
    }

    /**
     * A recorder of a node.
     *
     * @param node its node
     * @param reachable whether its node is reachable
     * @param recorder the recorder as its node published it: the service's recorder JSON (id, names, lock state)
     *     and its medium ({@code null} when unread)
     */
    public record Recorder(String node, boolean reachable, JsonObject recorder) {

        /** The fleet-wide name: {@code node/id}. */
        public String qualifiedId() {
            return node + "/" + recorder.getString("id");
        }
    }

    /** The JSON of {@code GET /api/v1/fleet/recorders}. */
    public JsonObject toJson() {
        JsonArray nodeList = new JsonArray();
        for (Node n : nodes) {
            nodeList.add(new JsonObject().put("node", n.name()).put("self", n.self()).put("reachable", n.reachable())
                    .put("silentMillis", n.silentMillis()).put("recorders", n.recorders()));
        }
        JsonArray recorderList = new JsonArray();
        for (Recorder r : recorders) {
            recorderList.add(r.recorder().copy().put("id", r.qualifiedId()).put("recorder", r.recorder()
                    .getString("id")).put("node", r.node()).put("reachable", r.reachable()));
        }
        return new JsonObject().put("fleet", fleet).put("node", self).put("nodes", nodeList)
                .put("recorders", recorderList);
    }
}
