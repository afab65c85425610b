package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.SimulatedDeviceState;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.error.InvalidHandleException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.RequestCancelledException;
import io.discagent.api.error.SessionClosedException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.subscriber.TestSubscriber;

/**
 * A {@code withLock} body never outlives its lock: whenever the hold ends for another reason than the body's end,
 * the body is cancelled before anyone else is granted the recorder, and {@code withLock} fails with a typed error
 * naming the cause.
 */
class WithLockGuaranteeTests {

    private static final Duration BLOCK = Duration.ofSeconds(10);

    private final TestAgent t = TestAgent.start();
    private final List<String> order = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        if (!closedByTest) {
            t.close();
        }
    }

    private boolean closedByTest;

    /** A body that runs until cancelled, and notes its cancellation. */
    private Function<LockGrant, Flux<Integer>> body(String name) {
        return grant -> Flux.<Integer>never().doOnCancel(() -> order.add(name + " cancelled"));
    }

    /** A waiter of another session that notes its grant. */
    private TestSubscriber<LockGrant> waiter(String name) {
        TestSubscriber<LockGrant> probe = TestSubscriber.create();
        t.session(name).acquire(SIM0, AcquireOptions.waitIndefinitely()).doOnNext(g -> order.add(name + " granted"))
                .subscribe(probe);
        t.settle();
        return probe;
    }

    @Test
    void closingTheSessionCancelsTheBodyBeforeTheNextHolderIsGranted() {
        ClientSession holder = t.session("Holder");
        TestSubscriber<Integer> scope = TestSubscriber.create();
        holder.withLock(SIM0, AcquireOptions.DEFAULT, body("body")).subscribe(scope);
        t.settle();
        TestSubscriber<LockGrant> next = waiter("Next");
        holder.close().block(BLOCK);
        t.settle();
        assertThat(order).containsExactly("body cancelled", "Next granted");
        assertThat(scope.expectTerminalError()).isInstanceOf(SessionClosedException.class);
        assertThat(next.getReceivedOnNext()).hasSize(1);
        assertThat(t.sim.state(SIM0).nativeOwner()).isEqualTo("Next");
    }

    /**
     * A cancellation from another thread that is still running through the body when the session closes: the next
     * holder waits until that cancellation has returned.
     */
    @Test
    void aCloseWaitsForABodyCancellationUnderWayOnAnotherThread() throws Exception {
        ClientSession holder = t.session("Holder");
        java.util.concurrent.CountDownLatch inCancel = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch letGo = new java.util.concurrent.CountDownLatch(1);
        reactor.core.Disposable scope = holder.withLock(SIM0, AcquireOptions.DEFAULT,
                g -> Flux.<Integer>never().doOnCancel(() -> {
                    inCancel.countDown();
                    try {
                        letGo.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    order.add("body cancelled");
                })).subscribe(x -> { }, e -> { });
        t.settle();
        TestSubscriber<LockGrant> next = waiter("Next");
        Thread canceller = new Thread(scope::dispose, "canceller");
        canceller.start();
        assertThat(inCancel.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        holder.close().subscribe();
        t.settle();
        assertThat(next.getReceivedOnNext()).as("not before the body's cancellation returned").isEmpty();
        letGo.countDown();
        canceller.join(10_000);
        t.settle();
        assertThat(order).containsExactly("body cancelled", "Next granted");
    }

    @Test
    void anAgentCloseEndsTheBodyAndWithLockFailsInsteadOfHanging() {
        ClientSession holder = t.session("Holder");
        TestSubscriber<Integer> scope = TestSubscriber.create();
        holder.withLock(SIM0, AcquireOptions.DEFAULT, body("body")).subscribe(scope);
        t.settle();
        closedByTest = true;
        t.close();
        assertThat(order).containsExactly("body cancelled");
        assertThat(scope.expectTerminalError()).isInstanceOf(RequestCancelledException.class);
    }

    @Test
    void aRemovalCancelsTheBodyAndFailsWithTheRemoval() {
        ClientSession holder = t.session("Holder");
        TestSubscriber<Integer> scope = TestSubscriber.create();
        holder.withLock(SIM0, AcquireOptions.DEFAULT, body("body")).subscribe(scope);
        t.settle();
        t.sim.removeRecorder(SIM0);
        t.settle();
        assertThat(order).containsExactly("body cancelled");
        assertThat(scope.expectTerminalError()).isInstanceOfSatisfying(RecorderRemovedException.class,
                e -> assertThat(e.hresult().code()).isEqualTo(0x80070037));
    }

    @Test
    void aLockTheBackendLostCancelsTheBodyBeforeTheNextHolder() {
        ClientSession holder = t.session("Holder");
        TestSubscriber<Integer> scope = TestSubscriber.create();
        holder.withLock(SIM0, AcquireOptions.DEFAULT, body("body")).subscribe(scope);
        t.settle();
        TestSubscriber<LockGrant> next = waiter("Next");
        t.sim.loseLock(SIM0);
        t.settle();
        assertThat(order).containsExactly("body cancelled", "Next granted");
        assertThat(scope.expectTerminalError()).isInstanceOf(InvalidHandleException.class);
        assertThat(next.getReceivedOnNext()).hasSize(1);
        next.getReceivedOnNext();
        SimulatedDeviceState device = t.sim.state(SIM0);
        assertThat(device.nativeOwner()).isEqualTo("Next");
    }

    @Test
    void aBodyThatEndsNormallyReleasesAndCompletesAfterTheRelease() {
        ClientSession holder = t.session("Holder");
        List<Integer> counts = holder.withLock(SIM0, AcquireOptions.DEFAULT, g -> Flux.just(g.lockCount()))
                .collectList().block(BLOCK);
        assertThat(counts).containsExactly(1);
        assertThat(t.sim.state(SIM0).nativeOwner()).isNull();
        assertThat(holder.lockCount(SIM0).block(BLOCK)).isZero();
    }

    /**
     * Every cancellation shape around {@code withLock}, repeated so that the cancellation meets the grant at every
     * point of its way: at quiescence nothing is held and every native acquire has its release.
     */
    @Test
    void everyShapeAroundWithLockIsLeakFree() {
        ClientSession holder = t.session("Holder");
        ClientSession user = t.session("User");
        List<Consumer<Flux<Integer>>> shapes = List.of(
                f -> f.subscribe().dispose(),
                f -> f.publishOn(Schedulers.parallel()).subscribe().dispose(),
                f -> f.subscribeOn(Schedulers.parallel()).subscribe().dispose(),
                f -> f.timeout(Duration.ofNanos(50_000), Schedulers.parallel()).onErrorResume(e -> Mono.empty())
                        .subscribe(),
                f -> f.take(Duration.ofNanos(80_000), Schedulers.parallel()).subscribe(),
                f -> Mono.firstWithValue(f.next(), Mono.just(-1)).subscribe(),
                f -> Mono.zip(f.next(), Mono.error(new IllegalStateException("x"))).onErrorResume(e -> Mono.empty())
                        .subscribe(),
                f -> {
                    try {
                        f.blockFirst(Duration.ofNanos(100_000));
                    } catch (IllegalStateException timedOut) {
                        // the wait ran out first: blockFirst cancelled the scope
                    }
                });
        for (int round = 0; round < 30; round++) {
            for (int k = 0; k < shapes.size(); k++) {
                Consumer<Flux<Integer>> shape = shapes.get(k);
                holder.acquire(SIM0).block(BLOCK);
                Flux<Integer> scope = user.withLock(SIM0, AcquireOptions.waitIndefinitely(),
                        g -> Flux.interval(Duration.ofNanos(20_000), Schedulers.parallel()).map(Long::intValue));
                Thread releaser = new Thread(() -> holder.release(SIM0).block(BLOCK));
                releaser.start();
                shape.accept(scope);
                try {
                    releaser.join(BLOCK.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                // the shapes with timers (timeout, take) cancel the scope a little later, on their scheduler: a
                // leak would keep the count above zero for good, so wait for zero, boundedly
                long deadline = System.nanoTime() + BLOCK.toNanos();
                t.settle();
                while (user.lockCount(SIM0).block(BLOCK) != 0 && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                t.settle();
                assertThat(user.lockCount(SIM0).block(BLOCK)).as("round %d, shape %d", round, k).isZero();
            }
        }
        t.settle();
        SimulatedDeviceState device = t.sim.state(SIM0);
        assertThat(device.nativeOwner()).isNull();
        assertThat(device.locksTaken()).isEqualTo(device.locksDropped());
        assertThat(t.settle().waiting()).isZero();
    }
}
