package io.discagent.service.fleet;

import io.discagent.api.LockState;
import io.discagent.api.MediaInfo;
import io.discagent.api.MediaProfile;
import io.discagent.api.RecorderId;
import io.discagent.api.TrayState;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.MediaChangedEvent;
import io.discagent.api.event.RecorderArrivedEvent;
import io.discagent.api.event.RecorderEvent;
import io.discagent.api.event.RecorderRemovedEvent;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One subscriber's translation of the fleet's event stream ({@link FleetNode#events()}) into the API's events
 * ({@link FleetAgent#events()}): it remembers each recorder's last lock state, to say where a transition comes from,
 * and the recorders of unreachable nodes, to bring them back when their node returns.
 *
 * <p>Fleet event loop only (one subscriber's events arrive one at a time there).
 */
final class FleetEvents {

    /** The recorders shown, by qualified id: their last JSON as their node published it. */
    private final Map<RecorderId, JsonObject> shown = new LinkedHashMap<>();
    /** The recorders of unreachable nodes, by node. */
    private final Map<String, Map<RecorderId, JsonObject>> hidden = new HashMap<>();

    List<RecorderEvent> translate(JsonObject event) {
        String type = event.getString("type", "");
        String node = event.getString("node", "");
        long sequence = event.getLong("sequence", 0L);
        Instant at = Instant.now();
        List<RecorderEvent> out = new ArrayList<>();
        switch (type) {
            case "snapshot" -> {
                for (Object item : event.getJsonObject("view").getJsonArray("recorders")) {
                    JsonObject r = (JsonObject) item;
                    String owner = r.getString("node");
                    JsonObject own = r.copy().put("id", r.getString("recorder"));
                    RecorderId id = FleetRecorders.qualify(owner, own.getString("id"));
                    if (r.getBoolean("reachable", false)) {
                        shown.put(id, own);
                        LockState state = lock(owner, own);
                        out.add(new LockTransition(0, at, id, state, state, LockTransition.Cause.SNAPSHOT));
                    } else {
                        hidden.computeIfAbsent(owner, k -> new LinkedHashMap<>()).put(id, own);
                    }
                }
            }
            case "arrived" -> {
                JsonObject r = event.getJsonObject("recorder");
                RecorderId id = FleetRecorders.qualify(node, r.getString("id"));
                shown.put(id, r);
                out.add(new RecorderArrivedEvent(sequence, at, id, FleetRecorders.info(node, r)));
            }
            case "lock" -> {
                JsonObject r = event.getJsonObject("recorder");
                RecorderId id = FleetRecorders.qualify(node, r.getString("id"));
                JsonObject before = shown.put(id, r);
                LockState from = before == null ? LockState.FREE : lock(node, before);
                LockState to = lock(node, r);
                if (!from.equals(to)) {
                    out.add(new LockTransition(sequence, at, id, from, to, cause(from, to)));
                }
            }
            case "media" -> {
                JsonObject r = event.getJsonObject("recorder");
                RecorderId id = FleetRecorders.qualify(node, r.getString("id"));
                shown.put(id, r);
                MediaInfo media = FleetRecorders.media(r.getJsonObject("media"));
                out.add(new MediaChangedEvent(sequence, at, id, state(media), media));
            }
            case "removed" -> {
                JsonObject r = event.getJsonObject("recorder");
                RecorderId id = FleetRecorders.qualify(node, r.getString("id"));
                JsonObject last = shown.remove(id);
                out.add(new RecorderRemovedEvent(sequence, at, id, last == null ? null : owner(node, last), 0));
            }
            case "unreachable" -> {
                Map<RecorderId, JsonObject> gone = hidden.computeIfAbsent(node, k -> new LinkedHashMap<>());
                shown.entrySet().removeIf(entry -> {
                    if (FleetRecorders.parse(entry.getKey()).node().equals(node)) {
                        gone.put(entry.getKey(), entry.getValue());
                        out.add(new RecorderRemovedEvent(sequence, at, entry.getKey(), owner(node, entry.getValue()),
                                0));
                        return true;
                    }
                    return false;
                });
            }
            case "reachable" -> {
                Map<RecorderId, JsonObject> back = hidden.remove(node);
                if (back != null) {
                    back.forEach((id, r) -> {
                        shown.put(id, r);
                        out.add(new RecorderArrivedEvent(sequence, at, id, FleetRecorders.info(node, r)));
                    });
                }
            }
            default -> {
                // a kind of event a newer node may add: nothing in the API's terms
            }
        }
        return out;
    }

    private static LockState lock(String node, JsonObject recorder) {
        return FleetRecorders.lock(node, recorder.getJsonObject("lock"));
    }

    private static @Nullable String owner(String node, JsonObject recorder) {
        return lock(node, recorder).owner();
    }

    /** The cause of a change, read from the states (the fleet does not carry the owning node's causes). */
    private static LockTransition.Cause cause(LockState from, LockState to) {
        if (to.isExternal()) {
            return LockTransition.Cause.EXTERNAL_ACQUIRED;
        }
        if (from.isExternal()) {
            return to.isFree() ? LockTransition.Cause.EXTERNAL_RELEASED : LockTransition.Cause.ACQUIRED;
        }
        if (to.isFree()) {
            return LockTransition.Cause.RELEASED;
        }
        return from.isFree() || !java.util.Objects.equals(from.owner(), to.owner()) || to.count() > from.count()
                ? LockTransition.Cause.ACQUIRED : LockTransition.Cause.RELEASED;
    }

    private static MediaChangedEvent.MediaState state(@Nullable MediaInfo media) {
        if (media == null) {
            return MediaChangedEvent.MediaState.UNKNOWN;
        }
        if (media.profile() != MediaProfile.NONE && media.profile() != MediaProfile.UNKNOWN) {
            return MediaChangedEvent.MediaState.MEDIA_PRESENT;
        }
        if (media.tray() == TrayState.OPEN) {
            return MediaChangedEvent.MediaState.TRAY_OPEN;
        }
        return media.profile() == MediaProfile.NONE ? MediaChangedEvent.MediaState.NO_MEDIA
                : MediaChangedEvent.MediaState.UNKNOWN;
    }
}
