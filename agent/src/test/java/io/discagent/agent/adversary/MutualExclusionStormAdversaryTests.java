package io.discagent.agent.adversary;

import static io.discagent.agent.adversary.Harness.BLOCK;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.Simulator.Operation;
import io.discagent.api.AcquireOptions;
import io.discagent.api.AcquireRequest;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
import io.discagent.api.error.HResult;
import io.discagent.api.error.InvalidHandleException;
import io.discagent.api.error.LockNotHeldException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.RequestCancelledException;
import io.discagent.api.error.SessionClosedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * Real threads drive the public API with every cancellation shape at once, while a chaos thread loses locks, removes
 * and re-adds recorders, injects native failures, hangs and outside holders, and a clock thread moves virtual time.
 * Promises checked: bodies of two sessions never overlap and no grant reaches a session while another's body runs;
 * the lock-transition story is consistent; withLock fails only with the documented typed errors; every signal is on
 * the event loop; at the end nothing is held (before any session is closed), nothing waits, native locks balance.
 *
 * <p>Each (thread, operation kind) has its own session, so a leaked hold names the shape that leaked it.
 */
class MutualExclusionStormAdversaryTests {

    private static final int THREADS = 6;
    private static final int OPERATIONS = Integer.getInteger("adversary.storm.operations", 1200);
    private static final Set<HResult> INJECTED = Set.of(HResult.E_FAIL, HResult.E_OUTOFMEMORY,
            HResult.HRESULT_FROM_WIN32_ERROR_INVALID_HANDLE, HResult.E_IMAPI_RECORDER_LOCKED,
            HResult.E_IMAPI_RECORDER_MEDIA_BUSY, HResult.E_IMAPI_RECORDER_COMMAND_TIMEOUT);

    private enum Kind {
        WITHLOCK_TIMEOUT, WITHLOCK_TAKE_DURATION, WITHLOCK_DISPOSE_ELSEWHERE, WITHLOCK_FIRST_WITH_VALUE, WITHLOCK_ZIP,
        WITHLOCK_WHEN, WITHLOCK_OFF_LOOP_BODY, WITHLOCK_NESTED, WITHLOCK_SWITCHMAP, WITHLOCK_BLOCK_DURATION,
        RAW_TIMEOUT, RAW_FUTURE_CANCEL, RAW_ODD_REQUESTS, RAW_RETRY_WHEN, RAW_RELEASE_BY_ID, EACH_TAKE_ONE,
        CLOSE_SESSION
    }

    private Harness h;
    private ExclusionTracker tracker;
    private final Map<String, ClientSession> sessions = new ConcurrentHashMap<>();
    private final Map<String, Integer> generations = new ConcurrentHashMap<>();
    private final Map<Kind, AtomicLong> done = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> errors = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Disposable> pending = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<CompletableFuture<?>> futures = new ConcurrentLinkedQueue<>();
    private final List<RecorderId> recorders = List.of(Harness.SIM0, Harness.SIM1);

    @Test
    void storm() throws Exception {
        h = Harness.virtualTime(2, b -> b.pendingAcquireMaxCount(50));
        try {
            runStorm();
        } finally {
            h.close();
        }
    }

    /**
     * The same storm with hand-offs in place ({@code Simulator.HandOver.RENAME_IN_PLACE}, the Linux backend's way): the
     * recorders are opened again under that mode before it starts, and no hand-over may reach the worker.
     */
    @Test
    void stormWithHandOffsInPlace() throws Exception {
        h = Harness.virtualTime(2, b -> b.pendingAcquireMaxCount(50));
        try {
            h.sim.setHandOver(io.discagent.agent.backend.simulated.Simulator.HandOver.RENAME_IN_PLACE);
            for (RecorderId r : recorders) {
                h.sim.removeRecorder(r);
                h.settle();
                h.sim.addRecorder(r.value());
            }
            for (int i = 0; i < 1000 && h.agent.recorders().block(BLOCK).size() < recorders.size(); i++) {
                h.settle();
            }
            assertThat(h.agent.recorders().block(BLOCK)).hasSize(recorders.size());
            runStorm();
            assertThat(h.agent.statistics().handOvers()).as("hand-overs in the storm").isPositive();
            assertThat(h.sim.calls()).as("hand-overs made on the worker").noneMatch(c -> c.operation()
                    .equals("handOver"));
        } finally {
            h.close();
        }
    }

