package io.discagent.agent.adversary;

import static io.discagent.agent.adversary.Harness.BLOCK;
import static io.discagent.agent.adversary.Harness.SIM0;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * "An agent that made its own Vert.x marks its event-loop thread non-blocking for Reactor, so a block() there fails
 * at once with Reactor's IllegalStateException instead of freezing every recorder." Every blocking shape is tried in
 * every kind of signal the agent delivers on its loop.
 */
class EventLoopBlockingAdversaryTests {

    static List<String> shapes() {
        return List.of("block()", "block(Duration)", "blockOptional()", "blockFirst()", "blockLast(Duration)",
                "toIterable()", "toStream()");
    }

    private static void blockWith(String shape, Harness h) {
        switch (shape) {
            case "block()" -> h.agent.recorders().block();
            case "block(Duration)" -> h.agent.recorders().block(Duration.ofSeconds(30));
            case "blockOptional()" -> h.agent.recorders().blockOptional();
            case "blockFirst()" -> h.agent.lockTransitions().blockFirst();
            case "blockLast(Duration)" -> h.agent.recorders().flux().blockLast(Duration.ofSeconds(30));
            case "toIterable()" -> h.agent.lockTransitions().toIterable().iterator().next();
            case "toStream()" -> h.agent.lockTransitions().toStream().findFirst();
            default -> throw new IllegalArgumentException(shape);
        }
    }

    private static void inSignal(String where, Harness h, ClientSession s, Consumer<Runnable> deliver, String shape)
            throws Exception {
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        deliver.accept(() -> {
            long start = System.nanoTime();
            try {
                blockWith(shape, h);
                outcome.complete(null);
            } catch (Throwable e) {
                long ms = (System.nanoTime() - start) / 1_000_000;
                outcome.complete(ms < 1000 ? e : new AssertionError("failed only after " + ms + " ms", e));
            }
        });
        Throwable e = outcome.get(15, TimeUnit.SECONDS);
        assertThat(e).as("%s in %s on the loop", shape, where).isInstanceOf(IllegalStateException.class);
        h.assertQuiescentAndBalanced();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void blockingInAnySignalOfTheLoopFailsAtOnce(String shape) throws Exception {
        try (Harness h = Harness.virtualTime()) {
            ClientSession a = h.session("Alpha");
            inSignal("an acquire's onNext", h, a, r -> a.acquire(SIM0).subscribe(g -> {
                try {
                    r.run();
                } finally {
                    a.release(g).subscribe();
                }
            }), shape);
            inSignal("a release's onNext", h, a, r -> a.acquire(SIM0).then(a.release(SIM0)).subscribe(c -> r.run()),
                    shape);
            inSignal("an error callback", h, a, r -> a.release(SIM0).subscribe(c -> { }, e -> r.run()), shape);
            inSignal("a withLock body function", h, a, r -> a.withLock(SIM0, AcquireOptions.DEFAULT, g -> {
                r.run();
                return Mono.empty();
            }).subscribe(), shape);
            inSignal("an event subscriber", h, a, r -> h.agent.lockTransitions(SIM0).take(1).subscribe(t -> r.run()),
                    shape);
            inSignal("a session's open", h, a, r -> h.agent.openSession("Late").subscribe(s -> {
                r.run();
                s.close().subscribe();
            }), shape);
            inSignal("withLock's completion", h, a, r -> a.withLock(SIM0, AcquireOptions.DEFAULT, g -> Flux.just(1))
                    .subscribe(v -> { }, e -> { }, r), shape);
        }
    }
}
