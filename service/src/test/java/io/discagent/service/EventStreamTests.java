package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.RecorderId;
import io.discagent.service.SseClient.Frame;
import io.discagent.service.TestService.Session;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The SSE and WebSocket event streams: snapshots, live events, filters, Last-Event-ID replay, bound sessions. */
class EventStreamTests {

    private static final Duration QUIET = Duration.ofMillis(300);

    @Test
    void sseStartsWithASnapshotAndFollowsTheLocks() {
        try (TestService t = TestService.start(); SseClient sse = SseClient.connect(t.http, t.base + "/api/v1/events")) {
            assertThat(sse.status).isEqualTo(200);
            List<Frame> snapshot = sse.next(2);
            assertThat(snapshot).extracting(Frame::recorder).containsExactly("sim-0", "sim-1");
            assertThat(snapshot).allSatisfy(f -> {
                assertThat(f.event()).isEqualTo("lock-transition");
                assertThat(f.cause()).isEqualTo("SNAPSHOT");
                assertThat(f.data().getJsonObject("to").getString("state")).isEqualTo("free");
            });
            Session a = t.open("Kiosk A");
            t.acquire(a, "sim-0");
            Frame acquired = sse.next();
            assertThat(acquired.cause()).isEqualTo("ACQUIRED");
            assertThat(acquired.recorder()).isEqualTo("sim-0");
            assertThat(acquired.data().getJsonObject("to").getString("owner")).isEqualTo("Kiosk A");
            assertThat(acquired.id()).isEqualTo(String.valueOf(acquired.data().getLong("sequence")));
            assertThat(acquired.data().encode()).doesNotContain(a.token()).doesNotContain("\"session\"");
            t.release(a, "sim-0");
            Frame released = sse.next();
            assertThat(released.cause()).isEqualTo("RELEASED");
            assertThat(Long.parseLong(released.id())).isEqualTo(Long.parseLong(acquired.id()) + 1);

            t.sim().removeRecorder(RecorderId.of("sim-1"));
            assertThat(sse.next().event()).isEqualTo("recorder-removed");
            t.sim().addRecorder("sim-1");
            Frame arrived = sse.next();
            assertThat(arrived.event()).isEqualTo("recorder-arrived");
            assertThat(arrived.data().getJsonObject("info").getString("id")).isEqualTo("sim-1");
        }
    }

    @Test
    void trayUnlocksAndEjectRequestsOfAHeldDriveAreStreamed() {
        try (TestService t = TestService.start(); SseClient sse = SseClient.connect(t.http, t.base + "/api/v1/events")) {
            sse.next(2);
            Session a = t.open("Kiosk A");
            t.acquire(a, "sim-0");
            assertThat(sse.next().cause()).isEqualTo("ACQUIRED");

            t.sim().unlockTrayExternally(RecorderId.of("sim-0"), "eject (pid 4242)");
            Frame unlocked = sse.next();
            assertThat(unlocked.event()).isEqualTo("tray-unlocked");
            assertThat(unlocked.data().getString("culprit")).isEqualTo("eject (pid 4242)");
            assertThat(unlocked.data().getBoolean("trayOpened")).isFalse();
            assertThat(unlocked.data().getBoolean("relocked")).isTrue();

            t.sim().pressEjectButton(RecorderId.of("sim-0"));
            Frame eject = sse.next();
            assertThat(eject.event()).isEqualTo("eject-requested");
            assertThat(eject.data().getString("holder")).isEqualTo("Kiosk A");
            assertThat(eject.data().getString("type")).isEqualTo("eject-requested");
        }
    }

    @Test
    void sseFiltersByRecorder() {
        try (TestService t = TestService.start();
                SseClient sse = SseClient.connect(t.http, t.base + "/api/v1/events?recorder=sim-1")) {
            assertThat(sse.next().recorder()).isEqualTo("sim-1");
            Session a = t.open("Kiosk A");
            t.acquire(a, "sim-0");
            t.acquire(a, "sim-1");
            Frame frame = sse.next();
            assertThat(frame.recorder()).isEqualTo("sim-1");
            assertThat(frame.cause()).isEqualTo("ACQUIRED");
            assertThat(sse.pending()).isEmpty();
        }
    }

    /** Connects, reads the snapshot of the two recorders, disconnects: the id a reconnecting client would send. */
    private static String snapshotId(TestService t) {
        try (SseClient first = SseClient.connect(t.http, t.base + "/api/v1/events")) {
            return first.next(2).get(1).id();
        }
    }

    /** Three events on sim-0: ACQUIRED, ACQUIRED, RELEASED. */
    private static void acquireTwiceReleaseOnce(TestService t, Session a) {
        t.acquire(a, "sim-0");
        t.acquire(a, "sim-0");
        t.release(a, "sim-0");
    }

    @Test
    void sseResumesAfterLastEventIdWithoutASnapshot() {
        try (TestService t = TestService.start()) {
            String lastSeen = snapshotId(t);
            Session a = t.open("Kiosk A");
            acquireTwiceReleaseOnce(t, a);
            try (SseClient resumed = SseClient.connect(t.http, t.base + "/api/v1/events",
                    "Last-Event-ID", lastSeen)) {
                List<Frame> missed = resumed.next(3);
                assertThat(missed).extracting(Frame::cause).containsExactly("ACQUIRED", "ACQUIRED", "RELEASED");
                long first = Long.parseLong(lastSeen) + 1;
                assertThat(missed).extracting(Frame::id).containsExactly(String.valueOf(first),
                        String.valueOf(first + 1), String.valueOf(first + 2));
                t.release(a, "sim-0");
                assertThat(resumed.next().cause()).isEqualTo("RELEASED");
            }
            try (SseClient bySince = SseClient.connect(t.http, t.base + "/api/v1/events?since=" + lastSeen)) {
                assertThat(bySince.next().cause()).isEqualTo("ACQUIRED");
            }
        }
    }

