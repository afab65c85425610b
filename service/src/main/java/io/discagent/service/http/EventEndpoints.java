package io.discagent.service.http;

import static io.discagent.service.events.StreamClient.CUT_OFF_GRACE;

import io.discagent.api.RecorderId;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.service.events.EncodedEvent;
import io.discagent.service.events.EventFeed;
import io.discagent.service.events.EventJson;
import io.discagent.service.events.StreamClient;
import io.discagent.service.session.Lease;
import io.discagent.service.session.LeaseRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.websocket.WebSocketFrameImpl;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The event streams: {@code GET /api/v1/events} (Server-Sent Events) and {@code GET /api/v1/events/ws} (WebSocket),
 * both fed by the shared {@link EventFeed}.
 *
 * <p>Each client first gets a snapshot of the lock states (or, with {@code Last-Event-ID} / {@code ?since=}, the
 * events it missed while they are still kept), then every event, as the JSON of {@link EventJson}, encoded once for
 * all clients. The feed writes from its own thread; Vert.x queues the writes to each connection and flushes them there.
 * A client that falls behind is told (an SSE comment; WebSocket close code 1008) and disconnected; it reconnects with
 * {@code Last-Event-ID} (or {@code ?since=}) and loses nothing within the replay window.
 *
 * <p>A WebSocket client may bind sessions to its socket ({@code {"type":"bind","sessionId":..,"token":..}}): those
 * sessions then need no heartbeats and are closed, releasing their locks, when the socket closes.
 */
final class EventEndpoints {

    private static final Buffer SSE_KEEP_ALIVE = Buffer.buffer(": keep-alive\n\n");
    private static final Buffer PING = Buffer.buffer("keep-alive");

    private final EventFeed feed;
    private final LeaseRegistry leases;
    private final Connections connections;

    EventEndpoints(EventFeed feed, LeaseRegistry leases, Connections connections) {
        this.feed = feed;
        this.leases = leases;
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

    /** The recorders of {@code ?recorder=} (repeatable, or comma-separated), or {@code null} for all. */
    private static @Nullable Set<RecorderId> filter(RoutingContext rc) {
        List<String> wanted = rc.queryParam("recorder");
        if (wanted.isEmpty()) {
            return null;
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
        return ids;
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
        Set<RecorderId> filter = filter(rc);
        OptionalLong after = resumeAfter(rc);
        HttpServerResponse response = startSse(rc.response(), "discagent event stream");
        SseStream client = new SseStream(filter, rc.request());
        response.closeHandler(v -> feed.unregister(client));
        response.drainHandler(v -> feed.wake());
        feed.register(client, after);
    }

    /** Starts an endless Server-Sent Events response: its headers, the client's retry delay and a first comment. */
    static HttpServerResponse startSse(HttpServerResponse response, String comment) {
        response.setChunked(true)
                .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                .putHeader("Cache-Control", "no-store")
                .putHeader("X-Accel-Buffering", "no");
        response.write("retry: 2000\n: " + comment + "\n\n");
        return response;
    }

    /** One SSE client; the feed drives it from its own thread. */
    private static final class SseStream extends StreamClient {

        private final HttpServerRequest request;
        private final HttpServerResponse response;

        SseStream(@Nullable Set<RecorderId> filter, HttpServerRequest request) {
            super(filter, Vertx.currentContext());
            this.request = request;
            this.response = request.response();
        }

        @Override
        protected void send(Batch batch) {
            response.write(batch.sse());
        }

        @Override
        protected void replayUnavailable(long lastEventId) {
            String data = new JsonObject().put("lastEventId", lastEventId)
                    .put("reason", "the events after " + lastEventId + " are no longer kept; a snapshot follows")
                    .encode();
            response.write("event: reset\ndata: " + data + "\n\n");
        }

        @Override
        protected void keepAlive() {
            response.write(SSE_KEEP_ALIVE);
        }

        @Override
        protected boolean writeQueueFull() {
            return response.writeQueueFull();
        }

        @Override
        protected void cutOff(String reason) {
            response.write(": discagent: " + reason + "; reconnect with Last-Event-ID\n\n");
            response.end();
            request.connection().shutdown(CUT_OFF_GRACE);
        }

        @Override
        protected void end(String reason) {
            response.write("event: end\ndata: " + new JsonObject().put("reason", reason).encode() + "\n\n");
            response.end();
        }
    }

    // ------------------------------------------------------------------------------------------------ WebSocket

    private void webSocket(RoutingContext rc) {
        Set<RecorderId> filter = filter(rc);
        OptionalLong after = resumeAfter(rc);
        rc.request().toWebSocket().onSuccess(ws -> {
            Runnable untracked = connections.upgraded(rc.request());
            WsStream client = new WsStream(filter, ws);
            ws.textMessageHandler(client::command);
            ws.drainHandler(v -> feed.wake());
            ws.closeHandler(v -> {
                untracked.run();
                feed.unregister(client);
                for (Lease lease : client.bound) {
                    leases.socketClosed(lease);
                }
            });
            feed.register(client, after);
        }).onFailure(error -> Replies.problem(rc, new InvalidArgumentException("WebSocket upgrade failed: "
                + error.getMessage())));
    }

    /** One WebSocket client; the feed drives it from its own thread, its messages arrive on the HTTP event loop. */
    private final class WsStream extends StreamClient {

        final ServerWebSocket ws;
        final List<Lease> bound = new ArrayList<>();

        WsStream(@Nullable Set<RecorderId> filter, ServerWebSocket ws) {
            super(filter, Vertx.currentContext());
            this.ws = ws;
        }

        @Override
        protected void send(Batch batch) {
            for (EncodedEvent event : batch.events()) {
                // a text frame around the event's shared bytes: no copy per client
                ws.writeFrame(new WebSocketFrameImpl(WebSocketFrameType.TEXT,
                        ((BufferInternal) event.json()).getByteBuf(), true));
            }
        }

        @Override
        protected void replayUnavailable(long lastEventId) {
            ws.writeTextMessage(new JsonObject().put("type", "reset").put("lastEventId", lastEventId).encode());
        }

        @Override
        protected void keepAlive() {
            ws.writePing(PING);
        }

        @Override
        protected boolean writeQueueFull() {
            return ws.writeQueueFull();
        }

        @Override
        protected void cutOff(String reason) {
            ws.close((short) 1008, "fell behind; reconnect with ?since=");
        }

        @Override
        protected void end(String reason) {
            ws.writeTextMessage(new JsonObject().put("type", "end").put("reason", reason).encode());
            ws.close((short) 1001, "event feed ended");
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
            if (!ws.isClosed()) {
                ws.writeTextMessage(reply.encode());
            }
        }

        private JsonObject problemMessage(Throwable error) {
            return new JsonObject().put("type", "error")
                    .put("problem", Problems.of(error, "/api/v1/events/ws").body());
        }
    }
}
