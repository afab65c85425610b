package io.discagent.service.events;

import io.discagent.api.LockState;
import io.discagent.api.MediaInfo;
import io.discagent.api.MediaProfile;
import io.discagent.api.RecorderInfo;
import io.discagent.api.burn.BurnProgress;
import io.discagent.api.burn.BurnResult;
import io.discagent.api.event.BurnEvent;
import io.discagent.api.event.AcquireTimedOutEvent;
import io.discagent.api.event.CommandTimedOutEvent;
import io.discagent.api.event.EjectRequestedEvent;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.MediaChangedEvent;
import io.discagent.api.event.RecorderArrivedEvent;
import io.discagent.api.event.RecorderEvent;
import io.discagent.api.event.RecorderRemovedEvent;
import io.discagent.api.event.TrayUnlockedEvent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;

/**
 * The JSON form of the agent's values, shared by the HTTP API, the event streams and the status page. Session ids
 * of other clients are never included: a lock state names its owner by client name only.
 */
public final class EventJson {

    private EventJson() {
    }

    /** The name of an event's type, used as the SSE {@code event:} field and as {@code "type"} in JSON. */
    public static String typeOf(RecorderEvent event) {
        if (event instanceof LockTransition) {
            return "lock-transition";
        }
        if (event instanceof RecorderArrivedEvent) {
            return "recorder-arrived";
        }
        if (event instanceof RecorderRemovedEvent) {
            return "recorder-removed";
        }
        if (event instanceof MediaChangedEvent) {
            return "media-changed";
        }
        if (event instanceof TrayUnlockedEvent) {
            return "tray-unlocked";
        }
        if (event instanceof EjectRequestedEvent) {
            return "eject-requested";
        }
        if (event instanceof AcquireTimedOutEvent) {
            return "acquire-timed-out";
        }
        if (event instanceof BurnEvent) {
            return "burn";
        }
        return "command-timed-out";
    }

    /** An event as JSON: {@code sequence}, {@code at}, {@code type}, {@code recorder} and the type's fields. */
    public static JsonObject event(RecorderEvent event) {
        JsonObject json = new JsonObject()
                .put("sequence", event.sequence())
                .put("at", event.at().toString())
                .put("type", typeOf(event))
                .put("recorder", event.recorder().value());
        if (event instanceof LockTransition t) {
            json.put("cause", t.cause().name()).put("from", lock(t.from())).put("to", lock(t.to()));
        } else if (event instanceof RecorderArrivedEvent arrived) {
            json.put("info", recorder(arrived.info()));
        } else if (event instanceof RecorderRemovedEvent r) {
            json.put("lastOwner", r.lastOwner()).put("failedWaiters", r.failedWaiters());
        } else if (event instanceof MediaChangedEvent m) {
            json.put("media", m.state().name());
            if (m.media() != null) {
                json.put("medium", media(m.media()));
            }
        } else if (event instanceof TrayUnlockedEvent u) {
            json.put("culprit", u.culprit()).put("trayOpened", u.trayOpened()).put("relocked", u.relocked());
        } else if (event instanceof EjectRequestedEvent eject) {
            json.put("holder", eject.holder());
        } else if (event instanceof AcquireTimedOutEvent a) {
            json.put("clientName", a.clientName()).put("waitedMillis", a.waited().toMillis()).put("owner", a.owner());
        } else if (event instanceof BurnEvent b) {
            json.put("clientName", b.client()).put("image", b.image()).put("outcome", b.outcome().name())
                    .put("progress", progress(b.progress()));
            if (b.error() != null) {
                json.put("error", new JsonObject().put("hresult", b.error().hex())
                        .put("hresultName", b.error().name()).put("detail", b.errorMessage()));
            }
        } else if (event instanceof CommandTimedOutEvent c) {
            json.put("command", c.command()).put("timeoutMillis", c.timeout().toMillis());
        }
        return json;
    }

    /**
     * A lock state: {@code state} ({@code free}, {@code held} by a session, or {@code external}: held by a process
     * outside the agent), {@code owner} (the session's client name, or the outside holder's name) and {@code count}
     * (the session's lock count; 0 unless held).
     */
    public static JsonObject lock(LockState state) {
        return new JsonObject()
                .put("state", stateName(state.status()))
                .put("owner", state.owner())
                .put("count", state.count());
    }

    /** The JSON name of a lock status: its name in lower case ({@code free}, {@code held}, {@code external}). */
    public static String stateName(LockState.Status status) {
        return status.name().toLowerCase(Locale.ROOT);
    }

    /** A recorder: id, names, backend, paths and lock state. */
    public static JsonObject recorder(RecorderInfo info) {
        return new JsonObject()
                .put("id", info.id().value())
                .put("displayName", (info.vendor() + " " + info.product() + " " + info.revision()).trim())
                .put("vendor", info.vendor())
                .put("product", info.product())
                .put("revision", info.revision())
                .put("backend", info.backend())
                .put("paths", new JsonArray(info.paths()))
                .put("lock", lock(info.lockState()));
    }

    /** A medium: profile, disc state, writable, capacities, tray and what the drive can write. */
    public static JsonObject media(MediaInfo media) {
        JsonArray writes = new JsonArray();
        for (MediaProfile profile : media.writeProfiles()) {
            writes.add(profile.displayName());
        }
        return new JsonObject()
                .put("profile", media.profile().displayName())
                .put("disc", media.disc().name())
                .put("writable", media.writable())
                .put("capacityBytes", media.capacityBytes())
                .put("freeBytes", media.freeBytes())
                .put("tray", media.tray().name())
                .put("writeProfiles", writes)
                .put("description", media.describe());
    }

    /** A burn's progress: phase, bytes, speed, buffer, times, and the result once it completed. */
    public static JsonObject progress(BurnProgress p) {
        JsonObject json = new JsonObject()
                .put("burnId", p.burnId())
                .put("phase", p.phase().name())
                .put("bytesDone", p.bytesDone())
                .put("totalBytes", p.totalBytes())
                .put("percent", Math.round(p.percent() * 10) / 10.0)
                .put("bytesPerSecond", p.bytesPerSecond())
                .put("bufferPercent", p.bufferPercent())
                .put("elapsedMillis", p.elapsed().toMillis())
                .put("remainingMillis", p.remaining() == null ? null : p.remaining().toMillis());
        BurnResult r = p.result();
        if (r != null) {
            json.put("result", new JsonObject()
                    .put("bytesWritten", r.bytesWritten())
                    .put("durationMillis", r.duration().toMillis())
                    .put("sha256", r.sha256())
                    .put("verified", r.verified())
                    .put("closed", r.closed())
                    .put("simulated", r.simulated())
                    .put("profile", r.profile().displayName()));
        }
        return json;
    }
}
