package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.RecorderId;
import io.discagent.service.TestService.Reply;
import io.discagent.service.TestService.Session;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code /api/v1/sim}, {@code /health} and {@code /metrics}. */
class SimulatorAndMetricsTests {

    @Test
    void recordersAreAddedAndRemoved() {
        try (TestService t = TestService.start()) {
            Reply list = t.get("/api/v1/sim/recorders");
            assertThat(list.json().getJsonArray("recorders")).hasSize(2);
            Reply added = t.post("/api/v1/sim/recorders", null);
            assertThat(added.status()).isEqualTo(201);
            String id = added.json().getString("id");
            assertThat(added.headers().firstValue("Location")).hasValue("/api/v1/sim/recorders/" + id);
            TestService.eventually(() -> t.get("/api/v1/recorders/" + id).status() == 200);
            Reply named = t.post("/api/v1/sim/recorders", new JsonObject().put("id", "burner-7"));
            assertThat(named.status()).isEqualTo(201);
            TestService.eventually(() -> t.get("/api/v1/recorders/burner-7").status() == 200);

            Session a = t.open("Kiosk A");
            t.acquire(a, "burner-7");
            assertThat(t.send("DELETE", "/api/v1/sim/recorders/burner-7", null).status()).isEqualTo(204);
            TestService.eventually(() -> t.get("/api/v1/recorders/burner-7").status() == 404);
            t.release(a, "burner-7").problem(404, "HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)");
            assertThat(t.get("/health").json().getInteger("recorders")).isEqualTo(3);
        }
    }

    @Test
    void simulatorControlIsOffUnlessAskedFor() {
        try (TestService t = TestService.start(c -> c.simulatorControl(false))) {
            String multipart = "--XX\r\nContent-Disposition: form-data; name=\"anything\"\r\n\r\n1\r\n--XX--\r\n";
            for (Reply reply : new Reply[] {t.get("/api/v1/sim/recorders"), t.post("/api/v1/sim/recorders", null),
                    t.send("POST", "/api/v1/sim/recorders", multipart, "Content-Type",
                            "multipart/form-data; boundary=XX"),
                    t.post("/api/v1/sim/recorders/sim-0/release-hangs", null),
                    t.send("DELETE", "/api/v1/sim/recorders/sim-0", null)}) {
                JsonObject problem = reply.problem(404, "E_INVALIDARG");
                assertThat(problem.getString("type")).isEqualTo("urn:discagent:problem:not-simulated");
                assertThat(problem.getString("detail")).contains("--simulator-control");
            }
            assertThat(t.sim().recorders()).hasSize(2);
            assertThat(t.get("/api/v1/openapi.json").json().getJsonObject("paths").fieldNames())
                    .noneMatch(path -> path.startsWith("/api/v1/sim"));
        }
        try (TestService t = TestService.start(c -> c.simulatorControl(false).demo(true))) {
            assertThat(t.get("/api/v1/sim/recorders").status()).isEqualTo(200);
        }
    }

    @Test
    void simulatedRecordersAndTheirThreadsAreBounded() {
        try (TestService t = TestService.start(c -> c.maxSimulatedRecorders(4))) {
            assertThat(t.post("/api/v1/sim/recorders", null).status()).isEqualTo(201);
            assertThat(t.post("/api/v1/sim/recorders", null).status()).isEqualTo(201);
            TestService.eventually(() -> t.get("/health").json().getInteger("recorders") == 4);
            long threads = nativeThreads();
            for (int i = 0; i < 50; i++) {
                JsonObject problem = t.post("/api/v1/sim/recorders", null)
                        .problem(429, "HRESULT_FROM_WIN32(ERROR_NOT_ENOUGH_QUOTA)");
                assertThat(problem.getString("type")).isEqualTo("urn:discagent:problem:too-many-simulated-recorders");
            }
            assertThat(t.sim().recorders()).hasSize(4);
            // unplugging makes room, and a removed recorder's thread ends
            assertThat(t.send("DELETE", "/api/v1/sim/recorders/sim-3", null).status()).isEqualTo(204);
            for (int i = 0; i < 20; i++) {
                assertThat(t.post("/api/v1/sim/recorders", new JsonObject().put("id", "cycled")).status())
                        .isEqualTo(201);
                assertThat(t.post("/api/v1/sim/recorders", null).status()).isEqualTo(429);
                assertThat(t.send("DELETE", "/api/v1/sim/recorders/cycled", null).status()).isEqualTo(204);
            }
            TestService.eventually(() -> nativeThreads() < threads);
        }
    }

