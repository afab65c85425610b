package io.discagent.service.fleet;

import io.discagent.agent.DiscAgent;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientNames;
import io.discagent.api.ClientSession;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderSelector;
import io.discagent.api.error.HResult;
import io.discagent.api.error.LockNotHeldException;
import io.discagent.api.error.RecorderException;
import io.discagent.service.ContextHop;
import io.vertx.core.Context;
import io.vertx.core.json.JsonObject;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * The owning side of remote holds: sessions of this node's agent opened for clients of other nodes. Each is a lease
 * that its client's node renews ({@code renew}); one not renewed within its TTL is closed, which releases its locks
 * and fails its waiters, exactly as a local lease that expires. Every remote operation carries the session's
 * <em>fence</em>, a random token given at its opening: an operation with an unknown session or a wrong fence (the
 * session expired during a partition, this node restarted) is refused with {@code LockNotHeldException}, so the
 * client learns that it lost the drive instead of believing it still holds it.
 *
 * <p>Fleet event loop only (its replies too); the agent's answers hop onto it.
 */
final class RemoteSessions {

    private static final System.Logger LOG = System.getLogger(RemoteSessions.class.getName());

    private final DiscAgent agent;
    private final Context context;
    private final String self;
    private final java.util.function.LongSupplier nowMillis;
    private final Map<String, Remote> sessions = new HashMap<>();
    /** Acquires waiting here, by requesting node and ticket: what gives each up when its requester cancels it. */
    private final Map<String, ContextHop.Cancellable> waiting = new HashMap<>();

    RemoteSessions(DiscAgent agent, Context context, String self, java.util.function.LongSupplier nowMillis) {
        this.agent = agent;
        this.context = context;
        this.self = self;
        this.nowMillis = nowMillis;
    }

    /** One session of this agent on behalf of a client of another node. */
    private static final class Remote {
        final String fence = UUID.randomUUID().toString();
        final Mono<ClientSession> session;
        final long ttlMillis;
        long expiresAt;

        Remote(Mono<ClientSession> session, long ttlMillis, long now) {
            this.session = session;
            this.ttlMillis = ttlMillis;
            this.expiresAt = now + ttlMillis;
        }
    }

    /** Answers one request of another node ({@code op}: acquire, acquireAny, cancel, release, renew, close). */
    void handle(JsonObject request, Consumer<JsonObject> reply) {
        String from = request.getString("from", "");
        String op = request.getString("op", "");
        try {
            switch (op) {
                case "acquire" -> acquire(from, request, reply, false);
                case "acquireAny" -> acquire(from, request, reply, true);
                case "cancel" -> cancel(from, request, reply);
                case "release" -> release(from, request, reply);
                case "renew" -> reply.accept(renew(from, request));
                case "close" -> close(from, request, reply);
                case "places" -> places(from, request, reply);
                default -> reply.accept(error(new io.discagent.api.error.InvalidArgumentException(
                        "unknown remote operation: " + op)));
            }
        } catch (RecorderException e) {
            reply.accept(error(e));
        } catch (RuntimeException e) {
            reply.accept(error(new io.discagent.api.error.InvalidArgumentException("a malformed remote request: "
                    + e.getMessage())));
        }
    }