    private void runStorm() throws Exception {
        tracker = new ExclusionTracker(h);
        TransitionChecker transitions = new TransitionChecker(h);
        Disposable watching = h.agent.lockTransitions().subscribe(transitions,
                e -> h.violation("lockTransitions failed: " + e));
        AtomicBoolean running = new AtomicBoolean(true);
        Thread clock = new Thread(() -> {
            while (running.get()) {
                h.test.time.advanceTimeBy(Duration.ofMillis(5));
                LockSupport.parkNanos(1_000_000);
            }
        }, "adversary-clock");
        Thread chaos = new Thread(() -> chaos(running), "adversary-chaos");
        clock.start();
        chaos.start();
        List<Thread> workers = new ArrayList<>();
        List<Throwable> crashes = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int id = t;
            Thread w = new Thread(() -> {
                Random random = new Random(1000L * id + System.nanoTime());
                for (int i = 0; i < OPERATIONS; i++) {
                    Kind kind = Kind.values()[random.nextInt(Kind.values().length)];
                    try {
                        operate(id, kind, random);
                    } catch (Throwable e) {
                        synchronized (crashes) {
                            crashes.add(e);
                        }
                    }
                    done.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
                }
            }, "adversary-worker-" + t);
            workers.add(w);
            w.start();
        }
        for (Thread w : workers) {
            w.join(TimeUnit.SECONDS.toMillis(50));
            assertThat(w.isAlive()).as("%s finished", w.getName()).isFalse();
        }
        running.set(false);
        chaos.join();
        // the storm is over: let go of everything the chaos did, then let the clock run out pending waits
        for (RecorderId r : recorders) {
            if (!h.sim.recorders().contains(r)) {
                h.sim.addRecorder(r.value());
            }
            h.sim.releaseHangs(r);
            h.sim.setLatency(r, Duration.ZERO);
            if (h.sim.state(r).externalOwner() != null) {
                h.sim.unlockExternally(r);
            }
        }
        for (Disposable d : pending) {
            d.dispose();
        }
        clock.join();
        h.test.advance(Duration.ofMinutes(1));
        for (CompletableFuture<?> f : futures) {
            try {
                f.get(10, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                h.violation("an operation was never answered nor cancelled");
            } catch (Exception ignored) {
                // failed or cancelled: answered
            }
        }
        h.settle();
        assertThat(crashes).as("unexpected failures in the workers (first: %s)",
                crashes.isEmpty() ? null : crashes.get(0)).isEmpty();
        String report = "operations " + new TreeMap<>(done) + ", errors " + new TreeMap<>(errors) + ", bodies "
                + tracker.bodiesStarted + ", grants checked " + tracker.grantsChecked + ", transitions "
                + transitions.seen + ", " + h.agent.statistics();
        System.out.println("storm: " + report);
        h.assertNoViolations();
        List<String> holders = new ArrayList<>();
        for (RecorderInfo info : h.agent.recorders().block(BLOCK)) {
            if (info.lockState().isHeld()) {
                holders.add(info.id() + " held by " + info.lockState().owner() + " x" + info.lockState().count());
            }
        }
        assertThat(holders).as("holds left after every operation ended, before closing a session (%s)", report)
                .isEmpty();
        assertThat(tracker.idle()).as("bodies still marked running").isTrue();
        h.assertQuiescentAndBalanced();
        for (ClientSession s : sessions.values()) {
            s.close().block(BLOCK);
        }
        h.assertQuiescentAndBalanced();
        watching.dispose();
        h.assertNoViolations();
    }

