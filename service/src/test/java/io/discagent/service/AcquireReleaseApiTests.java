package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.service.TestService.Reply;
import io.discagent.service.TestService.Session;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Acquire, release and owner over real HTTP: counts, hand-offs and every error kind with its status. */
class AcquireReleaseApiTests {

    private TestService t;

    @BeforeEach
    void start() {
        t = TestService.start(c -> c.maxPendingPerSession(2));
    }

    @AfterEach
    void stop() {
        t.close();
    }

    @Test
    void acquiresAreCountedAndNeedAsManyReleases() {
        Session a = t.open("Kiosk A");
        assertThat(t.acquire(a, "sim-0").json().getInteger("lockCount")).isEqualTo(1);
        Reply second = t.acquire(a, "sim-0");
        assertThat(second.status()).isEqualTo(200);
        assertThat(second.json().getInteger("lockCount")).isEqualTo(2);
        assertThat(second.json().getString("sessionId")).isEqualTo(a.id());
        assertThat(second.json().getJsonArray("devicePaths").getList()).containsExactly("sim://sim-0");
        assertThat(t.lock("sim-0").getString("state")).isEqualTo("held");
        assertThat(t.lock("sim-0").getString("owner")).isEqualTo("Kiosk A");
        assertThat(t.lock("sim-0").getInteger("count")).isEqualTo(2);
        assertThat(t.sim().state(io.discagent.api.RecorderId.of("sim-0")).nativeOwner()).isEqualTo("Kiosk A");

        JsonObject owner = t.get("/api/v1/recorders/sim-0/owner").json();
        assertThat(owner.getString("owner")).isEqualTo("Kiosk A");
        assertThat(owner.getBoolean("external")).isFalse();

        assertThat(t.release(a, "sim-0").json().getInteger("lockCount")).isEqualTo(1);
        assertThat(t.lock("sim-0").getString("state")).isEqualTo("held");
        assertThat(t.release(a, "sim-0").json().getInteger("lockCount")).isZero();
        assertThat(t.lock("sim-0").getString("state")).isEqualTo("free");
        assertThat(t.get("/api/v1/recorders/sim-0/owner").json().getString("owner")).isNull();
        assertThat(t.sim().state(io.discagent.api.RecorderId.of("sim-0")).nativeOwner()).isNull();
    }

    @Test
    void aLockedRecorderIs423WithItsOwner() {
        Session a = t.open("Kiosk A");
        Session b = t.open("Kiosk B");
        t.acquire(a, "sim-0");
        JsonObject problem = t.acquire(b, "sim-0").problem(423, "E_IMAPI_RECORDER_LOCKED");
        assertThat(problem.getString("hresult")).isEqualTo("0xC0AA0210");
        assertThat(problem.getString("owner")).isEqualTo("Kiosk A");
        assertThat(problem.getString("recorder")).isEqualTo("sim-0");
        assertThat(t.lock("sim-0").getString("owner")).isEqualTo("Kiosk A");
    }

    @Test
    void aWaitThatTimesOutIs504WithTheOwner() {
        Session a = t.open("Kiosk A");
        Session b = t.open("Kiosk B");
        t.acquire(a, "sim-0");
        JsonObject problem = t.acquire(b, "sim-0", new JsonObject().put("waitMillis", 200))
                .problem(504, "HRESULT_FROM_WIN32(ERROR_TIMEOUT)");
        assertThat(problem.getString("hresult")).isEqualTo("0x800705B4");
        assertThat(problem.getString("owner")).isEqualTo("Kiosk A");
    }

    /** Kiosk A holds sim-0 and Kiosk B waits for it (up to {@code waitMillis}). */
    private CompletableFuture<HttpResponse<String>> holdAndWait(Session a, Session b, long waitMillis) {
        t.acquire(a, "sim-0");
        CompletableFuture<HttpResponse<String>> waiting = acquireAsync(b, "sim-0", waitMillis);
        TestService.eventually(() -> t.service.metrics().scrape().contains("discagent_acquire_waiters 1.0"));
        return waiting;
    }