    /**
     * One count of one recorder, or ({@code any}) of the first recorder of this node's pool (the ids named, or all)
     * with a writable medium when {@code minFreeBytes} is given; a request with a {@code ticket} can be given up by a
     * later {@code cancel} of that ticket (a grant that races with it is answered, and its requester gives it back).
     */
    private void acquire(String from, JsonObject request, Consumer<JsonObject> reply, boolean any) {
        String key = from + "/" + request.getString("session");
        @Nullable RecorderId recorder = any ? null : RecorderId.of(request.getString("recorder"));
        @Nullable RecorderSelector pool = any ? pool(request) : null;
        long waitMillis = Math.max(0, request.getLong("waitMillis", 0L));
        Remote remote = sessions.get(key);
        if (remote == null) {
            long ttl = Math.max(1000, request.getLong("ttlMillis", 30_000L));
            String client = clientName(from, request.getString("client", "remote"));
            remote = new Remote(agent.openSession(client).cache(), ttl, nowMillis.getAsLong());
            sessions.put(key, remote);
        } else if (!remote.fence.equals(request.getString("fence", remote.fence))) {
            reply.accept(error(fenced(recorder)));
            return;
        }
        Remote held = remote;
        AcquireOptions options = waitMillis == 0 ? AcquireOptions.DEFAULT
                : AcquireOptions.waitUpTo(Duration.ofMillis(waitMillis));
        @Nullable String ticket = request.getString("ticket");
        boolean[] answered = {false};
        ContextHop.Cancellable wait = onSession(held, s -> pool != null ? s.acquireAny(pool, options)
                : s.acquire(recorder, options), (grant, error) -> {
                    answered[0] = true;
                    if (ticket != null) {
                        waiting.remove(from + "/" + ticket);
                    }
                    if (grant != null) {
                        reply.accept(new JsonObject().put("ok", true).put("node", self)
                                .put("recorder", grant.recorder().value()).put("lockCount", grant.lockCount())
                                .put("holdId", grant.holdId()).put("fence", held.fence));
                    } else {
                        if (error instanceof io.discagent.api.error.InvalidClientNameException
                                || error instanceof io.discagent.api.error.SessionClosedException) {
                            sessions.remove(key, held); // it never opened, or is gone: the next acquire opens one
                        }
                        reply.accept(error(error instanceof java.util.concurrent.CancellationException
                                ? new io.discagent.api.error.RequestCancelledException("the remote acquire was "
                                        + "given up by its requester", recorder) : error));
                    }
                });
        if (ticket != null && !answered[0]) {
            waiting.put(from + "/" + ticket, wait);
        }
    }

    /**
     * Runs {@code work} on the remote's session once it is open, and {@code done} once with its answer (with a
     * {@code CancellationException} when given up), on the fleet's loop. The agent's {@code Mono} is subscribed
     * directly by {@code toFuture()}, not through an operator that holds the session, so a grant that meets the
     * cancellation is released by the agent's own delivery protocol.
     */
    private <T> ContextHop.Cancellable onSession(Remote remote,
            java.util.function.Function<ClientSession, Mono<T>> work,
            java.util.function.BiConsumer<@Nullable T, @Nullable Throwable> done) {
        ContextHop.Cancellable[] call = {null};
        boolean[] cancelled = {false};
        // the session's opening is shared (cached) by every call of the remote: it is let finish, not cancelled
        ContextHop.subscribe(context, remote.session, (session, error) -> {
            if (session == null) {
                done.accept(null, error);
            } else if (cancelled[0]) {
                done.accept(null, new java.util.concurrent.CancellationException());
            } else {
                call[0] = ContextHop.subscribe(context, work.apply(session), done);
            }
        });
        return () -> { // fleet loop, like the callbacks above
            cancelled[0] = true;
            if (call[0] != null) {
                call[0].cancel();
            }
        };
    }

    /** The pool of an {@code acquireAny}: this node's recorders named (all when none are), the medium asked for. */
    private static RecorderSelector pool(JsonObject request) {
        io.vertx.core.json.JsonArray ids = request.getJsonArray("recorders");
        RecorderSelector pool = ids == null ? RecorderSelector.any() : RecorderSelector.anyOf(ids.stream()
                .map(id -> RecorderId.of((String) id)).toList());
        Long minFreeBytes = request.getLong("minFreeBytes");
        return minFreeBytes == null ? pool : pool.withWritableMedium(minFreeBytes);
    }

    /** Gives up the waiting acquire of a ticket (nothing when it was answered already). */
    private void cancel(String from, JsonObject request, Consumer<JsonObject> reply) {
        ContextHop.Cancellable wait = waiting.remove(from + "/" + request.getString("ticket"));
        if (wait != null) {
            wait.cancel();
        }
        reply.accept(new JsonObject().put("ok", true).put("cancelled", wait != null));
    }

    private void release(String from, JsonObject request, Consumer<JsonObject> reply) {
        RecorderId recorder = RecorderId.of(request.getString("recorder"));
        Remote remote = current(from, request);
        if (remote == null) {
            reply.accept(error(fenced(recorder)));
            return;
        }
        onSession(remote, s -> s.release(recorder), (count, error) ->
                reply.accept(count != null ? new JsonObject().put("ok", true).put("lockCount", count) : error(error)));
    }

