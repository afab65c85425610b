package io.discagent.service.http;

import io.discagent.service.ContextHop;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/** Writing responses, and bringing results of the agent back to the HTTP event loop. */
public final class Replies {

    private Replies() {
    }

    /**
     * Sends a JSON body; to a {@code HEAD} request, the status and headers only (Vert.x leaves the body out of an
     * HTTP/1.1 answer to {@code HEAD}, but not of an HTTP/2 one).
     */
    public static void json(RoutingContext rc, int status, JsonObject body) {
        HttpServerResponse response = rc.response();
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store");
        if (rc.request().method() == HttpMethod.HEAD) {
            response.end();
        } else {
            response.end(body.encode());
        }
    }

    /** Sends an empty {@code 204}. */
    public static void noContent(RoutingContext rc) {
        HttpServerResponse response = rc.response();
        if (!response.ended() && !response.closed()) {
            response.setStatusCode(204).end();
        }
    }

    /** Sends the problem document of {@code failure}. */
    public static void problem(RoutingContext rc, Throwable failure) {
        problem(rc.request(), failure);
    }

    /** Sends the problem document of {@code failure} as the answer to {@code request} (outside the router). */
    public static void problem(HttpServerRequest request, Throwable failure) {
        HttpServerResponse response = request.response();
        if (response.ended() || response.closed()) {
            return;
        }
        Problems.Problem problem = Problems.of(failure, request.path() == null ? "" : request.path());
        response.setStatusCode(problem.status())
                .putHeader("Content-Type", Problems.MEDIA_TYPE)
                .putHeader("Cache-Control", "no-store")
                .end(problem.body().encode());
    }

    /**
     * Answers {@code rc} with {@code mono}: its value as JSON ({@code 200}, through {@code toJson}) or its failure as a
     * problem document, back on the request's context.
     *
     * @return what cancels the operation
     */
    public static <T> ContextHop.Cancellable respond(RoutingContext rc, Mono<T> mono, Function<T, JsonObject> toJson) {
        return ContextHop.subscribe(Vertx.currentContext(), mono, (value, error) -> {
            if (error != null) {
                problem(rc, error);
            } else {
                json(rc, 200, toJson.apply(value));
            }
        });
    }
}