    @Test
    void sseGivesAResetAndASnapshotWhenTheMissedEventsAreNoLongerKept() {
        try (TestService t = TestService.start(c -> c.replayEvents(2).replayWindow(Duration.ofMinutes(5)))) {
            String lastSeen = snapshotId(t);
            Session a = t.open("Kiosk A");
            acquireTwiceReleaseOnce(t, a);
            t.release(a, "sim-0");
            // four events happened after lastSeen, and only the last two are kept
            try (SseClient resumed = SseClient.connect(t.http, t.base + "/api/v1/events",
                    "Last-Event-ID", lastSeen)) {
                Frame reset = resumed.next();
                assertThat(reset.event()).isEqualTo("reset");
                assertThat(resumed.next(2)).extracting(Frame::cause).containsOnly("SNAPSHOT");
            }
            t.get("/api/v1/events", "Last-Event-ID", "yesterday").problem(400, "E_INVALIDARG");
            t.get("/api/v1/events?since=-1").problem(400, "E_INVALIDARG");
        }
    }

    @Test
    void theReplayWindowAlsoEndsWithTime() {
        try (TestService t = TestService.onVirtualTime(c -> c.replayEvents(1024).replayWindow(Duration.ofMinutes(1)))) {
            String lastSeen = snapshotId(t);
            Session a = t.open("Kiosk A");
            acquireTwiceReleaseOnce(t, a);
            t.time.advanceTimeBy(Duration.ofSeconds(59));
            try (SseClient recent = SseClient.connect(t.http, t.base + "/api/v1/events", "Last-Event-ID", lastSeen)) {
                assertThat(recent.next().cause()).isEqualTo("ACQUIRED");
            }
            t.time.advanceTimeBy(Duration.ofSeconds(2));
            try (SseClient late = SseClient.connect(t.http, t.base + "/api/v1/events", "Last-Event-ID", lastSeen)) {
                assertThat(late.next().event()).isEqualTo("reset");
                assertThat(late.next().cause()).isEqualTo("SNAPSHOT");
            }
        }
    }

    /** A WebSocket test client collecting text messages. */
    static final class WsClient implements WebSocket.Listener {
        final BlockingQueue<JsonObject> messages = new LinkedBlockingQueue<>();
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                messages.add(new JsonObject(partial.toString()));
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }

        JsonObject next() throws InterruptedException {
            JsonObject message = messages.poll(TestService.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(message).as("a WebSocket message").isNotNull();
            return message;
        }
    }

    private static WebSocket connect(TestService t, String query, WsClient client) {
        return t.http.newWebSocketBuilder()
                .buildAsync(URI.create(t.base.replace("http:", "ws:") + "/api/v1/events/ws" + query), client)
                .join();
    }

    @Test
    void theWebSocketStreamCarriesTheSameEvents() throws Exception {
        try (TestService t = TestService.start()) {
            WsClient client = new WsClient();
            WebSocket ws = connect(t, "?recorder=sim-0", client);
            JsonObject snapshot = client.next();
            assertThat(snapshot.getString("type")).isEqualTo("lock-transition");
            assertThat(snapshot.getString("cause")).isEqualTo("SNAPSHOT");
            assertThat(snapshot.getString("recorder")).isEqualTo("sim-0");
            Session a = t.open("Kiosk A");
            t.acquire(a, "sim-1");
            t.acquire(a, "sim-0");
            JsonObject acquired = client.next();
            assertThat(acquired.getString("recorder")).isEqualTo("sim-0");
            assertThat(acquired.getString("cause")).isEqualTo("ACQUIRED");
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
        }
    }

    @Test
    void aSessionBoundToAWebSocketIsClosedWithItAndNeedsNoHeartbeat() throws Exception {
        try (TestService t = TestService.start()) {
            Session a = t.open("Kiosk A");
            Session b = t.open("Kiosk B");
            WsClient client = new WsClient();
            WebSocket ws = connect(t, "", client);
            client.next();
            client.next();
            ws.sendText(new JsonObject().put("type", "bind").put("sessionId", a.id()).put("token", b.token())
                    .encode(), true).join();
            JsonObject refused = client.next();
            assertThat(refused.getString("type")).isEqualTo("error");
            assertThat(refused.getJsonObject("problem").getInteger("status")).isEqualTo(403);
            ws.sendText("{not json", true).join();
            assertThat(client.next().getJsonObject("problem").getInteger("status")).isEqualTo(400);

            ws.sendText(new JsonObject().put("type", "bind").put("sessionId", a.id()).put("token", a.token())
                    .encode(), true).join();
            assertThat(client.next()).isEqualTo(new JsonObject().put("type", "bound").put("sessionId", a.id()));
            assertThat(t.get("/api/v1/sessions/" + a.id(), "X-Session-Token", a.token()).json().getString("scope"))
                    .isEqualTo("websocket");
            t.acquire(a, "sim-0");
            t.acquire(b, "sim-1");
            assertThat(client.next().getString("cause")).isEqualTo("ACQUIRED");

            ws.abort(); // the client vanishes without a close handshake
            TestService.eventually(() -> t.lock("sim-0").getString("state").equals("free"));
            assertThat(t.acquire(a, "sim-0").problem(410, "RPC_E_DISCONNECTED").getString("detail"))
                    .contains("WebSocket closed");
            assertThat(t.lock("sim-1").getString("owner")).isEqualTo("Kiosk B");
        }
    }
}
