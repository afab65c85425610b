package io.discagent.agent.internal;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscriber;
import reactor.core.Scannable;

/**
 * What the operators below an acquire say about a grant that already left the agent, when a cancellation comes
 * afterwards: did they drop it, or pass it on? Reactor offers no signal for this, so the agent reads what the chain
 * exposes ({@link Scannable}: each operator's downstream and what an asynchronous one still buffers), a
 * {@link CompletableFuture} at its end, and the thread's stack.
 *
 * <p>The rule, in order:
 * <ol>
 * <li>An asynchronous operator below (a {@code publishOn}, {@code delayElement}) still buffers an element: the grant
 * has not passed it, and the cancellation drops it &rarr; <em>dropped</em>.</li>
 * <li>The subscriber is a {@code Flux.subscribe(consumer)} itself ({@code acquire(..).flux().subscribe(..)}): it
 * hands every value to its consumer even when it is disposed meanwhile &rarr; <em>passed on</em>. (Further down a
 * chain an operator between may have dropped the grant, so only the direct subscriber counts.)</li>
 * <li>The cancellation comes from inside an asynchronous operator below while it delivers (one of its methods other
 * than {@code cancel…}, {@code dispose…}, {@code request}, {@code onError}, {@code onComplete} is on the thread's
 * stack): the grant passed through it and someone further down is done with the stream, as {@code take(1)},
 * {@code next()} or {@code blockFirst()} after a {@code publishOn} are &rarr; <em>passed on</em>. (Without an
 * asynchronous operator below, such a cancellation comes inside the agent's own {@code onNext}, which
 * {@link AcquireOperation} sees directly.)</li>
 * <li>Otherwise the cancellation comes from outside any delivery (a {@code dispose()} racing the emission, a
 * {@code block(Duration)} that timed out, a {@code firstWithValue} that dropped it, a {@code flatMap} chain disposed
 * while it used the grant) &rarr; <em>dropped</em>.</li>
 * </ol>
 * A cancelled {@link CompletableFuture} at the end of the chain ({@code toFuture()}) never holds the grant.
 */
final class Downstream {

    /**
     * Reactor's subscriber behind {@code Flux.subscribe(consumer)} (package-private, so known by name): unlike
     * {@code Mono}'s, it never drops a value because it was disposed meanwhile.
     */
    private static final String FLUX_LAMBDA_SUBSCRIBER = "reactor.core.publisher.LambdaSubscriber";
    /** How far down a chain the agent looks. */
    private static final int MAX_DEPTH = 32;
    private static final Set<String> NOT_DELIVERING = Set.of("request", "onError", "onComplete", "onSubscribe",
            "currentContext", "scanUnsafe", "scan");

    private Downstream() {
    }

    /** Whether a cancellation that arrives after the grant left the agent drops it (rather than the grant passed on). */
    static boolean cancellationDrops(Subscriber<?> actual) {
        Set<Class<?>> boundaries = new HashSet<>();
        @Nullable Object current = actual;
        for (int depth = 0; current != null && depth < MAX_DEPTH; depth++) {
            if (current instanceof CompletableFuture<?> future) {
                return future.isCancelled();
            }
            if (depth == 0 && FLUX_LAMBDA_SUBSCRIBER.equals(current.getClass().getName())) {
                return false; // Flux.subscribe(consumer) hands every value it gets to the consumer, disposed or not
            }
            Scannable scannable = Scannable.from(current);
            if (scannable.scan(Scannable.Attr.RUN_STYLE) == Scannable.Attr.RunStyle.ASYNC) {
                Integer buffered = scannable.scan(Scannable.Attr.BUFFERED);
                if (buffered != null && buffered > 0) {
                    return true;
                }
                boundaries.add(current.getClass());
            }
            current = scannable.isScanAvailable() ? scannable.scan(Scannable.Attr.ACTUAL) : null;
        }
        return boundaries.isEmpty() || !deliveringOnThisThread(boundaries);
    }

    /** Whether the future at the end of the chain, if any, was cancelled (it dropped whatever reached it). */
    static boolean endsInCancelledFuture(Subscriber<?> actual) {
        @Nullable Object current = actual;
        for (int depth = 0; current != null && depth < MAX_DEPTH; depth++) {
            if (current instanceof CompletableFuture<?> future) {
                return future.isCancelled();
            }
            Scannable scannable = Scannable.from(current);
            current = scannable.isScanAvailable() ? scannable.scan(Scannable.Attr.ACTUAL) : null;
        }
        return false;
    }

    /** Whether one of {@code boundaries} is delivering on this thread (the cancellation comes from inside it). */
    private static boolean deliveringOnThisThread(Set<Class<?>> boundaries) {
        return StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).walk(frames -> frames
                .anyMatch(frame -> boundaries.contains(frame.getDeclaringClass())
                        && !frame.getMethodName().startsWith("cancel")
                        && !frame.getMethodName().startsWith("dispose")
                        && !NOT_DELIVERING.contains(frame.getMethodName())));
    }
}
