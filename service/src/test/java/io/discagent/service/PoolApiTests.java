package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.service.TestService.Reply;
import io.discagent.service.TestService.Session;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code POST /api/v1/recorders/acquire-any} over real HTTP: the first free member, waiting, errors. */
class PoolApiTests {

    private static final String PATH = "/api/v1/recorders/acquire-any";

    private TestService t;

    @BeforeEach
    void start() {
        t = TestService.start(c -> { });
    }

    @AfterEach
    void stop() {
        t.close();
    }

    private Reply acquireAny(Session session, JsonObject body) {
        return t.post(PATH, body.copy().put("sessionId", session.id()), "X-Session-Token", session.token());
    }

    private CompletableFuture<HttpResponse<String>> acquireAnyAsync(Session session, JsonObject body) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(t.base + PATH))
                .header("Content-Type", "application/json").header("X-Session-Token", session.token())
                .POST(HttpRequest.BodyPublishers.ofString(body.copy().put("sessionId", session.id()).encode()))
                .build();
        return t.http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theFirstFreeMemberIsGranted() {
        Session a = t.open("Kiosk A");
        Session b = t.open("Kiosk B");
        t.acquire(a, "sim-0");
        Reply granted = acquireAny(b, new JsonObject().put("recorders", new JsonArray().add("sim-0").add("sim-1")));
        assertThat(granted.status()).as(granted.body()).isEqualTo(200);
        assertThat(granted.json().getString("recorder")).isEqualTo("sim-1");
        assertThat(granted.json().getInteger("lockCount")).isEqualTo(1);
        assertThat(t.lock("sim-1").getString("owner")).isEqualTo("Kiosk B");
    }

    @Test
    void withoutRecordersEveryRecorderIsInThePoolAndAllHeldIs423() {
        Session a = t.open("Kiosk A");
        t.acquire(a, "sim-0");
        t.acquire(a, "sim-1");
        JsonObject problem = acquireAny(t.open("Kiosk B"), new JsonObject()).problem(423, "E_IMAPI_RECORDER_LOCKED");
        assertThat(problem.getString("owner")).isEqualTo("Kiosk A");
    }

    @Test
    void aWaitingPoolRequestIsGrantedTheMomentAnyMemberFrees() throws Exception {
        Session a = t.open("Kiosk A");
        Session b = t.open("Kiosk B");
        t.acquire(a, "sim-0");
        t.acquire(a, "sim-1");
        CompletableFuture<HttpResponse<String>> waiting = acquireAnyAsync(b, new JsonObject().put("waitMillis", 20_000));
        // one place in each member's queue
        TestService.eventually(() -> t.service.metrics().scrape().contains("discagent_acquire_waiters 2.0"));
        assertThat(waiting).isNotDone();
        t.release(a, "sim-1");
        HttpResponse<String> granted = waiting.get(20, TimeUnit.SECONDS);
        assertThat(granted.statusCode()).as(granted.body()).isEqualTo(200);
        assertThat(new JsonObject(granted.body()).getString("recorder")).isEqualTo("sim-1");
        TestService.eventually(() -> t.service.metrics().scrape().contains("discagent_acquire_waiters 0.0"));
        t.release(a, "sim-0");
        assertThat(t.lock("sim-0").getString("state")).isEqualTo("free");
    }

    @Test
    void aPoolOfUnknownRecordersIs404AndABadPoolIs400() {
        Session a = t.open("Kiosk A");
        acquireAny(a, new JsonObject().put("recorders", new JsonArray().add("nope")))
                .problem(404, "HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)");
        acquireAny(a, new JsonObject().put("recorders", new JsonArray())).problem(400, "E_INVALIDARG");
        acquireAny(a, new JsonObject().put("recorders", new JsonArray().add(""))).problem(400, "E_INVALIDARG");
        acquireAny(a, new JsonObject().put("recorders", "sim-0")).problem(400, "E_INVALIDARG");
        assertThat(t.lock("sim-0").getString("state")).isEqualTo("free");
    }

    @Test
    void aMediumConditionGrantsOnlyARecorderWithAMatchingMedium() {
        Session a = t.open("Kiosk A");
        JsonObject anyWritable = new JsonObject().put("writable", true).put("minFreeBytes", 1);
        Reply granted = acquireAny(a, new JsonObject().put("medium", anyWritable));
        assertThat(granted.status()).as(granted.body()).isEqualTo(200); // the simulator's blank BD-RE
        JsonObject tooBig = new JsonObject().put("writable", true).put("minFreeBytes", 1L << 50);
        acquireAny(t.open("Kiosk B"), new JsonObject().put("medium", tooBig))
                .problem(409, "E_IMAPI_DF2DATA_MEDIA_IS_NOT_SUPPORTED");
        acquireAny(a, new JsonObject().put("medium", new JsonObject().put("writable", false)))
                .problem(400, "E_INVALIDARG");
        acquireAny(a, new JsonObject().put("medium", new JsonObject().put("minFreeBytes", 5)))
                .problem(400, "E_INVALIDARG");
        acquireAny(a, new JsonObject().put("medium", anyWritable.copy().put("minFreeBytes", -1)))
                .problem(400, "E_INVALIDARG");
    }
}
