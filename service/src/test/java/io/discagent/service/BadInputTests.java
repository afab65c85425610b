package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.RecorderId;
import io.discagent.service.TestService.Reply;
import io.discagent.service.TestService.Session;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Malformed input of every kind gets a 4xx problem document, never a 5xx, and never changes state: the recorders,
 * the simulated devices, the sessions and the holder's counts are the same after the barrage as before.
 */
class BadInputTests {

    private TestService t;
    private Session holder;
    private String stateBefore;

    @BeforeEach
    void start() {
        t = TestService.start();
        holder = t.open("Holder");
        t.acquire(holder, "sim-0");
        t.acquire(holder, "sim-0");
        stateBefore = state();
    }

    @AfterEach
    void stop() {
        try {
            assertThat(state()).as("state after bad input").isEqualTo(stateBefore);
        } finally {
            t.close();
        }
    }

    /** Everything observable: recorders and locks, simulated devices, open sessions, the holder's own view. */
    private String state() {
        StringBuilder s = new StringBuilder(t.get("/api/v1/recorders").body());
        s.append(t.get("/api/v1/sim/recorders").body());
        for (RecorderId id : t.sim().recorders()) {
            s.append(t.sim().state(id));
        }
        for (String line : t.service.metrics().scrape().split("\n")) {
            if (line.startsWith("discagent_sessions_open")) {
                s.append(line);
            }
        }
        JsonObject mine = t.get("/api/v1/sessions/" + holder.id(), "X-Session-Token", holder.token()).json();
        mine.remove("expiresInMillis");
        return s.append(mine.encode()).toString();
    }

    private void expect(int status, Reply reply) {
        assertThat(reply.status()).as("answer %s", reply.body()).isEqualTo(status);
        assertThat(reply.contentType()).isEqualTo("application/problem+json");
    }

    private Reply acquireRaw(String body, String... headers) {
        List<String> all = new ArrayList<>(List.of("X-Session-Token", holder.token()));
        all.addAll(List.of(headers));
        return t.send("POST", "/api/v1/recorders/sim-1/acquire", body, all.toArray(new String[0]));
    }

    @Test
    void malformedJsonIs400() {
        for (String body : new String[] {"{", "}", "{\"sessionId\":", "nul", "[]", "5", "\"text\"", "null",
                "{\"sessionId\":\"x\",}", "{'sessionId':'x'}", "\u0000", "[" .repeat(5000) + "]".repeat(5000)}) {
            expect(400, acquireRaw(body));
            expect(400, t.send("POST", "/api/v1/sessions", body));
        }
    }

    @Test
    void wrongTypesAndRangesAre400() {
        String sid = holder.id();
        List<JsonObject> bodies = List.of(
                new JsonObject(),
                new JsonObject().put("sessionId", 5),
                new JsonObject().put("sessionId", ""),
                new JsonObject().put("sessionId", new JsonArray().add(sid)),
                new JsonObject().put("sessionId", sid).put("force", "yes"),
                new JsonObject().put("sessionId", sid).put("force", 1),
                new JsonObject().put("sessionId", sid).put("waitMillis", "10"),
                new JsonObject().put("sessionId", sid).put("waitMillis", 1.5),
                new JsonObject().put("sessionId", sid).put("waitMillis", -1),
                new JsonObject().put("sessionId", sid).put("waitMillis", 1e20),
                new JsonObject().put("sessionId", sid).put("waitMillis", Long.MAX_VALUE),
                new JsonObject().put("sessionId", sid).put("waitMillis", true),
                new JsonObject().put("sessionId", sid).put("retry", 5),
                new JsonObject().put("sessionId", sid).put("retry", "sometimes"),
                new JsonObject().put("sessionId", sid).put("retry", new JsonObject()),
                new JsonObject().put("sessionId", sid).put("retry", new JsonObject().put("maxAttempts", 0)),
                new JsonObject().put("sessionId", sid).put("retry", new JsonObject().put("maxAttempts", 3)
                        .put("jitter", 2)),
                new JsonObject().put("sessionId", sid).put("retry", new JsonObject().put("maxAttempts", 3)
                        .put("minBackoffMillis", 500).put("maxBackoffMillis", 100)),
                new JsonObject().put("sessionId", sid).put("retry", new JsonObject().put("bogus", 1)),
                new JsonObject().put("sessionId", sid).put("unknown", 1));
        for (JsonObject body : bodies) {
            expect(400, acquireRaw(body.encode()));
        }
        for (JsonObject body : List.of(new JsonObject(), new JsonObject().put("clientName", 7),
                new JsonObject().put("clientName", "A").put("ttlMillis", "5"),
                new JsonObject().put("clientName", "A").put("ttlMillis", 0),
                new JsonObject().put("clientName", "A").put("extra", true))) {
            expect(400, t.send("POST", "/api/v1/sessions", body.encode()));
        }
        expect(400, t.send("POST", "/api/v1/recorders/sim-0/release", "{\"sessionId\":7}",
                "X-Session-Token", holder.token()));
    }

