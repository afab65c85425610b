package io.discagent.service.fleet;

import io.discagent.api.DiscState;
import io.discagent.api.LockState;
import io.discagent.api.MediaInfo;
import io.discagent.api.MediaProfile;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
import io.discagent.api.SessionId;
import io.discagent.api.TrayState;
import io.discagent.api.error.RecorderRemovedException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The fleet's recorders in the API's terms ({@link FleetAgent}): ids qualified by node ({@code node/id}), and the
 * recorder, lock state and medium a node published (the service's JSON, {@link io.discagent.service.events.EventJson})
 * read back into {@link RecorderInfo}, {@link LockState} and {@link MediaInfo}.
 */
final class FleetRecorders {

    /** The separator of a qualified id: node names cannot contain it ({@link FleetConfig}). */
    static final char SEPARATOR = '/';

    private FleetRecorders() {
    }

    /** A recorder of the fleet: its node, and its id on that node. */
    record Qualified(String node, RecorderId local) {

        RecorderId id() {
            return qualify(node, local.value());
        }
    }

    static RecorderId qualify(String node, String id) {
        return RecorderId.of(node + SEPARATOR + id);
    }

    /**
     * The node and local id of a qualified id; {@link RecorderRemovedException} ({@code 0x80070037}) for an id that
     * names no node ({@code sim-0} instead of {@code node-a/sim-0}).
     */
    static Qualified parse(RecorderId id) {
        String value = id.value();
        int at = value.indexOf(SEPARATOR);
        if (at <= 0 || at == value.length() - 1) {
            throw new RecorderRemovedException("a fleet recorder id names its node: node/recorder, not '" + value
                    + "'", id);
        }
        return new Qualified(value.substring(0, at), RecorderId.of(value.substring(at + 1)));
    }

    /** A recorder of {@code view}, by qualified id; null when the fleet does not list it. */
    static FleetView.@Nullable Recorder find(FleetView view, Qualified recorder) {
        for (FleetView.Recorder r : view.recorders()) {
            if (r.node().equals(recorder.node()) && recorder.local().value().equals(r.recorder().getString("id"))) {
                return r;
            }
        }
        return null;
    }

    /** The recorder of a node's snapshot, with its qualified id. */
    static RecorderInfo info(String node, JsonObject recorder) {
        List<String> paths = new ArrayList<>();
        JsonArray listed = recorder.getJsonArray("paths", new JsonArray());
        for (Object path : listed) {
            paths.add(String.valueOf(path));
        }
        return new RecorderInfo(qualify(node, recorder.getString("id")), recorder.getString("vendor", ""),
                recorder.getString("product", ""), recorder.getString("revision", ""),
                recorder.getString("backend", ""), paths, lock(node, recorder.getJsonObject("lock")));
    }

    /**
     * A lock state as its node published it. A session holding a recorder of another node has no id this node knows:
     * its {@link LockState#session()} is named {@code node/owner}, the node and the holder's client name.
     */
    static LockState lock(String node, @Nullable JsonObject lock) {
        if (lock == null) {
            return LockState.FREE;
        }
        String owner = lock.getString("owner");
        return switch (lock.getString("state", "free")) {
            case "held" -> LockState.held(owner, new SessionId(node + SEPARATOR + owner),
                    Math.max(1, lock.getInteger("count", 1)));
            case "external" -> LockState.external(owner == null || owner.isEmpty() ? "unknown" : owner);
            default -> LockState.FREE;
        };
    }

    /** The medium a node published; null when it was not read. */
    static @Nullable MediaInfo media(@Nullable JsonObject media) {
        if (media == null) {
            return null;
        }
        List<MediaProfile> writes = new ArrayList<>();
        for (Object profile : media.getJsonArray("writeProfiles", new JsonArray())) {
            writes.add(profileOf(String.valueOf(profile)));
        }
        return new MediaInfo(TrayState.valueOf(media.getString("tray", "UNKNOWN")),
                profileOf(media.getString("profile", "unknown")), DiscState.valueOf(media.getString("disc", "UNKNOWN")),
                media.getBoolean("writable", false), media.getLong("capacityBytes", 0L),
                media.getLong("freeBytes", 0L), writes, "as its node last published it");
    }

    private static MediaProfile profileOf(String name) {
        try {
            return MediaProfile.parse(name);
        } catch (RuntimeException unknown) {
            return MediaProfile.UNKNOWN; // a newer node may know profiles this one does not
        }
    }
}
