package io.discagent.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.SimulatedDeviceState;
import io.discagent.agent.backend.simulated.Simulator;
import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderSelector;
import io.discagent.api.RetryPolicy;
import io.discagent.api.error.HResult;
import io.discagent.api.error.RecorderException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The guarantees under an adversary: many threads drive the public API with every cancellation shape, session and
 * agent closes, hung and failing native calls, holders outside the agent, lost locks and devices that flap; then the
 * storm stops and everything must be back: <b>0 leaked locks</b> (native acquires = native releases, no holder, no
 * waiter), <b>0 double holders</b> at any moment, <b>0 callers left unanswered</b>, heap back to its baseline.
 *
 * <p>Double holders are measured exactly through {@code withLock} bodies: a body marks its recorder busy when it
 * starts and free when it ends, and the agent promises that a body is stopped before anyone else is granted the
 * recorder; a body, or a grant, that finds another session's body running on its recorder is a double holder.
 *
 * <p>Run on demand ({@code -Pstorm}, {@code -Dstorm.operations=1000000}); {@code .ci/run} runs a short form. It
 * reports how often each race was actually hit, so a clean run proves something: {@code target/storm-report.txt}.
 */
@Tag("storm")
class GuaranteesStormTests {

    private static final long OPERATIONS = Long.getLong("storm.operations", 50_000);
    private static final int THREADS = Integer.getInteger("storm.threads", 8);
    private static final int RECORDERS = 3;
    private static final Duration BLOCK = Duration.ofSeconds(30);

    private TestAgent t;
    private final List<RecorderId> recorders = new ArrayList<>();
    /** Per recorder: the session whose bodies run on it now, and how many. */
    private final Map<RecorderId, BodyMark> bodies = new ConcurrentHashMap<>();
    private final AtomicLong doubleHolders = new AtomicLong();
    private final AtomicLong pending = new AtomicLong();
    private final Map<String, LongAdder> hits = new ConcurrentHashMap<>();
    private final AtomicBoolean stopping = new AtomicBoolean();

    /** Which session's bodies run on a recorder. */
    private static final class BodyMark {
        String session;
        int count;
    }

    @Test
    void aMillionRandomOperationsLeaveNothingBehind() throws Exception {
        t = TestAgent.start(RECORDERS, b -> b.commandTimeout(Duration.ofMillis(200)).pendingAcquireMaxCount(64));
        for (int i = 0; i < RECORDERS; i++) {
            recorders.add(RecorderId.of("sim-" + i));
            bodies.put(recorders.get(i), new BodyMark());
        }
        Scheduler shapes = Schedulers.newParallel("storm-shapes", 2);
        Thread ticker = new Thread(this::tick, "storm-virtual-time");
        ticker.setDaemon(true);
        ticker.start();
        long baseline = usedHeapAfterGc();
        long started = System.nanoTime();
        CountDownLatch done = new CountDownLatch(THREADS);
        AtomicLong operations = new AtomicLong();
        List<Client> clients = new ArrayList<>();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        for (int i = 0; i < THREADS; i++) {
            Client client = new Client(i, shapes);
            clients.add(client);
            Thread thread = new Thread(() -> {
                try {
                    while (operations.incrementAndGet() <= OPERATIONS) {
                        client.step();
                    }
                } catch (Throwable e) {
                    failures.add(e);
                } finally {
                    done.countDown();
                }
            }, "storm-client-" + i);
            thread.start();
        }
        assertThat(done.await(30, TimeUnit.MINUTES)).as("the storm ends").isTrue();
        long stormNanos = System.nanoTime() - started;
        assertThat(failures).as("client threads that crashed").isEmpty();

        // quiescence: every fault lifted, every grant released, every session closed
        for (RecorderId r : recorders) {
            if (!t.sim.recorders().contains(r)) {
                t.sim.addRecorder(r.value());
            }
            t.sim.releaseHangs(r);
            t.sim.unlockExternally(r);
        }
        for (Client client : clients) {
            client.finish();
        }
        awaitQuiet();
        stopping.set(true);
        ticker.join(5_000);
        shapes.dispose();

        AgentActivity activity = t.settle();
        long leaked = 0;
        StringBuilder devices = new StringBuilder();
        for (RecorderId r : recorders) {
            SimulatedDeviceState device = t.sim.state(r);
            leaked += device.nativeOwner() == null ? 0 : 1;
            devices.append(String.format("%s: owner at the end %s%n", r, device.nativeOwner()));
        }
        Simulator.LockCounts totals = t.sim.lockCounts();
        devices.append(String.format("native acquires %,d, native releases %,d (every device, every time it was "
                + "plugged in)%n", totals.taken(), totals.dropped()));
        leaked += totals.taken() - totals.dropped();
        AgentStatistics stats = t.agent.statistics();
        t.close();
        long heapAfter = usedHeapAfterGc();
        String report = report(stormNanos, stats, activity, leaked, devices, baseline, heapAfter);
        System.out.println(report);
        Path target = Path.of("target");
        if (Files.isDirectory(target)) {
            try {
                Files.writeString(target.resolve("storm-report.txt"), report);
            } catch (IOException e) {
                System.err.println("could not write the storm report: " + e);
            }
        }

        assertThat(leaked).as("leaked locks").isZero();
        assertThat(activity.held()).as("recorders held at the end").isZero();
        assertThat(activity.waiting()).as("waiters at the end").isZero();
        assertThat(doubleHolders.get()).as("double holders").isZero();
        assertThat(pending.get()).as("callers left unanswered").isZero();
        assertThat(heapAfter - baseline).as("heap above its baseline").isLessThan(16L << 20);
    }

