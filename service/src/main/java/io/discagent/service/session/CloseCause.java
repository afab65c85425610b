package io.discagent.service.session;

/** Why a session was closed; later calls with the session read the reason in their {@code 410} problem. */
public enum CloseCause {
    /** Its client deleted it. */
    CLIENT("closed by its client"),
    /** An admin deleted it. */
    ADMIN("closed by an admin"),
    /** It missed its heartbeats for its TTL. */
    EXPIRED("its lease expired without a heartbeat"),
    /** The WebSocket it was bound to closed. */
    WEBSOCKET("its WebSocket closed"),
    /** The service stopped. */
    SHUTDOWN("the service is stopping");

    private final String reason;

    CloseCause(String reason) {
        this.reason = reason;
    }

    /** The reason, as a sentence fragment. */
    public String reason() {
        return reason;
    }

    /** The metric tag. */
    public String tag() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
