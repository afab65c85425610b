package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.Simulator;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * A service on a free loopback port with two simulated recorders and simulator control on, and a java.net.http client
 * for it. With
 * {@link #onVirtualTime}, every delay of the service and the agent runs on {@link #time}.
 */
public final class TestService implements AutoCloseable {

    public static final Duration TIMEOUT = Duration.ofSeconds(20);

    public final DiscService service;
    public final @Nullable VirtualTimeScheduler time;
    public final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    public final String base;

    private TestService(Consumer<ServiceConfig.Builder> customizer, @Nullable VirtualTimeScheduler time) {
        this.time = time;
        ServiceConfig.Builder config = ServiceConfig.builder()
                .port(0)
                .simulatorControl(true)
                .agent(a -> a.backend("simulated").backendProperty("simulated.recorders", "2")
                        .commandTimeout(Duration.ofSeconds(2)));
        customizer.accept(config);
        service = DiscService.start(config.build(), time);
        base = service.url();
    }

    public static TestService start() {
        return new TestService(c -> { }, null);
    }

    public static TestService start(Consumer<ServiceConfig.Builder> customizer) {
        return new TestService(customizer, null);
    }

    public static TestService onVirtualTime(Consumer<ServiceConfig.Builder> customizer) {
        return new TestService(customizer, VirtualTimeScheduler.create());
    }

    public Simulator sim() {
        return service.agent().simulator().orElseThrow();
    }

    /** An HTTP answer. */
    public record Reply(int status, HttpHeaders headers, String body) {

        public JsonObject json() {
            return new JsonObject(body);
        }

        public String contentType() {
            return headers.firstValue("Content-Type").orElse("");
        }

        /** Asserts a problem document of this status and HRESULT name; returns it. */
        public JsonObject problem(int expectedStatus, String hresultName) {
            assertThat(status).as("status of %s", body).isEqualTo(expectedStatus);
            assertThat(contentType()).isEqualTo("application/problem+json");
            JsonObject problem = json();
            assertThat(problem.getInteger("status")).isEqualTo(expectedStatus);
            assertThat(problem.getString("hresultName")).isEqualTo(hresultName);
            assertThat(problem.getString("hresult")).matches("0x[0-9A-F]{8}");
            assertThat(problem.getString("type")).startsWith("urn:discagent:problem:");
            return problem;
        }
    }

    /** A session: its id and secret token. */
    public record Session(String id, String token) {
    }

    /**
     * Sends a request. Every write says {@code Content-Type: application/json} unless {@code headers} name another
     * one; a header given with a {@code null} value is left out (so {@code "Content-Type", null} sends none).
     */
    public Reply send(String method, String path, @Nullable String body, @Nullable String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        boolean contentType = false;
        for (int i = 0; i + 1 < headers.length; i += 2) {
            if (headers[i + 1] != null) {
                request.header(headers[i], headers[i + 1]);
            }
            contentType |= headers[i].equalsIgnoreCase("Content-Type");
        }
        if (!method.equals("GET") && !contentType) {
            request.header("Content-Type", "application/json");
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(response.statusCode(), response.headers(), response.body());
        } catch (IOException e) {
            throw new AssertionError(method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public Reply get(String path, String... headers) {
        return send("GET", path, null, headers);
    }

    public Reply post(String path, @Nullable JsonObject body, String... headers) {
        return send("POST", path, body == null ? null : body.encode(), headers);
    }

    public Session open(String clientName) {
        return open(new JsonObject().put("clientName", clientName));
    }

    /** A session whose lease outlives a slow test on a loaded machine (no heartbeats needed for five minutes). */
    public Session openForMinutes(String clientName) {
        return open(new JsonObject().put("clientName", clientName).put("ttlMillis", 300_000));
    }

    private Session open(JsonObject body) {
        Reply reply = post("/api/v1/sessions", body);
        assertThat(reply.status()).as(reply.body()).isEqualTo(201);
        return new Session(reply.json().getString("sessionId"), reply.json().getString("token"));
    }

    public Reply acquire(Session session, String recorder, JsonObject options) {
        return post("/api/v1/recorders/" + recorder + "/acquire", options.copy().put("sessionId", session.id()),
                "X-Session-Token", session.token());
    }

    public Reply acquire(Session session, String recorder) {
        return acquire(session, recorder, new JsonObject());
    }

    public Reply release(Session session, String recorder) {
        return post("/api/v1/recorders/" + recorder + "/release", new JsonObject().put("sessionId", session.id()),
                "X-Session-Token", session.token());
    }

    /** The lock state of a recorder as the API lists it. */
    public JsonObject lock(String recorder) {
        Reply reply = get("/api/v1/recorders/" + recorder);
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        return reply.json().getJsonObject("lock");
    }

    /** Polls {@code condition} (each poll is a real HTTP or agent round trip) until it holds. */
    public static void eventually(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the condition did not hold within " + TIMEOUT);
            }
            Thread.onSpinWait();
        }
    }

    @Override
    public void close() {
        service.close();
        if (time != null) {
            time.dispose();
        }
    }
}
