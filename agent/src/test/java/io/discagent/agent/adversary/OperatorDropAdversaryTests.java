package io.discagent.agent.adversary;

import static io.discagent.agent.adversary.Harness.SIM0;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Deterministic shapes (no race): an operator below an acquire that fails on the grant drops it, an operator that
 * cancels a subscription it had already completed does not.
 */
class OperatorDropAdversaryTests {

    private static final Scheduler WORKER = Schedulers.newSingle("operator-drop-worker");

    private Harness h;
    private ClientSession a;

    @BeforeEach
    void start() {
        h = Harness.virtualTime();
        a = h.session("Subject");
    }

    @AfterEach
    void stop() {
        h.close();
    }

    @AfterAll
    static void disposeWorker() {
        WORKER.dispose();
    }

    static Stream<Arguments> failingOperators() {
        return Stream.of(
                failing("map", m -> m.map(g -> fail())),
                failing("flux().map", m -> m.flux().map(g -> fail())),
                failing("doOnNext", m -> m.doOnNext(g -> fail())),
                failing("filter", m -> m.filter(g -> fail())),
                failing("flatMap", m -> m.flatMap(g -> fail())),
                failing("flux().concatMap", m -> m.flux().concatMap(g -> fail())),
                failing("flux().concatMap(prefetch 2)", m -> m.flux().concatMap(g -> fail(), 2)),
                failing("flux().flatMap", m -> m.flux().flatMap(g -> fail())),
                failing("flux().switchMap", m -> m.flux().switchMap(g -> fail())),
                failing("handle", m -> m.handle((g, sink) -> fail())),
                failing("flux().take(1).map", m -> m.flux().take(1).map(g -> fail())),
                failing("flux().next().map", m -> m.flux().next().map(g -> fail())),
                failing("publishOn(worker).map", m -> m.publishOn(WORKER).map(g -> fail())),
                failing("flux().publishOn(worker).take(1).map",
                        m -> m.flux().publishOn(WORKER).take(1).map(g -> fail())));
    }

    private static Arguments failing(String name, Function<Mono<LockGrant>, Publisher<?>> chain) {
        return Arguments.of(name, chain);
    }

    private static <T> T fail() {
        throw new IllegalStateException("the user's function fails");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failingOperators")
    void anOperatorWhoseFunctionThrowsOnTheGrantDropsItAndTheAgentReleasesIt(String name,
            Function<Mono<LockGrant>, Publisher<?>> chain) {
        AtomicReference<Throwable> error = new AtomicReference<>();
        Flux.from(chain.apply(a.acquire(SIM0))).subscribe(v -> { }, error::set);
        h.settle();
        Mono.fromRunnable(() -> { }).subscribeOn(WORKER).block(Harness.BLOCK);
        h.settle();
        assertThat(error.get()).as("the error of '%s'", name).hasMessage("the user's function fails");
        assertThat(h.count(a, SIM0)).as("a grant whose '%s' threw (the error went downstream, the grant nowhere)",
                name).isZero();
        h.closeSessionsAndAssertBalanced();
    }

    @Test
    void aSwitchMapSwitchingAwayFromACompletedAcquireKeepsItsGrant() {
        Sinks.Many<Integer> source = Sinks.many().unicast().onBackpressureBuffer();
        List<LockGrant> got = new CopyOnWriteArrayList<>();
        source.asFlux().switchMap(i -> i == 1 ? a.acquire(SIM0) : Mono.<LockGrant>empty()).subscribe(got::add);
        source.tryEmitNext(1);
        h.settle();
        assertThat(got).hasSize(1);
        source.tryEmitNext(2);
        h.settle();
        assertThat(h.count(a, SIM0)).as("count after switchMap moved on from the acquire that delivered %s",
                got.get(0)).isEqualTo(1);
        h.closeSessionsAndAssertBalanced();
    }

    @Test
    void aFluxSwitchMapOfAFluxAcquireKeepsItsGrantToo() {
        Sinks.Many<Integer> source = Sinks.many().unicast().onBackpressureBuffer();
        List<LockGrant> got = new CopyOnWriteArrayList<>();
        source.asFlux().switchMap(i -> i == 1 ? a.acquire(SIM0).flux() : Flux.<LockGrant>empty())
                .subscribe(got::add);
        source.tryEmitNext(1);
        h.settle();
        source.tryEmitNext(2);
        h.settle();
        assertThat(got).hasSize(1);
        assertThat(h.count(a, SIM0)).isEqualTo(1);
        h.closeSessionsAndAssertBalanced();
    }
}