    private void chaos(AtomicBoolean running) {
        Random random = new Random();
        while (running.get()) {
            RecorderId r = recorders.get(random.nextInt(recorders.size()));
            try {
                switch (random.nextInt(24)) {
                    case 0 -> h.sim.loseLock(r);
                    case 1 -> {
                        h.sim.removeRecorder(r);
                        LockSupport.parkNanos(random.nextInt(2_000_000));
                        h.sim.addRecorder(r.value());
                    }
                    case 2, 3 -> {
                        HResult hr = List.copyOf(INJECTED).get(random.nextInt(INJECTED.size()));
                        h.sim.failNext(r, Operation.ACQUIRE, hr, 1);
                    }
                    case 4 -> {
                        h.sim.lockExternally(r, "wodim (pid 4242)");
                        LockSupport.parkNanos(random.nextInt(3_000_000));
                        h.sim.unlockExternally(r);
                    }
                    case 5 -> {
                        h.sim.hangNext(r, random.nextBoolean() ? Operation.ACQUIRE : Operation.RELEASE, 1);
                        LockSupport.parkNanos(random.nextInt(3_000_000));
                        h.sim.releaseHangs(r);
                    }
                    case 6 -> h.sim.setLatency(r, Duration.ofNanos(random.nextInt(300_000)));
                    case 7 -> h.sim.failNext(r, Operation.OWNER, HResult.E_FAIL, 1);
                    default -> { }
                }
            } catch (RecorderException expected) {
                // lockExternally while the agent holds it, a recorder removed meanwhile
            } catch (RuntimeException e) {
                h.violation("the simulator control panel failed: " + e);
            }
            if (!h.sim.recorders().contains(r)) {
                h.sim.addRecorder(r.value());
            }
            LockSupport.parkNanos(500_000 + random.nextInt(1_000_000));
        }
    }

    private ClientSession session(int thread, Kind kind) {
        String key = "T" + thread + " " + kind.name().toLowerCase().replace('_', ' ');
        return sessions.computeIfAbsent(key, k -> {
            int generation = generations.merge(k, 1, Integer::sum);
            return h.agent.openSession(k + " g" + generation).block(BLOCK);
        });
    }

    private String name(ClientSession s) {
        return s.clientName();
    }

    private RecorderId pick(Random random) {
        return recorders.get(random.nextInt(recorders.size()));
    }

    private static AcquireOptions waiting(Random random) {
        return switch (random.nextInt(3)) {
            case 0 -> AcquireOptions.waitIndefinitely();
            case 1 -> AcquireOptions.waitUpTo(Duration.ofMillis(1 + random.nextInt(200)));
            default -> AcquireOptions.DEFAULT;
        };
    }

    private Mono<Integer> workBody(Random random) {
        int micros = random.nextInt(1500);
        return Mono.delay(Duration.ofNanos(micros * 1000L)).thenReturn(micros);
    }

    private <T> Flux<T> withLock(ClientSession s, RecorderId r, AcquireOptions o,
            java.util.function.Function<LockGrant, org.reactivestreams.Publisher<T>> body) {
        String who = name(s);
        return s.withLock(r, o, tracker.body(who, body))
                .doOnEach(signal -> {
                    if (!signal.isOnNext() && Thread.currentThread() != h.loop) {
                        h.violation("withLock's " + signal.getType() + " off the event loop (session " + who + ", "
                                + signal.getThrowable() + ")");
                    }
                })
                .doOnError(e -> classifyWithLockError(who, e));
    }

    private void classifyWithLockError(String who, Throwable e) {
        errors.computeIfAbsent(e.getClass().getSimpleName(), k -> new AtomicLong()).incrementAndGet();
        if (e instanceof RecorderException re) {
            if (e instanceof LockNotHeldException) {
                h.violation("withLock of " + who + " (which never releases by hand) failed with " + e);
            } else if (e instanceof RequestCancelledException) {
                h.violation("withLock of " + who + " failed with RequestCancelled while the agent runs: " + e);
            } else if (re.hresult().code() == HResult.HRESULT_FROM_WIN32_ERROR_INVALID_HANDLE.code()
                    && !(e instanceof InvalidHandleException)) {
                h.violation("0x80070006 with the wrong type: " + e);
            } else if (e instanceof RecorderRemovedException
                    && re.hresult().code() != HResult.HRESULT_FROM_WIN32_ERROR_DEV_NOT_EXIST.code()) {
                h.violation("RecorderRemovedException with " + re.hresult());
            } else if (e instanceof SessionClosedException && re.hresult().code() != 0x80010108) {
                h.violation("SessionClosedException with " + re.hresult());
            }
        } else if (!(e instanceof TimeoutException || e instanceof CancellationException
                || e instanceof IllegalStateException && "body".equals(e.getMessage()))) {
            h.violation("withLock failed with an untyped error: " + e);
        }
    }

    private void checkedRaw(String who, Throwable e) {
        errors.computeIfAbsent(e.getClass().getSimpleName(), k -> new AtomicLong()).incrementAndGet();
        if (!(e instanceof RecorderException || e instanceof TimeoutException || e instanceof CancellationException)) {
            h.violation("acquire of " + who + " failed with an untyped error: " + e);
        }
    }

