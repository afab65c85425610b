package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.discagent.api.error.InvalidArgumentException;
import io.discagent.service.TestService.Reply;
import io.discagent.service.TestService.Session;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** Sessions, their tokens, the access and admin tokens, and the safe defaults. */
class SessionAndTokenTests {

    private static final String TOKEN = "Sxq3Q2p7_oJ0vE5nGm1-wK9dYtRbLz4c";
    private static final String ADMIN = "adm-9f8e7d6c5b4a39281706f5e4d3c2b1a0";

    @Test
    void sessionIdsAreUnguessableAndNeverReusedAcrossRestarts() {
        java.util.Set<String> ids = new java.util.HashSet<>();
        Session old;
        try (TestService t = TestService.start()) {
            for (int i = 0; i < 100; i++) {
                Session session = t.open("Kiosk " + i);
                assertThat(session.id()).matches("s-[A-Za-z0-9_-]{22}");
                assertThat(ids.add(session.id())).isTrue();
                t.send("DELETE", "/api/v1/sessions/" + session.id(), null, "X-Session-Token", session.token());
            }
            old = t.open("Before the restart");
            // the grant names the same id as the session, not the agent's own counter
            assertThat(t.acquire(old, "sim-0").json().getString("sessionId")).isEqualTo(old.id());
        }
        try (TestService t = TestService.start()) {
            Session fresh = t.open("After the restart");
            assertThat(ids).doesNotContain(fresh.id());
            assertThat(fresh.id()).isNotEqualTo(old.id());
            // a client from before the restart meets "no such session", never someone else's session
            t.post("/api/v1/sessions/" + old.id() + "/heartbeat", null, "X-Session-Token", old.token())
                    .problem(404, "HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE)");
            assertThat(t.get("/api/v1/sessions/" + fresh.id(), "X-Session-Token", fresh.token()).json()
                    .getJsonArray("locks")).isEmpty();
        }
    }

    @Test
    void aNonLoopbackBindNeedsStrongTokens() {
        for (String weak : new String[] {"x", "tok", "a".repeat(64), "abcabcabcabcabcabcabcabcabcabcabcabc",
                TOKEN.substring(1)}) {
            assertThatThrownBy(() -> ServiceConfig.builder().host("0.0.0.0").accessToken(weak).build())
                    .as(weak).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("32 characters");
            assertThatThrownBy(() -> ServiceConfig.builder().host("0.0.0.0").accessToken(TOKEN).adminToken(weak)
                    .build()).as(weak).isInstanceOf(InvalidArgumentException.class)
                    .hasMessageContaining("admin token");
        }
        assertThat(ServiceConfig.builder().host("0.0.0.0").accessToken(TOKEN).adminToken(ADMIN).build()
                .bindsLoopback()).isFalse();
        // on loopback the token is an extra, and any is taken
        assertThat(ServiceConfig.builder().accessToken("x").build().accessToken()).hasValue("x");
    }

    @Test
    void aSessionIsCreatedWithASecretTokenAndALease() {
        try (TestService t = TestService.start()) {
            Reply created = t.post("/api/v1/sessions", new JsonObject().put("clientName", "Kiosk A")
                    .put("ttlMillis", 5000));
            assertThat(created.status()).isEqualTo(201);
            JsonObject body = created.json();
            assertThat(created.headers().firstValue("Location")).hasValue("/api/v1/sessions/" + body.getString("sessionId"));
            assertThat(body.getString("token")).hasSize(43);
            assertThat(body.getString("clientName")).isEqualTo("Kiosk A");
            assertThat(body.getLong("ttlMillis")).isEqualTo(5000);
            assertThat(body.getLong("heartbeatIntervalMillis")).isEqualTo(1666);
            assertThat(body.getString("scope")).isEqualTo("lease");
            Session other = t.open("Kiosk A");
            assertThat(other.token()).isNotEqualTo(body.getString("token"));
            assertThat(other.id()).isNotEqualTo(body.getString("sessionId"));
        }
    }