    /** Where the session's acquires waiting here stand in line (nothing when it has no session here). */
    private void places(String from, JsonObject request, Consumer<JsonObject> reply) {
        Remote remote = sessions.get(from + "/" + request.getString("session"));
        if (remote == null) {
            reply.accept(new JsonObject().put("ok", true).put("places", new JsonObject()));
            return;
        }
        onSession(remote, ClientSession::placesInLine, (places, error) -> {
            JsonObject named = new JsonObject();
            if (places != null) {
                places.forEach((recorder, place) -> named.put(recorder.value(), place));
            }
            reply.accept(places != null ? new JsonObject().put("ok", true).put("places", named) : error(error));
        });
    }

    /**
     * Extends the leases named; answers which of them are gone (expired or unknown: fenced). The sessions named
     * {@code waiting} (an acquire of theirs waits here, and their requester has no fence yet) are extended too.
     */
    private JsonObject renew(String from, JsonObject request) {
        io.vertx.core.json.JsonArray lost = new io.vertx.core.json.JsonArray();
        long now = nowMillis.getAsLong();
        for (Object session : request.getJsonArray("waiting", new io.vertx.core.json.JsonArray())) {
            Remote remote = sessions.get(from + "/" + session);
            if (remote != null) {
                remote.expiresAt = now + remote.ttlMillis;
            }
        }
        for (Object item : request.getJsonArray("sessions", new io.vertx.core.json.JsonArray())) {
            JsonObject named = (JsonObject) item;
            Remote remote = sessions.get(from + "/" + named.getString("session"));
            if (remote == null || !remote.fence.equals(named.getString("fence"))) {
                lost.add(named.getString("session"));
            } else {
                remote.expiresAt = now + remote.ttlMillis;
            }
        }
        return new JsonObject().put("ok", true).put("lost", lost);
    }

    private void close(String from, JsonObject request, Consumer<JsonObject> reply) {
        Remote remote = current(from, request);
        if (remote != null) {
            sessions.remove(from + "/" + request.getString("session"));
            end(remote, "closed by its client");
        }
        reply.accept(new JsonObject().put("ok", true));
    }

    /** Closes every session whose lease ran out: its locks are released, its waiters fail. */
    void expire() {
        long now = nowMillis.getAsLong();
        for (Iterator<Map.Entry<String, Remote>> it = sessions.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Remote> entry = it.next();
            if (now >= entry.getValue().expiresAt) {
                it.remove();
                LOG.log(Level.INFO, "the remote session " + entry.getKey() + " was not renewed: closed");
                end(entry.getValue(), "expired");
            }
        }
    }

    /** Closes every remote session (this node leaves the fleet). */
    void closeAll() {
        sessions.values().forEach(remote -> end(remote, "the node left the fleet"));
        sessions.clear();
    }

    private @Nullable Remote current(String from, JsonObject request) {
        Remote remote = sessions.get(from + "/" + request.getString("session"));
        return remote != null && remote.fence.equals(request.getString("fence")) ? remote : null;
    }

    private static void end(Remote remote, String why) {
        remote.session.flatMap(ClientSession::close).subscribe(v -> { }, e -> LOG.log(Level.DEBUG,
                "closing a remote session (" + why + ") failed: " + e));
    }

    private LockNotHeldException fenced(@Nullable RecorderId recorder) {
        return new LockNotHeldException("the remote hold on " + self + (recorder == null ? "" : "/" + recorder.value())
                + " is gone: its session on " + self + " expired or was closed (fenced)", recorder);
    }

    /** The client's name on this node: its node and its own name, within IMAPI2's rules. */
    static String clientName(String node, String client) {
        String name = (node + ": " + client).replaceAll("[^A-Za-z0-9 .,:;_-]", "_");
        return name.length() > ClientNames.MAX_LENGTH ? name.substring(0, ClientNames.MAX_LENGTH) : name;
    }

    /** A failure as a reply: the HRESULT and the message, from which the requesting node rebuilds the type. */
    static JsonObject error(@Nullable Throwable failure) {
        RecorderException typed = failure instanceof RecorderException r ? r
                : io.discagent.api.error.RecorderExceptions.create(HResult.E_FAIL, String.valueOf(failure), null,
                        null, null, failure);
        return new JsonObject().put("ok", false).put("hresult", typed.hresult().code())
                .put("message", typed.detailMessage()).put("owner", typed.owner().orElse(null));
    }
}
