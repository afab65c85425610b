package io.discagent.service.session;

import io.discagent.api.ClientNames;
import io.discagent.api.RecorderAgent;
import io.discagent.api.error.SessionClosedException;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.error.PendingAcquireLimitException;
import io.discagent.service.problem.ProblemKind;
import io.discagent.service.problem.ServiceProblem;
import io.vertx.core.Context;
import io.discagent.service.ContextHop;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import reactor.core.scheduler.Scheduler;

/**
 * The open sessions of the service, their secret tokens and their leases.
 *
 * <h2>Threads</h2>
 * Everything here runs on one Vert.x context, the HTTP event loop given at construction: handlers call it there,
 * lease timers (on the injected Reactor {@link Scheduler}, so tests can use virtual time) hop back to it, and results
 * of the agent are handed back to it before they touch a lease.
 *
 * <h2>Leases</h2>
 * A session lives while its client sends heartbeats at least once per TTL, or while the WebSocket it is bound to
 * stays open. When the lease runs out, the socket closes or the client deletes it, the agent session is closed,
 * which releases every lock it holds and fails its pending requests. A closed session is remembered (a bounded
 * number of them) so that later calls with it get {@code 410 session closed} instead of {@code 404}.
 */
public final class LeaseRegistry {

    private static final System.Logger LOG = System.getLogger(LeaseRegistry.class.getName());
    private static final int REMEMBERED_CLOSED = 4096;

    /** What the registry reports, for metrics. */
    public interface Listener {
        void opened(Lease lease);

        void closed(Lease lease, CloseCause cause);
    }

    private final RecorderAgent agent;
    private final Context context;
    private final Scheduler time;
    private final int maxSessions;
    private final Duration defaultTtl;
    private final Duration minTtl;
    private final Duration maxTtl;
    private final Listener listener;
    private final Thread owner;

