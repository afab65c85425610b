package io.discagent.service;

import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * The one way the service brings a result of the agent (signalled on the agent's event loop) back to one of its own
 * Vert.x contexts: {@code Future.fromCompletionStage(stage, context)}.
 */
public final class ContextHop {

    private ContextHop() {
    }

    /** Cancels an operation in progress. */
    @FunctionalInterface
    public interface Cancellable {
        void cancel();
    }

    /**
     * Subscribes to {@code mono} and runs {@code done} with its value or its failure on {@code context}. {@code done}
     * always runs exactly once, with a {@link java.util.concurrent.CancellationException} when the operation was
     * cancelled.
     *
     * @return what cancels the operation (for example when the client goes away)
     */
    public static <T> Cancellable subscribe(Context context, Mono<T> mono,
            BiConsumer<@Nullable T, @Nullable Throwable> done) {
        CompletableFuture<T> future = mono.toFuture();
        Future.fromCompletionStage(future, context).onComplete(result -> done.accept(result.result(),
                result.failed() ? unwrap(result.cause()) : null));
        return () -> future.cancel(false);
    }

    /** The failure inside the wrappers that futures add. */
    public static Throwable unwrap(Throwable failure) {
        Throwable error = failure;
        while ((error instanceof CompletionException || error instanceof ExecutionException)
                && error.getCause() != null) {
            error = error.getCause();
        }
        return error;
    }
}
