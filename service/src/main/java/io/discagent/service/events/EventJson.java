package io.discagent.service.events;

import io.discagent.api.LockState;
import io.discagent.api.RecorderInfo;
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
        } else if (event instanceof MediaChangedEvent media) {
            json.put("media", media.state().name());
        } else if (event instanceof TrayUnlockedEvent u) {
            json.put("culprit", u.culprit()).put("trayOpened", u.trayOpened()).put("relocked", u.relocked());
        } else if (event instanceof EjectRequestedEvent eject) {
            json.put("holder", eject.holder());
        } else if (event instanceof AcquireTimedOutEvent a) {
            json.put("clientName", a.clientName()).put("waitedMillis", a.waited().toMillis()).put("owner", a.owner());
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
}