    @Test
    void aWaiterGetsTheRecorderTheMomentTheHolderReleases() throws Exception {
        Session a = t.open("Kiosk A");
        Session b = t.open("Kiosk B");
        CompletableFuture<HttpResponse<String>> waiting = holdAndWait(a, b, 10_000);
        assertThat(waiting).isNotDone();
        t.release(a, "sim-0");
        HttpResponse<String> granted = waiting.get(20, TimeUnit.SECONDS);
        assertThat(granted.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(granted.body()).getInteger("lockCount")).isEqualTo(1);
        assertThat(t.get("/api/v1/recorders/sim-0/owner").json().getString("owner")).isEqualTo("Kiosk B");
    }

    @Test
    void aClientThatHangsUpStopsWaitingAndGetsNothing() throws Exception {
        Session a = t.open("Kiosk A");
        Session b = t.open("Kiosk B");
        CompletableFuture<HttpResponse<String>> waiting = holdAndWait(a, b, 30_000);
        waiting.cancel(true);
        TestService.eventually(() -> t.service.metrics().scrape().contains("discagent_acquire_waiters 0.0"));
        t.release(a, "sim-0");
        assertThat(t.lock("sim-0").getString("state")).isEqualTo("free");
        assertThat(t.acquire(t.open("Kiosk C"), "sim-0").status()).isEqualTo(200);
    }

    private CompletableFuture<HttpResponse<String>> acquireAsync(Session session, String recorder, long waitMillis) {
        return acquireAsync(session, recorder, new JsonObject().put("waitMillis", waitMillis));
    }

