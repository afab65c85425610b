package io.discagent.service.session;

import io.discagent.api.ClientSession;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;

/**
 * One client's session as the service sees it: the agent session, its secret token and its lease. Every field is
 * owned by the {@link LeaseRegistry}'s context (the HTTP event loop); read it only there.
 */
public final class Lease {

    /** How the session stays alive. */
    public enum Scope {
        /** By heartbeats: it closes when it misses them for its TTL. */
        LEASE,
        /** By a WebSocket: it closes when the socket closes. */
        WEBSOCKET
    }

    final String id;
    final String token;
    final ClientSession session;
    Duration ttl;
    long expiresAtNanos;
    @Nullable Disposable expiry;
    Scope scope = Scope.LEASE;
    int pendingAcquires;
    boolean closed;

    Lease(String id, String token, ClientSession session, Duration ttl) {
        this.id = id;
        this.token = token;
        this.session = session;
        this.ttl = ttl;
    }

    /**
     * The session id, as the API shows it: random ({@link Secrets#newSessionId()}), not the agent's own
     * {@link ClientSession#id()}, which counts sessions and never leaves the service.
     */
    public String id() {
        return id;
    }

    /** The secret token: returned once, to the client that opened the session. */
    public String token() {
        return token;
    }

    /** The agent session. */
    public ClientSession session() {
        return session;
    }

    /** The client name. */
    public String clientName() {
        return session.clientName();
    }

    /** The lease length. */
    public Duration ttl() {
        return ttl;
    }

    /** When the lease ends, on the service scheduler's clock (nanoseconds); meaningless for a WebSocket scope. */
    public long expiresAtNanos() {
        return expiresAtNanos;
    }

    /** How the session stays alive. */
    public Scope scope() {
        return scope;
    }

    /** How many acquire requests of this session are in progress. */
    public int pendingAcquires() {
        return pendingAcquires;
    }

    /** Whether the session was closed. */
    public boolean isClosed() {
        return closed;
    }
}