    @Test
    void anInvalidClientNameIs422() {
        try (TestService t = TestService.start()) {
            for (String name : new String[] {"", "Kiosk/A", "x".repeat(64), "K\u00f6ln", "tab\there"}) {
                JsonObject problem = t.post("/api/v1/sessions", new JsonObject().put("clientName", name))
                        .problem(422, "E_IMAPI_RECORDER_CLIENT_NAME_IS_NOT_VALID");
                assertThat(problem.getString("hresult")).isEqualTo("0xC0AA0211");
            }
            assertThat(t.post("/api/v1/sessions", new JsonObject().put("clientName", "x".repeat(63))).status())
                    .isEqualTo(201);
        }
    }

    @Test
    void getHeartbeatAndDeleteNeedTheSessionsOwnToken() {
        try (TestService t = TestService.start()) {
            Session a = t.open("Kiosk A");
            Session b = t.open("Kiosk B");
            t.acquire(a, "sim-0");
            t.acquire(a, "sim-0");
            String path = "/api/v1/sessions/" + a.id();

            Reply mine = t.get(path, "X-Session-Token", a.token());
            assertThat(mine.status()).isEqualTo(200);
            assertThat(mine.json().getJsonArray("locks").getJsonObject(0).getString("recorder")).isEqualTo("sim-0");
            assertThat(mine.json().getJsonArray("locks").getJsonObject(0).getInteger("count")).isEqualTo(2);
            assertThat(mine.body()).doesNotContain(a.token());

            t.get(path, "X-Session-Token", b.token()).problem(403, "E_ACCESSDENIED");
            t.get(path).problem(401, "E_ACCESSDENIED");
            t.post(path + "/heartbeat", null, "X-Session-Token", b.token()).problem(403, "E_ACCESSDENIED");
            t.send("DELETE", path, null, "X-Session-Token", b.token()).problem(403, "E_ACCESSDENIED");
            t.send("DELETE", path, null).problem(401, "E_ACCESSDENIED");
            // b can neither release nor extend a's lock with its own session id and a's token, or the reverse
            t.post("/api/v1/recorders/sim-0/release", new JsonObject().put("sessionId", a.id()),
                    "X-Session-Token", b.token()).problem(403, "E_ACCESSDENIED");
            t.post("/api/v1/recorders/sim-0/release", new JsonObject().put("sessionId", b.id()),
                    "X-Session-Token", a.token()).problem(403, "E_ACCESSDENIED");
            assertThat(t.lock("sim-0").getInteger("count")).isEqualTo(2);

            Reply beat = t.post(path + "/heartbeat", null, "X-Session-Token", a.token());
            assertThat(beat.status()).isEqualTo(200);
            assertThat(beat.json().getLong("expiresInMillis")).isBetween(1L, 30_000L);
            assertThat(beat.body()).doesNotContain(a.token());
        }
    }

    @Test
    void aWaitingSessionSeesItsPlaceInLineAndWhoHoldsTheRecorder() throws Exception {
        try (TestService t = TestService.start()) {
            Session holder = t.open("Kiosk A");
            Session first = t.open("Kiosk B");
            Session second = t.open("Kiosk C");
            t.acquire(holder, "sim-0");
            JsonObject wait = new JsonObject().put("waitMillis", 20_000);
            var firstWaits = java.util.concurrent.CompletableFuture.supplyAsync(() -> t.acquire(first, "sim-0", wait));
            TestService.eventually(() -> t.service.metrics().scrape().contains("discagent_acquire_waiters 1.0"));
            var secondWaits = java.util.concurrent.CompletableFuture.supplyAsync(() -> t.acquire(second, "sim-0",
                    wait));
            TestService.eventually(() -> t.service.metrics().scrape().contains("discagent_acquire_waiters 2.0"));

            JsonObject seen = t.get("/api/v1/sessions/" + second.id(), "X-Session-Token", second.token()).json();
            assertThat(seen.getJsonArray("waiting")).hasSize(1);
            JsonObject place = seen.getJsonArray("waiting").getJsonObject(0);
            assertThat(place.getString("recorder")).isEqualTo("sim-0");
            assertThat(place.getInteger("place")).isEqualTo(2);
            assertThat(place.getString("owner")).isEqualTo("Kiosk A");
            assertThat(t.get("/api/v1/sessions/" + holder.id(), "X-Session-Token", holder.token()).json()
                    .getJsonArray("waiting")).isEmpty();

            t.release(holder, "sim-0");
            assertThat(firstWaits.get(20, java.util.concurrent.TimeUnit.SECONDS).status()).isEqualTo(200);
            JsonObject moved = t.get("/api/v1/sessions/" + second.id(), "X-Session-Token", second.token()).json()
                    .getJsonArray("waiting").getJsonObject(0);
            assertThat(moved.getInteger("place")).isEqualTo(1);
            assertThat(moved.getString("owner")).isEqualTo("Kiosk B");
            t.release(first, "sim-0");
            assertThat(secondWaits.get(20, java.util.concurrent.TimeUnit.SECONDS).status()).isEqualTo(200);
        }
    }

