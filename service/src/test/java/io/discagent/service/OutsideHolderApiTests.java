package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.service.SseClient.Frame;
import io.discagent.service.TestService.Session;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A drive held by a program outside the agent, over HTTP and on virtual time: {@code external} with the holder's name
 * in the listing, the owner query and the event stream, refreshed every 2 s (the service's event feed watches every
 * recorder).
 */
class OutsideHolderApiTests {

    private static final String WODIM = "{\"owner\":\"wodim (pid 4242)\"}";

    @Test
    void aDriveHeldOutsideTheAgentIsExternalEverywhereAndFreeOnceItsHolderLetsGo() {
        try (TestService t = TestService.onVirtualTime(c -> { });
                SseClient sse = SseClient.connect(t.http, t.base + "/api/v1/events")) {
            sse.next(2);
            assertThat(t.send("PUT", "/api/v1/sim/recorders/sim-0/external-lock", WODIM).status()).isEqualTo(204);
            assertThat(t.lock("sim-0").getString("state")).as("not asked yet").isEqualTo("free");

            t.time.advanceTimeBy(Duration.ofSeconds(2));
            Frame appeared = sse.next();
            assertThat(appeared.event()).isEqualTo("lock-transition");
            assertThat(appeared.cause()).isEqualTo("EXTERNAL_ACQUIRED");
            assertThat(appeared.data().getJsonObject("from"))
                    .isEqualTo(new JsonObject().put("state", "free").putNull("owner").put("count", 0));
            assertThat(appeared.data().getJsonObject("to"))
                    .isEqualTo(new JsonObject().put("state", "external").put("owner", "wodim (pid 4242)").put("count", 0));

            JsonObject listed = t.get("/api/v1/recorders").json().getJsonArray("recorders").getJsonObject(0);
            assertThat(listed.getString("id")).isEqualTo("sim-0");
            assertThat(listed.getJsonObject("lock").getString("state")).isEqualTo("external");
            assertThat(listed.getJsonObject("lock").getString("owner")).isEqualTo("wodim (pid 4242)");
            JsonObject owner = t.get("/api/v1/recorders/sim-0/owner").json();
            assertThat(owner.getString("owner")).isEqualTo("wodim (pid 4242)");
            assertThat(owner.getBoolean("external")).isTrue();
            assertThat(owner.getJsonObject("lock").getString("state")).isEqualTo("external");

            Session kiosk = t.open("Kiosk");
            assertThat(t.acquire(kiosk, "sim-0").problem(423, "E_IMAPI_RECORDER_LOCKED").getString("owner"))
                    .isEqualTo("wodim (pid 4242)");

            assertThat(t.send("DELETE", "/api/v1/sim/recorders/sim-0/external-lock", null).status()).isEqualTo(204);
            t.time.advanceTimeBy(Duration.ofSeconds(2));
            Frame went = sse.next();
            assertThat(went.cause()).isEqualTo("EXTERNAL_RELEASED");
            assertThat(went.data().getJsonObject("from").getString("owner")).isEqualTo("wodim (pid 4242)");
            assertThat(went.data().getJsonObject("to").getString("state")).isEqualTo("free");
            assertThat(t.lock("sim-0").getString("state")).isEqualTo("free");
        }
    }

    @Test
    void theOwnerQueryShowsANewOutsideHolderAtOnce() {
        try (TestService t = TestService.onVirtualTime(c -> { })) {
            t.send("PUT", "/api/v1/sim/recorders/sim-1/external-lock", WODIM);
            JsonObject owner = t.get("/api/v1/recorders/sim-1/owner").json();
            assertThat(owner.getJsonObject("lock"))
                    .isEqualTo(new JsonObject().put("state", "external").put("owner", "wodim (pid 4242)").put("count", 0));
        }
    }
}
