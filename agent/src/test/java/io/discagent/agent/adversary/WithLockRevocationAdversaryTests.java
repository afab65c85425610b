package io.discagent.agent.adversary;

import static io.discagent.agent.adversary.Harness.BLOCK;
import static io.discagent.agent.adversary.Harness.SIM0;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.error.InvalidHandleException;
import io.discagent.api.error.LockNotHeldException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.RequestCancelledException;
import io.discagent.api.error.SessionClosedException;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * "A body never outlives its lock: when the hold ends for any other reason, the body is cancelled on the event loop
 * before the recorder can be granted to anyone else, and withLock fails with an error naming the cause." Each cause
 * is triggered from a foreign thread while another session waits; the order of body cancel and the waiter's grant is
 * recorded as it happens.
 */
class WithLockRevocationAdversaryTests {

    /** What happened, in order. */
    private static final class Timeline {
        final Queue<String> events = new ConcurrentLinkedQueue<>();
        final AtomicInteger cancels = new AtomicInteger();
        final AtomicReference<String> cancelThread = new AtomicReference<>();

        void add(String e) {
            events.add(e);
        }

        List<String> list() {
            return List.copyOf(events);
        }
    }

    private record Outcome(Timeline timeline, Probe<Object> withLock, Probe<LockGrant> waiter) {
    }

