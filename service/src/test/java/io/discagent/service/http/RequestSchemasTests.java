package io.discagent.service.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.discagent.api.error.HResult;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.error.InvalidClientNameException;
import io.discagent.service.ServiceConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Request bodies are checked with the schemas the OpenAPI document publishes, the service's limits filled in. */
class RequestSchemasTests {

    private static final List<String> REQUEST_SCHEMAS = List.of("AcquireRequest", "ReleaseRequest", "SessionRequest",
            "SimAddRequest", "SimExternalLock", "SimFault", "SimLatency", "SimMedia", "SimMount");

    private final ServiceConfig config = ServiceConfig.builder().maxWait(Duration.ofSeconds(5))
            .minSessionTtl(Duration.ofMillis(250)).maxSessionTtl(Duration.ofMinutes(2)).build();
    private final RequestSchemas schemas = RequestSchemas.of(config);

    @Test
    void everyIntegerOfARequestIsBoundedWithinALong() {
        List<String> unbounded = new ArrayList<>();
        for (String name : REQUEST_SCHEMAS) {
            walk(name, schemas.schema(name), unbounded);
        }
        assertThat(unbounded).as("integers a handler reads as long without its own range check").isEmpty();
    }

    @Test
    void theConfiguredLimitsAreTheOnesPublishedAndChecked() {
        JsonObject wait = schemas.components().getJsonObject("schemas").getJsonObject("AcquireRequest")
                .getJsonObject("properties").getJsonObject("waitMillis");
        assertThat(wait.getLong("maximum")).isEqualTo(5000L);
        schemas.validate("AcquireRequest", new JsonObject().put("sessionId", "s-1").put("waitMillis", 5000));
        assertThatThrownBy(() -> schemas.validate("AcquireRequest",
                new JsonObject().put("sessionId", "s-1").put("waitMillis", 5001)))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("'waitMillis'")
                .hasMessageContaining("5000");
        schemas.validate("SessionRequest", new JsonObject().put("clientName", "A").put("ttlMillis", 250));
        assertThatThrownBy(() -> schemas.validate("SessionRequest",
                new JsonObject().put("clientName", "A").put("ttlMillis", 249)))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("'ttlMillis'");
        assertThatThrownBy(() -> schemas.validate("SessionRequest",
                new JsonObject().put("clientName", "A").put("ttlMillis", 120_001)))
                .isInstanceOf(InvalidArgumentException.class);
    }

    @Test
    void failuresNameTheFieldAndWhatIsWrong() {
        Map<JsonObject, String> cases = Map.of(
                new JsonObject(), "the body: ",
                new JsonObject().put("sessionId", "s").put("colour", 1), "unknown field 'colour'; known fields: "
                        + "force, retry, sessionId, waitMillis",
                new JsonObject().put("sessionId", "s").put("force", "yes"), "'force': ",
                new JsonObject().put("sessionId", "s").put("waitMillis", 1.5), "'waitMillis': ",
                new JsonObject().put("sessionId", "s").put("retry", "sometimes"), "'retry': ",
                new JsonObject().put("sessionId", "s").put("retry", new JsonObject().put("maxAttempts", 0)),
                "'retry.maxAttempts': ",
                new JsonObject().put("sessionId", "s").put("retry", new JsonObject().put("maxAttempts", 1)
                        .put("bogus", 1)), "unknown field 'retry.bogus'; known fields: jitter, maxAttempts, "
                        + "maxBackoffMillis, minBackoffMillis");
        cases.forEach((body, message) -> assertThatThrownBy(() -> schemas.validate("AcquireRequest", body))
                .as(body.encode()).isInstanceOf(InvalidArgumentException.class).hasMessageContaining(message));
    }

    @Test
    void theClientNameRuleFailsWithItsHResultAndOnlyForStrings() {
        for (String name : new String[] {"", "a/b", "x".repeat(64), "\u00e9"}) {
            assertThatThrownBy(() -> schemas.validate("SessionRequest", new JsonObject().put("clientName", name)))
                    .as(name).isInstanceOfSatisfying(InvalidClientNameException.class, e -> assertThat(e.hresult())
                            .isEqualTo(HResult.E_IMAPI_RECORDER_CLIENT_NAME_IS_NOT_VALID))
                    .hasMessageContaining("'clientName'");
        }
        assertThatThrownBy(() -> schemas.validate("SessionRequest", new JsonObject().put("clientName", 7)))
                .isExactlyInstanceOf(InvalidArgumentException.class);
        schemas.validate("SessionRequest", new JsonObject().put("clientName", "Kiosk A, burner 1"));
    }

    @Test
    void enumsComeFromTheJavaTypes() {
        JsonArray states = schemas.schema("SimMedia").getJsonObject("properties").getJsonObject("state")
                .getJsonArray("enum");
        assertThat(states.getList()).containsExactly("NO_MEDIA", "TRAY_OPEN", "MEDIA_PRESENT", "UNKNOWN");
    }

    private static void walk(String path, JsonObject schema, List<String> unbounded) {
        if ("integer".equals(schema.getString("type"))) {
            Number min = (Number) schema.getValue("minimum");
            Number max = (Number) schema.getValue("maximum");
            if (min == null || max == null || min.doubleValue() < Long.MIN_VALUE
                    || max.doubleValue() > Long.MAX_VALUE) {
                unbounded.add(path);
            }
        }
        JsonObject properties = schema.getJsonObject("properties");
        if (properties != null) {
            for (String name : properties.fieldNames()) {
                walk(path + "." + name, properties.getJsonObject(name), unbounded);
            }
        }
        JsonArray oneOf = schema.getJsonArray("oneOf");
        if (oneOf != null) {
            for (Object branch : oneOf) {
                walk(path, (JsonObject) branch, unbounded);
            }
        }
    }
}
