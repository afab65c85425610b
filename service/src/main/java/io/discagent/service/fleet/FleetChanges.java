package io.discagent.service.fleet;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import reactor.core.publisher.FluxSink;

/**
 * The fleet's event stream ({@link FleetNode#events()}): what changed between two snapshots of a node, as events that
 * name the node and carry that node's snapshot sequence, fanned out to every watcher. Each node's events come in that
 * node's order; there is no order across nodes.
 *
 * <p>Fleet event loop only.
 */
final class FleetChanges {

    private final List<FluxSink<JsonObject>> watchers = new ArrayList<>();

    /** Starts {@code watcher} on the changes after a snapshot of the view ({@code {"type":"snapshot"}}). */
    void watch(FluxSink<JsonObject> watcher, FleetView now) {
        watcher.next(new JsonObject().put("type", "snapshot").put("view", now.toJson()));
        watchers.add(watcher);
    }

    void unwatch(FluxSink<JsonObject> watcher) {
        watchers.remove(watcher);
    }

    /** Ends every watcher with {@code why} (the node leaves the fleet). */
    void end(Throwable why) {
        List<FluxSink<JsonObject>> ended = List.copyOf(watchers);
        watchers.clear();
        ended.forEach(watcher -> watcher.error(why));
    }

    /** Emits what changed on {@code node} from its snapshot {@code before} to {@code after} (sequence {@code seq}). */
    void snapshot(String node, String incarnation, long seq, JsonArray before, JsonArray after) {
        if (watchers.isEmpty()) {
            return;
        }
        Map<String, JsonObject> old = byId(before);
        Map<String, JsonObject> now = byId(after);
        for (Map.Entry<String, JsonObject> entry : now.entrySet()) {
            JsonObject was = old.get(entry.getKey());
            JsonObject is = entry.getValue();
            if (was == null) {
                emit(event("arrived", node, incarnation, seq).put("recorder", is));
            } else {
                if (!Objects.equals(was.getValue("lock"), is.getValue("lock"))) {
                    emit(event("lock", node, incarnation, seq).put("recorder", is));
                }
                if (!Objects.equals(was.getValue("media"), is.getValue("media"))) {
                    emit(event("media", node, incarnation, seq).put("recorder", is));
                }
            }
        }
        for (Map.Entry<String, JsonObject> entry : old.entrySet()) {
            if (!now.containsKey(entry.getKey())) {
                emit(event("removed", node, incarnation, seq).put("recorder", entry.getValue()));
            }
        }
    }

    /** Emits that {@code node} became reachable or unreachable (its last sequence seen, and why). */
    void reachability(String node, String incarnation, long seq, boolean reachable, String why) {
        emit(event(reachable ? "reachable" : "unreachable", node, incarnation, seq).put("reason", why));
    }

    private static JsonObject event(String type, String node, String incarnation, long seq) {
        return new JsonObject().put("type", type).put("node", node).put("incarnation", incarnation)
                .put("sequence", seq);
    }

    private void emit(JsonObject event) {
        for (FluxSink<JsonObject> watcher : List.copyOf(watchers)) {
            watcher.next(event);
        }
    }

    private static Map<String, JsonObject> byId(JsonArray recorders) {
        Map<String, JsonObject> byId = new LinkedHashMap<>();
        for (Object item : recorders) {
            JsonObject recorder = (JsonObject) item;
            byId.put(recorder.getString("id"), recorder);
        }
        return byId;
    }
}
