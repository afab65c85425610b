package io.discagent.service.cli;

import io.discagent.service.problem.ExitCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * {@code discagent exec}'s hold through a running service: a session with a lease, an acquire over HTTP (waiting in
 * the service's FIFO line when asked to), and a keeper thread that sends heartbeats for as long as the hold lasts,
 * also while the acquire waits. The keeper also checks that the session still holds the recorder. When heartbeats
 * have not reached the service for half the lease, {@link #problem()} says so, so that the command is stopped well
 * before the service could end the lease and hand the drive to someone else.
 */
final class ExecServiceHold implements ExecHold {

    private static final String TOKEN = "X-Session-Token";

    private final AgentClient client;
    private final String sessionId;
    private final String token;
    private final Duration ttl;
    private final Thread keeper;
    private volatile @Nullable String recorder;
    private volatile List<String> devicePaths = List.of();
    private volatile long lastHeartbeatNanos = System.nanoTime();
    private volatile @Nullable String problem;
    private volatile boolean closed;

    private ExecServiceHold(AgentClient client, String sessionId, String token, Duration ttl) {
        this.client = client;
        this.sessionId = sessionId;
        this.token = token;
        this.ttl = ttl;
        this.keeper = new Thread(this::keep, "discagent-exec-heartbeat");
        keeper.setDaemon(true);
    }

    /**
     * Opens a session and starts its heartbeats.
     *
     * @throws AgentClient.Failure when the service refuses (too many sessions, a bad client name, ...)
     */
    static ExecServiceHold open(AgentClient client, String clientName, Duration ttl) {
        JsonObject session = client.call("POST", "/api/v1/sessions", new JsonObject().put("clientName", clientName)
                .put("ttlMillis", ttl.toMillis()));
        ExecServiceHold hold = new ExecServiceHold(client, session.getString("sessionId"), session.getString("token"),
                ttl);
        hold.keeper.start();
        return hold;
    }

    /**
     * Acquires over HTTP; the heartbeats go on while it waits.
     *
     * @throws AgentClient.Failure when the service refuses (busy: exit code 5, unknown recorder: 4, ...)
     */
    @Override
    public void acquire(@Nullable String wanted, Duration wait, boolean force) {
        String id = wanted != null ? wanted : onlyRecorder(client);
        JsonObject grant = client.call("POST", "/api/v1/recorders/" + AgentClient.encode(id) + "/acquire",
                new JsonObject().put("sessionId", sessionId).put("force", force).put("waitMillis", wait.toMillis()),
                TOKEN, token);
        List<String> list = new ArrayList<>();
        grant.getJsonArray("devicePaths", new JsonArray()).forEach(p -> list.add(String.valueOf(p)));
        devicePaths = List.copyOf(list);
        recorder = id;
    }

    /** The one recorder the service has; otherwise a usage failure listing them. */
    private static String onlyRecorder(AgentClient client) {
        JsonArray recorders = client.call("GET", "/api/v1/recorders", null).getJsonArray("recorders");
        if (recorders.size() == 1) {
            return recorders.getJsonObject(0).getString("id");
        }
        List<String> ids = new ArrayList<>();
        recorders.forEach(r -> ids.add(((JsonObject) r).getString("id")));
        throw new AgentClient.Failure(recorders.isEmpty() ? ExitCode.NOT_FOUND.code() : ExitCode.USAGE.code(),
                recorders.isEmpty() ? "the service has no recorder" : "the service has several recorders " + ids
                        + ": choose one with --recorder");
    }

    /** Heartbeats every sixth of the lease (twice the usual rate, so that one lost beat costs nothing). */
    private void keep() {
        long interval = Math.max(100, ttl.toMillis() / 6);
        while (!closed) {
            try {
                TimeUnit.MILLISECONDS.sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
            if (closed) {
                return;
            }
            try {
                client.call("POST", "/api/v1/sessions/" + AgentClient.encode(sessionId) + "/heartbeat", null, TOKEN,
                        token);
                lastHeartbeatNanos = System.nanoTime();
                String held = recorder;
                if (held != null && !holds(held)) {
                    problem = "the service no longer holds " + held + " for this session (removed, or taken back "
                            + "by an administrator)";
                }
            } catch (AgentClient.Failure failure) {
                if (failure.exitCode == ExitCode.CONFLICT.code() || failure.exitCode == ExitCode.NOT_FOUND.code()
                        || failure.exitCode == ExitCode.DENIED.code()) {
                    problem = "the service closed the session: " + failure.getMessage();
                } else {
                    long silent = System.nanoTime() - lastHeartbeatNanos;
                    if (silent >= ttl.toNanos() / 2) {
                        problem = "no heartbeat reached the service for " + TimeUnit.NANOSECONDS.toMillis(silent)
                                + " ms (" + failure.getMessage() + "); its lease of " + ttl.toMillis()
                                + " ms would end";
                    }
                }
            }
        }
    }

    private boolean holds(String id) {
        JsonArray locks = client.call("GET", "/api/v1/sessions/" + AgentClient.encode(sessionId), null, TOKEN, token)
                .getJsonArray("locks", new JsonArray());
        for (Object lock : locks) {
            if (id.equals(((JsonObject) lock).getString("recorder"))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String recorder() {
        String id = recorder;
        return id == null ? "" : id;
    }

    @Override
    public List<String> devicePaths() {
        return devicePaths;
    }

    @Override
    public @Nullable String session() {
        return sessionId;
    }

    @Override
    public @Nullable String problem() {
        return problem;
    }

    /** Closing the session fails the acquire that is waiting for it. */
    @Override
    public void abort() {
        endSession();
    }

    @Override
    public void close() {
        String id = recorder;
        try {
            if (id != null && problem == null) {
                client.call("POST", "/api/v1/recorders/" + AgentClient.encode(id) + "/release",
                        new JsonObject().put("sessionId", sessionId), TOKEN, token);
            }
        } catch (AgentClient.Failure ignored) {
            // closing the session releases it as well
        } finally {
            endSession();
        }
    }

    private void endSession() {
        closed = true;
        keeper.interrupt();
        try {
            client.call("DELETE", "/api/v1/sessions/" + AgentClient.encode(sessionId), null, TOKEN, token);
        } catch (AgentClient.Failure ignored) {
            // gone already, or the lease runs out on its own
        }
    }
}
