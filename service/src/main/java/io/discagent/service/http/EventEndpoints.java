package io.discagent.service.http;

import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.RecorderId;
import io.discagent.api.event.RecorderEvent;
import io.discagent.service.events.EventFeed;
import io.discagent.service.events.EventJson;
import io.discagent.service.session.Lease;
import io.discagent.service.session.LeaseRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;

/**
 * The event streams: {@code GET /api/v1/events} (Server-Sent Events) and {@code GET /api/v1/events/ws} (WebSocket),
 * both fed by the shared {@link EventFeed}.
 *
 * <p>Each client first gets a snapshot of the lock states (or, with {@code Last-Event-ID} / {@code ?since=}, the
 * events it missed while they are still kept), then every event, as the JSON of {@link EventJson}. Events are
 * written on the client's own HTTP context; a client whose write queue is full is disconnected (it reconnects with
 * {@code Last-Event-ID} and loses nothing within the replay window). Keep-alives go out every
 * {@code keepAliveInterval} on the injected scheduler.
 *
 * <p>A WebSocket client may bind sessions to its socket ({@code {"type":"bind","sessionId":..,"token":..}}): those
 * sessions then need no heartbeats and are closed, releasing their locks, when the socket closes.
 */
final class EventEndpoints {

    private final EventFeed feed;
    private final LeaseRegistry leases;
    private final Scheduler time;
    private final Duration keepAlive;
    private final Connections connections;

    EventEndpoints(EventFeed feed, LeaseRegistry leases, Scheduler time, Duration keepAlive,
            Connections connections) {
        this.feed = feed;
        this.leases = leases;
        this.time = time;
        this.keepAlive = keepAlive;
        this.connections = connections;
    }

    List<Endpoint> endpoints() {
        return List.of(
                Endpoint.of(HttpMethod.GET, "/api/v1/events", "events", "events",
                                "Server-Sent Events: lock transitions, timeouts, arrivals, removals, media changes")
                        .tokenInQuery()
                        .query("recorder", "Only events of these recorders", "string", true)
                        .query("since", "Resume after this sequence (like the Last-Event-ID header)", "integer",
                                false)
                        .header("Last-Event-ID")
                        .okText(200, "An endless text/event-stream; each event's id is its sequence",
                                "text/event-stream")
                        .problems(400)
                        .handler(this::sse),
                Endpoint.of(HttpMethod.GET, "/api/v1/events/ws", "eventsWebSocket", "events",
                                "The same events over a WebSocket; sessions bound to it close with it")
                        .tokenInQuery()
                        .query("recorder", "Only events of these recorders", "string", true)
                        .query("since", "Resume after this sequence", "integer", false)
                        .okText(101, "Switching to the WebSocket protocol", "application/json")
                        .problems(400)
                        .handler(this::webSocket));
    }

    private static Predicate<RecorderId> filter(RoutingContext rc) {
        List<String> wanted = rc.queryParam("recorder");
        if (wanted.isEmpty()) {
            return id -> true;
        }
        Set<RecorderId> ids = new HashSet<>();
        for (String value : wanted) {
            for (String part : value.split(",")) {
                if (part.isBlank() || part.length() > PathParams.MAX_ID_LENGTH) {
                    throw new InvalidArgumentException("'recorder' must name recorder ids");
                }
                ids.add(RecorderId.of(part.trim()));
            }
        }
        return ids::contains;
    }

    private static OptionalLong resumeAfter(RoutingContext rc) {
        String value = rc.request().getHeader("Last-Event-ID");
        if (value == null) {
            value = rc.request().getParam("since");
        }
        if (value == null || value.isBlank()) {
            return OptionalLong.empty();
        }
        try {
            long sequence = Long.parseLong(value.trim());
            if (sequence < 0) {
                throw new NumberFormatException();
            }
            return OptionalLong.of(sequence);
        } catch (NumberFormatException e) {
            throw new InvalidArgumentException("Last-Event-ID / since must be an event sequence (a whole number >= 0)");
        }
    }

    // ------------------------------------------------------------------------------------------------ SSE

    private void sse(RoutingContext rc) {
        Predicate<RecorderId> filter = filter(rc);
        OptionalLong after = resumeAfter(rc);
        HttpServerResponse response = rc.response();
        response.setChunked(true)
                .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                .putHeader("Cache-Control", "no-store")
                .putHeader("X-Accel-Buffering", "no");
        response.write("retry: 2000\n: discagent event stream\n\n");
        SseClient client = new SseClient(response, Vertx.currentContext());
        Disposable registration = feed.register(filter, after, client);
        Disposable keepAlives = periodic(client.context, () -> client.write(": keep-alive\n\n"));
        response.closeHandler(v -> {
            client.closed = true;
            registration.dispose();
            keepAlives.dispose();
        });
    }

    private Disposable periodic(Context context, Runnable task) {
        long nanos = keepAlive.toNanos();
        return time.schedulePeriodically(() -> context.runOnContext(v -> task.run()), nanos, nanos,
                TimeUnit.NANOSECONDS);
    }

