package io.discagent.service.http;

import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/** Writing responses, and bringing results of the agent back to the HTTP event loop. */
public final class Replies {

    private Replies() {
    }

    /** Sends a JSON body. */
    public static void json(RoutingContext rc, int status, JsonObject body) {
        HttpServerResponse response = rc.response();
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store")
                .end(body.encode());
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
        HttpServerResponse response = rc.response();
        if (response.ended() || response.closed()) {
            return;
        }
        Problems.Problem problem = Problems.of(failure, rc.request().path() == null ? "" : rc.request().path());
        response.setStatusCode(problem.status())
                .putHeader("Content-Type", Problems.MEDIA_TYPE)
                .putHeader("Cache-Control", "no-store")
                .end(problem.body().encode());
    }

    /** Cancels an operation in progress. */
    @FunctionalInterface
    public interface Cancellable {
        void cancel();
    }

    /**
     * Subscribes to {@code mono} and runs {@code done} with its value or its failure on {@code context}. {@code done}
     * always runs exactly once, with a {@link CancellationException} when the operation was cancelled.
     *
     * @return what cancels the operation (for example when the client goes away)
     */
    public static <T> Cancellable onContext(Context context, Mono<T> mono, BiConsumer<@Nullable T, @Nullable Throwable> done) {
        CompletableFuture<T> future = mono.toFuture();
        future.whenComplete((value, error) -> context.runOnContext(
                v -> done.accept(value, error == null ? null : Problems.unwrap(error))));
        return () -> future.cancel(false);
    }
}