    // ------------------------------------------------------------------------------------------------ one client

    /** One thread's client: a session, the grants it holds, and a random walk of operations. */
    private final class Client {

        private final int index;
        private final Scheduler shapes;
        private final Random random;
        private ClientSession session;
        private final ConcurrentLinkedQueue<LockGrant> owned = new ConcurrentLinkedQueue<>();

        Client(int index, Scheduler shapes) {
            this.index = index;
            this.shapes = shapes;
            this.random = new Random(1000L + index);
            this.session = t.session("Client " + index);
        }

        void step() {
            if (!owned.isEmpty() && random.nextInt(3) > 0) {
                releaseOne(); // hold briefly: hand-offs are where the races are
            }
            int pick = random.nextInt(100);
            RecorderId r = recorders.get(random.nextInt(RECORDERS));
            if (pick < 30) {
                rawAcquire(r);
            } else if (pick < 55) {
                withLock(r);
            } else if (pick < 75) {
                releaseOne();
            } else if (pick < 80) {
                count("owner query");
                t.agent.exclusiveAccessOwner(r).subscribe(x -> { }, e -> { }).dispose();
            } else if (pick < 83) {
                closeAndReopen();
            } else if (index == 0) {
                fault(r, pick);
            }
            if (random.nextInt(8) == 0) {
                LockSupport.parkNanos(random.nextInt(50_000));
            }
        }

        private AcquireOptions options() {
            return switch (random.nextInt(8)) {
                case 0 -> AcquireOptions.DEFAULT;
                case 1, 2 -> AcquireOptions.waitUpTo(Duration.ofMillis(1 + random.nextInt(400)));
                case 3, 4 -> AcquireOptions.waitIndefinitely();
                case 5 -> AcquireOptions.waitUpTo(Duration.ofMillis(200)).withRetry(RetryPolicy.none());
                case 6 -> AcquireOptions.DEFAULT.withRetry(RetryPolicy.backoff(3, Duration.ofMillis(5),
                        Duration.ofMillis(20), 0.5));
                default -> AcquireOptions.waitUpTo(Duration.ofMillis(300)).withRetry(RetryPolicy.of(
                        reactor.util.retry.Retry.max(2)));
            };
        }

