package io.discagent.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.AcquireOptions;
import io.discagent.api.AcquireRequest;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderSelector;
import io.discagent.api.error.AcquireTimeoutException;
import io.discagent.api.error.RecorderException;
import io.discagent.service.fleet.FleetAgent;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * A third adversary of the fleet's remote acquire through public API only ({@code FleetNode.agent()} and the HTTP
 * API): cancellation shapes racing the owning node's grant, with a strict count of what was delivered against what
 * the owning node holds; waits longer than the remote lease of every kind at once; the threads and types of the
 * signals. Two real members on loopback (heartbeat 0.5 s, stale after 3 s: remote lease 6 s).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FleetRemoteAdversary3Tests {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final long LEASE_MILLIS = 2 * 3_000;
    /**
     * How long a grant that raced a cancellation may stay held: one event-bus round trip, generously (2 s: a loaded
     * 2-core CI machine pauses for a second at times; the finding below held for 3 s, the lease is 6 s).
     */
    private static final long GIVE_BACK_MILLIS = 2_000;
    private final List<TestService> started = new ArrayList<>();
    private final List<ClientSession> opened = new CopyOnWriteArrayList<>();
    private final ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
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
        opened.forEach(s -> s.close().onErrorComplete().block(WAIT));
        opened.clear();
        FleetSupport.awaitEveryDriveFreeAndNoWaiter(started);
    }

    @AfterAll
    void stop() {
        pool.shutdownNow();
        started.forEach(TestService::close);
    }

    private ClientSession openFleet(String name) {
        ClientSession s = fleet.openSession(name).block(WAIT);
        opened.add(s);
        return s;
    }

    private ClientSession openLocal(TestService t, String name) {
        ClientSession s = t.service.agent().openSession(name).block(WAIT);
        opened.add(s);
        return s;
    }

    // ------------------------------------------------------------------ promise 1 and 2: raw subscribers

    /**
     * subscribe(consumer)+dispose() from another thread racing the local holder's release: after the dust settles
     * the owning node holds exactly the grants the subscriber received, and the fleet session's count is the node's.
     */
    // FINDING (rare): seen once in about 1,700 rounds over 6 runs (round 191 of 240): "received 0, node-b count 1
    // (owner node-a: Racer3), fleet session count 0; settled 3009 ms after the race" — the consumer never got the
    // grant and the fleet session does not count it, yet node-b held the drive for the session for 3 s, not one
    // event-bus round trip (loopback: the other rounds settled within milliseconds). The same signature (session
    // count 0, node-b holding for more than 5 s, then freed) was seen before this test's final form in two more
    // runs: subscribe+dispose behind a doOnEach (1 of 80 rounds) and take(0-4 ms) racing the release (2 of 20).
    // A drive freed seconds later with nobody counting it looks like the remote session's lease running out
    // (6 s here) instead of the give-back; not proven from outside.
    @Test
    @Tag("finding")
    void subscribeAndDisposeRacingTheHoldersReleaseHoldsExactlyWhatTheConsumerReceived() throws Exception {
        rawSubscribersRacingTheHoldersRelease(false, 250);
    }

    /** The same with toFuture().cancel(true). */
    // passed 1,270 rounds over 6 runs (an early failure was this test's own: an operator between the acquire and
    // the future, which the documentation exempts)
    @Test
    void toFutureCancelRacingTheHoldersReleaseHoldsExactlyWhatTheFutureReceived() throws Exception {
        rawSubscribersRacingTheHoldersRelease(true, 120);
    }

    private void rawSubscribersRacingTheHoldersRelease(boolean future, int rounds) throws Exception {
        ClientSession holder = openLocal(b, "Local");
        ClientSession waiter = openFleet("Racer3");
        RecorderId local = RecorderId.of("sim-0");
        RecorderId remote = RecorderId.of("node-b/sim-0");
        List<String> wrong = new ArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        int delivered = 0;
        long slowest = 0;
        for (int round = 0; round < rounds; round++) {
            holder.acquire(local, AcquireOptions.waitUpTo(Duration.ofSeconds(10))).block(WAIT);
            List<LockGrant> got = new CopyOnWriteArrayList<>();
            // subscribed directly, no operator between: the documented subscriber shapes
            Mono<LockGrant> acquire = waiter.acquire(remote, AcquireOptions.waitUpTo(WAIT));
            Runnable cancel;
            IntSupplier received;
            if (future) {
                CompletableFuture<LockGrant> f = acquire.toFuture();
                cancel = () -> f.cancel(true);
                received = () -> f.isDone() && !f.isCompletedExceptionally() ? 1 : 0;
            } else {
                Disposable d = acquire.subscribe(g -> {
                    threads.add(Thread.currentThread().getName());
                    got.add(g);
                }, e -> threads.add(Thread.currentThread().getName()));
                cancel = d::dispose;
                received = got::size;
            }
            int r = round;
            FleetSupport.await("round " + r + ": queued", () -> b.service.agent().statistics().waiting() == 1);
            // the cancellation comes 0-3 ms after the release starts: the grant's way from node-b to node-a
            long spinNanos = ThreadLocalRandom.current().nextLong(3_000_000);
            race(() -> holder.release(local).block(WAIT), () -> {
                long until = System.nanoTime() + spinNanos;
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
                cancel.run();
            });
            FleetSupport.await("round " + r + ": no waiter", () -> b.service.agent().statistics().waiting() == 0);
            // a grant on its way back is given back after one event-bus round trip (milliseconds on loopback)
            long tookMillis = settledAfter(() -> count(b, "sim-0") == received.getAsInt());
            boolean settled = tookMillis >= 0;
            int session = waiter.lockCount(remote).block(WAIT);
            int node = count(b, "sim-0");
            // round 0 warms the code paths up (once seen at 1.4 s): its time is not judged
            slowest = round == 0 ? slowest : Math.max(slowest, tookMillis);
            if (!settled || session != node || tookMillis > GIVE_BACK_MILLIS && round > 0) {
                wrong.add("round " + r + " (cancelled " + spinNanos / 1_000 + " µs after the release started): "
                        + "received " + received.getAsInt() + ", fleet session count " + session
                        + ", node-b count " + node + "; " + (settled ? "node-b's count matched " + tookMillis
                        + " ms after the race" : "node-b's count did not match within 20 s"));
            }
            delivered += received.getAsInt();
            while (waiter.lockCount(remote).block(WAIT) > 0) {
                waiter.release(remote).block(WAIT);
            }
            FleetSupport.await("round " + r + ": free again", () -> count(b, "sim-0") == 0);
        }
        assertThat(wrong).as("rounds (of %d, %d delivered; %s; slowest settling %d ms) whose node-b count was not "
                + "what the subscriber received within %d ms", rounds, delivered,
                future ? "toFuture().cancel" : "subscribe+dispose", slowest, GIVE_BACK_MILLIS).isEmpty();
        assertThat(threads).allMatch(t -> t.startsWith("vert.x-eventloop-thread"), "signalled on an event loop");
    }

    /**
     * An acquire of a free drive disposed right after it was subscribed (from the subscribing thread, or from another
     * thread after 0-3 ms, or by take(Duration) of 0-3 ms): the cancellation can reach the fleet before the request
     * reached the owning node. Nothing but what was delivered may stay held beyond one event-bus round trip.
     */
    @Test
    void anAcquireOfAFreeDriveDisposedAsItStartsHoldsExactlyWhatItDelivered() throws Exception {
        ClientSession waiter = openFleet("Quick3");
        RecorderId remote = RecorderId.of("node-b/sim-1");
        int rounds = 150;
        List<String> wrong = new ArrayList<>();
        int delivered = 0;
        long slowest = 0;
        for (int round = 0; round < rounds; round++) {
            List<LockGrant> got = new CopyOnWriteArrayList<>();
            int shape = round % 3;
            int delayMillis = ThreadLocalRandom.current().nextInt(4);
            if (shape == 0) {
                waiter.acquire(remote, AcquireOptions.waitUpTo(WAIT)).subscribe(got::add, e -> { }).dispose();
            } else if (shape == 1) {
                Disposable d = waiter.acquire(remote, AcquireOptions.waitUpTo(WAIT)).subscribe(got::add, e -> { });
                Mono.delay(Duration.ofMillis(delayMillis)).subscribe(x -> d.dispose());
            } else {
                waiter.acquire(remote, AcquireOptions.waitUpTo(WAIT)).flux().take(Duration.ofMillis(delayMillis))
                        .subscribe(got::add, e -> { });
            }
            int r = round;
            FleetSupport.await("round " + r + ": no waiter", () -> b.service.agent().statistics().waiting() == 0);
            // take(Duration) is an operator: a grant it took and dropped is the session's (documented), so there the
            // node's count must be the session's; a grant the subscriber never got must not outlive a round trip
            long tookMillis = settledAfter(shape == 2
                    ? () -> count(b, "sim-1") == waiter.lockCount(remote).block(WAIT)
                    : () -> count(b, "sim-1") == got.size());
            int session = waiter.lockCount(remote).block(WAIT);
            int node = count(b, "sim-1");
            slowest = round == 0 ? slowest : Math.max(slowest, tookMillis);
            if (tookMillis < 0 || session != node || tookMillis > GIVE_BACK_MILLIS && round > 0) {
                wrong.add("round " + r + " (" + List.of("dispose at once", "dispose after " + delayMillis + " ms",
                        "take(" + delayMillis + " ms)").get(shape) + "): received " + got.size()
                        + ", fleet session count " + session + ", node-b count " + node + "; " + (tookMillis >= 0
                        ? "node-b's count matched " + tookMillis + " ms after" : "did not match within 20 s"));
            }
            delivered += got.size();
            while (waiter.lockCount(remote).block(WAIT) > 0) {
                waiter.release(remote).block(WAIT);
            }
            FleetSupport.await("round " + r + ": free again", () -> count(b, "sim-1") == 0);
        }
        assertThat(wrong).as("rounds (of %d, %d delivered, slowest settling %d ms) whose node-b count was not what "
                + "the subscriber received within %d ms", rounds, delivered, slowest, GIVE_BACK_MILLIS).isEmpty();
    }

    /**
     * A fleet acquire of a drive held locally, cancelled 0-4 ms after it was subscribed (dispose, or take(Duration))
     * while the holder releases at once, without waiting for it to reach node-b: the cancellation, the request and
     * the grant cross. Within a round trip node-b holds exactly what the fleet session counts.
     */
    @Test
    void anAcquireCancelledAsItStartsWhileTheHolderReleasesLeavesTheNodeHoldingExactlyTheSessionsCount()
            throws Exception {
        ClientSession holder = openLocal(b, "Local");
        ClientSession waiter = openFleet("Crossing3");
        RecorderId remote = RecorderId.of("node-b/sim-0");
        int rounds = 150;
        List<String> wrong = new ArrayList<>();
        long slowest = 0;
        for (int round = 0; round < rounds; round++) {
            holder.acquire(RecorderId.of("sim-0"), AcquireOptions.waitUpTo(Duration.ofSeconds(10))).block(WAIT);
            List<LockGrant> got = new CopyOnWriteArrayList<>();
            int delayMillis = ThreadLocalRandom.current().nextInt(5);
            boolean take = round % 2 == 1;
            Runnable cancel;
            if (take) {
                waiter.acquire(remote, AcquireOptions.waitUpTo(WAIT)).flux()
                        .take(Duration.ofMillis(delayMillis), Schedulers.parallel()).subscribe(got::add, e -> { });
                cancel = () -> { };
            } else {
                Disposable d = waiter.acquire(remote, AcquireOptions.waitUpTo(WAIT)).subscribe(got::add, e -> { });
                cancel = () -> Mono.delay(Duration.ofMillis(delayMillis)).subscribe(x -> d.dispose());
            }
            race(() -> holder.release(RecorderId.of("sim-0")).block(WAIT), cancel);
            int r = round;
            long tookMillis = settledAfter(() -> count(b, "sim-0") == waiter.lockCount(remote).block(WAIT)
                    && (take || count(b, "sim-0") == got.size()));
            int session = waiter.lockCount(remote).block(WAIT);
            int node = count(b, "sim-0");
            slowest = round == 0 ? slowest : Math.max(slowest, tookMillis);
            if (tookMillis < 0 || session != node || tookMillis > GIVE_BACK_MILLIS && round > 0) {
                wrong.add("round " + r + " (" + (take ? "take(" : "dispose after ") + delayMillis + " ms): received "
                        + got.size() + ", fleet session count " + session + ", node-b count " + node + "; "
                        + (tookMillis >= 0 ? "matched " + tookMillis + " ms after" : "did not match within 20 s"));
            }
            FleetSupport.await("round " + r + ": no waiter", () -> b.service.agent().statistics().waiting() == 0);
            while (waiter.lockCount(remote).block(WAIT) > 0) {
                waiter.release(remote).block(WAIT);
            }
            FleetSupport.await("round " + r + ": free again", () -> count(b, "sim-0") == 0);
        }
        assertThat(wrong).as("rounds (of %d, slowest settling %d ms) where node-b held other than the fleet "
                + "session's count for longer than %d ms", rounds, slowest, GIVE_BACK_MILLIS).isEmpty();
    }

    // ------------------------------------------------------------------ operators with a discard hook

    /**
     * Operators that drop a value (timeout, firstWithValue between two fleet acquires, zip with a failing fleet
     * acquire, take(Duration), publishOn disposed), each with the discard hook the documentation recommends releasing
     * what they drop: within a round trip after the race node-b holds exactly what the fleet session counts.
     */
    @Test
    void operatorsThatDropAGrantWithADiscardHookLeaveTheNodeHoldingExactlyTheSessionsCount() throws Exception {
        ClientSession holder = openLocal(b, "Local");
        ClientSession holderA = openLocal(a, "LocalA");
        ClientSession waiter = openFleet("Operators3");
        RecorderId b0 = RecorderId.of("node-b/sim-0");
        RecorderId b1 = RecorderId.of("node-b/sim-1");
        RecorderId a0 = RecorderId.of("node-a/sim-0");
        List<String> shapes = List.of("timeout", "firstWithValue", "zip", "take(Duration)", "publishOn+dispose");
        int rounds = 100;
        List<String> wrong = new ArrayList<>();
        List<String> hookFailures = new CopyOnWriteArrayList<>();
        int kept = 0;
        holderA.acquire(RecorderId.of("sim-0")).block(WAIT);
        for (int round = 0; round < rounds; round++) {
            String shape = shapes.get(round % shapes.size());
            holder.acquire(RecorderId.of("sim-0"), AcquireOptions.waitUpTo(Duration.ofSeconds(10))).block(WAIT);
            holder.acquire(RecorderId.of("sim-1"), AcquireOptions.waitUpTo(Duration.ofSeconds(10))).block(WAIT);
            List<LockGrant> got = new CopyOnWriteArrayList<>();
            Sinks.Empty<Void> trigger = Sinks.empty();
            AcquireOptions wait = AcquireOptions.waitUpTo(WAIT);
            Mono<LockGrant> result;
            Runnable cancel = trigger::tryEmitEmpty;
            int queued = 1;
            switch (shape) {
                case "timeout" -> result = waiter.acquire(b0, wait).timeout(trigger.asMono());
                case "firstWithValue" -> {
                    result = Mono.firstWithValue(waiter.acquire(b0, wait), waiter.acquire(b1, wait));
                    queued = 2;
                    cancel = () -> { };
                }
                case "zip" -> result = Mono.zip(waiter.acquire(b0, wait),
                        trigger.asMono().then(waiter.acquire(a0, AcquireOptions.failFast()))).map(t -> t.getT1());
                case "take(Duration)" -> {
                    result = waiter.acquire(b0, wait).flux()
                            .take(Duration.ofMillis(ThreadLocalRandom.current().nextInt(5)), Schedulers.parallel())
                            .next();
                    cancel = () -> { };
                }
                default -> result = waiter.acquire(b0, wait).publishOn(Schedulers.parallel());
            }
            Disposable d = result.doOnDiscard(LockGrant.class, g -> waiter.release(g).subscribe(x -> { },
                    e -> hookFailures.add(shape + ": " + e))).subscribe(got::add, e -> { });
            Runnable cancelling = shape.equals("publishOn+dispose") ? d::dispose : cancel;
            int r = round;
            int q = queued;
            if (!shape.equals("take(Duration)")) {
                FleetSupport.await("round " + r + " (" + shape + "): queued",
                        () -> b.service.agent().statistics().waiting() == q);
            }
            race3(() -> holder.release(RecorderId.of("sim-0")).block(WAIT),
                    () -> holder.release(RecorderId.of("sim-1")).block(WAIT), cancelling);
            FleetSupport.await("round " + r + ": no waiter", () -> b.service.agent().statistics().waiting() == 0);
            // an operator that took a grant and dropped it past the discard hook leaves it the session's
            // (documented): the node must then hold exactly what the session counts, within a round trip
            long tookMillis = settledAfter(() -> count(b, "sim-0") + count(b, "sim-1") == waiter.lockCount(b0)
                    .block(WAIT) + waiter.lockCount(b1).block(WAIT));
            boolean settled = tookMillis >= 0;
            int node = count(b, "sim-0") + count(b, "sim-1");
            int session = waiter.lockCount(b0).block(WAIT) + waiter.lockCount(b1).block(WAIT);
            kept += node - got.size();
            if (!settled || session != node || tookMillis > GIVE_BACK_MILLIS && round > 0) {
                wrong.add("round " + r + " (" + shape + "): received " + got.size() + ", fleet session counts "
                        + session + ", node-b counts " + node + "; " + (settled ? "node-b's counts matched "
                        + tookMillis + " ms after the race" : "node-b's counts did not match within 20 s"));
            }
            for (RecorderId id : List.of(b0, b1)) {
                while (waiter.lockCount(id).block(WAIT) > 0) {
                    waiter.release(id).block(WAIT);
                }
            }
            FleetSupport.await("round " + r + ": free again", () -> count(b, "sim-0") + count(b, "sim-1") == 0);
        }
        holderA.release(RecorderId.of("sim-0")).block(WAIT);
        assertThat(wrong).as("rounds (of %d; %d grants kept by an operator past the hook) where node-b held other "
                + "than the fleet session's count for longer than %d ms (discard-hook errors: %s)", rounds, kept,
                GIVE_BACK_MILLIS, hookFailures).isEmpty();
        assertThat(kept).as("grants dropped by an operator past the discard hook").isGreaterThanOrEqualTo(0);
    }

    // ------------------------------------------------------------------ withLock and acquireAny

    /**
     * withLock disposed from another thread while its acquire waits and the holder releases (even rounds), or while
     * its body runs and a local client queues behind it (odd rounds): the drive ends free or with the local client,
     * never with the fleet session.
     */
    @Test
    void withLockDisposedDuringItsAcquireOrItsBodyNeverLeavesTheFleetSessionHolding() throws Exception {
        ClientSession holder = openLocal(b, "Local");
        ClientSession waiter = openFleet("Body3");
        RecorderId remote = RecorderId.of("node-b/sim-1");
        int rounds = 100;
        List<String> wrong = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            boolean inBody = round % 2 == 1;
            CountDownLatch running = new CountDownLatch(1);
            if (!inBody) {
                holder.acquire(RecorderId.of("sim-1"), AcquireOptions.waitUpTo(Duration.ofSeconds(10))).block(WAIT);
            }
            Disposable d = waiter.withLock(remote, AcquireOptions.waitUpTo(WAIT),
                    g -> Flux.never().doOnSubscribe(s -> running.countDown())).subscribe(x -> { }, e -> { });
            int r = round;
            Disposable localWait = null;
            if (inBody) {
                assertThat(running.await(20, TimeUnit.SECONDS)).as("round %d: body runs", r).isTrue();
                localWait = holder.acquire(RecorderId.of("sim-1"), AcquireOptions.waitUpTo(WAIT)).subscribe();
                FleetSupport.await("round " + r + ": local queued", () -> b.service.agent().statistics().waiting() == 1);
                race(d::dispose, () -> { });
            } else {
                FleetSupport.await("round " + r + ": queued", () -> b.service.agent().statistics().waiting() == 1);
                race(() -> holder.release(RecorderId.of("sim-1")).block(WAIT), d::dispose);
            }
            FleetSupport.await("round " + r + ": no waiter", () -> b.service.agent().statistics().waiting() == 0);
            long tookMillis = settledAfter(() -> {
                JsonObject lock = b.lock("sim-1");
                return inBody ? "Local".equals(lock.getString("owner")) : lock.getString("state").equals("free");
            });
            boolean settled = tookMillis >= 0 && (tookMillis <= GIVE_BACK_MILLIS || round == 0);
            int session = waiter.lockCount(remote).block(WAIT);
            if (!settled || session != 0) {
                wrong.add("round " + r + (inBody ? " (in body)" : " (in acquire)") + ": node-b " + b.lock("sim-1")
                        .encode() + ", fleet session count " + session + ", settled after " + tookMillis + " ms");
            }
            while (waiter.lockCount(remote).block(WAIT) > 0) {
                waiter.release(remote).block(WAIT);
            }
            if (inBody) {
                FleetSupport.await("round " + r + ": local granted",
                        () -> "Local".equals(b.lock("sim-1").getString("owner")));
                localWait.dispose();
            }
            while (holder.lockCount(RecorderId.of("sim-1")).block(WAIT) > 0) {
                holder.release(RecorderId.of("sim-1")).block(WAIT);
            }
            FleetSupport.await("round " + r + ": free again", () -> count(b, "sim-1") == 0);
        }
        assertThat(wrong).as("rounds (of %d) where the disposed withLock's session still held node-b/sim-1", rounds)
                .isEmpty();
    }

    /**
     * acquireAny over a drive of each node, subscribed with a consumer and disposed from another thread while both
     * holders release: exactly what the consumer received is held, across both nodes.
     */
    @Test
    void acquireAnyDisposedWhileTwoNodesFreeAtOnceHoldsExactlyWhatItDelivered() throws Exception {
        ClientSession holderB = openLocal(b, "LocalB");
        ClientSession holderA = openLocal(a, "LocalA");
        ClientSession waiter = openFleet("Pool3");
        RecorderId a1 = RecorderId.of("node-a/sim-1");
        RecorderId b1 = RecorderId.of("node-b/sim-1");
        int rounds = 60;
        List<String> wrong = new ArrayList<>();
        int delivered = 0;
        for (int round = 0; round < rounds; round++) {
            holderA.acquire(RecorderId.of("sim-1"), AcquireOptions.waitUpTo(Duration.ofSeconds(10))).block(WAIT);
            holderB.acquire(RecorderId.of("sim-1"), AcquireOptions.waitUpTo(Duration.ofSeconds(10))).block(WAIT);
            List<LockGrant> got = new CopyOnWriteArrayList<>();
            Disposable d = waiter.acquireAny(RecorderSelector.anyOf(a1, b1), AcquireOptions.waitUpTo(WAIT))
                    .subscribe(got::add, e -> { });
            int r = round;
            FleetSupport.await("round " + r + ": queued on both", () -> a.service.agent().statistics().waiting() == 1
                    && b.service.agent().statistics().waiting() == 1);
            race3(() -> holderA.release(RecorderId.of("sim-1")).block(WAIT),
                    () -> holderB.release(RecorderId.of("sim-1")).block(WAIT), d::dispose);
            FleetSupport.await("round " + r + ": no waiter", () -> a.service.agent().statistics().waiting() == 0
                    && b.service.agent().statistics().waiting() == 0);
            long tookMillis = settledAfter(() -> count(a, "sim-1") + count(b, "sim-1") == got.size());
            boolean settled = tookMillis >= 0 && (tookMillis <= GIVE_BACK_MILLIS || round == 0);
            int node = count(a, "sim-1") + count(b, "sim-1");
            int session = waiter.lockCount(a1).block(WAIT) + waiter.lockCount(b1).block(WAIT);
            if (!settled || session != node || got.size() > 1) {
                wrong.add("round " + r + ": received " + got + ", node counts a " + count(a, "sim-1") + " b "
                        + count(b, "sim-1") + ", fleet session counts " + session + ", settled after " + tookMillis
                        + " ms");
            }
            delivered += got.size();
            for (RecorderId id : List.of(a1, b1)) {
                while (waiter.lockCount(id).block(WAIT) > 0) {
                    waiter.release(id).block(WAIT);
                }
            }
            FleetSupport.await("round " + r + ": free again", () -> count(a, "sim-1") + count(b, "sim-1") == 0);
        }
        assertThat(wrong).as("rounds (of %d, %d delivered) where the nodes hold other than what was delivered",
                rounds, delivered).isEmpty();
    }

    /**
     * acquireEach of node-b/sim-0 (free) then node-b/sim-1 (held locally), disposed from another thread while the
     * holder releases sim-1: the nodes hold exactly the grants the stream emitted.
     */
    @Test
    void acquireEachDisposedWhileItsSecondRequestIsGrantedHoldsExactlyWhatItEmitted() throws Exception {
        ClientSession holder = openLocal(b, "Local");
        ClientSession waiter = openFleet("Each3");
        RecorderId b0 = RecorderId.of("node-b/sim-0");
        RecorderId b1 = RecorderId.of("node-b/sim-1");
        int rounds = 80;
        List<String> wrong = new ArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        for (int round = 0; round < rounds; round++) {
            holder.acquire(RecorderId.of("sim-1"), AcquireOptions.waitUpTo(Duration.ofSeconds(10))).block(WAIT);
            List<LockGrant> got = new CopyOnWriteArrayList<>();
            Disposable d = waiter.acquireEach(Flux.just(AcquireRequest.of(b0),
                    new AcquireRequest(b1, AcquireOptions.waitUpTo(WAIT)))).subscribe(g -> {
                        threads.add(Thread.currentThread().getName());
                        got.add(g);
                    }, e -> threads.add(Thread.currentThread().getName()));
            int r = round;
            FleetSupport.await("round " + r + ": second queued", () -> b.service.agent().statistics().waiting() == 1);
            race(() -> holder.release(RecorderId.of("sim-1")).block(WAIT), d::dispose);
            FleetSupport.await("round " + r + ": no waiter", () -> b.service.agent().statistics().waiting() == 0);
            long tookMillis = settledAfter(() -> count(b, "sim-0") + count(b, "sim-1") == got.size());
            int node = count(b, "sim-0") + count(b, "sim-1");
            int session = waiter.lockCount(b0).block(WAIT) + waiter.lockCount(b1).block(WAIT);
            if (tookMillis < 0 || session != node || tookMillis > GIVE_BACK_MILLIS && round > 0) {
                wrong.add("round " + r + ": emitted " + got.size() + ", fleet session counts " + session
                        + ", node-b counts " + node + "; " + (tookMillis >= 0 ? "matched " + tookMillis + " ms after"
                        : "did not match within 20 s"));
            }
            for (RecorderId id : List.of(b0, b1)) {
                while (waiter.lockCount(id).block(WAIT) > 0) {
                    waiter.release(id).block(WAIT);
                }
            }
            FleetSupport.await("round " + r + ": free again", () -> count(b, "sim-0") + count(b, "sim-1") == 0);
        }
        assertThat(wrong).as("rounds (of %d) whose node-b counts were not what acquireEach emitted", rounds)
                .isEmpty();
        assertThat(threads).allMatch(t -> t.startsWith("vert.x-eventloop-thread"), "signalled on an event loop");
    }

    /**
     * An HTTP remote acquire that waits past the lease and then hangs up: its place is given up on node-b, and the
     * drive freed later is not handed to the client that left.
     */
    @Test
    void anHttpRemoteWaiterThatHangsUpAfterTheLeaseLeavesNoWaiterAndIsNotGranted() throws Exception {
        ClientSession holder = openLocal(b, "Local");
        holder.acquire(RecorderId.of("sim-0")).block(WAIT);
        TestService.Session http = a.openForMinutes("HangUp3");
        try (java.net.Socket socket = FleetSupport.rawPost(a, "/api/v1/fleet/recorders/node-b/sim-0/acquire",
                http.token(), new JsonObject().put("sessionId", http.id()).put("waitMillis", 60_000))) {
            FleetSupport.await("queued", () -> b.service.agent().statistics().waiting() == 1);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LEASE_MILLIS + 1_500);
            while (System.nanoTime() < deadline && b.service.agent().statistics().waiting() == 1) {
                Thread.onSpinWait();
            }
            assertThat(b.service.agent().statistics().waiting()).as("still waiting past the lease").isEqualTo(1);
        }
        FleetSupport.await("the hung-up waiter left node-b's FIFO",
                () -> b.service.agent().statistics().waiting() == 0);
        holder.release(RecorderId.of("sim-0")).block(WAIT);
        assertThat(settledAfter(() -> count(b, "sim-0") == 0)).as("the drive stays free").isBetween(0L,
                GIVE_BACK_MILLIS);
    }

    // ------------------------------------------------------------------ promise 3: waits longer than the lease

    /**
     * Every kind of fleet waiter at once, all longer than the remote lease: an HTTP remote acquire, a raw acquire of
     * a session whose only other hold on node-b is released mid-wait, a withLock and an acquireAny of two more fleet
     * sessions, all in node-b's FIFO for sim-0; and a fleet wait of 8 s on node-a's own drive that must end as an
     * acquire timeout at its own deadline, not earlier by the lease. Each keeps its place and is granted in FIFO
     * order, every signal on an event loop.
     */
    @Test
    void waitersOfEveryKindFromSeveralSessionsOutliveTheRemoteLeaseKeepTheirPlacesAndAreGrantedInOrder()
            throws Exception {
        ClientSession holder = openLocal(b, "Local");
        ClientSession holderA = openLocal(a, "LocalA");
        RecorderId b0 = RecorderId.of("node-b/sim-0");
        holder.acquire(RecorderId.of("sim-0")).block(WAIT);
        holderA.acquire(RecorderId.of("sim-0")).block(WAIT);
        List<String> order = new CopyOnWriteArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();

        // 1: the HTTP client of node-a (its own session lives for minutes)
        TestService.Session http = a.openForMinutes("Http3");
        CompletableFuture<TestService.Reply> httpReply = CompletableFuture.supplyAsync(() -> {
            TestService.Reply reply = a.post("/api/v1/fleet/recorders/node-b/sim-0/acquire", new JsonObject()
                    .put("sessionId", http.id()).put("waitMillis", 60_000), "X-Session-Token", http.token());
            order.add("http");
            return reply;
        }, pool);
        FleetSupport.await("http queued", () -> b.service.agent().statistics().waiting() == 1);

        // 2: a raw acquire of a session that holds node-b/sim-1 and gives it back while it waits
        ClientSession raw = openFleet("Raw3");
        raw.acquire(RecorderId.of("node-b/sim-1")).block(WAIT);
        List<LockGrant> rawGrant = new CopyOnWriteArrayList<>();
        raw.acquire(b0, AcquireOptions.waitIndefinitely()).doOnEach(s -> threads.add(Thread.currentThread()
                .getName())).subscribe(g -> {
                    rawGrant.add(g);
                    order.add("raw");
                }, failures::add);
        FleetSupport.await("raw queued", () -> b.service.agent().statistics().waiting() == 2);
        assertThat(raw.release(RecorderId.of("node-b/sim-1")).block(WAIT)).isZero();

        // 3: a withLock whose body ends at once
        ClientSession body = openFleet("Body3");
        CountDownLatch bodyDone = new CountDownLatch(1);
        body.withLock(b0, AcquireOptions.waitUpTo(Duration.ofSeconds(60)), g -> {
            order.add("withLock");
            threads.add(Thread.currentThread().getName());
            return Mono.just(g.lockCount());
        }).subscribe(x -> { }, failures::add, bodyDone::countDown);
        FleetSupport.await("withLock queued", () -> b.service.agent().statistics().waiting() == 3);

        // 4: an acquireAny of the one drive
        ClientSession any = openFleet("Any3");
        List<LockGrant> anyGrant = new CopyOnWriteArrayList<>();
        any.acquireAny(RecorderSelector.anyOf(b0), AcquireOptions.waitUpTo(Duration.ofSeconds(60)))
                .doOnEach(s -> threads.add(Thread.currentThread().getName())).subscribe(g -> {
                    anyGrant.add(g);
                    order.add("any");
                }, failures::add);
        FleetSupport.await("acquireAny queued", () -> b.service.agent().statistics().waiting() == 4);

        // 5: a fleet wait of 8 s on node-a's own drive (a remote hold of node-a on itself)
        ClientSession timed = openFleet("Timed3");
        long started = System.nanoTime();
        CompletableFuture<Long> timedOut = new CompletableFuture<>();
        timed.acquire(RecorderId.of("node-a/sim-0"), AcquireOptions.waitUpTo(Duration.ofSeconds(8)))
                .doOnEach(s -> threads.add(Thread.currentThread().getName()))
                .subscribe(g -> timedOut.completeExceptionally(new AssertionError("granted " + g)), e -> {
                    if (e instanceof AcquireTimeoutException) {
                        timedOut.complete((System.nanoTime() - started) / 1_000_000);
                    } else {
                        timedOut.completeExceptionally(e);
                    }
                });

        // the lease plus 3 s, in real time: the lease is the owning node's own timer
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LEASE_MILLIS + 3_000);
        while (System.nanoTime() < deadline && failures.isEmpty() && order.isEmpty()) {
            Thread.onSpinWait();
        }
        assertThat(failures).as("a waiter failed while waiting").isEmpty();
        assertThat(order).as("answered while waiting").isEmpty();
        assertThat(httpReply).isNotDone();
        assertThat(b.service.agent().statistics().waiting()).isEqualTo(4);
        assertThat(raw.placesInLine().block(WAIT)).isEqualTo(Map.of(b0, 2));
        assertThat(body.placesInLine().block(WAIT)).isEqualTo(Map.of(b0, 3));
        assertThat(any.placesInLine().block(WAIT)).isEqualTo(Map.of(b0, 4));

        long waited = timedOut.get(20, TimeUnit.SECONDS);
        assertThat(waited).as("the 8 s wait ended at its own deadline (ms)").isBetween(7_500L, 14_000L);
        holderA.release(RecorderId.of("sim-0")).block(WAIT);
        assertThat(timed.acquire(RecorderId.of("node-a/sim-0")).block(WAIT).lockCount())
                .as("the session that timed out is not fenced").isEqualTo(1);
        assertThat(timed.release(RecorderId.of("node-a/sim-0")).block(WAIT)).isZero();

        holder.release(RecorderId.of("sim-0")).block(WAIT);
        TestService.Reply reply = httpReply.get(20, TimeUnit.SECONDS);
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        assertThat(b.lock("sim-0").getString("owner")).isEqualTo("node-a: Http3");
        assertThat(a.post("/api/v1/fleet/recorders/node-b/sim-0/release", new JsonObject().put("sessionId",
                http.id()), "X-Session-Token", http.token()).status()).isEqualTo(200);
        FleetSupport.await("raw granted", () -> !rawGrant.isEmpty());
        assertThat(rawGrant.get(0).lockCount()).isEqualTo(1);
        assertThat(raw.release(rawGrant.get(0)).block(WAIT)).isZero();
        assertThat(bodyDone.await(20, TimeUnit.SECONDS)).as("withLock ran its body").isTrue();
        FleetSupport.await("acquireAny granted", () -> !anyGrant.isEmpty());
        assertThat(any.release(anyGrant.get(0)).block(WAIT)).isZero();
        assertThat(order).containsExactly("http", "raw", "withLock", "any");
        assertThat(failures).isEmpty();
        assertThat(threads).isNotEmpty().allMatch(t -> t.startsWith("vert.x-eventloop-thread"),
                "signalled on an event loop");
    }

    /**
     * A fleet hold kept idle longer than the lease, and a withLock body that runs longer than it: both are renewed,
     * neither is fenced nor ended, and the release answers the count.
     */
    @Test
    void aHoldAndAWithLockBodyKeptLongerThanTheLeaseAreNeitherFencedNorEnded() throws Exception {
        ClientSession holder = openFleet("Keeper3");
        ClientSession bodyHolder = openFleet("LongBody3");
        assertThat(holder.acquire(RecorderId.of("node-b/sim-0")).block(WAIT).lockCount()).isEqualTo(1);
        List<Throwable> ended = new CopyOnWriteArrayList<>();
        CountDownLatch running = new CountDownLatch(1);
        Sinks.Empty<Void> finish = Sinks.empty();
        CountDownLatch done = new CountDownLatch(1);
        bodyHolder.withLock(RecorderId.of("node-b/sim-1"), AcquireOptions.waitUpTo(WAIT),
                g -> finish.asMono().doOnSubscribe(s -> running.countDown()).thenReturn(g.lockCount()))
                .subscribe(x -> { }, ended::add, done::countDown);
        assertThat(running.await(20, TimeUnit.SECONDS)).isTrue();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LEASE_MILLIS + 3_000);
        while (System.nanoTime() < deadline && ended.isEmpty()) {
            Thread.onSpinWait();
        }
        assertThat(ended).as("the body ended while its hold was renewed").isEmpty();
        assertThat(b.lock("sim-0").getString("owner")).isEqualTo("node-a: Keeper3");
        assertThat(b.lock("sim-1").getString("owner")).isEqualTo("node-a: LongBody3");
        assertThat(holder.lockCount(RecorderId.of("node-b/sim-0")).block(WAIT)).isEqualTo(1);
        assertThat(holder.release(RecorderId.of("node-b/sim-0")).block(WAIT)).isZero();
        finish.tryEmitEmpty();
        assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
        assertThat(ended).isEmpty();
        FleetSupport.await("both free", () -> count(b, "sim-0") + count(b, "sim-1") == 0);
    }

    /**
     * Pool waiters across both nodes longer than the lease: an acquireAny and, behind it, a withLockAny of two more
     * fleet sessions, each waiting on node-a's and node-b's drive. Both keep their places on both nodes; the first
     * drive to free goes to the first, the second to the second, and no waiter is left.
     */
    @Test
    void poolWaitersOnTwoNodesOutliveTheLeaseAndAreGrantedInOrder() throws Exception {
        ClientSession holderA = openLocal(a, "LocalA");
        ClientSession holderB = openLocal(b, "LocalB");
        holderA.acquire(RecorderId.of("sim-1")).block(WAIT);
        holderB.acquire(RecorderId.of("sim-1")).block(WAIT);
        RecorderSelector pool = RecorderSelector.anyOf(RecorderId.of("node-a/sim-1"), RecorderId.of("node-b/sim-1"));
        ClientSession first = openFleet("PoolFirst3");
        ClientSession second = openFleet("PoolSecond3");
        List<Object> firstAnswers = new CopyOnWriteArrayList<>();
        List<Object> secondAnswers = new CopyOnWriteArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        first.acquireAny(pool, AcquireOptions.waitUpTo(Duration.ofSeconds(60))).subscribe(g -> {
            threads.add(Thread.currentThread().getName());
            firstAnswers.add(g);
        }, firstAnswers::add);
        FleetSupport.await("first queued on both", () -> a.service.agent().statistics().waiting() == 1
                && b.service.agent().statistics().waiting() == 1);
        Sinks.Empty<Void> finish = Sinks.empty();
        second.withLockAny(pool, AcquireOptions.waitUpTo(Duration.ofSeconds(60)), g -> {
            threads.add(Thread.currentThread().getName());
            secondAnswers.add(g);
            return finish.asMono();
        }).subscribe(x -> { }, secondAnswers::add);
        FleetSupport.await("second queued on both", () -> a.service.agent().statistics().waiting() == 2
                && b.service.agent().statistics().waiting() == 2);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LEASE_MILLIS + 3_000);
        while (System.nanoTime() < deadline && firstAnswers.isEmpty() && secondAnswers.isEmpty()) {
            Thread.onSpinWait();
        }
        assertThat(firstAnswers).as("the acquireAny answered while waiting").isEmpty();
        assertThat(secondAnswers).as("the withLockAny answered while waiting").isEmpty();
        assertThat(a.service.agent().statistics().waiting()).isEqualTo(2);
        assertThat(b.service.agent().statistics().waiting()).isEqualTo(2);
        holderB.release(RecorderId.of("sim-1")).block(WAIT);
        FleetSupport.await("first granted", () -> !firstAnswers.isEmpty());
        assertThat(firstAnswers).singleElement().isInstanceOf(LockGrant.class);
        assertThat(((LockGrant) firstAnswers.get(0)).recorder()).isEqualTo(RecorderId.of("node-b/sim-1"));
        FleetSupport.await("the first left node-a's FIFO", () -> a.service.agent().statistics().waiting() == 1);
        assertThat(secondAnswers).as("the second still waits").isEmpty();
        holderA.release(RecorderId.of("sim-1")).block(WAIT);
        FleetSupport.await("second granted", () -> !secondAnswers.isEmpty());
        assertThat(secondAnswers).singleElement().isInstanceOf(LockGrant.class);
        assertThat(((LockGrant) secondAnswers.get(0)).recorder()).isEqualTo(RecorderId.of("node-a/sim-1"));
        FleetSupport.await("no waiter on either", () -> a.service.agent().statistics().waiting() == 0
                && b.service.agent().statistics().waiting() == 0);
        assertThat(a.lock("sim-1").getString("owner")).isEqualTo("node-a: PoolSecond3");
        assertThat(b.lock("sim-1").getString("owner")).isEqualTo("node-a: PoolFirst3");
        finish.tryEmitEmpty();
        assertThat(first.release((LockGrant) firstAnswers.get(0)).block(WAIT)).isZero();
        FleetSupport.await("both free", () -> count(a, "sim-1") + count(b, "sim-1") == 0);
        assertThat(threads).allMatch(t -> t.startsWith("vert.x-eventloop-thread"), "signalled on an event loop");
    }

    /** A block(Duration) that times out (longer than the lease) fails typed, and leaves no waiter nor count. */
    @Test
    void aBlockingFleetAcquireThatGivesUpAfterTheLeaseLeavesNothingAndFailsTyped() {
        ClientSession holder = openLocal(b, "Local");
        holder.acquire(RecorderId.of("sim-1")).block(WAIT);
        ClientSession waiter = openFleet("Blocker3");
        RecorderId remote = RecorderId.of("node-b/sim-1");
        Throwable thrown = null;
        try {
            waiter.acquire(remote, AcquireOptions.waitUpTo(Duration.ofSeconds(30)))
                    .block(Duration.ofMillis(LEASE_MILLIS + 1_500));
        } catch (RuntimeException e) {
            thrown = e;
        }
        assertThat(thrown).as("block(Duration) gave up").isNotNull().isInstanceOf(IllegalStateException.class);
        FleetSupport.await("no waiter", () -> b.service.agent().statistics().waiting() == 0);
        holder.release(RecorderId.of("sim-1")).block(WAIT);
        FleetSupport.await("free", () -> count(b, "sim-1") == 0);
        assertThat(waiter.lockCount(remote).block(WAIT)).isZero();
        // the same session can still acquire and release: it was renewed while it waited
        assertThat(waiter.acquire(remote).block(WAIT).lockCount()).isEqualTo(1);
        assertThat(waiter.release(remote).block(WAIT)).isZero();
        RecorderException locked = null;
        holder.acquire(RecorderId.of("sim-1")).block(WAIT);
        try {
            waiter.acquire(remote).block(WAIT);
        } catch (RecorderException e) {
            locked = e;
        }
        assertThat(locked).as("fail-fast on a held drive").isNotNull();
        assertThat(locked.hresult()).isNotNull();
        holder.release(RecorderId.of("sim-1")).block(WAIT);
    }

    /**
     * The failures of the fleet's remote acquire, subscribed from a thread of another scheduler: each is a typed
     * RecorderException with its HRESULT, signalled on an event loop.
     */
    @Test
    void everyFailureOfARemoteAcquireIsTypedWithItsHresultOnAnEventLoop() {
        ClientSession holder = openLocal(b, "Local");
        holder.acquire(RecorderId.of("sim-0")).block(WAIT);
        ClientSession s = openFleet("Errors3");
        ClientSession closed = openFleet("Closed3");
        closed.close().block(WAIT);
        RecorderId b0 = RecorderId.of("node-b/sim-0");
        Map<String, Mono<?>> calls = new java.util.LinkedHashMap<>();
        calls.put("fail-fast on a held drive", s.acquire(b0));
        calls.put("a wait that times out", s.acquire(b0, AcquireOptions.waitUpTo(Duration.ofMillis(300))));
        calls.put("a release of nothing held", s.release(b0));
        calls.put("a closed session's acquire", closed.acquire(b0, AcquireOptions.waitUpTo(WAIT)));
        calls.put("an unknown node", s.acquire(RecorderId.of("node-z/sim-0"), AcquireOptions.waitUpTo(WAIT)));
        calls.put("an unknown recorder", s.acquire(RecorderId.of("node-b/sim-9"), AcquireOptions.waitUpTo(WAIT)));
        calls.put("a pool of a held drive, fail-fast", s.acquireAny(RecorderSelector.anyOf(b0),
                AcquireOptions.failFast()));
        calls.put("a pool that times out", s.acquireAny(RecorderSelector.anyOf(b0),
                AcquireOptions.waitUpTo(Duration.ofMillis(300))));
        calls.put("withLock that times out", s.withLock(b0, AcquireOptions.waitUpTo(Duration.ofMillis(300)),
                g -> Mono.just(1)).then());
        List<String> wrong = new ArrayList<>();
        calls.forEach((what, call) -> {
            Throwable[] failed = new Throwable[1];
            String[] thread = new String[1];
            try {
                call.subscribeOn(Schedulers.single()).doOnError(e -> thread[0] = Thread.currentThread().getName())
                        .block(WAIT);
            } catch (RuntimeException e) {
                failed[0] = e;
            }
            if (!(failed[0] instanceof RecorderException re) || re.hresult() == null) {
                wrong.add(what + ": " + failed[0]);
            } else if (thread[0] == null || !thread[0].startsWith("vert.x-eventloop-thread")) {
                wrong.add(what + ": " + re.getClass().getSimpleName() + " on " + thread[0]);
            }
        });
        assertThat(wrong).as("failures not typed with an HRESULT, or not on an event loop").isEmpty();
        FleetSupport.await("no waiter", () -> b.service.agent().statistics().waiting() == 0);
        assertThat(s.lockCount(b0).block(WAIT)).isZero();
    }

    // ------------------------------------------------------------------ helpers

    /** The count node {@code t} shows for its recorder {@code id} (0 when free). */
    private static int count(TestService t, String id) {
        JsonObject lock = t.lock(id);
        return lock.getString("state").equals("free") ? 0 : lock.getInteger("count");
    }

    /**
     * How many milliseconds from now {@code condition} began to hold for good (for 100 ms of polling without a
     * break: a drive shows free for a moment between a release and the native grant to its next waiter), or -1 when
     * it did not within 20 s.
     */
    private static long settledAfter(BooleanSupplier condition) {
        long start = System.nanoTime();
        long deadline = start + Duration.ofSeconds(20).toNanos();
        long since = -1;
        while (System.nanoTime() < deadline) {
            long now = System.nanoTime();
            if (!condition.getAsBoolean()) {
                since = -1;
            } else if (since < 0) {
                since = now;
            } else if (now - since > Duration.ofMillis(100).toNanos()) {
                return (since - start) / 1_000_000;
            }
            Thread.onSpinWait();
        }
        return -1;
    }

    private void race(Runnable one, Runnable two) throws Exception {
        race3(one, two, () -> { });
    }

    /** Runs the three at once, from pool threads released together by a barrier. */
    private void race3(Runnable one, Runnable two, Runnable three) throws Exception {
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
            }, pool));
        }
        for (CompletableFuture<Void> f : all) {
            f.get(40, TimeUnit.SECONDS);
        }
    }
}