    @Test
    void wrongContentTypesAndHugeBodiesAreRefused() {
        String body = new JsonObject().put("sessionId", holder.id()).encode();
        expect(415, acquireRaw(body, "Content-Type", "text/plain"));
        expect(415, acquireRaw(body, "Content-Type", "application/x-www-form-urlencoded"));
        expect(415, t.send("POST", "/api/v1/sessions", "{\"clientName\":\"A\"}", "Content-Type", "text/plain"));
        String huge = "{\"sessionId\":\"" + "x".repeat(100_000) + "\"}";
        expect(413, acquireRaw(huge));
        expect(413, t.send("POST", "/api/v1/sessions", huge));
        expect(413, t.send("POST", "/api/v1/sessions/" + holder.id() + "/heartbeat", huge,
                "X-Session-Token", holder.token()));
    }

    @Test
    void unknownIdsRoutesAndMethodsAre4xx() {
        expect(404, t.get("/api/v1/recorders/unknown"));
        expect(404, t.get("/api/v1/recorders/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd/owner"));
        expect(400, t.get("/api/v1/recorders/" + "r".repeat(300)));
        expect(404, t.get("/api/v1/recorders/sim-0/nothing"));
        expect(404, t.get("/api/v2/recorders"));
        expect(405, t.send("PATCH", "/api/v1/recorders", "{}"));
        expect(405, t.send("DELETE", "/api/v1/recorders/sim-0", null));
        expect(405, t.get("/api/v1/recorders/sim-0/acquire"));
        expect(404, t.get("/api/v1/sessions/s-424242", "X-Session-Token", "nope"));
        expect(404, t.post("/api/v1/sessions/s-424242/heartbeat", null, "X-Session-Token", "nope"));
        expect(400, t.get("/api/v1/events?recorder="));
        expect(400, t.get("/api/v1/events/ws?since=soon"));
    }

    @Test
    void invalidClientNamesAre422() {
        for (String name : new String[] {"", "a/b", "<script>", "x".repeat(64), "\u00e9", "a\nb"}) {
            expect(422, t.post("/api/v1/sessions", new JsonObject().put("clientName", name)));
        }
    }

    @Test
    void doubleReleasesAre409AndLeaveTheCountAlone() {
        Session other = t.open("Other");
        t.acquire(other, "sim-1");
        t.release(other, "sim-1");
        t.send("DELETE", "/api/v1/sessions/" + other.id(), null, "X-Session-Token", other.token());
        other = t.open("Other");
        stateBefore = state(); // the baseline of this test: one more session, sim-1 once taken and dropped
        expect(409, t.release(other, "sim-1"));
        expect(409, t.release(other, "sim-1"));
        expect(409, t.release(other, "sim-0"));
    }

    @Test
    void badSimulatorRequestsAre4xx() {
        String fault = "/api/v1/sim/recorders/sim-1/faults";
        expect(400, t.post(fault, new JsonObject().put("kind", "explode")));
        expect(400, t.post(fault, new JsonObject().put("kind", "fail")));
        expect(400, t.post(fault, new JsonObject().put("kind", "fail").put("hresult", "0x00000001")));
        expect(400, t.post(fault, new JsonObject().put("kind", "fail").put("hresult", "0xZZ")));
        expect(400, t.post(fault, new JsonObject().put("kind", "fail").put("hresult", "0x1FFFFFFFF")));
        expect(400, t.post(fault, new JsonObject().put("kind", "fail").put("hresult", "E_NOT_A_THING")));
        expect(400, t.post(fault, new JsonObject().put("kind", "hang").put("times", 0)));
        expect(400, t.post(fault, new JsonObject().put("kind", "hang").put("operation", "EJECT")));
        expect(400, t.post(fault, new JsonObject().put("kind", "hang").put("hresult", "E_FAIL")));
        expect(404, t.post("/api/v1/sim/recorders/nope/faults", new JsonObject().put("kind", "hang")));
        expect(400, t.send("PUT", "/api/v1/sim/recorders/sim-1/latency", "{\"millis\":-1}"));
        expect(400, t.send("PUT", "/api/v1/sim/recorders/sim-1/latency", "{\"millis\":600000}"));
        expect(400, t.send("PUT", "/api/v1/sim/recorders/sim-1/media", "{\"state\":\"purple\"}"));
        expect(400, t.send("PUT", "/api/v1/sim/recorders/sim-1/external-lock", "{\"owner\":\"\"}"));
        expect(400, t.send("PUT", "/api/v1/sim/recorders/sim-1/mount", "{}"));
        expect(400, t.post("/api/v1/sim/recorders", new JsonObject().put("id", "../x")));
        expect(400, t.post("/api/v1/sim/recorders", new JsonObject().put("id", 5)));
        expect(409, t.post("/api/v1/sim/recorders", new JsonObject().put("id", "sim-0")));
        expect(423, t.send("PUT", "/api/v1/sim/recorders/sim-0/external-lock", "{\"owner\":\"wodim\"}"));
        expect(404, t.send("DELETE", "/api/v1/sim/recorders/nope", null));
    }