        /** A raw acquire with a random cancellation shape; a grant that reaches the consumer is owned, and released. */
        private void rawAcquire(RecorderId r) {
            ClientSession s = session;
            boolean pool = random.nextInt(4) == 0; // a pool request: any recorder
            Mono<LockGrant> acquire = (pool ? s.acquireAny(RecorderSelector.any(), options()) : s.acquire(r, options()))
                    .doOnNext(grant -> checkNoOtherBody(grant.recorder(), s));
            if (pool) {
                count("acquireAny (any shape below)");
            }
            int shape = random.nextInt(6);
            switch (shape) {
                case 0 -> {
                    count("acquire, kept");
                    new Tracker().subscribe(acquire, grant -> owned.add(grant));
                }
                case 1 -> {
                    count("acquire, disposed at once");
                    Tracker tracker = new Tracker();
                    tracker.abandon(tracker.subscribe(acquire, this::ownOrRelease));
                }
                case 2 -> {
                    count("acquire, disposed later");
                    Tracker tracker = new Tracker();
                    Disposable d = tracker.subscribe(acquire, this::ownOrRelease);
                    LockSupport.parkNanos(random.nextInt(200_000));
                    tracker.abandon(d);
                }
                case 3 -> {
                    count("acquire, publishOn then disposed");
                    Tracker tracker = new Tracker();
                    Disposable d = tracker.subscribe(acquire.publishOn(shapes), this::ownOrRelease);
                    LockSupport.parkNanos(random.nextInt(100_000));
                    tracker.abandon(d);
                }
                case 4 -> {
                    count("acquire, timeout");
                    new Tracker().subscribe(acquire.timeout(Duration.ofNanos(random.nextInt(300_000) + 1), shapes)
                            .onErrorResume(java.util.concurrent.TimeoutException.class, e -> Mono.empty()),
                            this::ownOrRelease);
                }
                default -> {
                    count("acquire, block(Duration)");
                    try {
                        LockGrant grant = acquire.block(Duration.ofNanos(random.nextInt(300_000) + 1));
                        if (grant != null) {
                            owned.add(grant);
                        }
                    } catch (RecorderException | IllegalStateException ignored) {
                        // failed, or the wait ran out (the agent releases what came too late)
                    }
                }
            }
        }

        /** A grant that reached a consumer the client has given up on is the client's to release. */
        private void ownOrRelease(LockGrant grant) {
            owned.add(grant);
        }

        private void withLock(RecorderId r) {
            ClientSession s = session;
            boolean pool = random.nextInt(4) == 0;
            if (pool) {
                count("withLockAny (any shape below)");
            }
            Flux<Long> scope = pool ? s.withLockAny(RecorderSelector.any(), options(), grant -> body(grant.recorder(), s))
                    : s.withLock(r, options(), grant -> body(r, s));
            switch (random.nextInt(6)) {
                case 0 -> {
                    count("withLock, body ends by itself");
                    new Tracker().subscribe(scope.take(3), x -> { });
                }
                case 1 -> {
                    count("withLock, disposed");
                    Tracker tracker = new Tracker();
                    Disposable d = tracker.subscribe(scope, x -> { });
                    LockSupport.parkNanos(random.nextInt(300_000));
                    tracker.abandon(d);
                }
                case 2 -> {
                    count("withLock, publishOn + timeout");
                    new Tracker().subscribe(scope.publishOn(shapes).timeout(Duration.ofNanos(random.nextInt(400_000) + 1),
                            shapes).onErrorResume(java.util.concurrent.TimeoutException.class, e -> Mono.empty()),
                            x -> { });
                }
                case 3 -> {
                    count("withLock, take(Duration)");
                    new Tracker().subscribe(scope.take(Duration.ofNanos(random.nextInt(400_000) + 1), shapes), x -> { });
                }
                case 4 -> {
                    count("withLock, firstWithValue");
                    new Tracker().subscribe(Mono.firstWithValue(scope.next(), Mono.delay(Duration.ofNanos(
                            random.nextInt(200_000) + 1), shapes).map(x -> -1L)), x -> { });
                }
                default -> {
                    count("withLock, blockFirst(Duration)");
                    try {
                        scope.blockFirst(Duration.ofNanos(random.nextInt(300_000) + 1));
                    } catch (RecorderException | IllegalStateException ignored) {
                        // failed, or gave up
                    }
                }
            }
        }