    private Mono<LockGrant> rawAcquire(ClientSession s, RecorderId r, AcquireOptions o) {
        String who = name(s);
        return s.acquire(r, o).doOnNext(g -> {
            if (Thread.currentThread() != h.loop) {
                h.violation("a grant signalled off the event loop");
            }
            tracker.grantDelivered(who, g);
        });
    }

    private void releaseQuietly(ClientSession s, LockGrant g) {
        futures.add(s.release(g).onErrorResume(e -> Mono.empty()).toFuture());
    }

    private void operate(int thread, Kind kind, Random random) throws Exception {
        ClientSession s = session(thread, kind);
        RecorderId r = pick(random);
        Duration bound = Duration.ofMillis(1 + random.nextInt(30));
        switch (kind) {
            case WITHLOCK_TIMEOUT -> blockQuietly(withLock(s, r, waiting(random), g -> workBody(random))
                    .timeout(bound).then());
            case WITHLOCK_TAKE_DURATION -> blockQuietly(withLock(s, r, waiting(random),
                    g -> Flux.interval(Duration.ofNanos(200_000))).take(bound).then());
            case WITHLOCK_DISPOSE_ELSEWHERE -> {
                Disposable d = withLock(s, r, waiting(random), g -> workBody(random))
                        .subscribeOn(random.nextBoolean() ? Schedulers.parallel() : Schedulers.immediate())
                        .subscribe(v -> { }, e -> { });
                pending.add(d);
                Schedulers.parallel().schedule(d::dispose, random.nextInt(2000), TimeUnit.MICROSECONDS);
            }
            case WITHLOCK_FIRST_WITH_VALUE -> blockQuietly(Mono.firstWithValue(
                    withLock(s, recorders.get(0), waiting(random), g -> workBody(random)).next(),
                    withLock(s, recorders.get(1), waiting(random), g -> workBody(random)).next())
                    .timeout(bound).then());
            case WITHLOCK_ZIP -> {
                ClientSession other = session(thread, Kind.WITHLOCK_WHEN);
                blockQuietly(Mono.zip(withLock(s, r, waiting(random), g -> workBody(random)).next(),
                        withLock(other, r == recorders.get(0) ? recorders.get(1) : recorders.get(0), waiting(random),
                                g -> random.nextBoolean() ? workBody(random)
                                        : Mono.<Integer>error(new IllegalStateException("body"))).next())
                        .timeout(bound).then());
            }
            case WITHLOCK_WHEN -> blockQuietly(Mono.when(
                    withLock(s, recorders.get(0), waiting(random), g -> workBody(random)),
                    withLock(s, recorders.get(1), waiting(random), g -> workBody(random))).timeout(bound));
            case WITHLOCK_OFF_LOOP_BODY -> blockQuietly(withLock(s, r, waiting(random),
                    g -> Mono.fromCallable(() -> {
                        LockSupport.parkNanos(random.nextInt(500_000));
                        return 1;
                    }).subscribeOn(Schedulers.boundedElastic()))
                    .publishOn(Schedulers.parallel()).timeout(bound).then());
            case WITHLOCK_NESTED -> blockQuietly(withLock(s, r, waiting(random),
                    g -> withLock(s, r, AcquireOptions.DEFAULT, g2 -> {
                        if (g2.lockCount() != g.lockCount() + 1) {
                            h.violation("a nested withLock of the same session got count " + g2.lockCount()
                                    + " after " + g.lockCount());
                        }
                        return workBody(random);
                    })).timeout(bound).then());
            case WITHLOCK_SWITCHMAP -> blockQuietly(Flux.range(0, 3)
                    .delayElements(Duration.ofNanos(300_000))
                    .switchMap(i -> withLock(s, r, waiting(random), g -> workBody(random)))
                    .timeout(Duration.ofMillis(50)).then());
            case WITHLOCK_BLOCK_DURATION -> {
                try {
                    withLock(s, r, waiting(random), g -> workBody(random)).blockLast(bound);
                } catch (RuntimeException expected) {
                    // timed out or failed
                }
            }
            case RAW_TIMEOUT -> {
                LockGrant g = blockQuietly(rawAcquire(s, r, waiting(random)).timeout(bound));
                if (g != null) {
                    LockSupport.parkNanos(random.nextInt(500_000));
                    releaseQuietly(s, g);
                }
            }
            case RAW_FUTURE_CANCEL -> {
                CompletableFuture<LockGrant> f = rawAcquire(s, r, waiting(random)).toFuture();
                LockSupport.parkNanos(random.nextInt(1_000_000));
                if (!f.cancel(true)) {
                    try {
                        releaseQuietly(s, f.get(10, TimeUnit.SECONDS));
                    } catch (Exception failed) {
                        checkedRaw(name(s), failed.getCause() == null ? failed : failed.getCause());
                    }
                }
            }
            case RAW_ODD_REQUESTS -> oddRequests(s, r, random);
            case RAW_RETRY_WHEN -> {
                LockGrant g = blockQuietly(rawAcquire(s, r, AcquireOptions.DEFAULT)
                        .retryWhen(Retry.fixedDelay(5, Duration.ofNanos(200_000))
                                .filter(e -> e instanceof RecorderException re && re.isTransient()))
                        .timeout(bound));
                if (g != null) {
                    releaseQuietly(s, g);
                }
            }
            case RAW_RELEASE_BY_ID -> {
                LockGrant g = blockQuietly(rawAcquire(s, r, waiting(random)).timeout(bound));
                if (g != null) {
                    try {
                        Integer left = s.release(r).block(BLOCK);
                        if (left == null || left < 0) {
                            h.violation("release(recorder) answered " + left);
                        }
                    } catch (RecorderException lostMeanwhile) {
                        // removal, lost lock or external failure freed it meanwhile
                        if (!(lostMeanwhile instanceof LockNotHeldException
                                || lostMeanwhile instanceof SessionClosedException
                                || lostMeanwhile instanceof RecorderRemovedException)) {
                            releaseQuietly(s, g);
                        }
                    }
                }
            }
            case EACH_TAKE_ONE -> {
                LockGrant g = blockQuietly(s.acquireEach(Flux.just(new AcquireRequest(r, waiting(random)),
                        new AcquireRequest(pick(random), waiting(random)))).take(1).next().timeout(bound));
                if (g != null) {
                    releaseQuietly(s, g);
                }
            }
            case CLOSE_SESSION -> {
                Kind victim = Kind.values()[random.nextInt(Kind.CLOSE_SESSION.ordinal())];
                String key = "T" + thread + " " + victim.name().toLowerCase().replace('_', ' ');
                ClientSession closing = sessions.remove(key);
                if (closing != null) {
                    Mono<Void> close = closing.close();
                    if (random.nextBoolean()) {
                        close.block(BLOCK);
                    } else {
                        futures.add(close.toFuture());
                    }
                }
            }
            default -> throw new IllegalStateException();
        }
    }