    private Outcome revoke(Harness h, Consumer<ClientSession> cause, boolean waiterExpectsGrant) {
        ClientSession a = h.session("Alpha");
        ClientSession b = h.session("Beta");
        Timeline t = new Timeline();
        CountDownLatch bodyRuns = new CountDownLatch(1);
        Probe<Object> withLock = Probe.unbounded();
        a.withLock(SIM0, AcquireOptions.DEFAULT, g -> Flux.never()
                        .doOnSubscribe(s -> {
                            t.add("body started");
                            bodyRuns.countDown();
                        })
                        .doOnCancel(() -> {
                            t.cancels.incrementAndGet();
                            t.cancelThread.set(Thread.currentThread().getName());
                            t.add("body cancelled");
                        }))
                .doOnError(e -> t.add("withLock failed"))
                .subscribe(withLock);
        try {
            assertThat(bodyRuns.await(10, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        Probe<LockGrant> waiter = Probe.unbounded();
        b.acquire(SIM0, AcquireOptions.waitIndefinitely()).doOnNext(g -> t.add("waiter granted"))
                .doOnError(e -> t.add("waiter failed"))
                .subscribe(waiter);
        h.settle();
        Mono.fromRunnable(() -> cause.accept(a)).subscribeOn(Schedulers.boundedElastic()).block(BLOCK);
        assertThat(withLock.awaitTerminal(BLOCK)).as("withLock ended").isTrue();
        assertThat(waiter.awaitTerminal(BLOCK)).as("the waiter was answered").isTrue();
        if (waiterExpectsGrant) {
            h.settle();
        }
        assertThat(t.cancels.get()).as("body cancels (%s)", t.list()).isEqualTo(1);
        assertThat(t.cancelThread.get()).as("the body's cancel thread").isEqualTo(h.loop.getName());
        List<String> order = t.list();
        if (waiterExpectsGrant) {
            assertThat(waiter.values).hasSize(1);
            assertThat(order.indexOf("body cancelled")).as("body cancelled before the next grant: %s", order)
                    .isLessThan(order.indexOf("waiter granted"));
            b.release(waiter.values.get(0)).block(BLOCK);
        }
        return new Outcome(t, withLock, waiter);
    }

    private static void assertFailedWith(Probe<Object> probe, Class<? extends RecorderException> type, int hresult) {
        assertThat(probe.error.get()).isInstanceOf(type);
        assertThat(((RecorderException) probe.error.get()).hresult().code()).isEqualTo(hresult);
        assertThat(probe.threads.get(probe.threads.size() - 1)).isNotNull();
    }

    @Test
    void closingTheSessionFromAnotherThread() {
        try (Harness h = Harness.virtualTime()) {
            Outcome o = revoke(h, a -> a.close().block(BLOCK), true);
            assertFailedWith(o.withLock(), SessionClosedException.class, 0x80010108);
            h.closeSessionsAndAssertBalanced();
        }
    }

    @Test
    void removingTheRecorder() {
        try (Harness h = Harness.virtualTime()) {
            Outcome o = revoke(h, a -> h.sim.removeRecorder(SIM0), false);
            assertFailedWith(o.withLock(), RecorderRemovedException.class, 0x80070037);
            assertThat(o.waiter().error.get()).isInstanceOf(RecorderRemovedException.class);
            h.closeSessionsAndAssertBalanced();
        }
    }

    @Test
    void losingTheNativeLock() {
        try (Harness h = Harness.virtualTime()) {
            Outcome o = revoke(h, a -> h.sim.loseLock(SIM0), true);
            assertThat(o.withLock().error.get()).as("the backend's error").isInstanceOf(RecorderException.class);
            System.out.println("loseLock -> " + o.withLock().error.get());
            h.closeSessionsAndAssertBalanced();
        }
    }

    @Test
    void releasingTheCountToZeroWhileTheBodyRuns() {
        try (Harness h = Harness.virtualTime()) {
            Outcome o = revoke(h, a -> a.release(SIM0).block(BLOCK), true);
            assertFailedWith(o.withLock(), LockNotHeldException.class, 0x80070001);
            h.closeSessionsAndAssertBalanced();
        }
    }

    @Test
    void releasingTheBodysOwnGrantWhileTheBodyRuns() {
        try (Harness h = Harness.virtualTime()) {
            AtomicReference<LockGrant> bodyGrant = new AtomicReference<>();
            ClientSession a = h.session("Alpha");
            Probe<Object> withLock = Probe.unbounded();
            a.withLock(SIM0, AcquireOptions.DEFAULT, g -> {
                bodyGrant.set(g);
                return Flux.never();
            }).subscribe(withLock);
            h.settle();
            assertThat(a.release(bodyGrant.get()).block(BLOCK)).isZero();
            assertThat(withLock.awaitTerminal(BLOCK)).isTrue();
            assertFailedWith(withLock, LockNotHeldException.class, 0x80070001);
            h.closeSessionsAndAssertBalanced();
        }
    }

    @Test
    void closingTheAgent() {
        Harness h = Harness.virtualTime();
        try {
            Outcome o = revoke(h, a -> h.agent.close().block(BLOCK), false);
            assertFailedWith(o.withLock(), RequestCancelledException.class, 0xC0AA0002);
            assertThat(o.waiter().error.get()).isInstanceOf(RequestCancelledException.class);
            assertThat(h.sim.lockCounts().taken()).isEqualTo(h.sim.lockCounts().dropped());
        } finally {
            h.close();
        }
    }

    /** A release that brings the count only from 2 to 1 must not stop the body. */
    @Test
    void aReleaseThatLeavesACountDoesNotStopTheBody() {
        try (Harness h = Harness.virtualTime()) {
            ClientSession a = h.session("Alpha");
            a.acquire(SIM0).block(BLOCK);
            AtomicInteger cancels = new AtomicInteger();
            Probe<Object> withLock = Probe.unbounded();
            a.withLock(SIM0, AcquireOptions.DEFAULT, g -> Mono.delay(Duration.ofMillis(200)).cast(Object.class)
                    .doOnCancel(cancels::incrementAndGet)).subscribe(withLock);
            h.settle();
            assertThat(a.release(SIM0).block(BLOCK)).isEqualTo(1);
            assertThat(withLock.awaitTerminal(BLOCK)).isTrue();
            assertThat(withLock.error.get()).isNull();
            assertThat(cancels.get()).isZero();
            assertThat(h.count(a, SIM0)).isZero();
            h.closeSessionsAndAssertBalanced();
        }
    }

    /** Two causes at once, from two threads, many times: one cancel, a documented error, no overlap. */
    @Test
    void twoCausesRacingEachOther() throws Exception {
        try (Harness h = Harness.virtualTime()) {
            for (int round = 0; round < 150; round++) {
                ClientSession a = h.session("Alpha " + round);
                ClientSession b = h.session("Beta " + round);
                Timeline t = new Timeline();
                CountDownLatch bodyRuns = new CountDownLatch(1);
                Probe<Object> withLock = Probe.unbounded();
                a.withLock(SIM0, AcquireOptions.DEFAULT, g -> Flux.never()
                        .doOnSubscribe(s -> {
                            t.add("body started");
                            bodyRuns.countDown();
                        })
                        .doOnCancel(() -> {
                            t.cancels.incrementAndGet();
                            t.add("body cancelled");
                        })).subscribe(withLock);
                assertThat(bodyRuns.await(10, TimeUnit.SECONDS)).isTrue();
                Probe<LockGrant> waiter = Probe.unbounded();
                b.acquire(SIM0, AcquireOptions.waitIndefinitely()).doOnNext(g -> t.add("waiter granted"))
                        .subscribe(waiter);
                h.settle();
                Runnable first;
                Runnable second;
                switch (round % 4) {
                    case 0 -> {
                        first = () -> a.close().block(BLOCK);
                        second = () -> h.sim.loseLock(SIM0);
                    }
                    case 1 -> {
                        first = () -> a.release(SIM0).onErrorResume(e -> Mono.empty()).block(BLOCK);
                        second = () -> a.close().block(BLOCK);
                    }
                    case 2 -> {
                        first = () -> h.sim.loseLock(SIM0);
                        second = () -> a.release(SIM0).onErrorResume(e -> Mono.empty()).block(BLOCK);
                    }
                    default -> {
                        first = () -> withLock.cancel();
                        second = () -> a.close().block(BLOCK);
                    }
                }
                Thread t1 = new Thread(first);
                Thread t2 = new Thread(second);
                t1.start();
                t2.start();
                t1.join();
                t2.join();
                assertThat(waiter.awaitTerminal(BLOCK)).as("round %d: the waiter was answered (%s)", round, t.list())
                        .isTrue();
                h.settle();
                List<String> order = t.list();
                assertThat(t.cancels.get()).as("round %d: cancels (%s)", round, order).isEqualTo(1);
                assertThat(order.indexOf("body cancelled")).as("round %d: %s", round, order)
                        .isLessThan(order.indexOf("waiter granted"));
                if (round % 4 != 3) {
                    assertThat(withLock.awaitTerminal(BLOCK)).isTrue();
                    Throwable e = withLock.error.get();
                    assertThat(e).as("round %d", round).isInstanceOfAny(SessionClosedException.class,
                            LockNotHeldException.class, InvalidHandleException.class, RecorderException.class);
                }
                // a lost lock may also hit b's fresh hold: release(grant) takes nothing then
                b.release(waiter.values.get(0)).block(BLOCK);
                a.close().block(BLOCK);
                b.close().block(BLOCK);
                h.assertQuiescentAndBalanced();
            }
        }
    }

    /** "The end of withLock is signalled on the event loop, after the release": another session gets it at once. */
    @Test
    void whenWithLockEndsTheRecorderIsAlreadyFree() throws Exception {
        try (Harness h = Harness.virtualTime()) {
            ClientSession a = h.session("Alpha");
            ClientSession b = h.session("Beta");
            for (int i = 0; i < 200; i++) {
                AtomicReference<Throwable> bFailed = new AtomicReference<>();
                CountDownLatch answered = new CountDownLatch(1);
                a.withLock(SIM0, AcquireOptions.DEFAULT, g -> Mono.just(1).publishOn(Schedulers.parallel()))
                        .doOnComplete(() -> b.acquire(SIM0).subscribe(g -> answered.countDown(), e -> {
                            bFailed.set(e);
                            answered.countDown();
                        }))
                        .blockLast(BLOCK);
                assertThat(answered.await(10, TimeUnit.SECONDS)).isTrue();
                assertThat(bFailed.get()).as("round %d: failFast acquire issued from withLock's onComplete", i)
                        .isNull();
                b.release(SIM0).block(BLOCK);
            }
            h.closeSessionsAndAssertBalanced();
        }
    }

    /**
     * "The body's elements pass through on the threads it emits them on; the terminal signal comes from the event
     * loop": a body that keeps emitting on a parallel thread is revoked (lost lock, session close, release to zero,
     * removal) while an element is passing through; the failure must still be signalled on the loop.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"loseLock", "close", "release", "remove"})
    void aRevokedBodyEmittingOnAnotherThreadStillEndsOnTheLoop(String cause) {
        try (Harness h = Harness.virtualTime()) {
            int rounds = 100;
            List<String> offLoop = new java.util.ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                ClientSession a = h.session("Alpha " + round);
                Probe<Long> probe = new Probe<>(Long.MAX_VALUE) {
                    @Override
                    public void onNext(Long v) {
                        super.onNext(v);
                        java.util.concurrent.locks.LockSupport.parkNanos(200_000);
                    }
                };
                a.withLock(SIM0, AcquireOptions.DEFAULT, g -> Flux.interval(java.time.Duration.ofNanos(100_000))
                        .onBackpressureDrop()).subscribe(probe);
                assertThat(probe.awaitValue(BLOCK)).isTrue();
                switch (cause) {
                    case "loseLock" -> h.sim.loseLock(SIM0);
                    case "close" -> a.close().block(BLOCK);
                    case "release" -> a.release(SIM0).block(BLOCK);
                    default -> h.sim.removeRecorder(SIM0);
                }
                assertThat(probe.awaitTerminal(BLOCK)).isTrue();
                h.settle();
                assertThat(probe.protocolBreaches).as("round %d", round).isEmpty();
                String last = probe.threads.get(probe.threads.size() - 1);
                if (!last.equals(h.loop.getName())) {
                    offLoop.add("round " + round + ": " + probe.error.get().getClass().getSimpleName() + " on " + last);
                }
                if (cause.equals("remove")) {
                    h.sim.addRecorder(SIM0.value());
                }
                a.close().block(BLOCK);
                h.settle();
            }
            System.out.println(cause + ": terminal off the loop in " + offLoop.size() + " of " + rounds + " rounds "
                    + offLoop.stream().limit(3).toList());
            assertThat(offLoop).as("withLock terminals off the loop after '%s'", cause).isEmpty();
            h.assertQuiescentAndBalanced();
        }
    }
}