        /** A body that marks its recorder while it runs. */
        private Flux<Long> body(RecorderId r, ClientSession s) {
            // leave before the end is passed on: doFinally would run after it, while the lock may pass on
            return Flux.interval(Duration.ofMillis(1), shapes)
                    .doOnSubscribe(x -> enterBody(r, s))
                    .doOnCancel(() -> leaveBody(r, s))
                    .doOnComplete(() -> leaveBody(r, s))
                    .doOnError(e -> leaveBody(r, s));
        }

        private void releaseOne() {
            LockGrant grant = owned.poll();
            if (grant == null) {
                return;
            }
            count("release of an owned grant");
            try {
                (random.nextBoolean() ? session.release(grant) : session.release(grant.recorder()))
                        .onErrorResume(e -> Mono.empty()).block(BLOCK);
            } catch (IllegalStateException timedOut) {
                count("release waited past its block");
            }
        }

        private void closeAndReopen() {
            count("session closed (bodies revoked, waiters failed)");
            owned.clear(); // their counts go with the session
            try {
                session.close().block(BLOCK);
            } catch (IllegalStateException timedOut) {
                count("close waited past its block");
            }
            session = t.session("Client " + index);
        }

        private void fault(RecorderId r, int pick) {
            switch (pick % 8) {
                case 0 -> {
                    count("fault: outside holder on/off");
                    try {
                        t.sim.lockExternally(r, "wodim (pid 42)");
                    } catch (RuntimeException heldByAgent) {
                        // the agent holds it: nothing to lock
                    }
                    LockSupport.parkNanos(random.nextInt(500_000));
                    t.sim.unlockExternally(r);
                }
                case 1 -> {
                    count("fault: LOCKED on the next native acquire");
                    failNext(r, HResult.E_IMAPI_RECORDER_LOCKED);
                }
                case 2 -> {
                    count("fault: invalid handle on the next native acquire");
                    failNext(r, HResult.HRESULT_FROM_WIN32_ERROR_INVALID_HANDLE);
                }
                case 3 -> {
                    count("fault: a native call hangs, then returns");
                    hang(r);
                }
                case 4 -> {
                    count("fault: the backend lost the lock");
                    if (t.sim.recorders().contains(r)) {
                        t.sim.loseLock(r);
                    }
                }
                case 5 -> {
                    count("fault: removed and plugged back (flap)");
                    if (t.sim.recorders().contains(r)) {
                        t.sim.removeRecorder(r);
                        if (random.nextBoolean()) {
                            LockSupport.parkNanos(random.nextInt(200_000));
                        }
                        t.sim.addRecorder(r.value());
                    }
                }
                default -> {
                    count("fault: E_FAIL on the next native call");
                    failNext(r, HResult.E_FAIL);
                }
            }
        }

        private void failNext(RecorderId r, HResult code) {
            if (t.sim.recorders().contains(r)) {
                t.sim.failNext(r, Operation.ACQUIRE, code, 1);
            }
        }

        private void hang(RecorderId r) {
            if (!t.sim.recorders().contains(r)) {
                return;
            }
            Operation operation = Operation.values()[random.nextInt(3)];
            t.sim.hangNext(r, operation, 1);
            LockSupport.parkNanos(random.nextInt(2_000_000));
            t.sim.releaseHangs(r);
        }

        /** Releases what the client still holds and closes its session. */
        void finish() {
            for (LockGrant grant = owned.poll(); grant != null; grant = owned.poll()) {
                session.release(grant).onErrorResume(e -> Mono.empty()).block(BLOCK);
            }
            session.close().block(BLOCK);
        }
    }

    // ------------------------------------------------------------------------------------------------ bookkeeping

    /** One request the storm made: answered (a terminal signal), or abandoned by the storm (cancelled). */
    private final class Tracker {

        private final AtomicBoolean settled = new AtomicBoolean();

        Tracker() {
            pending.incrementAndGet();
        }

        <T> Disposable subscribe(Mono<T> mono, java.util.function.Consumer<T> onValue) {
            return mono.subscribe(v -> {
                count("outcome: a value");
                onValue.accept(v);
            }, this::failed, this::settle);
        }