    @Test
    void thousandsOfRandomRequestsGetNo5xx() {
        Random random = new Random(20261122);
        String[] ids = {"nope", "sim-9", "%20", "a%2Fb", "\u00fc", "x".repeat(300), "s-0", "s-999", holder.id()};
        String[] templates = {"/api/v1/recorders", "/api/v1/recorders/{id}", "/api/v1/recorders/{id}/owner",
                "/api/v1/recorders/sim-1/acquire", "/api/v1/recorders/sim-0/release", "/api/v1/recorders/{id}/acquire",
                "/api/v1/recorders/{id}/release", "/api/v1/sessions", "/api/v1/sessions/{id}",
                "/api/v1/sessions/{id}/heartbeat", "/api/v1/sim/recorders/{id}", "/api/v1/sim/recorders/{id}/faults",
                "/api/v1/sim/recorders/{id}/external-lock", "/api/v1/sim/recorders/{id}/latency",
                "/api/v1/sim/recorders/{id}/release-hangs", "/api/v1/sim/recorders", "/api/v1/events?since=-{id}",
                "/api/v1/{id}", "/{id}", "/health/{id}", "/metrics/{id}"};
        String[] methods = {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
        int refused = 0;
        for (int i = 0; i < 2000; i++) {
            String id = java.net.URLEncoder.encode(ids[random.nextInt(ids.length)],
                    java.nio.charset.StandardCharsets.UTF_8);
            String path = templates[random.nextInt(templates.length)].replace("{id}", id);
            String method = methods[random.nextInt(methods.length)];
            String body = method.equals("GET") ? null : randomBody(random);
            List<String> headers = new ArrayList<>();
            if (random.nextBoolean()) {
                headers.add("X-Session-Token");
                headers.add(random.nextBoolean() ? "wrong-" + random.nextInt() : "");
            }
            if (body != null && random.nextInt(5) == 0) {
                headers.add("Content-Type");
                headers.add(random.nextBoolean() ? "text/plain" : "application/json; charset=utf-8");
            }
            Reply reply = t.send(method, path, body, headers.toArray(new String[0]));
            if (method.equals("GET") && reply.status() == 200) {
                continue; // a valid read (such as GET /api/v1/recorders); reads change nothing either
            }
            assertThat(reply.status()).as("%s %s %s -> %s", method, path, body, reply.body()).isBetween(400, 499);
            if (!method.equals("OPTIONS")) {
                assertThat(reply.contentType()).as("%s %s", method, path).isEqualTo("application/problem+json");
            }
            refused++;
        }
        assertThat(refused).isGreaterThan(1800);
    }

    /** A body that is never a valid request: garbage, a wrong-typed value, or an object with an unknown field. */
    private String randomBody(Random random) {
        switch (random.nextInt(6)) {
            case 0:
                byte[] bytes = new byte[random.nextInt(64) + 1];
                random.nextBytes(bytes);
                return new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1);
            case 1:
                return "[" + random.nextInt() + "]";
            case 2:
                return "{\"clientName\":" + random.nextInt() + "}";
            case 3:
                return "{\"sessionId\":\"" + holder.id() + "\",\"waitMillis\":" + (random.nextInt(1000) - 2000) + "}";
            case 4:
                return new JsonObject().put("zz" + random.nextInt(1000), random.nextDouble()).put("kind", "hang")
                        .put("clientName", "Fuzz").encode();
            default:
                return "{\"id\":" + random.nextInt() + ",\"owner\":null,\"millis\":\"" + random.nextInt() + "\"}";
        }
    }
}