    private static long nativeThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().startsWith("discagent-native-sim")
                        || thread.getName().startsWith("discagent-native-cycled"))
                .count();
    }

    @Test
    void anExternalLockLatencyMediaAndMountAreSimulated() {
        try (TestService t = TestService.start()) {
            assertThat(t.send("PUT", "/api/v1/sim/recorders/sim-0/external-lock", "{\"owner\":\"brasero\"}")
                    .status()).isEqualTo(204);
            assertThat(t.get("/api/v1/recorders/sim-0/owner").json().getString("owner")).isEqualTo("brasero");
            Session a = t.open("Kiosk A");
            assertThat(t.acquire(a, "sim-0").problem(423, "E_IMAPI_RECORDER_LOCKED").getString("owner"))
                    .isEqualTo("brasero");
            assertThat(t.send("DELETE", "/api/v1/sim/recorders/sim-0/external-lock", null).status()).isEqualTo(204);
            assertThat(t.acquire(a, "sim-0").status()).isEqualTo(200);
            // the agent holds it now: another process cannot take it, and learns who has it
            assertThat(t.send("PUT", "/api/v1/sim/recorders/sim-0/external-lock", "{\"owner\":\"brasero\"}")
                    .problem(423, "E_IMAPI_RECORDER_LOCKED").getString("owner")).isEqualTo("Kiosk A");

            assertThat(t.send("PUT", "/api/v1/sim/recorders/sim-1/latency", "{\"millis\":300}").status())
                    .isEqualTo(204);
            long started = System.nanoTime();
            assertThat(t.acquire(a, "sim-1").status()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(300));

            assertThat(t.send("PUT", "/api/v1/sim/recorders/sim-1/media", "{\"state\":\"TRAY_OPEN\"}").status())
                    .isEqualTo(204);
            assertThat(t.sim().state(RecorderId.of("sim-1")).media().name()).isEqualTo("TRAY_OPEN");
            Session b = t.open("Kiosk B");
            t.post("/api/v1/sim/recorders", new JsonObject().put("id", "mounted"));
            TestService.eventually(() -> t.get("/api/v1/recorders/mounted").status() == 200);
            assertThat(t.send("PUT", "/api/v1/sim/recorders/mounted/mount", "{\"mountPoint\":\"/media/cd\"}")
                    .status()).isEqualTo(204);
            t.acquire(b, "mounted").problem(409, "HRESULT_FROM_WIN32(ERROR_BAD_COMMAND)");
        }
    }

    @Test
    void healthAndMetricsReportWhatHappened() {
        try (TestService t = TestService.start()) {
            JsonObject health = t.get("/health").json();
            assertThat(health.getString("status")).isEqualTo("UP");
            assertThat(health.getString("backend")).isEqualTo("simulated");
            assertThat(health.getInteger("recorders")).isEqualTo(2);

            Session a = t.open("Kiosk A");
            Session b = t.open("Kiosk B");
            t.acquire(a, "sim-0");
            t.acquire(b, "sim-0");
            t.acquire(b, "sim-0", new JsonObject().put("waitMillis", 100));
            t.release(a, "sim-0");
            t.post("/api/v1/sim/recorders/sim-1/faults", new JsonObject().put("kind", "hang").put("operation",
                    "ACQUIRE"));
            t.acquire(a, "sim-1");
            t.post("/api/v1/sim/recorders/sim-1/release-hangs", null);
            t.send("DELETE", "/api/v1/sim/recorders/sim-1", null);

            Reply metrics = t.get("/metrics");
            assertThat(metrics.status()).isEqualTo(200);
            assertThat(metrics.contentType()).startsWith("text/plain; version=0.0.4");
            TestService.eventually(() -> t.get("/metrics").body().contains("discagent_recorder_removals_total 1.0"));
            String text = t.get("/metrics").body();
            assertThat(text).contains("discagent_acquires_total{outcome=\"granted\"} 1.0");
            assertThat(text).contains("discagent_acquires_total{outcome=\"E_IMAPI_RECORDER_LOCKED\"} 1.0");
            assertThat(text).contains("discagent_acquires_total{outcome=\"HRESULT_FROM_WIN32(ERROR_TIMEOUT)\"} 1.0");
            assertThat(text).contains("discagent_acquires_total{outcome=\"E_IMAPI_RECORDER_COMMAND_TIMEOUT\"} 1.0");
            assertThat(text).contains("discagent_acquire_timeouts_total 1.0");
            assertThat(text).contains("discagent_command_timeouts_total{command=\"AcquireExclusiveAccess\"} 1.0");
            assertThat(text).contains("discagent_lock_hold_seconds_count{cause=\"RELEASED\",recorder=\"sim-0\"} 1");
            assertThat(text).contains("discagent_acquire_waiters 0.0");
            assertThat(text).contains("discagent_acquire_retries_total 0.0");
            assertThat(text).contains("discagent_sessions_open 2.0");
            assertThat(text).contains("discagent_recorders_held 0.0");
        }
    }
}
