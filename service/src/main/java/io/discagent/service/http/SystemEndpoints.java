package io.discagent.service.http;

import io.discagent.service.metrics.ServiceMetrics;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.function.Supplier;

/** {@code /} (the kiosk status page), {@code /metrics} and {@code /api/v1/openapi.json}. */
final class SystemEndpoints {

    private final ServiceMetrics metrics;
    private final Supplier<JsonObject> openApi;
    private final Buffer statusPage;

    SystemEndpoints(ServiceMetrics metrics, Supplier<JsonObject> openApi) {
        this.metrics = metrics;
        this.openApi = openApi;
        this.statusPage = resource("status.html");
    }

    List<Endpoint> endpoints() {
        return List.of(
                Endpoint.of(HttpMethod.GET, "/", "statusPage", "system",
                                "The kiosk status page: every recorder, its state, owner and count, live")
                        .access(Access.PUBLIC)
                        .okText(200, "A self-contained HTML page", "text/html")
                        .handler(rc -> rc.response().putHeader("Content-Type", "text/html; charset=utf-8")
                                .putHeader("Cache-Control", "no-cache")
                                .putHeader("Content-Security-Policy", "default-src 'self'; "
                                        + "script-src 'unsafe-inline'; style-src 'unsafe-inline'")
                                .end(statusPage)),
                Endpoint.of(HttpMethod.GET, "/metrics", "metrics", "system",
                                "Prometheus metrics: hold times, waiters, retries, timeouts, removals, sessions")
                        .okText(200, "Prometheus text format 0.0.4", "text/plain")
                        .handler(rc -> rc.response().putHeader("Content-Type", ServiceMetrics.CONTENT_TYPE)
                                .end(metrics.scrape())),
                Endpoint.of(HttpMethod.GET, "/api/v1/openapi.json", "openApi", "system",
                                "This document: exactly the operations served")
                        .ok(200, "OpenAPI 3.0", null)
                        .handler(rc -> Replies.json(rc, 200, openApi.get())));
    }

    private static Buffer resource(String name) {
        try (InputStream in = SystemEndpoints.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from the classpath");
            }
            return Buffer.buffer(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