    private final Map<String, Lease> open = new LinkedHashMap<>();
    private final Map<String, Closed> closed = new LinkedHashMap<>(16, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Closed> eldest) {
            return size() > REMEMBERED_CLOSED;
        }
    };
    private int opening;

    private record Closed(String token, String clientName, CloseCause cause) {
    }

    /**
     * @param agent the agent
     * @param context the context that owns the registry
     * @param time the scheduler of lease timers
     * @param maxSessions how many sessions may be open
     * @param defaultTtl the lease of a session that asks for none
     * @param minTtl the shortest lease a client may ask for
     * @param maxTtl the longest lease a client may ask for
     * @param listener told of openings and closings
     * @throws IllegalStateException when not called on {@code context}'s event-loop thread, which then owns it
     */
    public LeaseRegistry(RecorderAgent agent, Context context, Scheduler time, int maxSessions, Duration defaultTtl,
            Duration minTtl, Duration maxTtl, Listener listener) {
        this.agent = agent;
        this.context = context;
        this.time = time;
        this.maxSessions = maxSessions;
        this.defaultTtl = defaultTtl;
        this.minTtl = minTtl;
        this.maxTtl = maxTtl;
        this.listener = listener;
        this.owner = Thread.currentThread();
        if (Vertx.currentContext() == null || !context.isEventLoopContext()) {
            throw new IllegalStateException("create the lease registry on its event-loop context");
        }
    }

    /**
     * Opens a session.
     *
     * @param clientName the client name (checked with the IMAPI2 rule before anything else)
     * @param ttl the lease asked for, or {@code null} for the default
     * @return the lease, completed on the registry's context
     */
    public Future<Lease> open(String clientName, @Nullable Duration ttl) {
        checkContext();
        ClientNames.requireValid(clientName);
        Duration lease = ttl == null ? defaultTtl : ttl;
        if (lease.compareTo(minTtl) < 0 || lease.compareTo(maxTtl) > 0) {
            throw new InvalidArgumentException("ttlMillis must be between " + minTtl.toMillis() + " and " + maxTtl.toMillis());
        }
        if (open.size() + opening >= maxSessions) {
            throw ServiceProblem.tooManySessions(maxSessions);
        }
        opening++;
        Promise<Lease> promise = Promise.promise();
        ContextHop.subscribe(context, agent.openSession(clientName), (session, error) -> {
            opening--;
            if (error != null || session == null) {
                promise.fail(error);
                return;
            }
            Lease created = new Lease(newId(), Secrets.newToken(), session, lease);
            open.put(created.id, created);
            scheduleExpiry(created);
            listener.opened(created);
            promise.complete(created);
        });
        return promise.future();
    }

    /** A random session id that no session of this registry has had (a collision of 128 bits is only theory). */
    private String newId() {
        String id = Secrets.newSessionId();
        while (open.containsKey(id) || closed.containsKey(id)) {
            id = Secrets.newSessionId();
        }
        return id;
    }

    /**
     * The open session {@code sessionId}, if {@code token} is its token.
     *
     * @throws ServiceProblem 401 without a token, 403 with another session's token, 404 for an unknown session
     * @throws SessionClosedException (410) for a session that was closed
     */
    public Lease authorize(@Nullable String sessionId, @Nullable String token) {
        checkContext();
        if (sessionId == null || sessionId.isEmpty()) {
            throw new InvalidArgumentException("sessionId is required");
        }
        if (token == null || token.isEmpty()) {
            throw ServiceProblem.of(ProblemKind.UNAUTHORIZED, "session calls need the session's token in the X-Session-Token header");
        }
        Lease lease = open.get(sessionId);
        if (lease != null) {
            if (!Secrets.matches(lease.token, token)) {
                throw ServiceProblem.of(ProblemKind.FORBIDDEN, "the token is not the token of session " + sessionId);
            }
            return lease;
        }
        Closed gone = closed.get(sessionId);
        if (gone != null) {
            if (!Secrets.matches(gone.token, token)) {
                throw ServiceProblem.of(ProblemKind.FORBIDDEN, "the token is not the token of session " + sessionId);
            }
            throw new SessionClosedException("session " + sessionId + " ('" + gone.clientName + "') was closed: "
                    + gone.cause.reason(), null);
        }
        throw ServiceProblem.unknownSession(sessionId);
    }

    /** The open session {@code sessionId}, for an admin (no session token). */
    public Lease require(String sessionId) {
        checkContext();
        Lease lease = open.get(sessionId);
        if (lease != null) {
            return lease;
        }
        Closed gone = closed.get(sessionId);
        if (gone != null) {
            throw new SessionClosedException("session " + sessionId + " was closed: " + gone.cause.reason(), null);
        }
        throw ServiceProblem.unknownSession(sessionId);
    }

    /** The open session that is the agent's session {@code agentSession}, if any (its API id differs). */
    public java.util.Optional<Lease> find(io.discagent.api.SessionId agentSession) {
        checkContext();
        return open.values().stream().filter(lease -> lease.session().id().equals(agentSession)).findFirst();
    }

    /** Extends the lease by its TTL from now. */
    public void heartbeat(Lease lease) {
        checkContext();
        if (!lease.closed && lease.scope == Lease.Scope.LEASE) {
            scheduleExpiry(lease);
        }
    }

    /** One more acquire in progress for {@code lease}; fails with 429 beyond {@code limit}. */
    public void beginAcquire(Lease lease, int limit) {
        checkContext();
        if (lease.pendingAcquires >= limit) {
            throw new PendingAcquireLimitException("this session already has " + limit
                    + " acquire requests in progress (the limit)", null);
        }
        lease.pendingAcquires++;
    }

    /** One acquire of {@code lease} finished. */
    public void endAcquire(Lease lease) {
        checkContext();
        lease.pendingAcquires--;
    }

    /**
     * Binds the session to a WebSocket: from now on it lives as long as the socket, without heartbeats; call
     * {@link #socketClosed} when the socket closes.
     */
    public void bindToSocket(Lease lease) {
        checkContext();
        if (lease.closed) {
            throw new SessionClosedException("session " + lease.id + " is closed", null);
        }
        lease.scope = Lease.Scope.WEBSOCKET;
        if (lease.expiry != null) {
            lease.expiry.dispose();
            lease.expiry = null;
        }
    }

    /** The WebSocket of a bound session closed: the session closes. */
    public Future<Void> socketClosed(Lease lease) {
        return close(lease, CloseCause.WEBSOCKET);
    }

    /**
     * Closes the session: the agent releases everything it holds and fails what it waits for.
     *
     * @param cause why, as later calls with the session will read it
     */
    public Future<Void> close(Lease lease, CloseCause cause) {
        checkContext();
        if (lease.closed) {
            return Future.succeededFuture();
        }
        lease.closed = true;
        if (lease.expiry != null) {
            lease.expiry.dispose();
        }
        open.remove(lease.id);
        closed.put(lease.id, new Closed(lease.token, lease.clientName(), cause));
        listener.closed(lease, cause);
        Promise<Void> promise = Promise.promise();
        ContextHop.subscribe(context, lease.session.close(), (v, error) -> {
            if (error != null) {
                LOG.log(Level.WARNING, "closing session " + lease.id + " failed", error);
            }
            promise.complete();
        });
        return promise.future();
    }

    /** Closes every session (shutdown). */
    public Future<Void> closeAll(CloseCause cause) {
        checkContext();
        List<Future<Void>> closing = new ArrayList<>();
        for (Lease lease : new ArrayList<>(open.values())) {
            closing.add(close(lease, cause));
        }
        return Future.all(closing).mapEmpty();
    }

    /** The scheduler clock now, in nanoseconds. */
    public long nowNanos() {
        return time.now(TimeUnit.NANOSECONDS);
    }

    private void scheduleExpiry(Lease lease) {
        if (lease.expiry != null) {
            lease.expiry.dispose();
        }
        long ttl = lease.ttl.toNanos();
        lease.expiresAtNanos = nowNanos() + ttl;
        lease.expiry = time.schedule(() -> context.runOnContext(v -> expireIfDue(lease)), ttl, TimeUnit.NANOSECONDS);
    }

    private void expireIfDue(Lease lease) {
        if (lease.closed || lease.scope != Lease.Scope.LEASE || nowNanos() < lease.expiresAtNanos) {
            return;
        }
        LOG.log(Level.INFO, "session " + lease.id + " ('" + lease.clientName() + "') missed its heartbeats for "
                + lease.ttl.toMillis() + " ms; closing it and releasing its locks");
        close(lease, CloseCause.EXPIRED);
    }

    private void checkContext() {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("the lease registry is used from " + Thread.currentThread().getName()
                    + " instead of its context");
        }
    }
}