        <T> Disposable subscribe(Flux<T> flux, java.util.function.Consumer<T> onValue) {
            return flux.subscribe(onValue, this::failed, this::settle);
        }

        private void failed(Throwable e) {
            count("outcome: " + e.getClass().getSimpleName());
            settle();
        }

        void abandon(Disposable subscription) {
            subscription.dispose();
            settle();
        }

        private void settle() {
            if (settled.compareAndSet(false, true)) {
                pending.decrementAndGet();
            }
        }
    }

    private void enterBody(RecorderId r, ClientSession s) {
        BodyMark mark = bodies.get(r);
        synchronized (mark) {
            if (mark.count > 0 && !mark.session.equals(s.id().value())) {
                doubleHolders.incrementAndGet();
                count("DOUBLE HOLDER: a body started while another session's body ran");
            }
            if (mark.count == 0) {
                mark.session = s.id().value();
            }
            mark.count++;
        }
    }

    private void leaveBody(RecorderId r, ClientSession s) {
        BodyMark mark = bodies.get(r);
        synchronized (mark) {
            if (mark.count > 0 && mark.session.equals(s.id().value())) {
                mark.count--;
            }
        }
    }

    private void checkNoOtherBody(RecorderId r, ClientSession s) {
        BodyMark mark = bodies.get(r);
        synchronized (mark) {
            if (mark.count > 0 && !mark.session.equals(s.id().value())) {
                doubleHolders.incrementAndGet();
                count("DOUBLE HOLDER: a grant while another session's body ran");
            }
        }
    }

    private void count(String what) {
        hits.computeIfAbsent(what, k -> new LongAdder()).increment();
    }

    /** Moves virtual time on, 5 ms every 100 µs of real time, so deadlines, backoff and command timeouts fire. */
    private void tick() {
        while (!stopping.get()) {
            t.time.advanceTimeBy(Duration.ofMillis(5));
            LockSupport.parkNanos(100_000);
        }
    }

    private void awaitQuiet() {
        long deadline = System.nanoTime() + BLOCK.toNanos();
        while (System.nanoTime() < deadline) {
            AgentActivity now = t.agent.activity().block(BLOCK);
            if (now.held() == 0 && now.waiting() == 0 && now.nativeCallsInFlight() == 0 && pending.get() == 0) {
                return;
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            LockSupport.parkNanos(50_000_000);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private String report(long stormNanos, AgentStatistics stats, AgentActivity activity, long leaked,
            StringBuilder devices, long baseline, long heapAfter) {
        StringBuilder out = new StringBuilder();
        out.append(String.format("guarantees storm: %,d operations on %d threads, %d recorders, in %.1f s%n",
                OPERATIONS, THREADS, RECORDERS, stormNanos / 1e9));
        out.append(String.format("leaked locks: %d; double holders: %d; callers left unanswered: %d; held %d, "
                + "waiting %d at the end%n", leaked, doubleHolders.get(), pending.get(), activity.held(),
                activity.waiting()));
        out.append(String.format("heap after GC: %,d KiB before, %,d KiB after (%+,d KiB)%n", baseline >> 10,
                heapAfter >> 10, (heapAfter - baseline) >> 10));
        out.append(devices);
        out.append(String.format("races the agent resolved: grants released because their request ended first %,d;"
                + " dropped while being delivered %,d; dropped after delivery %,d; withLock bodies revoked before a "
                + "hand-off %,d%n", stats.grantsUnclaimedBeforeDelivery(), stats.grantsDroppedInDelivery(),
                stats.grantsDroppedAfterDelivery(), stats.bodiesRevoked()));
        out.append(String.format("agent: %,d grants, %,d retries, %,d wait timeouts, %,d command timeouts, %,d "
                + "removals%n", stats.grants(), stats.retries(), stats.acquireTimeouts(), stats.commandTimeouts(),
                stats.removals()));
        out.append("operations by shape:\n");
        hits.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> out.append(String.format("  %-60s %,10d%n", e.getKey(), e.getValue().sum())));
        return out.toString();
    }
}
