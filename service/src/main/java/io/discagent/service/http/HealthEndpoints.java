package io.discagent.service.http;

import io.discagent.agent.AgentHealth;
import io.discagent.agent.DiscAgent;
import io.discagent.api.RecorderId;
import io.discagent.service.ContextHop;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * {@code /health/live}, {@code /health/ready} and {@code /health} (the same as ready, for the probes that know only
 * it), each also for {@code HEAD}. Open to anyone who can reach the port. Every probe is bounded by the agent's
 * command timeout on the service's scheduler: an agent that does not answer in time is {@code DOWN} ({@code 503}).
 *
 * <ul>
 * <li>Live: the agent runs and answers, its event loop and its backend's control thread ({@link DiscAgent#health()}
 * not {@code DOWN}); a recorder that does not respond does not make the service dead. A service that is not live needs
 * a restart.</li>
 * <li>Ready: the same probe in full: {@code UP}, or {@code DEGRADED} (still {@code 200}) naming the recorders that do
 * not respond, whose requests fail fast meanwhile, or {@code DOWN}.</li>
 * </ul>
 */
final class HealthEndpoints {

    private final DiscAgent agent;
    private final Scheduler time;
    private final Duration bound;

    /**
     * @param commandTimeout the agent's command timeout: how long a probe waits for the agent ({@link Duration#ZERO},
     *     no limit: 10 s)
     */
    HealthEndpoints(DiscAgent agent, Scheduler time, Duration commandTimeout) {
        this.agent = agent;
        this.time = time;
        this.bound = commandTimeout.isZero() || commandTimeout.compareTo(Duration.ofHours(1)) > 0
                ? Duration.ofSeconds(10) : commandTimeout;
    }

    List<Endpoint> endpoints() {
        Endpoint live = Endpoint.of(HttpMethod.GET, "/health/live", "liveness", "system",
                        "Liveness: the agent runs, its event loop and its backend's control thread answer")
                .access(Access.PUBLIC)
                .ok(200, "Up", "Liveness")
                .ok(503, "Down: the agent does not answer", "Liveness")
                .handler(this::live);
        Endpoint ready = readiness("/health/ready", "readiness",
                "Readiness: the agent runs, its backend answers; recorders that do not respond are named");
        Endpoint health = readiness("/health", "health", "Readiness, as /health/ready (kept for existing probes)");
        return List.of(live, live.head(), ready, ready.head(), health, health.head());
    }

    private Endpoint readiness(String path, String operationId, String summary) {
        return Endpoint.of(HttpMethod.GET, path, operationId, "system", summary)
                .access(Access.PUBLIC)
                .ok(200, "Up, or degraded (the recorders that do not respond are named)", "Health")
                .ok(503, "Down: the agent is closed or does not answer", "Health")
                .handler(this::ready);
    }

    private void live(RoutingContext rc) {
        answer(rc, agent.health().map(health -> health.status() == AgentHealth.Status.DOWN
                        ? liveDown(health.problem()) : new JsonObject().put("status", "UP")),
                HealthEndpoints::liveDown);
    }

    private static JsonObject liveDown(@Nullable String problem) {
        return new JsonObject().put("status", "DOWN").put("problem", problem);
    }

    private void ready(RoutingContext rc) {
        answer(rc, agent.health().map(HealthEndpoints::json),
                problem -> json(AgentHealth.down(agent.backendName(), problem)));
    }

    /** Answers with {@code probe}'s body ({@code 503} when {@code DOWN}), or {@code down} when it fails or is late. */
    private void answer(RoutingContext rc, Mono<JsonObject> probe, java.util.function.Function<String, JsonObject> down) {
        Mono<JsonObject> bounded = probe
                .timeout(bound, Mono.fromSupplier(() -> down.apply("the agent did not answer within "
                        + bound.toMillis() + " ms")), time)
                .onErrorResume(e -> Mono.just(down.apply("the agent failed to answer: " + e.getMessage())));
        ContextHop.subscribe(Vertx.currentContext(), bounded, (body, error) -> {
            JsonObject json = body != null ? body : down.apply("the probe was cancelled");
            Replies.json(rc, "DOWN".equals(json.getString("status")) ? 503 : 200, json);
        });
    }

    private static JsonObject json(AgentHealth health) {
        JsonArray unresponsive = new JsonArray();
        for (RecorderId id : health.unresponsive()) {
            unresponsive.add(id.value());
        }
        JsonObject json = new JsonObject()
                .put("status", health.status().name())
                .put("backend", health.backend())
                .put("recorders", health.recorders())
                .put("unresponsive", unresponsive);
        if (health.problem() != null) {
            json.put("problem", health.problem());
        }
        return json;
    }
}