    @Test
    void deletingASessionReleasesEverythingItHoldsAndLaterCallsAre410() {
        try (TestService t = TestService.start()) {
            Session a = t.open("Kiosk A");
            t.acquire(a, "sim-0");
            t.acquire(a, "sim-0");
            t.acquire(a, "sim-1");
            assertThat(t.send("DELETE", "/api/v1/sessions/" + a.id(), null, "X-Session-Token", a.token()).status())
                    .isEqualTo(204);
            assertThat(t.lock("sim-0").getString("state")).isEqualTo("free");
            assertThat(t.lock("sim-1").getString("state")).isEqualTo("free");
            assertThat(t.sim().state(io.discagent.api.RecorderId.of("sim-0")).nativeOwner()).isNull();

            JsonObject closed = t.acquire(a, "sim-0").problem(410, "RPC_E_DISCONNECTED");
            assertThat(closed.getString("hresult")).isEqualTo("0x80010108");
            assertThat(closed.getString("detail")).contains("closed by its client");
            t.release(a, "sim-0").problem(410, "RPC_E_DISCONNECTED");
            t.post("/api/v1/sessions/" + a.id() + "/heartbeat", null, "X-Session-Token", a.token())
                    .problem(410, "RPC_E_DISCONNECTED");
            t.send("DELETE", "/api/v1/sessions/" + a.id(), null, "X-Session-Token", a.token())
                    .problem(410, "RPC_E_DISCONNECTED");
        }
    }

    @Test
    void unknownSessionsAre404() {
        try (TestService t = TestService.start()) {
            JsonObject problem = t.get("/api/v1/sessions/s-999", "X-Session-Token", "whatever")
                    .problem(404, "HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE)");
            assertThat(problem.getString("type")).isEqualTo("urn:discagent:problem:unknown-session");
            t.acquire(new Session("s-999", "x"), "sim-0").problem(404, "HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE)");
        }
    }

    @Test
    void theSessionLimitIs429() {
        try (TestService t = TestService.start(c -> c.maxSessions(2))) {
            t.open("One");
            Session two = t.open("Two");
            JsonObject problem = t.post("/api/v1/sessions", new JsonObject().put("clientName", "Three"))
                    .problem(429, "HRESULT_FROM_WIN32(ERROR_NOT_ENOUGH_QUOTA)");
            assertThat(problem.getString("type")).isEqualTo("urn:discagent:problem:too-many-sessions");
            t.send("DELETE", "/api/v1/sessions/" + two.id(), null, "X-Session-Token", two.token());
            assertThat(t.post("/api/v1/sessions", new JsonObject().put("clientName", "Three")).status())
                    .isEqualTo(201);
        }
    }

