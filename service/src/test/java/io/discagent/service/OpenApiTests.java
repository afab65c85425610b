package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.service.TestService.Reply;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The OpenAPI document describes exactly the routes the server serves. */
class OpenApiTests {

    private static final Set<String> METHODS = Set.of("get", "head", "post", "put", "delete", "patch");

    private static Set<String> documented(JsonObject doc) {
        Set<String> operations = new TreeSet<>();
        JsonObject paths = doc.getJsonObject("paths");
        for (String path : paths.fieldNames()) {
            for (String method : paths.getJsonObject(path).fieldNames()) {
                if (METHODS.contains(method)) {
                    operations.add(method.toUpperCase(Locale.ROOT) + " " + path);
                }
            }
        }
        return operations;
    }

    @Test
    void theDocumentListsExactlyTheRoutesOfTheRouter() {
        try (TestService t = TestService.start()) {
            Reply reply = t.get("/api/v1/openapi.json");
            assertThat(reply.status()).isEqualTo(200);
            JsonObject doc = reply.json();
            assertThat(doc.getString("openapi")).isEqualTo("3.0.3");

            Set<String> routed = new TreeSet<>();
            for (Route route : t.service.api().router().getRoutes()) {
                if (route.getPath() == null) {
                    continue; // the header handler that matches everything
                }
                assertThat(route.methods()).hasSize(1);
                HttpMethod method = route.methods().iterator().next();
                routed.add(method.name() + " " + route.getPath().replaceAll(":([A-Za-z]+)", "{$1}"));
            }
            assertThat(documented(doc)).isEqualTo(routed);
            assertThat(routed).contains("GET /api/v1/recorders", "POST /api/v1/sessions",
                    "DELETE /api/v1/sessions/{sid}", "POST /api/v1/sessions/{sid}/heartbeat",
                    "POST /api/v1/recorders/{rid}/acquire", "POST /api/v1/recorders/{rid}/release",
                    "GET /api/v1/recorders/{rid}/owner", "GET /api/v1/events", "GET /api/v1/events/ws",
                    "GET /api/v1/openapi.json", "GET /health", "HEAD /health", "GET /health/live",
                    "HEAD /health/live", "GET /health/ready", "HEAD /health/ready", "GET /metrics", "GET /",
                    "POST /api/v1/sim/recorders", "DELETE /api/v1/sim/recorders/{rid}",
                    "PUT /api/v1/sim/recorders/{rid}/external-lock", "POST /api/v1/sim/recorders/{rid}/faults",
                    "PUT /api/v1/sim/recorders/{rid}/latency");
        }
    }

    @Test
    void everyDocumentedOperationIsServedAndNothingElse() {
        try (TestService t = TestService.start()) {
            JsonObject doc = t.get("/api/v1/openapi.json").json();
            for (String operation : documented(doc)) {
                String method = operation.substring(0, operation.indexOf(' '));
                String path = operation.substring(operation.indexOf(' ') + 1)
                        .replace("{rid}", "no-such-recorder").replace("{sid}", "s-0").replace("{bid}", "b-0")
                        .replace("{node}", "no-such-node");
                if (path.startsWith("/api/v1/events")) {
                    path += "?since=not-a-number"; // the streams answer at once when the input is bad
                }
                Reply reply = t.send(method, path, method.equals("GET") || method.equals("DELETE") ? null : "{}");
                assertThat(reply.status()).as(operation + " -> " + reply.body()).isNotEqualTo(405);
                if (reply.status() == 404) {
                    assertThat(reply.json().getString("type")).as(operation)
                            .isNotEqualTo("urn:discagent:problem:no-route");
                }
            }
            for (String[] unserved : new String[][] {{"GET", "/api/v1/sessions"}, {"GET", "/api/v1/sim"},
                    {"POST", "/api/v1/recorders"}, {"GET", "/api/v1/recorders/sim-0/lock"}, {"GET", "/api/v2/health"}}) {
                Reply reply = t.send(unserved[0], unserved[1], null);
                assertThat(reply.status()).isIn(404, 405);
                assertThat(documented(doc)).doesNotContain(unserved[0] + " " + unserved[1]);
            }
        }
    }

    @Test
    void everyReferenceResolvesAndEveryOperationDocumentsItsProblems() {
        try (TestService t = TestService.start()) {
            JsonObject doc = t.get("/api/v1/openapi.json").json();
            JsonObject schemas = doc.getJsonObject("components").getJsonObject("schemas");
            Set<String> refs = new TreeSet<>();
            collectRefs(doc, refs);
            assertThat(refs).isNotEmpty();
            for (String ref : refs) {
                assertThat(ref).startsWith("#/components/schemas/");
                assertThat(schemas.containsKey(ref.substring("#/components/schemas/".length()))).as(ref).isTrue();
            }
            JsonObject acquire = doc.getJsonObject("paths").getJsonObject("/api/v1/recorders/{rid}/acquire")
                    .getJsonObject("post");
            assertThat(acquire.getJsonObject("responses").fieldNames()).contains("200", "400", "404", "409", "410",
                    "423", "429", "504");
            assertThat(acquire.getJsonObject("responses").getJsonObject("423").getJsonObject("content")
                    .containsKey("application/problem+json")).isTrue();
            assertThat(acquire.getJsonArray("parameters").stream().map(p -> ((JsonObject) p).getString("name")))
                    .contains("rid", "X-Session-Token");
        }
    }

    private static void collectRefs(Object node, Set<String> refs) {
        if (node instanceof JsonObject) {
            JsonObject object = (JsonObject) node;
            for (String key : object.fieldNames()) {
                if (key.equals("$ref")) {
                    refs.add(object.getString(key));
                } else {
                    collectRefs(object.getValue(key), refs);
                }
            }
        } else if (node instanceof JsonArray) {
            for (Object item : (JsonArray) node) {
                collectRefs(item, refs);
            }
        }
    }
}
