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
 * <li>The cancellation comes from an operator that failed on the grant (a {@code map}, {@code filter},
 * {@code doOnNext}, {@code handle}, {@code flatMap} or {@code concatMap} whose function threw: Reactor's
 * {@code Operators.onOperatorError} or {@code onNextError}, or {@code concatMap}'s own error path, is on the thread's
 * stack): the error went downstream, the grant nowhere &rarr; <em>dropped</em>.</li>
 * <li>The chain reaches a {@code Flux.subscribe(consumer)} ({@code acquire(..).flux().subscribe(..)}) only through
 * operators that hand on every value they get, cancelled or not ({@link #PASS_THROUGH}: {@code subscribeOn},
 * {@code retry}, {@code map}, {@code doOnNext}, {@code doFinally}, {@code takeUntilOther} &hellip;): that
 * subscriber hands every value to its consumer even when it is disposed meanwhile &rarr; <em>passed on</em>. (Behind
 * any other operator the grant may have been dropped, so the rule stops there.)</li>
 * <li>A {@code switchMap} passed the grant on (its inner saw it through, as {@link #passedOnByFirstLink} records when
 * the agent's {@code onNext} returns) and cancels it later because it switched to the next element, not because its
 * own downstream cancelled &rarr; <em>passed on</em>; when its downstream cancelled, the rules go on below it.</li>
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
    /** A {@code switchMap}'s subscriber of the current inner publisher. */
    private static final String SWITCH_MAP_INNER = "reactor.core.publisher.FluxSwitchMapNoPrefetch$SwitchMapInner";
    /**
     * Reactor operators whose {@code onNext} hands every value downstream on the calling thread, whether or not they
     * were cancelled meanwhile (checked in reactor-core's source: no cancellation check on the value's path; their
     * {@code done} flag is set by terminal signals only).
     */
    private static final Set<String> PASS_THROUGH = Set.of(
            "reactor.core.publisher.MonoSubscribeOn$SubscribeOnSubscriber",
            "reactor.core.publisher.FluxRetryWhen$RetryWhenMainSubscriber",
            "reactor.core.publisher.FluxRetry$RetrySubscriber",
            "reactor.core.publisher.FluxDoFinally$DoFinallySubscriber",
            "reactor.core.publisher.FluxDoFinally$DoFinallyConditionalSubscriber",
            "reactor.core.publisher.FluxPeek$PeekSubscriber",
            "reactor.core.publisher.FluxPeekFuseable$PeekFuseableSubscriber",
            "reactor.core.publisher.FluxPeekFuseable$PeekConditionalSubscriber",
            "reactor.core.publisher.FluxPeekFuseable$PeekFuseableConditionalSubscriber",
            "reactor.core.publisher.MonoPeekTerminal$MonoTerminalPeekSubscriber",
            "reactor.core.publisher.FluxMap$MapSubscriber",
            "reactor.core.publisher.FluxMap$MapConditionalSubscriber",
            "reactor.core.publisher.FluxMapFuseable$MapFuseableSubscriber",
            "reactor.core.publisher.FluxMapFuseable$MapFuseableConditionalSubscriber",
            "reactor.core.publisher.FluxContextWrite$ContextWriteSubscriber",
            "reactor.core.publisher.FluxHide$HideSubscriber",
            "reactor.core.publisher.FluxHide$SuppressFuseableSubscriber",
            "reactor.core.publisher.FluxTakeUntilOther$TakeUntilMainSubscriber",
            "reactor.core.publisher.FluxOnAssembly$OnAssemblySubscriber",
            "reactor.core.publisher.FluxOnAssembly$OnAssemblyConditionalSubscriber");
    /**
     * Reactor's methods ({@code class#method}) that cancel the subscription of an operator whose function failed on a
     * value: most operators go through {@code Operators}, {@code concatMap} through its own error path.
     */
    private static final Set<String> OPERATOR_FAILURE = Set.of(
            "reactor.core.publisher.Operators#onOperatorError",
            "reactor.core.publisher.Operators#onNextError",
            "reactor.core.publisher.FluxConcatMapNoPrefetch$FluxConcatMapNoPrefetchSubscriber#maybeOnError");
    /** How far down a chain the agent looks. */
    private static final int MAX_DEPTH = 32;
    private static final Set<String> NOT_DELIVERING = Set.of("request", "onError", "onComplete", "onSubscribe",
            "currentContext", "scanUnsafe", "scan");

    private Downstream() {
    }

    /**
     * Whether a cancellation that arrives after the grant left the agent drops it (rather than the grant passed on).
     *
     * @param firstLinkPassedOn whether the first link is known to have handed the grant on ({@link
     *     #passedOnByFirstLink})
     */
    static boolean cancellationDrops(Subscriber<?> actual, boolean firstLinkPassedOn) {
        if (anOperatorFailedOnThisThread()) {
            return true;
        }
        Set<Class<?>> boundaries = new HashSet<>();
        @Nullable Object current = actual;
        boolean passThrough = true; // every link so far hands on every value it gets
        for (int depth = 0; current != null && depth < MAX_DEPTH; depth++) {
            if (current instanceof CompletableFuture<?> future) {
                return future.isCancelled();
            }
            String name = current.getClass().getName();
            if (passThrough && FLUX_LAMBDA_SUBSCRIBER.equals(name)) {
                return false; // Flux.subscribe(consumer) hands every value it gets to the consumer, disposed or not
            }
            Scannable scannable = Scannable.from(current);
            if (depth == 0 && firstLinkPassedOn) {
                Scannable main = Scannable.from(scannable.scan(Scannable.Attr.PARENT));
                if (!main.scanOrDefault(Scannable.Attr.CANCELLED, false)) {
                    return false; // the switchMap switched away from a grant it had passed on
                }
                current = below(scannable); // its downstream cancelled: go on below it
                continue;
            }
            passThrough &= PASS_THROUGH.contains(name);
            if (scannable.scan(Scannable.Attr.RUN_STYLE) == Scannable.Attr.RunStyle.ASYNC) {
                Integer buffered = scannable.scan(Scannable.Attr.BUFFERED);
                if (buffered != null && buffered > 0) {
                    return true;
                }
                boundaries.add(current.getClass());
            }
            current = scannable.isScanAvailable() ? below(scannable) : null;
        }
        return boundaries.isEmpty() || !deliveringOnThisThread(boundaries);
    }

    /**
     * Whether the first link of the chain is known to have handed the grant on by the time the agent's {@code onNext}
     * returns: a {@code switchMap}'s inner that is not cancelled then had the current index and an open downstream
     * while it ran, so it called its downstream's {@code onNext} (a cancellation from its switch can only come later).
     * Event loop, right after {@code onNext} returned.
     */
    static boolean passedOnByFirstLink(Subscriber<?> actual) {
        return SWITCH_MAP_INNER.equals(actual.getClass().getName())
                && !Scannable.from(actual).scanOrDefault(Scannable.Attr.CANCELLED, true);
    }

    /**
     * Whether the cancellation comes from an operator whose function failed on a value (Reactor cancels the
     * operator's subscription from {@code Operators.onOperatorError}/{@code onNextError}, then signals the error
     * downstream): the value went nowhere.
     */
    static boolean anOperatorFailedOnThisThread() {
        return StackWalker.getInstance().walk(frames -> frames
                .anyMatch(frame -> OPERATOR_FAILURE.contains(frame.getClassName() + "#" + frame.getMethodName())));
    }

    /** Whether the future at the end of the chain, if any, was cancelled (it dropped whatever reached it). */
    static boolean endsInCancelledFuture(Subscriber<?> actual) {
        @Nullable Object current = actual;
        for (int depth = 0; current != null && depth < MAX_DEPTH; depth++) {
            if (current instanceof CompletableFuture<?> future) {
                return future.isCancelled();
            }
            Scannable scannable = Scannable.from(current);
            current = scannable.isScanAvailable() ? below(scannable) : null;
        }
        return false;
    }

    /**
     * The subscriber below {@code link}, as it is: {@code scan(ACTUAL)} would turn one that is not {@link Scannable}
     * (the {@code CompletableFuture} of {@code toFuture()}) into an opaque placeholder, hiding it from the rules.
     */
    private static @Nullable Object below(Scannable link) {
        return link.scanUnsafe(Scannable.Attr.ACTUAL);
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