    private void oddRequests(ClientSession s, RecorderId r, Random random) {
        int pattern = random.nextInt(4);
        CompletableFuture<Void> answered = new CompletableFuture<>();
        String who = name(s);
        BaseSubscriber<LockGrant> subscriber = new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                switch (pattern) {
                    case 0 -> {
                        request(0);
                        request(1);
                    }
                    case 1 -> {
                        request(1);
                        request(1);
                        request(Long.MAX_VALUE);
                    }
                    case 2 -> {
                        // no demand now; demand comes later from another thread
                    }
                    default -> request(1);
                }
            }

            @Override
            protected void hookOnNext(LockGrant g) {
                tracker.grantDelivered(who, g);
                if (pattern == 3) {
                    cancel();
                }
                releaseQuietly(s, g);
            }

            @Override
            protected void hookFinally(reactor.core.publisher.SignalType type) {
                answered.complete(null);
            }
        };
        rawAcquire(s, r, waiting(random)).subscribe(subscriber);
        if (pattern == 2) {
            Schedulers.parallel().schedule(() -> subscriber.request(1), random.nextInt(1000), TimeUnit.MICROSECONDS);
        }
        Schedulers.parallel().schedule(subscriber::dispose, 5 + random.nextInt(20), TimeUnit.MILLISECONDS);
        futures.add(answered);
    }

    private <T> T blockQuietly(Mono<T> mono) {
        try {
            return mono.block(BLOCK);
        } catch (RuntimeException e) {
            Throwable x = reactor.core.Exceptions.unwrap(e);
            if (!(x instanceof RecorderException || x instanceof TimeoutException || x instanceof CancellationException
                    || x instanceof IllegalStateException || x instanceof java.util.NoSuchElementException
                    || reactor.core.Exceptions.isRetryExhausted(x))) {
                h.violation("an operation failed with " + e);
            }
            return null;
        }
    }
}
