package io.discagent.service;

import static io.discagent.service.FleetSupport.reachable;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.AcquireOptions;
import io.discagent.api.AcquireRequest;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderAgent;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderSelector;
import io.discagent.api.error.LockNotHeldException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.RequestCancelledException;
import io.discagent.api.error.SessionClosedException;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.RecorderEvent;
import io.discagent.service.fleet.FleetAgent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.reactivestreams.Publisher;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * Attacks on the fleet as a {@code RecorderAgent} ({@code FleetNode.agent()}), as an outside user: races of
 * cancellation against grants, parallel counts on one session, holds ending under a {@code withLock} body, bad input,
 * the threads of every signal, the streams' order and the agent's close. Two real members on loopback, two simulated
 * recorders each; every test leaves every drive free and every FIFO empty (checked after each).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FleetAgentAdversaryTests {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private final List<TestService> started = new ArrayList<>();
    private TestService a;
    private TestService b;
    private FleetAgent fleet;

    @BeforeAll
    void fleet() {
        started.addAll(FleetSupport.pair());
        a = started.get(0);
        b = started.get(1);
        fleet = a.service.fleet().node().orElseThrow().agent();
    }

    @AfterEach
    void everyDriveFreeAndNoWaiterLeft() {
        FleetSupport.awaitEveryDriveFreeAndNoWaiter(started);
    }

    @AfterAll
    void stop() {
        started.forEach(TestService::close);
    }

    // ---------------------------------------------------------------- bad input

    @Test
    void everyNullArgumentAndBadIdFailsTypedWithItsHresultOnTheEventLoopNeverThrown() {
        ClientSession s = fleet.openSession("Checker").block(WAIT);
        RecorderId onB = RecorderId.of("node-b/sim-0");
        Map<String, Supplier<Publisher<?>>> calls = new LinkedHashMap<>();
        calls.put("recorder(null)", () -> fleet.recorder(null));
        calls.put("media(null)", () -> fleet.media(null));
        calls.put("exclusiveAccessOwner(null)", () -> fleet.exclusiveAccessOwner(null));
        calls.put("lockTransitions(null)", () -> fleet.lockTransitions(null));
        calls.put("acquire(null, opts)", () -> s.acquire(null, AcquireOptions.DEFAULT));
        calls.put("acquire(id, null)", () -> s.acquire(onB, null));
        calls.put("release((RecorderId) null)", () -> s.release((RecorderId) null));
        calls.put("release((LockGrant) null)", () -> s.release((LockGrant) null));
        calls.put("lockCount(null)", () -> s.lockCount(null));
        calls.put("withLock(null, ..)", () -> s.withLock(null, AcquireOptions.DEFAULT, g -> Flux.empty()));
        calls.put("withLock(id, null, ..)", () -> s.withLock(onB, null, g -> Flux.empty()));
        calls.put("withLock(id, opts, null)", () -> s.withLock(onB, AcquireOptions.DEFAULT, null));
        calls.put("acquireAny(null, opts)", () -> s.acquireAny(null, AcquireOptions.DEFAULT));
        calls.put("acquireAny(sel, null)", () -> s.acquireAny(RecorderSelector.any(), null));
        calls.put("acquireEach(null)", () -> s.acquireEach(null));
        calls.put("withLockAny(null, ..)", () -> s.withLockAny(null, AcquireOptions.DEFAULT, g -> Flux.empty()));
        calls.put("withLockAny(sel, opts, null)", () -> s.withLockAny(RecorderSelector.any(), AcquireOptions.DEFAULT,
                null));
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, Supplier<Publisher<?>>> call : calls.entrySet()) {
            String outcome = outcome(call.getValue());
            if (!outcome.equals("InvalidArgumentException 0x80070057 on the event loop")) {
                wrong.add(call.getKey() + ": " + outcome);
            }
        }
        assertThat(wrong).as("null arguments").isEmpty();

        Map<String, Supplier<Publisher<?>>> names = new LinkedHashMap<>();
        names.put("empty", () -> fleet.openSession(""));
        names.put("64 chars", () -> fleet.openSession("x".repeat(64)));
        names.put("slash", () -> fleet.openSession("a/b"));
        names.put("newline", () -> fleet.openSession("a\nb"));
        names.put("non-ASCII", () -> fleet.openSession("caf\u00e9"));
        for (Map.Entry<String, Supplier<Publisher<?>>> call : names.entrySet()) {
            String outcome = outcome(call.getValue());
            if (!outcome.startsWith("InvalidClientNameException") || !outcome.endsWith("on the event loop")) {
                wrong.add("client name " + call.getKey() + ": " + outcome);
            }
        }
        assertThat(fleet.openSession("x".repeat(63)).flatMap(ClientSession::close).then(Mono.just(true))
                .block(WAIT)).as("63 characters is a valid name").isTrue();

        Map<String, Supplier<Publisher<?>>> unknown = new LinkedHashMap<>();
        for (String id : List.of("sim-0", "node-z/sim-0", "node-b/sim-9", "node-b/", "/sim-0", "node-b/sim-0/x",
                "node-a/node-b/sim-0")) {
            RecorderId r;
            try {
                r = RecorderId.of(id);
            } catch (RecorderException e) {
                continue;
            }
            unknown.put("recorder(" + id + ")", () -> fleet.recorder(r));
            unknown.put("media(" + id + ")", () -> fleet.media(r));
            unknown.put("exclusiveAccessOwner(" + id + ")", () -> fleet.exclusiveAccessOwner(r));
            unknown.put("lockTransitions(" + id + ")", () -> fleet.lockTransitions(r));
            unknown.put("acquire(" + id + ")", () -> s.acquire(r));
            unknown.put("acquire(" + id + ", wait)", () -> s.acquire(r, AcquireOptions.waitUpTo(WAIT)));
            unknown.put("withLock(" + id + ")", () -> s.withLock(r, AcquireOptions.waitUpTo(WAIT),
                    g -> Flux.just(1)));
            unknown.put("acquireAny(anyOf(" + id + "))", () -> s.acquireAny(RecorderSelector.anyOf(r)));
        }
        for (Map.Entry<String, Supplier<Publisher<?>>> call : unknown.entrySet()) {
            String outcome = outcome(call.getValue());
            String expected = "RecorderRemovedException 0x80070037 on the event loop";
            if (!outcome.equals(expected)) {
                wrong.add(call.getKey() + ": " + outcome + " (expected " + expected + ")");
            }
        }
        assertThat(wrong).as("bad names and unknown ids").isEmpty();
        assertThat(s.placesInLine().block(WAIT)).isEmpty();
        s.close().block(WAIT);
    }

    @Test
    void releasingARecorderOfAnUnknownNodeOrAnUnknownRecorderAnswersAsTheOwningNodesOwnAgentDoes() {
        ClientSession localSession = b.service.agent().openSession("Checker").block(WAIT);
        String local = outcome(() -> localSession.release(RecorderId.of("sim-9")));
        localSession.close().block(WAIT);
        assertThat(local).as("the owning node's own agent, release of a recorder it does not know")
                .isEqualTo("RecorderRemovedException 0x80070037 on the event loop");
        ClientSession s = fleet.openSession("Checker").block(WAIT);
        List<String> wrong = new ArrayList<>();
        for (String id : List.of("sim-0", "node-z/sim-0", "node-b/sim-9", "node-a/sim-9")) {
            String outcome = outcome(() -> s.release(RecorderId.of(id)));
            if (!outcome.equals(local)) {
                wrong.add("release(" + id + "): " + outcome);
            }
        }
        s.close().block(WAIT);
        assertThat(wrong).as("the fleet, expected as node-b answers: %s", local).isEmpty();
    }

    /** How a call ends when subscribed from a thread that is no event loop: its error, HRESULT and thread. */
    private static String outcome(Supplier<Publisher<?>> call) {
        CompletableFuture<String> result = new CompletableFuture<>();
        Schedulers.single().schedule(() -> {
            Publisher<?> publisher;
            try {
                publisher = call.get();
            } catch (Throwable e) {
                result.complete("thrown synchronously: " + e);
                return;
            }
            Flux.from(publisher).take(1).subscribe(x -> result.complete(describeValue()), e -> result.complete(describe(e)),
                    () -> result.complete(describeValue()));
        });
        try {
            return result.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            return "no answer: " + e;
        }
    }

    private static String describeValue() {
        return Thread.currentThread().getName().startsWith("vert.x-eventloop-thread") ? "completed on the event loop"
                : "completed on " + Thread.currentThread().getName();
    }

    private static String describe(Throwable e) {
        String thread = Thread.currentThread().getName().startsWith("vert.x-eventloop-thread") ? "on the event loop"
                : "on " + Thread.currentThread().getName();
        return e instanceof RecorderException r
                ? e.getClass().getSimpleName() + " " + r.hresult().hex() + " " + thread
                : e.getClass().getSimpleName() + " (untyped: " + e.getMessage() + ") " + thread;
    }

    /** What the owning node's own agent answers and what the fleet answers, side by side, for the same calls. */
    private static List<String> sameCalls(RecorderAgent agent, RecorderId recorder) {
        List<String> seen = new ArrayList<>();
        seen.add("openSession(null) " + outcome(() -> agent.openSession(null)));
        ClientSession s = agent.openSession("Twice").block(WAIT);
        LockGrant g1 = s.acquire(recorder).block(WAIT);
        LockGrant g2 = s.acquire(recorder).block(WAIT);
        LockGrant g3 = s.acquire(recorder).block(WAIT);
        seen.add("counts " + List.of(g1.lockCount(), g2.lockCount(), g3.lockCount()));
        seen.add("release(g3) " + s.release(g3).block(WAIT));
        seen.add("lockCount " + s.lockCount(recorder).block(WAIT));
        seen.add("release(g1) " + s.release(g1).block(WAIT));
        seen.add("release(g1) again " + s.release(g1).block(WAIT));
        seen.add("lockCount " + s.lockCount(recorder).block(WAIT));
        seen.add("release(g2) " + s.release(g2).block(WAIT));
        seen.add("close " + outcome(() -> s.close().then(Mono.just("done"))));
        seen.add("close again " + outcome(() -> s.close().then(Mono.just("done"))));
        seen.add("isOpen " + s.isOpen());
        return seen;
    }

    @Test
    void releasingOneGrantOfSeveralTakesOneCountAwayAsOnTheOwningNodesOwnAgent() {
        List<String> local = sameCalls(b.service.agent(), RecorderId.of("sim-0"));
        List<String> remote = sameCalls(fleet, RecorderId.of("node-b/sim-0"));
        assertThat(local).as("the owning node's own agent").containsSubsequence("release(g3) 2", "lockCount 2",
                "release(g1) 1", "release(g1) again 1", "lockCount 1", "release(g2) 0");
        assertThat(remote.subList(1, 9)).as("the fleet").isEqualTo(local.subList(1, 9));
    }

    /** A session closes while it holds (and, with {@code body}, while a withLock body runs), then closes again. */
    private static String closeAgainAfter(RecorderAgent agent, RecorderId recorder, boolean body, boolean otherThread)
            throws Exception {
        ClientSession s = agent.openSession("Again").block(WAIT);
        s.acquire(recorder).block(WAIT);
        CountDownLatch running = new CountDownLatch(1);
        if (body) {
            s.withLock(recorder, AcquireOptions.waitUpTo(WAIT), g -> Flux.never()
                    .doOnSubscribe(x -> running.countDown())).subscribe(x -> { }, e -> { });
            assertThat(running.await(20, TimeUnit.SECONDS)).isTrue();
        }
        if (otherThread) {
            CompletableFuture.runAsync(() -> s.close().block(WAIT), Executors.POOL).get(40, TimeUnit.SECONDS);
        } else {
            s.close().block(WAIT);
        }
        return outcome(() -> s.close().then(Mono.just("done")));
    }

    @Test
    void closingAFleetSessionAgainAfterItClosedWhileHoldingCompletesAsOnTheOwningNodesOwnAgent() throws Exception {
        List<String> wrong = new ArrayList<>();
        for (boolean body : List.of(false, true)) {
            for (boolean otherThread : List.of(false, true)) {
                String local = closeAgainAfter(b.service.agent(), RecorderId.of("sim-0"), body, otherThread);
                String remote = closeAgainAfter(fleet, RecorderId.of("node-b/sim-0"), body, otherThread);
                if (!local.equals("completed on the event loop") || !remote.equals(local)) {
                    wrong.add((body ? "withLock running" : "holding") + (otherThread ? ", closed from another thread"
                            : "") + ": the owning node's agent " + local + ", the fleet " + remote);
                }
            }
        }
        assertThat(wrong).as("ClientSession.close(): closing twice does nothing").isEmpty();
    }

    @Test
    void openSessionWithNullAnswersAsTheOwningNodesOwnAgent() {
        assertThat(sameCalls(fleet, RecorderId.of("node-b/sim-1")).get(0))
                .isEqualTo(sameCalls(b.service.agent(), RecorderId.of("sim-1")).get(0));
    }

    // ---------------------------------------------------------------- threads

    @Test
    void everySignalOfASuccessfulFleetSessionComesFromAnEventLoop() {
        List<String> threads = new CopyOnWriteArrayList<>();
        RecorderId onB = RecorderId.of("node-b/sim-0");
        ClientSession s = onSingle(fleet.openSession("Threads"), threads, "openSession");
        onSingle(s.acquire(onB, AcquireOptions.waitUpTo(WAIT)), threads, "acquire");
        onSingle(s.lockCount(onB), threads, "lockCount");
        onSingle(s.placesInLine(), threads, "placesInLine");
        onSingle(s.release(onB), threads, "release");
        onSingle(fleet.recorders(), threads, "recorders");
        onSingle(fleet.recorder(onB), threads, "recorder");
        onSingle(fleet.media(onB), threads, "media");
        onSingle(fleet.exclusiveAccessOwner(onB).defaultIfEmpty("free"), threads, "exclusiveAccessOwner");
        onSingle(fleet.lockTransitions(onB).next(), threads, "lockTransitions");
        onSingle(fleet.events().next(), threads, "events");
        onSingle(s.withLock(onB, AcquireOptions.waitUpTo(WAIT), g -> Mono.just(1).publishOn(Schedulers.parallel()))
                .then(Mono.just(0)), threads, "withLock's end");
        onSingle(s.acquireAny(RecorderSelector.anyOf(RecorderId.of("node-a/sim-0"), onB),
                AcquireOptions.waitUpTo(WAIT)).flatMap(s::release), threads, "acquireAny, then release(grant)");
        onSingle(s.acquireEach(Flux.just(new AcquireRequest(onB, AcquireOptions.waitUpTo(WAIT)))).then(Mono.just(0)),
                threads, "acquireEach's end");
        onSingle(s.release(onB), threads, "release after acquireEach");
        onSingle(s.close().then(Mono.just(0)), threads, "close");
        assertThat(threads).allMatch(t -> t.contains("vert.x-eventloop-thread"));
    }

    private static <T> T onSingle(Mono<T> call, List<String> threads, String what) {
        return Mono.defer(() -> call.doOnEach(sig -> {
            if (sig.isOnNext() || sig.isOnComplete() || sig.isOnError()) {
                threads.add(what + " " + sig.getType() + " on " + Thread.currentThread().getName());
            }
        })).subscribeOn(Schedulers.single()).block(WAIT);
    }

    // ---------------------------------------------------------------- counts

    @Test
    void parallelAcquiresAndReleasesOnOneFleetSessionCountExactlyAsTheOwningNodeDoes() throws Exception {
        int n = 12;
        RecorderId onB = RecorderId.of("node-b/sim-1");
        ClientSession s = fleet.openSession("Parallel").block(WAIT);
        List<LockGrant> grants = parallel(n, i -> s.acquire(onB, AcquireOptions.waitUpTo(WAIT)));
        assertThat(grants).extracting(LockGrant::lockCount).as("each grant its own count")
                .containsExactlyInAnyOrderElementsOf(range(1, n));
        assertThat(b.lock("sim-1").getInteger("count")).isEqualTo(n);
        assertThat(s.lockCount(onB).block(WAIT)).isEqualTo(n);
        parallel(n, i -> s.release(onB));
        assertThat(s.lockCount(onB).block(WAIT)).isZero();
        assertThat(b.lock("sim-1").getString("state")).isEqualTo("free");
        List<String> again = parallel(4, i -> s.release(onB).map(String::valueOf)
                .onErrorResume(e -> Mono.just(e.getClass().getSimpleName())));
        assertThat(again).as("releases past zero").containsOnly("LockNotHeldException");

        // the same grant released twice at once takes one count only
        LockGrant first = s.acquire(onB).block(WAIT);
        s.acquire(onB).block(WAIT);
        List<Integer> twice = parallel(6, i -> s.release(first));
        assertThat(twice).containsOnly(1);
        assertThat(b.lock("sim-1").getInteger("count")).isEqualTo(1);
        assertThat(s.lockCount(onB).block(WAIT)).isEqualTo(1);
        s.close().block(WAIT);
    }

    /** N counts taken, then N releases at once from N threads: what each release answered, sorted. */
    private static List<Integer> parallelReleases(RecorderAgent agent, RecorderId recorder, int n) throws Exception {
        ClientSession s = agent.openSession("Parallel").block(WAIT);
        for (int i = 0; i < n; i++) {
            s.acquire(recorder).block(WAIT);
        }
        List<Integer> after = new ArrayList<>(parallel(n, i -> s.release(recorder)));
        after.sort(null);
        s.close().block(WAIT);
        return after;
    }

    @Test
    void releasesAtOnceOnOneFleetSessionEachAnswerTheNewCountAsOnTheOwningNodesOwnAgent() throws Exception {
        int n = 12;
        List<Integer> local = parallelReleases(b.service.agent(), RecorderId.of("sim-1"), n);
        assertThat(local).as("the owning node's own agent").isEqualTo(range(0, n - 1));
        List<String> wrong = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            List<Integer> remote = parallelReleases(fleet, RecorderId.of("node-b/sim-1"), n);
            if (!remote.equals(local)) {
                wrong.add("round " + round + ": " + remote);
            }
        }
        assertThat(wrong).as("the fleet's answers to %d releases at once, of 5 rounds (expected %s)", n, local)
                .isEmpty();
    }

    private static <T> List<T> parallel(int n, Function<Integer, Mono<T>> call) throws Exception {
        CyclicBarrier barrier = new CyclicBarrier(n);
        List<CompletableFuture<T>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int index = i;
            futures.add(CompletableFuture.supplyAsync(() -> {
                try {
                    barrier.await(20, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                return call.apply(index).block(WAIT);
            }, Executors.POOL));
        }
        List<T> results = new ArrayList<>();
        for (CompletableFuture<T> f : futures) {
            results.add(f.get(40, TimeUnit.SECONDS));
        }
        return results;
    }

    /** A pool of plain threads for the racing callers (none of them an event loop). */
    private static final class Executors {
        static final java.util.concurrent.ExecutorService POOL = java.util.concurrent.Executors.newCachedThreadPool(
                r -> {
                    Thread t = new Thread(r, "adversary");
                    t.setDaemon(true);
                    return t;
                });
    }

    private static List<Integer> range(int from, int to) {
        List<Integer> list = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            list.add(i);
        }
        return list;
    }

    // ---------------------------------------------------------------- raw acquire races

    @Test
    void aRawAcquireDisposedFromAnotherThreadWhileTheHolderReleasesNeverLeavesTheDriveHeld() throws Exception {
        ClientSession holder = b.service.agent().openSession("Local").block(WAIT);
        ClientSession waiter = fleet.openSession("Racer").block(WAIT);
        RecorderId local = RecorderId.of("sim-0");
        RecorderId remote = RecorderId.of("node-b/sim-0");
        int rounds = 30;
        int kept = 0;
        List<String> leaks = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            holder.acquire(local, AcquireOptions.waitUpTo(Duration.ofSeconds(10))).block(WAIT);
            List<LockGrant> got = new CopyOnWriteArrayList<>();
            Disposable d = waiter.acquire(remote, AcquireOptions.waitUpTo(WAIT)).subscribe(got::add);
            int r = round;
            await("round " + r + ": queued", () -> b.service.agent().statistics().waiting() == 1);
            race(() -> holder.release(local).block(WAIT), d::dispose);
            await("round " + r + ": no waiter", () -> b.service.agent().statistics().waiting() == 0);
            await("round " + r + ": settled", () -> {
                String state = b.lock("sim-0").getString("state");
                return state.equals("free") || !got.isEmpty();
            });
            awaitQuiet(r);
            String state = b.lock("sim-0").getString("state");
            if (got.isEmpty() && !state.equals("free")) {
                leaks.add("round " + r + ": " + b.lock("sim-0").encode() + ", session count "
                        + waiter.lockCount(remote).block(WAIT));
            }
            assertThat(waiter.lockCount(remote).block(WAIT)).as("round %d: the fleet session's count is the node's", r)
                    .isEqualTo(b.lock("sim-0").getInteger("count"));
            for (LockGrant g : got) {
                kept++;
                waiter.release(g).block(WAIT);
            }
            while (waiter.lockCount(remote).block(WAIT) > 0) {
                waiter.release(remote).block(WAIT);
            }
            await("round " + r + ": free again", () -> b.lock("sim-0").getString("state").equals("free"));
        }
        waiter.close().block(WAIT);
        holder.close().block(WAIT);
        assertThat(leaks).as("rounds (of %d, %d kept by the subscriber) whose drive stayed held with no grant "
                + "delivered", rounds, kept).isEmpty();
    }

    @Test
    void aRawAcquireCancelledByReactorOperatorsNearTheGrantKeepsTheCountsExactAndLeavesNoWaiter() throws Exception {
        ClientSession holder = b.service.agent().openSession("Local").block(WAIT);
        ClientSession waiter = fleet.openSession("Operators").block(WAIT);
        RecorderId local = RecorderId.of("sim-1");
        RecorderId remote = RecorderId.of("node-b/sim-1");
        List<String> shapes = List.of("publishOn+dispose", "timeout", "firstWithValue", "block(Duration)",
                "toFuture().cancel", "take(Duration)");
        for (int round = 0; round < 24; round++) {
            String shape = shapes.get(round % shapes.size());
            holder.acquire(local, AcquireOptions.waitUpTo(Duration.ofSeconds(10))).block(WAIT);
            Sinks.Empty<Void> trigger = Sinks.empty();
            Mono<LockGrant> acquire = waiter.acquire(remote, AcquireOptions.waitUpTo(WAIT));
            Runnable cancel;
            switch (shape) {
                case "publishOn+dispose" -> {
                    Disposable d = acquire.publishOn(Schedulers.parallel()).subscribe();
                    cancel = d::dispose;
                }
                case "timeout" -> {
                    acquire.timeout(trigger.asMono()).subscribe(x -> { }, e -> { });
                    cancel = trigger::tryEmitEmpty;
                }
                case "firstWithValue" -> {
                    Mono.firstWithValue(acquire, trigger.asMono().then(Mono.just(
                            new LockGrant(remote, waiter.id(), 1, 0)))).subscribe(x -> { }, e -> { });
                    cancel = trigger::tryEmitEmpty;
                }
                case "block(Duration)" -> {
                    Thread blocker = new Thread(() -> {
                        try {
                            acquire.block(Duration.ofMillis(200 + ThreadLocalRandom.current().nextInt(400)));
                        } catch (RuntimeException expected) {
                            // timed out
                        }
                    });
                    blocker.start();
                    cancel = () -> { };
                }
                case "toFuture().cancel" -> {
                    CompletableFuture<LockGrant> f = acquire.toFuture();
                    cancel = () -> f.cancel(true);
                }
                default -> {
                    acquire.flux().take(Duration.ofMillis(300)).subscribe(x -> { }, e -> { });
                    cancel = () -> { };
                }
            }
            int r = round;
            await("round " + r + " (" + shape + "): queued", () -> b.service.agent().statistics().waiting() == 1);
            race(() -> holder.release(local).block(WAIT), cancel);
            awaitQuiet(r);
            await("round " + r + " (" + shape + "): no waiter", () -> b.service.agent().statistics().waiting() == 0);
            assertThat(waiter.lockCount(remote).block(WAIT))
                    .as("round %d (%s): the fleet session's count is the node's", r, shape)
                    .isEqualTo(b.lock("sim-1").getInteger("count"));
            while (waiter.lockCount(remote).block(WAIT) > 0) {
                waiter.release(remote).block(WAIT);
            }
            await("round " + r + ": free again", () -> b.lock("sim-1").getString("state").equals("free"));
        }
        waiter.close().block(WAIT);
        holder.close().block(WAIT);
    }

    @Test
    void closingAFleetSessionWhileItsAcquireWaitsRacingTheGrantLeavesNothingHeld() throws Exception {
        ClientSession holder = b.service.agent().openSession("Local").block(WAIT);
        RecorderId local = RecorderId.of("sim-0");
        RecorderId remote = RecorderId.of("node-b/sim-0");
        List<String> leaks = new ArrayList<>();
        List<String> wrongErrors = new ArrayList<>();
        for (int round = 0; round < 16; round++) {
            holder.acquire(local, AcquireOptions.waitUpTo(Duration.ofSeconds(10))).block(WAIT);
            ClientSession waiter = fleet.openSession("Closer").block(WAIT);
            AtomicReference<Object> outcome = new AtomicReference<>();
            waiter.acquire(remote, AcquireOptions.waitUpTo(WAIT)).subscribe(outcome::set, outcome::set);
            int r = round;
            await("round " + r + ": queued", () -> b.service.agent().statistics().waiting() == 1);
            race(() -> holder.release(local).block(WAIT), () -> waiter.close().block(WAIT));
            await("round " + r + ": answered", () -> outcome.get() != null);
            await("round " + r + ": no waiter", () -> b.service.agent().statistics().waiting() == 0);
            if (outcome.get() instanceof Throwable e && !(e instanceof SessionClosedException)) {
                wrongErrors.add("round " + r + ": " + e);
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!b.lock("sim-0").getString("state").equals("free") && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            if (!b.lock("sim-0").getString("state").equals("free")) {
                leaks.add("round " + r + ": " + b.lock("sim-0").encode() + " after " + outcome.get());
                break;
            }
            assertThat(waiter.isOpen()).isFalse();
        }
        holder.close().block(WAIT);
        assertThat(wrongErrors).as("a waiting acquire of a closed session fails with SessionClosedException")
                .isEmpty();
        assertThat(leaks).as("a closed fleet session holds nothing on the owning node").isEmpty();
    }

    // ---------------------------------------------------------------- withLock

    @Test
    void withLockWrappedInCancellingOperatorsNearTheGrantNeverLeaks() throws Exception {
        ClientSession holder = b.service.agent().openSession("Local").block(WAIT);
        ClientSession s = fleet.openSession("Wrapped").block(WAIT);
        RecorderId local = RecorderId.of("sim-0");
        RecorderId remote = RecorderId.of("node-b/sim-0");
        List<String> shapes = List.of("dispose", "publishOn+dispose", "timeout(Publisher)", "timeout(Duration)",
                "take(Duration)", "firstWithValue", "zip", "block(Duration)", "toFuture().cancel");
        List<String> leaks = new ArrayList<>();
        String previous = "none";
        for (int round = 0; round < Integer.getInteger("fleetAgentAdversary.withLockRounds", 27); round++) {
            String shape = shapes.get(round % shapes.size());
            try {
                // waits: a grant on its way when the round before was cancelled is given back (a round trip)
                holder.acquire(local, AcquireOptions.waitUpTo(Duration.ofSeconds(10))).block(WAIT);
            } catch (RecorderException e) {
                throw new AssertionError("round " + round + ": the drive stayed taken after the round before ("
                        + previous + ") had left it free with no waiter: " + b.lock("sim-0").encode()
                        + ", session count " + s.lockCount(remote).block(WAIT), e);
            }
            Sinks.Empty<Void> trigger = Sinks.empty();
            AtomicBoolean bodyRan = new AtomicBoolean();
            Flux<Integer> guarded = s.withLock(remote, AcquireOptions.waitUpTo(WAIT), g -> {
                bodyRan.set(true);
                return Flux.<Integer>never();
            });
            int delay = 150 + ThreadLocalRandom.current().nextInt(300);
            Runnable cancel;
            switch (shape) {
                case "dispose" -> {
                    Disposable d = guarded.subscribe(x -> { }, e -> { });
                    cancel = d::dispose;
                }
                case "publishOn+dispose" -> {
                    Disposable d = guarded.publishOn(Schedulers.parallel()).subscribe(x -> { }, e -> { });
                    cancel = d::dispose;
                }
                case "timeout(Publisher)" -> {
                    guarded.timeout(trigger.asMono()).subscribe(x -> { }, e -> { });
                    cancel = trigger::tryEmitEmpty;
                }
                case "timeout(Duration)" -> {
                    guarded.timeout(Duration.ofMillis(delay)).subscribe(x -> { }, e -> { });
                    cancel = () -> { };
                }
                case "take(Duration)" -> {
                    guarded.take(Duration.ofMillis(delay)).subscribe(x -> { }, e -> { });
                    cancel = () -> { };
                }
                case "firstWithValue" -> {
                    Mono.firstWithValue(guarded.next(), trigger.asMono().then(Mono.just(-1)))
                            .subscribe(x -> { }, e -> { });
                    cancel = trigger::tryEmitEmpty;
                }
                case "zip" -> {
                    Mono.zip(guarded.next(), trigger.asMono().then(Mono.<Integer>error(new IllegalStateException())))
                            .subscribe(x -> { }, e -> { });
                    cancel = trigger::tryEmitEmpty;
                }
                case "block(Duration)" -> {
                    new Thread(() -> {
                        try {
                            guarded.blockLast(Duration.ofMillis(delay));
                        } catch (RuntimeException expected) {
                            // timed out
                        }
                    }).start();
                    cancel = () -> { };
                }
                default -> {
                    CompletableFuture<Integer> f = guarded.next().toFuture();
                    cancel = () -> f.cancel(true);
                }
            }
            int r = round;
            await("round " + r + " (" + shape + "): queued", () -> b.service.agent().statistics().waiting() == 1);
            race(() -> holder.release(local).block(WAIT), cancel);
            awaitQuiet(r);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while ((!b.lock("sim-0").getString("state").equals("free")
                    || b.service.agent().statistics().waiting() != 0) && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            if (!b.lock("sim-0").getString("state").equals("free")) {
                leaks.add("round " + r + " (" + shape + ", body ran " + bodyRan + "): " + b.lock("sim-0").encode()
                        + ", session count " + s.lockCount(remote).block(WAIT));
                while (s.lockCount(remote).block(WAIT) > 0) {
                    s.release(remote).block(WAIT);
                }
            }
            assertThat(b.service.agent().statistics().waiting()).as("round %d (%s): waiters", r, shape).isZero();
            assertThat(s.lockCount(remote).block(WAIT)).as("round %d (%s)", r, shape).isZero();
            previous = shape + ", body ran " + bodyRan;
        }
        s.close().block(WAIT);
        holder.close().block(WAIT);
        assertThat(leaks).as("withLock is leak-free whatever surrounds it").isEmpty();
    }

    @Test
    void aWithLockBodyIsCancelledBeforeALocalWaiterOnTheOwningNodeGetsTheDriveWhenItsSessionCloses()
            throws Exception {
        holdEndsUnderTheBody("session close", SessionClosedException.class, (s, remote) -> s.close().block(WAIT));
    }

    @Test
    void aWithLockBodyIsCancelledBeforeALocalWaiterGetsTheDriveWhenTheSessionReleasesToZeroFromAnotherThread()
            throws Exception {
        holdEndsUnderTheBody("release to zero", LockNotHeldException.class, (s, remote) -> {
            s.release(remote).block(WAIT);
            s.release(remote).block(WAIT);
        });
    }

    /**
     * A fleet session holds node-b/sim-1 once by {@code acquire} and once by a {@code withLock} whose body never ends;
     * a local client of node-b waits for it; {@code end} ends the hold: the body must have been cancelled when the
     * local client is granted, and the withLock fails with {@code expected}.
     */
    private void holdEndsUnderTheBody(String what, Class<? extends RecorderException> expected,
            java.util.function.BiConsumer<ClientSession, RecorderId> end) throws Exception {
        RecorderId remote = RecorderId.of("node-b/sim-1");
        List<String> wrong = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            ClientSession s = fleet.openSession("Body").block(WAIT);
            s.acquire(remote).block(WAIT);
            AtomicBoolean cancelled = new AtomicBoolean();
            CountDownLatch running = new CountDownLatch(1);
            List<Throwable> failed = new CopyOnWriteArrayList<>();
            List<String> threads = new CopyOnWriteArrayList<>();
            s.withLock(remote, AcquireOptions.waitUpTo(WAIT), g -> Flux.never()
                    .doOnSubscribe(x -> running.countDown())
                    .doOnCancel(() -> {
                        threads.add(Thread.currentThread().getName());
                        cancelled.set(true);
                    }))
                    .subscribe(x -> { }, e -> {
                        threads.add(Thread.currentThread().getName());
                        failed.add(e);
                    });
            assertThat(running.await(20, TimeUnit.SECONDS)).isTrue();
            ClientSession local = b.service.agent().openSession("Next").block(WAIT);
            AtomicReference<String> atGrant = new AtomicReference<>();
            local.acquire(RecorderId.of("sim-1"), AcquireOptions.waitUpTo(WAIT))
                    .subscribe(g -> atGrant.set("granted, body cancelled " + cancelled.get()),
                            e -> atGrant.set("failed " + e));
            await("queued on node-b", () -> b.service.agent().statistics().waiting() == 1);
            CompletableFuture.runAsync(() -> end.accept(s, remote), Executors.POOL).get(40, TimeUnit.SECONDS);
            await("the local waiter answered", () -> atGrant.get() != null);
            await("withLock failed", () -> !failed.isEmpty());
            if (!atGrant.get().equals("granted, body cancelled true")) {
                wrong.add(what + " round " + round + ": the local waiter was " + atGrant.get());
            }
            if (!expected.isInstance(failed.get(0))) {
                wrong.add(what + " round " + round + ": withLock failed with " + failed.get(0));
            }
            if (!threads.stream().allMatch(t -> t.startsWith("vert.x-eventloop-thread"))) {
                wrong.add(what + " round " + round + ": cancel/error on " + threads);
            }
            local.close().block(WAIT);
            if (s.isOpen()) {
                s.close().block(WAIT);
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void aWithLockBodyReleasingToZeroRacingItsOwnCompletionEndsTypedAndFreesTheDrive() throws Exception {
        RecorderId remote = RecorderId.of("node-b/sim-0");
        ClientSession s = fleet.openSession("Racer body").block(WAIT);
        List<String> wrong = new ArrayList<>();
        for (int round = 0; round < 12; round++) {
            Sinks.Empty<Integer> end = Sinks.empty();
            AtomicReference<Object> outcome = new AtomicReference<>();
            CountDownLatch running = new CountDownLatch(1);
            s.withLock(remote, AcquireOptions.waitUpTo(WAIT), g -> end.asMono().doOnSubscribe(x -> running.countDown()))
                    .subscribe(x -> { }, outcome::set, () -> outcome.set("completed"));
            assertThat(running.await(20, TimeUnit.SECONDS)).isTrue();
            race(() -> s.release(remote).onErrorResume(e -> Mono.just(-1)).block(WAIT), end::tryEmitEmpty);
            int r = round;
            await("round " + r + ": ended", () -> outcome.get() != null);
            if (!(outcome.get().equals("completed") || outcome.get() instanceof LockNotHeldException)) {
                wrong.add("round " + r + ": " + outcome.get());
            }
            assertThat(s.lockCount(remote).block(WAIT)).as("round %d", r).isZero();
            await("round " + r + ": free", () -> b.lock("sim-0").getString("state").equals("free"));
        }
        s.close().block(WAIT);
        assertThat(wrong).isEmpty();
    }

    // ---------------------------------------------------------------- acquireEach, acquireAny

    @Test
    void acquireEachCancelledWhileItsSecondRequestWaitsRacingTheGrantKeepsOnlyWhatItEmitted() throws Exception {
        ClientSession holder = b.service.agent().openSession("Local").block(WAIT);
        ClientSession s = fleet.openSession("Each").block(WAIT);
        RecorderId first = RecorderId.of("node-b/sim-0");
        RecorderId second = RecorderId.of("node-b/sim-1");
        List<String> wrong = new ArrayList<>();
        for (int round = 0; round < 12; round++) {
            holder.acquire(RecorderId.of("sim-1"), AcquireOptions.waitUpTo(Duration.ofSeconds(10))).block(WAIT);
            List<LockGrant> got = new CopyOnWriteArrayList<>();
            Disposable d = s.acquireEach(Flux.just(new AcquireRequest(first, AcquireOptions.waitUpTo(WAIT)),
                    new AcquireRequest(second, AcquireOptions.waitUpTo(WAIT)))).subscribe(got::add, e -> { });
            int r = round;
            await("round " + r + ": the second waits", () -> b.service.agent().statistics().waiting() == 1);
            assertThat(got).extracting(LockGrant::recorder).containsExactly(first);
            race(() -> holder.release(RecorderId.of("sim-1")).block(WAIT), d::dispose);
            await("round " + r + ": no waiter", () -> b.service.agent().statistics().waiting() == 0);
            awaitQuiet(r);
            int heldSecond = b.lock("sim-1").getString("state").equals("free") ? 0
                    : b.lock("sim-1").getInteger("count");
            boolean emittedSecond = got.stream().anyMatch(g -> g.recorder().equals(second));
            if (heldSecond != (emittedSecond ? 1 : 0)) {
                wrong.add("round " + r + ": sim-1 " + b.lock("sim-1").encode() + ", emitted " + got);
            }
            assertThat(s.lockCount(second).block(WAIT)).isEqualTo(heldSecond);
            assertThat(s.lockCount(first).block(WAIT)).as("the emitted first grant is the subscriber's").isEqualTo(1);
            for (LockGrant g : got) {
                s.release(g).block(WAIT);
            }
            while (s.lockCount(second).block(WAIT) > 0) {
                s.release(second).block(WAIT);
            }
            await("round " + r + ": both free", () -> b.lock("sim-0").getString("state").equals("free")
                    && b.lock("sim-1").getString("state").equals("free"));
        }
        s.close().block(WAIT);
        holder.close().block(WAIT);
        assertThat(wrong).as("drives held by the fleet session without a grant emitted").isEmpty();
    }

    @Test
    void aFleetPoolWaitingOnTwoNodesWhenBothFreeAtOnceIsGrantedExactlyOnceAndLeavesNoWaiter() throws Exception {
        ClientSession holderA = a.service.agent().openSession("Local A").block(WAIT);
        ClientSession holderB = b.service.agent().openSession("Local B").block(WAIT);
        ClientSession s = fleet.openSession("Pool").block(WAIT);
        RecorderId onA = RecorderId.of("node-a/sim-0");
        RecorderId onB = RecorderId.of("node-b/sim-0");
        List<String> wrong = new ArrayList<>();
        for (int round = 0; round < 10; round++) {
            holderA.acquire(RecorderId.of("sim-0"), AcquireOptions.waitUpTo(Duration.ofSeconds(10))).block(WAIT);
            holderB.acquire(RecorderId.of("sim-0"), AcquireOptions.waitUpTo(Duration.ofSeconds(10))).block(WAIT);
            boolean dispose = round % 2 == 1;
            List<LockGrant> got = new CopyOnWriteArrayList<>();
            Disposable d = s.acquireAny(RecorderSelector.anyOf(onA, onB), AcquireOptions.waitUpTo(WAIT))
                    .subscribe(got::add, e -> { });
            int r = round;
            await("round " + r + ": queued on both", () -> a.service.agent().statistics().waiting() == 1
                    && b.service.agent().statistics().waiting() == 1);
            if (dispose) {
                race3(() -> holderA.release(RecorderId.of("sim-0")).block(WAIT),
                        () -> holderB.release(RecorderId.of("sim-0")).block(WAIT), d::dispose);
            } else {
                race(() -> holderA.release(RecorderId.of("sim-0")).block(WAIT),
                        () -> holderB.release(RecorderId.of("sim-0")).block(WAIT));
                await("round " + r + ": granted", () -> !got.isEmpty());
            }
            await("round " + r + ": no waiter", () -> a.service.agent().statistics().waiting() == 0
                    && b.service.agent().statistics().waiting() == 0);
            awaitQuiet(r);
            int heldA = a.lock("sim-0").getString("state").equals("free") ? 0 : a.lock("sim-0").getInteger("count");
            int heldB = b.lock("sim-0").getString("state").equals("free") ? 0 : b.lock("sim-0").getInteger("count");
            if (heldA + heldB != got.size() || got.size() > 1) {
                wrong.add("round " + r + (dispose ? " (disposed)" : "") + ": held a " + heldA + ", b " + heldB
                        + ", grants " + got);
            }
            assertThat(s.lockCount(onA).block(WAIT)).as("round %d: count on a", r).isEqualTo(heldA);
            assertThat(s.lockCount(onB).block(WAIT)).as("round %d: count on b", r).isEqualTo(heldB);
            for (RecorderId id : List.of(onA, onB)) {
                while (s.lockCount(id).block(WAIT) > 0) {
                    s.release(id).block(WAIT);
                }
            }
        }
        s.close().block(WAIT);
        holderA.close().block(WAIT);
        holderB.close().block(WAIT);
        assertThat(wrong).as("a pool request is granted at most once, and only what it was granted is held").isEmpty();
    }

    @Test
    void aFleetWithLockAnyDisposedWhileTwoNodesFreeAtOnceNeverLeavesADriveHeld() throws Exception {
        ClientSession holderA = a.service.agent().openSession("Local A").block(WAIT);
        ClientSession holderB = b.service.agent().openSession("Local B").block(WAIT);
        ClientSession s = fleet.openSession("Pool body").block(WAIT);
        RecorderId onA = RecorderId.of("node-a/sim-1");
        RecorderId onB = RecorderId.of("node-b/sim-1");
        List<String> wrong = new ArrayList<>();
        for (int round = 0; round < 10; round++) {
            holderA.acquire(RecorderId.of("sim-1"), AcquireOptions.waitUpTo(Duration.ofSeconds(10))).block(WAIT);
            holderB.acquire(RecorderId.of("sim-1"), AcquireOptions.waitUpTo(Duration.ofSeconds(10))).block(WAIT);
            List<RecorderId> bodies = new CopyOnWriteArrayList<>();
            Disposable d = s.withLockAny(RecorderSelector.anyOf(onA, onB), AcquireOptions.waitUpTo(WAIT), g -> {
                bodies.add(g.recorder());
                return Flux.never();
            }).subscribe(x -> { }, e -> { });
            int r = round;
            await("round " + r + ": queued on both", () -> a.service.agent().statistics().waiting() == 1
                    && b.service.agent().statistics().waiting() == 1);
            race3(() -> holderA.release(RecorderId.of("sim-1")).block(WAIT),
                    () -> holderB.release(RecorderId.of("sim-1")).block(WAIT), d::dispose);
            awaitQuiet(r);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < deadline && !(a.lock("sim-1").getString("state").equals("free")
                    && b.lock("sim-1").getString("state").equals("free"))) {
                Thread.onSpinWait();
            }
            if (!a.lock("sim-1").getString("state").equals("free") || !b.lock("sim-1").getString("state")
                    .equals("free") || bodies.size() > 1) {
                wrong.add("round " + r + ": a " + a.lock("sim-1").encode() + ", b " + b.lock("sim-1").encode()
                        + ", bodies " + bodies);
                for (RecorderId id : List.of(onA, onB)) {
                    while (s.lockCount(id).block(WAIT) > 0) {
                        s.release(id).block(WAIT);
                    }
                }
            }
            assertThat(a.service.agent().statistics().waiting() + b.service.agent().statistics().waiting())
                    .as("round %d: waiters", r).isZero();
        }
        s.close().block(WAIT);
        holderA.close().block(WAIT);
        holderB.close().block(WAIT);
        assertThat(wrong).as("withLockAny is leak-free and runs one body at most").isEmpty();
    }

    /** An acquireEach waits on node-b's sim-0 (held there); its producer fails: the threads its end came on. */
    private List<String> acquireEachWhoseProducerFails(RecorderAgent agent, RecorderId recorder) {
        ClientSession holder = b.service.agent().openSession("Local").block(WAIT);
        holder.acquire(RecorderId.of("sim-0")).block(WAIT);
        ClientSession s = agent.openSession("Each fails").block(WAIT);
        Sinks.Many<AcquireRequest> requests = Sinks.many().unicast().onBackpressureBuffer();
        AtomicReference<Object> end = new AtomicReference<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        s.acquireEach(requests.asFlux()).subscribe(x -> { }, e -> {
            threads.add(Thread.currentThread().getName());
            end.set(e);
        }, () -> end.set("completed"));
        try {
            requests.tryEmitNext(new AcquireRequest(recorder, AcquireOptions.waitUpTo(WAIT)));
            await("queued on node-b", () -> b.service.agent().statistics().waiting() == 1);
            requests.tryEmitError(new IllegalStateException("the producer failed"));
            await("ended", () -> end.get() != null);
            assertThat(end.get()).isInstanceOf(IllegalStateException.class);
            await("no waiter on node-b", () -> b.service.agent().statistics().waiting() == 0);
            holder.release(RecorderId.of("sim-0")).block(WAIT);
            awaitQuiet(0);
            assertThat(b.lock("sim-0").getString("state")).isEqualTo("free");
            assertThat(s.lockCount(recorder).block(WAIT)).isZero();
        } finally {
            s.close().block(WAIT);
            holder.close().block(WAIT);
        }
        return threads;
    }

    @Test
    void acquireEachWhoseRequestsFailWhileOneWaitsEndsOnTheEventLoopAsOnTheOwningNodesOwnAgent() {
        assertThat(acquireEachWhoseProducerFails(b.service.agent(), RecorderId.of("sim-0")))
                .as("the owning node's own agent").allMatch(t -> t.startsWith("vert.x-eventloop-thread"));
        assertThat(acquireEachWhoseProducerFails(fleet, RecorderId.of("node-b/sim-0")))
                .as("the fleet: every signal, requests' end included, comes from the event loop")
                .allMatch(t -> t.startsWith("vert.x-eventloop-thread"));
    }

    @Test
    void aRecorderRemovedOnItsNodeEndsAFleetWithLockWithRecorderRemovedAndShowsAsADeviceEvent() throws Exception {
        List<RecorderEvent> devices = new CopyOnWriteArrayList<>();
        Disposable watching = fleet.deviceEvents().subscribe(devices::add);
        RecorderId added = b.sim().addRecorder("sim-7");
        RecorderId remote = RecorderId.of("node-b/sim-7");
        await("node-a shows node-b/sim-7", () -> fleet.recorders().block(WAIT).stream()
                .anyMatch(r -> r.id().equals(remote)));
        ClientSession s = fleet.openSession("Removed").block(WAIT);
        CountDownLatch running = new CountDownLatch(1);
        AtomicBoolean cancelled = new AtomicBoolean();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        s.withLock(remote, AcquireOptions.waitUpTo(WAIT), g -> Flux.never().doOnSubscribe(x -> running.countDown())
                .doOnCancel(() -> cancelled.set(true))).subscribe(x -> { }, failed::set);
        assertThat(running.await(20, TimeUnit.SECONDS)).isTrue();
        b.sim().removeRecorder(added);
        await("withLock failed", () -> failed.get() != null);
        assertThat(failed.get()).isInstanceOf(RecorderRemovedException.class);
        assertThat(cancelled).isTrue();
        await("the removal shown", () -> devices.stream().anyMatch(e -> e.recorder().equals(remote)
                && e instanceof io.discagent.api.event.RecorderRemovedEvent));
        assertThat(devices).filteredOn(e -> e.recorder().equals(remote)).first()
                .isInstanceOf(io.discagent.api.event.RecorderArrivedEvent.class);
        assertThat(s.lockCount(remote).block(WAIT)).isZero();
        watching.dispose();
        s.close().block(WAIT);
    }

    // ---------------------------------------------------------------- streams

    @Test
    void theLockStreamShowsEachRecordersChangesInItsNodesOrderOnAnEventLoop() throws Exception {
        List<LockTransition> seen = new CopyOnWriteArrayList<>();
        List<RecorderEvent> events = new CopyOnWriteArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        Disposable locks = fleet.lockTransitions().subscribe(t -> {
            threads.add(Thread.currentThread().getName());
            seen.add(t);
        });
        Disposable all = fleet.events().subscribe(e -> {
            threads.add(Thread.currentThread().getName());
            events.add(e);
        });
        ClientSession onB = b.service.agent().openSession("Churn B").block(WAIT);
        ClientSession onA = a.service.agent().openSession("Churn A").block(WAIT);
        ClientSession remote = fleet.openSession("Churn").block(WAIT);
        for (int i = 0; i < 20; i++) {
            onB.acquire(RecorderId.of("sim-" + (i % 2))).block(WAIT);
            onA.acquire(RecorderId.of("sim-" + (i % 2))).block(WAIT);
            remote.acquire(RecorderId.of("node-b/sim-" + ((i + 1) % 2)), AcquireOptions.waitUpTo(WAIT)).block(WAIT);
            if (i % 3 == 0) {
                await("step " + i + " seen", () -> seen.stream().anyMatch(t -> t.to().isHeld()
                        && "node-a: Churn".equals(t.to().owner())));
            }
            onB.release(RecorderId.of("sim-" + (i % 2))).block(WAIT);
            onA.release(RecorderId.of("sim-" + (i % 2))).block(WAIT);
            remote.release(RecorderId.of("node-b/sim-" + ((i + 1) % 2))).block(WAIT);
        }
        remote.close().block(WAIT);
        onA.close().block(WAIT);
        onB.close().block(WAIT);
        for (String id : List.of("node-a/sim-0", "node-a/sim-1", "node-b/sim-0", "node-b/sim-1")) {
            await(id + " last shown free", () -> {
                LockTransition last = null;
                for (LockTransition t : seen) {
                    if (t.recorder().value().equals(id)) {
                        last = t;
                    }
                }
                return last != null && last.to().isFree();
            });
        }
        locks.dispose();
        all.dispose();
        List<String> wrong = new ArrayList<>();
        Map<String, LockTransition> lastOf = new LinkedHashMap<>();
        Map<String, Long> sequenceOf = new LinkedHashMap<>();
        for (LockTransition t : seen) {
            String id = t.recorder().value();
            String node = id.substring(0, id.indexOf('/'));
            LockTransition before = lastOf.put(id, t);
            if (before == null) {
                if (t.cause() != LockTransition.Cause.SNAPSHOT) {
                    wrong.add("first of " + id + " is " + t.cause());
                }
                continue;
            }
            if (t.cause() == LockTransition.Cause.SNAPSHOT) {
                wrong.add("a second snapshot of " + id + ": " + t);
            }
            if (!t.from().equals(before.to())) {
                wrong.add(id + ": from " + t.from() + " after " + before.to());
            }
            if (t.from().equals(t.to())) {
                wrong.add(id + ": no change " + t);
            }
            Long previous = sequenceOf.put(node, t.sequence());
            if (previous != null && t.sequence() < previous) {
                wrong.add(node + ": sequence " + t.sequence() + " after " + previous);
            }
        }
        Map<String, Long> eventSequence = new LinkedHashMap<>();
        for (RecorderEvent e : events) {
            String id = e.recorder().value();
            String node = id.substring(0, id.indexOf('/'));
            Long previous = eventSequence.put(node, e.sequence());
            if (previous != null && e.sequence() < previous && e.sequence() != 0) {
                wrong.add("events of " + node + ": sequence " + e.sequence() + " after " + previous);
            }
        }
        assertThat(threads).allMatch(t -> t.startsWith("vert.x-eventloop-thread"));
        assertThat(wrong).isEmpty();
        assertThat(seen).filteredOn(t -> t.recorder().value().startsWith("node-a/")).isNotEmpty();
        assertThat(seen).filteredOn(t -> t.recorder().value().startsWith("node-b/")).isNotEmpty();
    }

    // ---------------------------------------------------------------- the agent's close

    @Test
    void closingAFleetAgentMidWaitAndMidWithLockFailsThemTypedFreesTheOwningNodeAndCompletesItsStreams()
            throws Exception {
        FleetAgent fleetB = b.service.fleet().node().orElseThrow().agent();
        RecorderId onA0 = RecorderId.of("node-a/sim-0");
        RecorderId onA1 = RecorderId.of("node-a/sim-1");
        List<String> threads = new CopyOnWriteArrayList<>();
        Map<String, AtomicReference<Object>> ends = new LinkedHashMap<>();
        for (String stream : List.of("events", "lockTransitions", "lockTransitions(id)", "deviceEvents", "timeouts",
                "burnEvents")) {
            ends.put(stream, new AtomicReference<>());
        }
        List<Flux<?>> streams = List.of(fleetB.events(), fleetB.lockTransitions(), fleetB.lockTransitions(onA0),
                fleetB.deviceEvents(), fleetB.timeouts(), fleetB.burnEvents());
        int i = 0;
        for (AtomicReference<Object> end : ends.values()) {
            streams.get(i++).subscribe(x -> { }, e -> {
                threads.add(Thread.currentThread().getName());
                end.set(e);
            }, () -> {
                threads.add(Thread.currentThread().getName());
                end.set("completed");
            });
        }
        ClientSession holder = fleetB.openSession("Holder").block(WAIT);
        ClientSession waiter = fleetB.openSession("Waiter").block(WAIT);
        ClientSession counter = fleetB.openSession("Counter").block(WAIT);
        AtomicBoolean bodyCancelled = new AtomicBoolean();
        CountDownLatch running = new CountDownLatch(1);
        AtomicReference<Object> withLockEnd = new AtomicReference<>();
        holder.withLock(onA0, AcquireOptions.waitUpTo(WAIT), g -> Flux.never()
                .doOnSubscribe(x -> running.countDown()).doOnCancel(() -> bodyCancelled.set(true)))
                .subscribe(x -> { }, e -> {
                    threads.add(Thread.currentThread().getName());
                    withLockEnd.set(e);
                }, () -> withLockEnd.set("completed"));
        assertThat(running.await(20, TimeUnit.SECONDS)).isTrue();
        AtomicReference<Object> waitEnd = new AtomicReference<>();
        waiter.acquire(onA0, AcquireOptions.waitUpTo(WAIT)).subscribe(waitEnd::set, e -> {
            threads.add(Thread.currentThread().getName());
            waitEnd.set(e);
        });
        counter.acquire(onA1).block(WAIT);
        counter.acquire(onA1).block(WAIT);
        await("node-a has the waiter", () -> a.service.agent().statistics().waiting() == 1);
        assertThat(a.lock("sim-1").getInteger("count")).isEqualTo(2);

        fleetB.close().block(WAIT);

        await("withLock ended", () -> withLockEnd.get() != null);
        await("the wait ended", () -> waitEnd.get() != null);
        for (Map.Entry<String, AtomicReference<Object>> end : ends.entrySet()) {
            await(end.getKey() + " ended", () -> end.getValue().get() != null);
        }
        await("node-a has no waiter", () -> a.service.agent().statistics().waiting() == 0);
        await("node-a freed its drives", () -> a.lock("sim-0").getString("state").equals("free")
                && a.lock("sim-1").getString("state").equals("free"));
        List<String> wrong = new ArrayList<>();
        if (!(withLockEnd.get() instanceof RequestCancelledException)) {
            wrong.add("withLock ended with " + withLockEnd.get());
        }
        if (!bodyCancelled.get()) {
            wrong.add("the body was not cancelled");
        }
        if (!(waitEnd.get() instanceof RecorderException)) {
            wrong.add("the waiting acquire ended with " + waitEnd.get());
        }
        ends.forEach((stream, end) -> {
            if (!"completed".equals(end.get())) {
                wrong.add(stream + " ended with " + end.get());
            }
        });
        for (ClientSession s : List.of(holder, waiter, counter)) {
            if (s.isOpen()) {
                wrong.add(s.clientName() + " still open");
            }
            String after = outcome(() -> s.lockCount(onA1));
            if (!after.startsWith("SessionClosedException 0x80010108")) {
                wrong.add(s.clientName() + ".lockCount after the close: " + after);
            }
        }
        String again = outcome(() -> fleetB.close().then(Mono.just(1)));
        if (again.contains("Exception")) {
            wrong.add("closing again: " + again);
        }
        assertThat(threads).allMatch(t -> t.startsWith("vert.x-eventloop-thread"));
        assertThat(wrong).isEmpty();
        assertThat(FleetSupport.reachable(FleetSupport.view(a))).as("node-b stays a member")
                .containsExactly("node-a", "node-b");
        assertThat(waitEnd.get()).as("RecorderAgent.close(): pending requests fail with RequestCancelledException")
                .isInstanceOf(RequestCancelledException.class);
    }

    // ---------------------------------------------------------------- helpers

    /** Runs both at once, from two plain threads started together. */
    private static void race(Runnable one, Runnable two) throws Exception {
        race3(one, two, () -> { });
    }

    private static void race3(Runnable one, Runnable two, Runnable three) throws Exception {
        CyclicBarrier barrier = new CyclicBarrier(3);
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (Runnable r : List.of(one, two, three)) {
            all.add(CompletableFuture.runAsync(() -> {
                try {
                    barrier.await(20, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                r.run();
            }, Executors.POOL));
        }
        for (CompletableFuture<Void> f : all) {
            f.get(40, TimeUnit.SECONDS);
        }
    }

    /**
     * Waits until both nodes' drives stop changing for a moment (a grant on its way back or a give-back takes an
     * event-bus round trip): the same states for 300 ms of polling.
     */
    private void awaitQuiet(int round) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        String last = "";
        long since = System.nanoTime();
        while (System.nanoTime() < deadline) {
            String now = a.lock("sim-0").encode() + a.lock("sim-1").encode() + b.lock("sim-0").encode()
                    + b.lock("sim-1").encode() + a.service.agent().statistics().waiting()
                    + b.service.agent().statistics().waiting();
            if (!now.equals(last)) {
                last = now;
                since = System.nanoTime();
            } else if (System.nanoTime() - since > Duration.ofMillis(300).toNanos()) {
                return;
            }
        }
        throw new AssertionError("round " + round + ": the drives kept changing");
    }

    private static void await(String what, BooleanSupplier condition) {
        FleetSupport.await(what, condition);
    }
}