    @Test
    void anAdminClosesAnySessionAndNobodyElseCan() {
        try (TestService t = TestService.start(c -> c.adminToken("admin-secret"))) {
            Session a = t.open("Kiosk A");
            t.acquire(a, "sim-0");
            t.send("DELETE", "/api/v1/sessions/" + a.id(), null, "X-Admin-Token", "guess").problem(403,
                    "E_ACCESSDENIED");
            assertThat(t.lock("sim-0").getString("state")).isEqualTo("held");
            assertThat(t.send("DELETE", "/api/v1/sessions/" + a.id(), null, "X-Admin-Token", "admin-secret")
                    .status()).isEqualTo(204);
            assertThat(t.lock("sim-0").getString("state")).isEqualTo("free");
            assertThat(t.acquire(a, "sim-0").problem(410, "RPC_E_DISCONNECTED").getString("detail"))
                    .contains("closed by an admin");
        }
    }

    @Test
    void anAccessTokenIsRequiredOnEveryApiCallOnceConfigured() {
        try (TestService t = TestService.start(c -> c.accessToken("open-sesame"))) {
            t.get("/api/v1/recorders").problem(401, "E_ACCESSDENIED");
            t.get("/api/v1/recorders", "Authorization", "Bearer wrong").problem(401, "E_ACCESSDENIED");
            t.get("/metrics").problem(401, "E_ACCESSDENIED");
            t.post("/api/v1/sessions", new JsonObject().put("clientName", "A")).problem(401, "E_ACCESSDENIED");
            assertThat(t.get("/api/v1/recorders", "Authorization", "Bearer open-sesame").status()).isEqualTo(200);
            assertThat(t.get("/metrics", "Authorization", "Bearer open-sesame").status()).isEqualTo(200);
            assertThat(t.get("/health").status()).isEqualTo(200);
            assertThat(t.get("/").status()).isEqualTo(200);
            // the event streams also take it as a query parameter (EventSource cannot send headers); others do not
            t.get("/api/v1/recorders?access_token=open-sesame").problem(401, "E_ACCESSDENIED");
        }
    }

    @Test
    void aNonLoopbackBindNeedsAnAccessTokenAndSimulatorControlNeedsTheAdminToken() {
        assertThatThrownBy(() -> ServiceConfig.builder().host("0.0.0.0").build())
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("access token");
        assertThat(ServiceConfig.builder().host("127.0.0.1").build().bindsLoopback()).isTrue();
        assertThat(ServiceConfig.builder().host("::1").build().bindsLoopback()).isTrue();
        try (TestService t = TestService.start(c -> c.host("0.0.0.0").accessToken(TOKEN).adminToken(ADMIN))) {
            String auth = "Bearer " + TOKEN;
            t.get("/api/v1/sim/recorders", "Authorization", auth).problem(403, "E_ACCESSDENIED");
            t.post("/api/v1/sim/recorders", new JsonObject(), "Authorization", auth).problem(403, "E_ACCESSDENIED");
            assertThat(t.sim().recorders()).hasSize(2);
            assertThat(t.get("/api/v1/sim/recorders", "Authorization", auth, "X-Admin-Token", ADMIN).status())
                    .isEqualTo(200);
            assertThat(t.post("/api/v1/sim/recorders", new JsonObject(), "Authorization", auth,
                    "X-Admin-Token", ADMIN).status()).isEqualTo(201);
            assertThat(t.sim().recorders()).hasSize(3);
        }
    }

    @Test
    void onALoopbackBindAForeignHostHeaderIsRefused() throws Exception {
        try (TestService t = TestService.start()) {
            String answer = RawHttp.exchange(t.service.port(), "GET /api/v1/recorders HTTP/1.1\r\n"
                    + "Host: evil.example:8731\r\nConnection: close\r\n\r\n");
            assertThat(answer).startsWith("HTTP/1.1 403");
            assertThat(answer).contains("application/problem+json");
            String local = RawHttp.exchange(t.service.port(), "GET /api/v1/recorders HTTP/1.1\r\n"
                    + "Host: localhost:8731\r\nConnection: close\r\n\r\n");
            assertThat(local).startsWith("HTTP/1.1 200");
        }
    }
}