    /** One SSE client; the feed calls it under its lock, it writes on its own context. */
    private static final class SseClient implements EventFeed.Listener {

        final HttpServerResponse response;
        final Context context;
        volatile boolean closed;

        SseClient(HttpServerResponse response, Context context) {
            this.response = response;
            this.context = context;
        }

        @Override
        public void event(RecorderEvent event) {
            String frame = "id: " + event.sequence() + "\nevent: " + EventJson.typeOf(event) + "\ndata: "
                    + EventJson.event(event).encode() + "\n\n";
            context.runOnContext(v -> write(frame));
        }

        @Override
        public void replayUnavailable(long lastEventId) {
            String data = new JsonObject().put("lastEventId", lastEventId)
                    .put("reason", "the events after " + lastEventId + " are no longer kept; a snapshot follows")
                    .encode();
            context.runOnContext(v -> write("event: reset\ndata: " + data + "\n\n"));
        }

        @Override
        public void ended(String reason) {
            String data = new JsonObject().put("reason", reason).encode();
            context.runOnContext(v -> {
                write("event: end\ndata: " + data + "\n\n");
                if (!closed) {
                    closed = true;
                    response.end();
                }
            });
        }

        void write(String frame) {
            if (closed || response.ended() || response.closed()) {
                return;
            }
            if (response.writeQueueFull()) {
                closed = true; // the client reconnects with Last-Event-ID and gets what it missed
                response.reset();
                return;
            }
            response.write(frame);
        }
    }

    // ------------------------------------------------------------------------------------------------ WebSocket

    private void webSocket(RoutingContext rc) {
        Predicate<RecorderId> filter = filter(rc);
        OptionalLong after = resumeAfter(rc);
        rc.request().toWebSocket().onSuccess(ws -> {
            Runnable untracked = connections.upgraded(rc.request());
            WsClient client = new WsClient(ws, Vertx.currentContext());
            Disposable registration = feed.register(filter, after, client);
            Disposable pings = periodic(client.context, () -> {
                if (!client.closed) {
                    ws.writePing(Buffer.buffer("keep-alive"));
                }
            });
            ws.textMessageHandler(message -> client.command(message));
            ws.closeHandler(v -> {
                untracked.run();
                client.closed = true;
                registration.dispose();
                pings.dispose();
                for (Lease lease : client.bound) {
                    leases.socketClosed(lease);
                }
            });
        }).onFailure(error -> Replies.problem(rc, new InvalidArgumentException("WebSocket upgrade failed: "
                + error.getMessage())));
    }

    /** One WebSocket client; the feed calls it under its lock, it writes on its own context. */
    private final class WsClient implements EventFeed.Listener {

        final ServerWebSocket ws;
        final Context context;
        final List<Lease> bound = new ArrayList<>();
        volatile boolean closed;

        WsClient(ServerWebSocket ws, Context context) {
            this.ws = ws;
            this.context = context;
        }

        @Override
        public void event(RecorderEvent event) {
            String text = EventJson.event(event).encode();
            context.runOnContext(v -> send(text));
        }

        @Override
        public void replayUnavailable(long lastEventId) {
            String text = new JsonObject().put("type", "reset").put("lastEventId", lastEventId).encode();
            context.runOnContext(v -> send(text));
        }

        @Override
        public void ended(String reason) {
            context.runOnContext(v -> {
                send(new JsonObject().put("type", "end").put("reason", reason).encode());
                if (!closed) {
                    ws.close((short) 1001, "event feed ended");
                }
            });
        }

        void send(String text) {
            if (closed || ws.isClosed()) {
                return;
            }
            if (ws.writeQueueFull()) {
                closed = true;
                ws.close((short) 1008, "the client fell behind; reconnect with ?since=");
                return;
            }
            ws.writeTextMessage(text);
        }

        /** A message from the client: {@code bind} binds a session to this socket. Runs on the HTTP event loop. */
        void command(String message) {
            JsonObject reply;
            try {
                JsonObject json = new JsonObject(message);
                String type = json.getValue("type") instanceof String ? json.getString("type") : null;
                if (!"bind".equals(type)) {
                    throw new InvalidArgumentException("messages must be {\"type\":\"bind\",\"sessionId\":..,\"token\":..}");
                }
                Object sid = json.getValue("sessionId");
                Object token = json.getValue("token");
                if (!(sid instanceof String sessionId) || !(token instanceof String secret)) {
                    throw new InvalidArgumentException("bind needs sessionId and token as strings");
                }
                Lease lease = leases.authorize(sessionId, secret);
                leases.bindToSocket(lease);
                if (!bound.contains(lease)) {
                    bound.add(lease);
                }
                reply = new JsonObject().put("type", "bound").put("sessionId", lease.id());
            } catch (DecodeException e) {
                reply = problemMessage(new InvalidArgumentException("the message is not valid JSON"));
            } catch (RuntimeException e) {
                reply = problemMessage(e);
            }
            send(reply.encode());
        }

        private JsonObject problemMessage(Throwable error) {
            return new JsonObject().put("type", "error")
                    .put("problem", Problems.of(error, "/api/v1/events/ws").body());
        }
    }
}
