package io.discagent.service.cli;

import io.discagent.service.problem.ExitCode;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * A hold on one recorder through a running service, for {@code discagent acquire} and {@code discagent exec}: a
 * session with a lease, an acquire over HTTP (waiting in the service's FIFO line when asked to), and two threads for
 * as long as the hold lasts.
 * <ul>
 * <li>The <b>keeper</b> sends a heartbeat every sixth of the lease from the moment the session is open, also while
 * the acquire waits: a wait longer than the lease keeps its session. While the acquire waits it looks once a second
 * where the session stands in line and who holds the recorder ({@code GET /api/v1/sessions/{sid}}) and reports it
 * whenever that changes. Once the recorder is held it checks that the session still holds it, at every heartbeat
 * and at once whenever the watcher sees the recorder change.</li>
 * <li>The <b>watcher</b> reads the recorder's events ({@code /api/v1/events?recorder=}): a removal or a lock
 * transition has the keeper check at once, so a lost lock (the recorder unplugged, the session expired or closed by
 * an administrator) is known within a round trip, not a heartbeat later.</li>
 * </ul>
 * When the hold is lost, or heartbeats have not reached the service for half the lease (the service would soon end
 * the lease and hand the drive on), {@link #lost()} says why and with which exit code, and {@code onLost} runs.
 */
final class ServiceHold implements RecorderHold {

    private static final String TOKEN = "X-Session-Token";
    /** How often a waiting acquire looks at its place in line. */
    private static final long PROGRESS_EVERY_MILLIS = 1000;
    /** The cue of the keeper to check the hold after a removal. */
    private static final String REMOVED = "recorder-removed";

    /** Where the hold is. */
    private enum Stage { OPEN, WAITING, HELD, RELEASED }

    private final AgentClient client;
    private final String sessionId;
    private final String token;
    private final Duration ttl;
    private final Consumer<String> progress;
    private final Runnable onLost;
    /** What the watcher saw (a lock transition's cause, or {@link #REMOVED}): the keeper checks the hold. */
    private final BlockingQueue<String> cues = new LinkedBlockingQueue<>();
    private final Thread keeper;
    private volatile @Nullable Thread watcher;
    private volatile @Nullable Stream<String> events;
    private volatile Stage stage = Stage.OPEN;
    private volatile boolean closed;
    private volatile @Nullable String recorder;
    private volatile List<String> devicePaths = List.of();
    private volatile @Nullable HoldLost lost;
    /** What {@link #reportPlace()} told last. Keeper only. */
    private @Nullable String lastPlace;

    private ServiceHold(AgentClient client, String sessionId, String token, Duration ttl, Consumer<String> progress,
            Runnable onLost) {
        this.client = client;
        this.sessionId = sessionId;
        this.token = token;
        this.ttl = ttl;
        this.progress = progress;
        this.onLost = onLost;
        this.keeper = new Thread(this::keep, "discagent-heartbeat");
        keeper.setDaemon(true);
    }

    /**
     * Opens a session and starts its heartbeats.
     *
     * @param progress told where the session stands in line while the acquire waits, when that changes
     * @param onLost runs once when the hold is lost
     * @throws AgentClient.Failure when the service refuses (too many sessions, a bad client name, ...)
     */
    static ServiceHold open(AgentClient client, String clientName, Duration ttl, Consumer<String> progress,
            Runnable onLost) {
        JsonObject session = client.call("POST", "/api/v1/sessions", new JsonObject().put("clientName", clientName)
                .put("ttlMillis", ttl.toMillis()));
        ServiceHold hold = new ServiceHold(client, session.getString("sessionId"), session.getString("token"), ttl,
                progress, onLost);
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
        recorder = id;
        watch(id);
        stage = Stage.WAITING;
        JsonObject grant;
        try {
            grant = client.call("POST", "/api/v1/recorders/" + AgentClient.encode(id) + "/acquire",
                    new JsonObject().put("sessionId", sessionId).put("force", force).put("waitMillis",
                            wait.toMillis()), TOKEN, token);
        } catch (AgentClient.Failure failure) {
            stage = Stage.OPEN;
            throw client.withKnownRecorders(failure);
        }
        List<String> list = new ArrayList<>();
        grant.getJsonArray("devicePaths", new JsonArray()).forEach(p -> list.add(String.valueOf(p)));
        devicePaths = List.copyOf(list);
        stage = Stage.HELD;
        cues.offer("ACQUIRED"); // a removal between the grant and the watcher's first event is seen at once
    }

    /** The one recorder the service has; otherwise a usage failure listing them. */
    private static String onlyRecorder(AgentClient client) {
        List<String> ids = client.recorderIds();
        if (ids.size() == 1) {
            return ids.get(0);
        }
        throw new AgentClient.Failure(ids.isEmpty() ? ExitCode.NOT_FOUND.code() : ExitCode.USAGE.code(),
                ids.isEmpty() ? "the service has no recorder" : "the service has several recorders " + ids
                        + ": choose one with --recorder");
    }

    /**
     * Releases one count while the hold is sound.
     *
     * @return the session's lock count afterwards
     * @throws AgentClient.Failure when the service refuses
     */
    int release() {
        String id = recorder();
        stage = Stage.RELEASED; // before the release's own transition reaches the watcher
        JsonObject released = client.call("POST", "/api/v1/recorders/" + AgentClient.encode(id) + "/release",
                new JsonObject().put("sessionId", sessionId), TOKEN, token);
        stage = Stage.RELEASED;
        return released.getInteger("lockCount", 0);
    }

    /**
     * Calls the service as this session: {@code body} gets the session id, the request the session's token (for
     * {@code discagent burn}: starting and cancelling the session's burn).
     *
     * @throws AgentClient.Failure when the service refuses
     */
    JsonObject callAsSession(String method, String path, JsonObject body) {
        return client.call(method, path, body.copy().put("sessionId", sessionId), TOKEN, token);
    }

    // ------------------------------------------------------------------------------------------------ the keeper

    private void keep() {
        long beatEveryNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(100, ttl.toMillis() / 6));
        long lastBeat = System.nanoTime();
        long nextBeat = lastBeat + beatEveryNanos;
        while (!closed && lost == null) {
            long untilBeat = TimeUnit.NANOSECONDS.toMillis(nextBeat - System.nanoTime());
            long wait = stage == Stage.WAITING ? Math.min(untilBeat, PROGRESS_EVERY_MILLIS) : untilBeat;
            String cue;
            try {
                cue = cues.poll(Math.max(0, wait), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (closed) {
                return;
            }
            if (System.nanoTime() - nextBeat >= 0) {
                nextBeat = System.nanoTime() + beatEveryNanos;
                if (heartbeat(lastBeat)) {
                    lastBeat = System.nanoTime();
                    cue = cue == null ? "" : cue;
                }
            }
            if (stage == Stage.HELD && cue != null) {
                check(cue);
            } else if (stage == Stage.WAITING) {
                reportPlace();
            }
        }
    }

    /** Sends one heartbeat; false when it did not reach the service (which ends the hold after half the lease). */
    private boolean heartbeat(long lastBeat) {
        try {
            client.call("POST", sessionPath() + "/heartbeat", null, TOKEN, token);
            return true;
        } catch (AgentClient.Failure failure) {
            if (stage != Stage.HELD) {
                return false; // a waiting acquire fails by itself when the session is gone
            }
            if (sessionGone(failure)) {
                lose(failure.exitCode, "the service closed the session: " + failure.getMessage());
            } else {
                long silent = System.nanoTime() - lastBeat;
                if (silent >= ttl.toNanos() / 2) {
                    lose(ExitCode.UNREACHABLE.code(), "no heartbeat reached the service for "
                            + Durations.format(Duration.ofMillis(TimeUnit.NANOSECONDS.toMillis(silent))) + " ("
                            + failure.getMessage() + "); its lease of " + Durations.format(ttl) + " would end and the "
                            + "recorder go to the next client");
                }
            }
            return false;
        }
    }

    /** Whether the session is still there and holds the recorder; when not, the hold is lost. */
    private void check(String cue) {
        String id = recorder();
        JsonArray locks;
        try {
            locks = client.call("GET", sessionPath(), null, TOKEN, token).getJsonArray("locks", new JsonArray());
        } catch (AgentClient.Failure failure) {
            if (sessionGone(failure)) {
                lose(failure.exitCode, "the service closed the session: " + failure.getMessage());
            }
            return; // not reachable now: the heartbeats decide
        }
        for (Object lock : locks) {
            if (id.equals(((JsonObject) lock).getString("recorder"))) {
                return;
            }
        }
        if (stage != Stage.HELD) {
            return; // released by its holder meanwhile
        }
        if (cue.equals(REMOVED) || cue.equals("DEVICE_REMOVED") || !exists(id)) {
            lose(ExitCode.NOT_FOUND.code(), id + " was removed while held (unplugged, or gone from the system)");
        } else {
            lose(ExitCode.CONFLICT.code(), "the service no longer holds " + id + " for this session ("
                    + because(cue) + ")");
        }
    }

    private static String because(String cause) {
        return switch (cause) {
            case "FORCED_BY_BACKEND" -> "the backend lost the drive's lock";
            case "AGENT_CLOSED" -> "the service is stopping";
            case "RELEASED" -> "its count was released by another command";
            case "SESSION_CLOSED" -> "its session was closed";
            default -> "its lock count is 0";
        };
    }

    private boolean exists(String id) {
        try {
            client.call("GET", "/api/v1/recorders/" + AgentClient.encode(id), null);
            return true;
        } catch (AgentClient.Failure failure) {
            return failure.exitCode != ExitCode.NOT_FOUND.code();
        }
    }

    private static boolean sessionGone(AgentClient.Failure failure) {
        return failure.exitCode == ExitCode.CONFLICT.code() || failure.exitCode == ExitCode.NOT_FOUND.code()
                || failure.exitCode == ExitCode.DENIED.code();
    }

    private void lose(int exitCode, String message) {
        if (lost == null && !closed) {
            lost = new HoldLost(message, exitCode);
            onLost.run();
        }
    }

    /** Tells where the session stands in line for the recorder, when that changed since it last told. */
    private void reportPlace() {
        String id = recorder();
        JsonArray waiting;
        try {
            waiting = client.call("GET", sessionPath(), null, TOKEN, token).getJsonArray("waiting", new JsonArray());
        } catch (AgentClient.Failure failure) {
            return;
        }
        for (Object item : waiting) {
            JsonObject place = (JsonObject) item;
            if (id.equals(place.getString("recorder")) && stage == Stage.WAITING) {
                String text = placeInLine(id, place.getInteger("place", 1), place.getString("owner"));
                if (!text.equals(lastPlace)) {
                    lastPlace = text;
                    progress.accept(text);
                }
            }
        }
    }

    /** "waiting for sim-0: next in line, held by 'Kiosk A'", "waiting for sim-0: 2 ahead in line, ...". */
    static String placeInLine(String recorder, int place, @Nullable String owner) {
        return "waiting for " + recorder + ": " + (place <= 1 ? "next in line" : (place - 1) + " ahead in line")
                + (owner == null ? "" : ", held by '" + owner + "'");
    }

    // ------------------------------------------------------------------------------------------------ the watcher

    /** Starts reading the recorder's events; each change has the keeper check the hold. */
    private void watch(String id) {
        Thread t = new Thread(() -> {
            try (Stream<String> lines = client.lines(EventStream.path(List.of(id)))) {
                events = lines;
                EventStream.read(lines, (type, data) -> {
                    if (REMOVED.equals(type)) {
                        cues.offer(REMOVED);
                    } else if ("lock-transition".equals(type)) {
                        String cause = cause(data);
                        if (!"SNAPSHOT".equals(cause)) {
                            cues.offer(cause);
                        }
                    } else if ("end".equals(type)) {
                        cues.offer("AGENT_CLOSED");
                    }
                    return !closed;
                });
            } catch (AgentClient.Failure | UncheckedIOException e) {
                // no events (or they ended): the heartbeats still check the hold
            }
        }, "discagent-events");
        t.setDaemon(true);
        watcher = t;
        t.start();
    }

    private static String cause(String data) {
        try {
            return new JsonObject(data).getString("cause", "");
        } catch (DecodeException e) {
            return "";
        }
    }

    // ------------------------------------------------------------------------------------------------ the rest

    private String sessionPath() {
        return "/api/v1/sessions/" + AgentClient.encode(sessionId);
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
    public @Nullable HoldLost lost() {
        return lost;
    }

    /** Closing the session fails the acquire that is waiting for it. */
    @Override
    public void abort() {
        endSession();
    }

    /** Releases the recorder if it is still held, then closes the session. */
    @Override
    public void close() {
        try {
            if (stage == Stage.HELD && lost == null) {
                release();
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
        Stream<String> lines = events;
        if (lines != null) {
            lines.close();
        }
        Thread t = watcher;
        if (t != null) {
            t.interrupt();
        }
        try {
            client.call("DELETE", sessionPath(), null, TOKEN, token);
        } catch (AgentClient.Failure ignored) {
            // gone already, or the lease runs out on its own
        }
    }
}
