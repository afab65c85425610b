package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.RecorderId;
import io.discagent.service.TestService.Session;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Leases on virtual time: a session whose client vanished is closed after its TTL and its locks are released. */
class LeaseExpiryTests {

    @Test
    void aSessionThatMissesItsHeartbeatsIsClosedAndItsLocksReleased() {
        try (TestService t = TestService.onVirtualTime(c -> c.sessionTtl(Duration.ofSeconds(10)))) {
            Session vanished = t.open("Crashed Kiosk");
            Session alive = t.open("Live Kiosk");
            t.acquire(vanished, "sim-0");
            t.acquire(vanished, "sim-0");
            t.acquire(alive, "sim-1");

            for (int i = 0; i < 3; i++) {
                t.time.advanceTimeBy(Duration.ofSeconds(6));
                assertThat(t.post("/api/v1/sessions/" + alive.id() + "/heartbeat", null,
                        "X-Session-Token", alive.token()).status()).isEqualTo(200);
                if (i == 0) {
                    assertThat(t.lock("sim-0").getString("owner")).isEqualTo("Crashed Kiosk");
                }
            }
            // 18 s without a heartbeat: the vanished client's lease (10 s) ran out
            TestService.eventually(() -> t.lock("sim-0").getString("state").equals("free"));
            // the agent shows the recorder free first, then its worker releases the native claim (CI saw the gap once)
            TestService.eventually(() -> t.sim().state(RecorderId.of("sim-0")).nativeOwner() == null);
            assertThat(t.acquire(vanished, "sim-0").problem(410, "RPC_E_DISCONNECTED").getString("detail"))
                    .contains("lease expired");
            assertThat(t.lock("sim-1").getString("owner")).isEqualTo("Live Kiosk");
            assertThat(t.service.metrics().scrape()).contains("discagent_sessions_closed_total{cause=\"expired\"} 1.0");
        }
    }

    @Test
    void aLeaseRunsExactlyItsTtlFromTheLastHeartbeat() {
        try (TestService t = TestService.onVirtualTime(c -> c.sessionTtl(Duration.ofSeconds(10)))) {
            Session a = t.open("Kiosk A");
            t.acquire(a, "sim-0");
            t.time.advanceTimeBy(Duration.ofSeconds(5));
            t.post("/api/v1/sessions/" + a.id() + "/heartbeat", null, "X-Session-Token", a.token());
            t.time.advanceTimeBy(Duration.ofMillis(9_999));
            assertThat(t.get("/api/v1/sessions/" + a.id(), "X-Session-Token", a.token()).json()
                    .getLong("expiresInMillis")).isEqualTo(1L);
            assertThat(t.lock("sim-0").getString("state")).isEqualTo("held");
            t.time.advanceTimeBy(Duration.ofMillis(1));
            TestService.eventually(() -> t.lock("sim-0").getString("state").equals("free"));
        }
    }

    @Test
    void aClientMayAskForItsOwnTtlWithinTheBounds() {
        try (TestService t = TestService.onVirtualTime(c -> c.minSessionTtl(Duration.ofSeconds(1))
                .maxSessionTtl(Duration.ofMinutes(1)))) {
            t.post("/api/v1/sessions", new io.vertx.core.json.JsonObject().put("clientName", "A")
                    .put("ttlMillis", 500)).problem(400, "E_INVALIDARG");
            t.post("/api/v1/sessions", new io.vertx.core.json.JsonObject().put("clientName", "A")
                    .put("ttlMillis", 61_000)).problem(400, "E_INVALIDARG");
            TestService.Reply ok = t.post("/api/v1/sessions", new io.vertx.core.json.JsonObject()
                    .put("clientName", "A").put("ttlMillis", 2000));
            assertThat(ok.status()).isEqualTo(201);
            String id = ok.json().getString("sessionId");
            String token = ok.json().getString("token");
            t.time.advanceTimeBy(Duration.ofMillis(2000));
            TestService.eventually(() -> t.get("/api/v1/sessions/" + id, "X-Session-Token", token).status() == 410);
        }
    }
}
