package io.discagent.agent.adversary;

import static io.discagent.agent.adversary.Harness.BLOCK;
import static io.discagent.agent.adversary.Harness.SIM0;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Operators that fail on a grant, in shapes beyond the README's table: the grant must be released when no code of
 * the user can reach it any more, and kept when the user's code got it (a subscriber, an error handler that was
 * handed the value, a second subscriber of a shared chain). Deterministic shapes, no race.
 */
class OperatorFailureAdversaryTests {

    private static final Scheduler WORKER = Schedulers.newSingle("operator-failure-worker");
    private static final String FAILURE = "the user's function fails";

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
        assertThat(h.sim.lockCounts().taken()).isEqualTo(h.sim.lockCounts().dropped());
    }

    @AfterAll
    static void disposeWorker() {
        WORKER.dispose();
    }

    private static <T> T fail() {
        throw new IllegalStateException(FAILURE);
    }

    private static Arguments shape(String name, Function<Mono<LockGrant>, Publisher<?>> chain) {
        return Arguments.of(name, chain);
    }

    private void quiesce() {
        h.settle();
        Mono.fromRunnable(() -> { }).subscribeOn(WORKER).block(BLOCK);
        h.settle();
    }

    // ------------------------------------------------------------------------------------------------ released

    static Stream<Arguments> grantReachesNoUserCode() {
        return Stream.of(
                shape("map.onErrorResume(empty)", m -> m.map(g -> fail()).onErrorResume(e -> Mono.empty())),
                shape("flux().buffer(1).map", m -> m.flux().buffer(1).map(l -> fail())),
                shape("flux().collectList().map", m -> m.flux().collectList().map(l -> fail())),
                shape("flux().groupBy(key throws)", m -> m.flux().groupBy(g -> fail())),
                shape("map.retry(2)", m -> m.map(g -> fail()).retry(2)),
                shape("flux().index().map", m -> m.flux().index().map(t -> fail())),
                shape("flux().distinct(key throws)", m -> m.flux().distinct(g -> fail())),
                shape("flux().takeWhile(throws)", m -> m.flux().takeWhile(g -> fail())),
                shape("flux().skipWhile(throws)", m -> m.flux().skipWhile(g -> fail())),
                shape("flux().doOnEach(throws on next)", m -> m.flux().doOnEach(s -> {
                    if (s.isOnNext()) {
                        fail();
                    }
                })),
                shape("flux().flatMapIterable(throws)", m -> m.flux().flatMapIterable(g -> fail())),
                shape("flux().concatMapIterable(throws)", m -> m.flux().concatMapIterable(g -> fail())),
                shape("flux().cast(String) (no user function)", m -> m.flux().cast(String.class)),
                shape("flux().publishOn(worker).flatMap", m -> m.flux().publishOn(WORKER).flatMap(g -> fail())),
                shape("Flux.merge(map, never-ending other)",
                        m -> Flux.merge(m.map(g -> fail()), Flux.never())),
                shape("flux().expand(g -> just(g)).take(2).map", // the grant reaches map twice, both times it throws
                        m -> m.flux().expand(g -> Mono.just(g)).take(2).map(g -> fail())));
    }

    static Stream<Arguments> grantReachesNoUserCodeButTheAgentKeepsIt() {
        return Stream.of(
                shape("flux().window(1).flatMap(w -> w.map)", m -> m.flux().window(1).flatMap(w -> w.map(g -> fail()))),
                shape("flux().groupBy.flatMap(g -> g.map)",
                        m -> m.flux().groupBy(g -> 1).flatMap(group -> group.map(g -> fail()))),
                shape("Mono.zip(acquire, just, combinator throws)",
                        m -> Mono.zip(m, Mono.just(1), (g, i) -> fail())),
                shape("zipWith(just).map", m -> m.zipWith(Mono.just(1)).map(t -> fail())),
                shape("flux().flatMap(g -> just(g).map)", m -> m.flux().flatMap(g -> Mono.just(g).map(x -> fail()))),
                shape("flatMap(g -> just(g).map)", m -> m.flatMap(g -> Mono.just(g).map(x -> fail()))),
                shape("delayUntil(throws)", m -> m.delayUntil(g -> fail())),
                shape("flux().publish(f -> f.map)", m -> m.flux().publish(f -> f.map(g -> fail()))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("grantReachesNoUserCode")
    void aGrantThatNoUserCodeCanReachAfterAFailureIsReleased(String name, Function<Mono<LockGrant>, Publisher<?>> chain) {
        AtomicReference<Throwable> error = new AtomicReference<>();
        Flux.from(chain.apply(a.acquire(SIM0))).subscribe(v -> { }, error::set);
        quiesce();
        assertThat(h.count(a, SIM0)).as("count after '%s' failed (error %s)", name, error.get()).isZero();
        h.closeSessionsAndAssertBalanced();
    }

    /**
     * Finding: in these shapes a user function throws on the grant, or on a value that carries it (a window, a group,
     * a tuple, an inner {@code Mono.just(g)}), or {@code delayUntil}'s trigger function throws: the error goes
     * downstream, the grant reaches no user code, yet the session keeps the count (1) until it closes. The README
     * table promises a release for a function that threw in map/flatMap/...; these shapes fall outside what the
     * agent recognises. ({@code zip} is listed among the blind spots for a failing partner, not for a combinator
     * that throws.) Deterministic.
     */
    @Tag("finding")
    @ParameterizedTest(name = "{0}")
    @MethodSource("grantReachesNoUserCodeButTheAgentKeepsIt")
    void aGrantThatNoUserCodeCanReachIsReleasedInShapesTheAgentMisses(String name,
            Function<Mono<LockGrant>, Publisher<?>> chain) {
        aGrantThatNoUserCodeCanReachAfterAFailureIsReleased(name, chain);
    }

    // ------------------------------------------------------------------------------------------------ kept

    /**
     * Finding: the grant passes a {@code doOnNext} that keeps it (the user has it), then a later {@code map} throws.
     * The user's code still reaches the grant and believes it holds the recorder, so the agent should not release it;
     * observed: the count is 0 (the agent released it under the user). The agent cannot tell this chain from a
     * plain failing map, so the README rule "released" is wrong for a user who kept the grant upstream of the
     * failing operator. Deterministic.
     */
    @Tag("finding")
    @Test
    void aGrantTheUserKeptInAnEarlierDoOnNextIsStillHeldWhenALaterMapThrows() {
        AtomicReference<LockGrant> kept = new AtomicReference<>();
        AtomicReference<Throwable> error = new AtomicReference<>();
        a.acquire(SIM0).doOnNext(kept::set).map(g -> fail()).subscribe(v -> { }, error::set);
        quiesce();
        assertThat(kept.get()).isNotNull();
        assertThat(error.get()).hasMessage(FAILURE);
        assertThat(h.count(a, SIM0)).as("the user kept %s before the map threw", kept.get()).isEqualTo(1);
        assertThat(a.release(kept.get()).block(BLOCK)).isZero();
        h.closeSessionsAndAssertBalanced();
    }

    /** An {@code onErrorContinue} handler is handed the grant the map threw on: the user's code has it. */
    @Test
    void aGrantHandedToAnOnErrorContinueHandlerIsStillHeld() {
        AtomicReference<Object> kept = new AtomicReference<>();
        a.acquire(SIM0).flux().map(g -> fail()).onErrorContinue((e, v) -> kept.set(v)).subscribe();
        quiesce();
        assertThat(kept.get()).isInstanceOf(LockGrant.class);
        assertThat(h.count(a, SIM0)).as("the onErrorContinue handler kept %s", kept.get()).isEqualTo(1);
        assertThat(a.release((LockGrant) kept.get()).block(BLOCK)).isZero();
        h.closeSessionsAndAssertBalanced();
    }

    /** {@code expand} emits the grant to the subscriber first, then its expander throws: the subscriber has it. */
    @Test
    void aGrantDeliveredByExpandBeforeItsExpanderThrowsIsStillHeld() {
        List<LockGrant> got = new CopyOnWriteArrayList<>();
        AtomicReference<Throwable> error = new AtomicReference<>();
        a.acquire(SIM0).expand(g -> fail()).subscribe(got::add, error::set);
        quiesce();
        assertThat(got).hasSize(1);
        assertThat(error.get()).hasMessage(FAILURE);
        assertThat(h.count(a, SIM0)).as("the subscriber got %s, then the expander threw", got).isEqualTo(1);
        h.closeSessionsAndAssertBalanced();
    }

    /** A published acquire (connected once both subscribed): one subscriber's map throws, the other got the grant. */
    @Test
    void aPublishedGrantOneSubscriberFailsOnIsStillHeldForTheOther() {
        Flux<LockGrant> shared = a.acquire(SIM0).flux().publish().autoConnect(2);
        AtomicReference<Throwable> error = new AtomicReference<>();
        List<LockGrant> got = new CopyOnWriteArrayList<>();
        shared.map(g -> fail()).subscribe(v -> { }, error::set);
        shared.subscribe(got::add);
        quiesce();
        assertThat(error.get()).hasMessage(FAILURE);
        assertThat(got).hasSize(1);
        assertThat(h.count(a, SIM0)).as("the second subscriber of publish() got %s", got).isEqualTo(1);
        h.closeSessionsAndAssertBalanced();
    }

    /**
     * Finding: {@code share()} with its only subscriber's map throwing on the grant: the error goes downstream, the
     * grant nowhere, and {@code share} disconnects from the acquire; expected a release, observed count 1 (held until
     * the session closes). A second subscriber that subscribes after that resubscribes to the acquire and gets a
     * grant with {@code lockCount=2}: one count no grant the user has accounts for (seen as a flaky count of 2 when a
     * second subscriber races the grant). Deterministic.
     */
    @Tag("finding")
    @Test
    void aSharedGrantWhoseOnlySubscribersMapThrowsIsReleased() {
        Flux<LockGrant> shared = a.acquire(SIM0).flux().share();
        AtomicReference<Throwable> error = new AtomicReference<>();
        shared.map(g -> fail()).subscribe(v -> { }, error::set);
        quiesce();
        assertThat(error.get()).hasMessage(FAILURE);
        assertThat(h.count(a, SIM0)).as("count after share().map threw with no other subscriber").isZero();
        h.closeSessionsAndAssertBalanced();
    }

    /** A cached acquire: the first subscriber's map throws, a later subscriber is replayed the grant. */
    @Test
    void aCachedGrantOneSubscriberFailsOnIsStillHeldForALaterSubscriber() {
        Mono<LockGrant> cached = a.acquire(SIM0).cache();
        AtomicReference<Throwable> error = new AtomicReference<>();
        cached.map(g -> fail()).subscribe(v -> { }, error::set);
        quiesce();
        LockGrant replayed = cached.block(BLOCK);
        assertThat(error.get()).hasMessage(FAILURE);
        assertThat(h.count(a, SIM0)).as("cache() replays %s to a later subscriber", replayed).isEqualTo(1);
        h.closeSessionsAndAssertBalanced();
    }

    // ------------------------------------------------------------------------------------------------ double release

    /**
     * {@code Flux.usingWhen} with the acquire as resource, a body that throws, and the release as cleanup: the user
     * releases exactly the grant; whatever the agent does must not take away a count the session holds besides.
     */
    @Test
    void usingWhenWhoseBodyThrowsReleasesExactlyOneCount() {
        LockGrant earlier = a.acquire(SIM0).block(BLOCK);
        AtomicReference<Throwable> error = new AtomicReference<>();
        Flux.usingWhen(a.acquire(SIM0), g -> fail(), g -> a.release(g)).subscribe(v -> { }, error::set);
        quiesce();
        assertThat(error.get()).hasMessage(FAILURE);
        assertThat(h.count(a, SIM0)).as("the count of %s, held before", earlier).isEqualTo(1);
        a.release(earlier).block(BLOCK);
        h.closeSessionsAndAssertBalanced();
    }

    /** A doOnNext that stores the grant and throws; the user's error path releases what it stored. */
    @Test
    void aStoredGrantReleasedByTheUsersErrorPathTakesOnlyItsOwnCount() {
        LockGrant earlier = a.acquire(SIM0).block(BLOCK);
        AtomicReference<LockGrant> kept = new AtomicReference<>();
        AtomicReference<Object> after = new AtomicReference<>();
        a.acquire(SIM0).doOnNext(g -> {
            kept.set(g);
            fail();
        }).onErrorResume(e -> a.release(kept.get()).then(Mono.empty())).subscribe(after::set, after::set);
        quiesce();
        assertThat(kept.get()).isNotNull();
        assertThat(h.count(a, SIM0)).as("the count of %s, held before", earlier).isEqualTo(1);
        a.release(earlier).block(BLOCK);
        h.closeSessionsAndAssertBalanced();
    }

    /** {@code retry} resubscribes after a map that threw twice: one grant reaches the user, one count is held. */
    @Test
    void retryAfterAFailingMapEndsWithExactlyTheGrantTheUserGot() {
        AtomicInteger attempts = new AtomicInteger();
        List<LockGrant> got = new CopyOnWriteArrayList<>();
        a.acquire(SIM0).map(g -> attempts.getAndIncrement() < 2 ? fail() : g).retry(5)
                .subscribe(g -> got.add((LockGrant) g));
        quiesce();
        assertThat(attempts.get()).isEqualTo(3);
        assertThat(got).hasSize(1);
        assertThat(h.count(a, SIM0)).as("count after two failed attempts and one that delivered").isEqualTo(1);
        h.closeSessionsAndAssertBalanced();
    }

    /**
     * Finding (consistency; a judgement call): a {@code doOnNext} that throws on the grant gets it released (count
     * 0, as the README says), but a {@code Flux.subscribe(consumer)} whose consumer throws on the grant keeps it
     * (count 1) although the consumer failed just the same and Reactor cancelled the chain. Either both are the
     * user's or neither; the README says nothing about a consumer that throws. Deterministic.
     */
    @Tag("finding")
    @Test
    void aConsumerThatThrowsOnTheGrantIsTreatedLikeADoOnNextThatThrows() {
        AtomicReference<Throwable> error = new AtomicReference<>();
        a.acquire(SIM0).doOnNext(g -> fail()).subscribe(v -> { }, e -> { });
        quiesce();
        int afterDoOnNext = h.count(a, SIM0);
        ClientSession b = h.session("Other");
        b.acquire(io.discagent.agent.adversary.Harness.SIM1).flux().subscribe(g -> fail(), error::set);
        quiesce();
        assertThat(error.get()).hasMessage(FAILURE);
        assertThat(h.count(b, io.discagent.agent.adversary.Harness.SIM1))
                .as("a consumer that threw vs a doOnNext that threw (count %d)", afterDoOnNext)
                .isEqualTo(afterDoOnNext);
        h.closeSessionsAndAssertBalanced();
    }
}