    private CompletableFuture<HttpResponse<String>> acquireAsync(Session session, String recorder,
            JsonObject options) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(t.base + "/api/v1/recorders/" + recorder + "/acquire"))
                .header("Content-Type", "application/json").header("X-Session-Token", session.token())
                .POST(HttpRequest.BodyPublishers.ofString(options.copy().put("sessionId", session.id()).encode()))
                .build();
        return t.http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void unknownRecordersAre404() {
        Session a = t.open("Kiosk A");
        t.acquire(a, "nope").problem(404, "HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)");
        t.release(a, "nope").problem(404, "HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)");
        t.get("/api/v1/recorders/nope").problem(404, "HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)");
        JsonObject problem = t.get("/api/v1/recorders/nope/owner").problem(404,
                "HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)");
        assertThat(problem.getString("type")).isEqualTo("urn:discagent:problem:no-such-recorder");
    }

    @Test
    void aReleaseAtZeroIs409AndChangesNothing() {
        Session a = t.open("Kiosk A");
        Session b = t.open("Kiosk B");
        JsonObject problem = t.release(a, "sim-0").problem(409, "HRESULT_FROM_WIN32(ERROR_INVALID_FUNCTION)");
        assertThat(problem.getString("hresult")).isEqualTo("0x80070001");
        t.acquire(b, "sim-0");
        JsonObject notYours = t.release(a, "sim-0").problem(409, "HRESULT_FROM_WIN32(ERROR_INVALID_FUNCTION)");
        assertThat(notYours.getString("owner")).isEqualTo("Kiosk B");
        assertThat(t.lock("sim-0").getInteger("count")).isEqualTo(1);
        t.release(b, "sim-0");
        t.release(b, "sim-0").problem(409, "HRESULT_FROM_WIN32(ERROR_INVALID_FUNCTION)");
        assertThat(t.lock("sim-0").getString("state")).isEqualTo("free");
    }

    @Test
    void tooManyPendingAcquiresOfOneSessionIs429() throws Exception {
        Session a = t.open("Kiosk A");
        Session b = t.open("Kiosk B");
        t.acquire(a, "sim-0");
        t.acquire(a, "sim-1");
        CompletableFuture<HttpResponse<String>> first = acquireAsync(b, "sim-0", 30_000);
        CompletableFuture<HttpResponse<String>> second = acquireAsync(b, "sim-1", 30_000);
        TestService.eventually(() -> t.service.metrics().scrape().contains("discagent_acquire_waiters 2.0"));
        JsonObject problem = t.acquire(b, "sim-0", new JsonObject().put("waitMillis", 30_000))
                .problem(429, "HRESULT_FROM_WIN32(ERROR_NOT_ENOUGH_QUOTA)");
        assertThat(problem.getString("type")).isEqualTo("urn:discagent:problem:too-many-pending");
        t.release(a, "sim-0");
        t.release(a, "sim-1");
        assertThat(first.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(second.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    @Test
    void aMountedVolumeNeedsForce() {
        Session a = t.open("Kiosk A");
        t.sim().mountVolume(io.discagent.api.RecorderId.of("sim-1"), "/media/cdrom");
        t.acquire(a, "sim-1").problem(409, "HRESULT_FROM_WIN32(ERROR_BAD_COMMAND)");
        assertThat(t.acquire(a, "sim-1", new JsonObject().put("force", true)).status()).isEqualTo(200);
    }

    @Test
    void anExternalHolderIsNamedAndRetriedWithBackoff() throws Exception {
        io.discagent.api.RecorderId sim1 = io.discagent.api.RecorderId.of("sim-1");
        t.sim().lockExternally(sim1, "wodim (pid 4242)");
        Session a = t.open("Kiosk A");
        JsonObject owner = t.get("/api/v1/recorders/sim-1/owner").json();
        assertThat(owner.getString("owner")).isEqualTo("wodim (pid 4242)");
        assertThat(owner.getBoolean("external")).isTrue();
        JsonObject locked = t.acquire(a, "sim-1").problem(423, "E_IMAPI_RECORDER_LOCKED");
        assertThat(locked.getString("owner")).isEqualTo("wodim (pid 4242)");

        JsonObject backoff = new JsonObject().put("maxAttempts", 1000).put("minBackoffMillis", 10)
                .put("maxBackoffMillis", 20).put("jitter", 0);
        CompletableFuture<HttpResponse<String>> waiting = acquireAsync(a, "sim-1",
                new JsonObject().put("waitMillis", 15_000).put("retry", backoff));
        TestService.eventually(() -> retries() >= 3);
        t.sim().unlockExternally(sim1);
        HttpResponse<String> granted = waiting.get(20, TimeUnit.SECONDS);
        assertThat(granted.statusCode()).as(granted.body()).isEqualTo(200);
        assertThat(t.lock("sim-1").getString("owner")).isEqualTo("Kiosk A");
    }

    private double retries() {
        for (String line : t.service.metrics().scrape().split("\n")) {
            if (line.startsWith("discagent_acquire_retries_total ")) {
                return Double.parseDouble(line.substring(line.indexOf(' ') + 1));
            }
        }
        return 0;
    }

    @Test
    void aNativeFailureKeepsItsHresult() {
        Session a = t.open("Kiosk A");
        Reply armed = t.post("/api/v1/sim/recorders/sim-0/faults", new JsonObject().put("kind", "fail")
                .put("operation", "ACQUIRE").put("hresult", "E_IMAPI_RECORDER_MEDIA_NO_MEDIA"));
        assertThat(armed.status()).as(armed.body()).isEqualTo(204);
        JsonObject problem = t.acquire(a, "sim-0").problem(502, "E_IMAPI_RECORDER_MEDIA_NO_MEDIA");
        assertThat(problem.getString("hresult")).isEqualTo("0xC0AA0202");
        assertThat(t.acquire(a, "sim-0").status()).isEqualTo(200);
    }

    @Test
    void aHungRecorderIs503AfterTheCommandTimeout() {
        Session a = t.open("Kiosk A");
        assertThat(t.post("/api/v1/sim/recorders/sim-1/faults", new JsonObject().put("kind", "hang")
                .put("operation", "ACQUIRE")).status()).isEqualTo(204);
        long started = System.nanoTime();
        t.acquire(a, "sim-1").problem(503, "E_IMAPI_RECORDER_COMMAND_TIMEOUT");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(1900));
        assertThat(t.post("/api/v1/sim/recorders/sim-1/release-hangs", null).status()).isEqualTo(204);
        TestService.eventually(() -> t.sim().state(io.discagent.api.RecorderId.of("sim-1")).blockedCalls() == 0);
        // sim-0 was never affected
        assertThat(t.acquire(a, "sim-0").status()).isEqualTo(200);
    }
}
