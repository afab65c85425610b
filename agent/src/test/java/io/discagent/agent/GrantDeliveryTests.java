package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.simulated.SimulatedDeviceState;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.subscriber.TestSubscriber;

/**
 * The ownership protocol of a grant (see {@code AcquireOperation}): until its subscriber has taken it, a grant is the
 * agent's, and every way of not taking it releases it. Each shape is pinned deterministically where Reactor lets us
 * order the steps, and by a race loop where only a race reaches it.
 */
class GrantDeliveryTests {

    private static final Duration BLOCK = Duration.ofSeconds(10);

    private final TestAgent t = TestAgent.start();

    @AfterEach
    void close() {
        t.close();
    }

    private void assertNothingLeaked() {
        t.settle();
        SimulatedDeviceState device = t.sim.state(SIM0);
        assertThat(device.nativeOwner()).as("native owner").isNull();
        assertThat(device.locksTaken()).as("native acquires = native releases").isEqualTo(device.locksDropped());
        AgentActivity activity = t.settle();
        assertThat(activity.held()).as("held recorders").isZero();
        assertThat(activity.waiting()).as("waiters").isZero();
    }

    @Test
    void aGrantStuckInPublishOnsQueueIsReleasedWhenTheSubscriberDisposes() throws Exception {
        ExecutorService paused = Executors.newSingleThreadExecutor();
        CountDownLatch resume = new CountDownLatch(1);
        paused.execute(() -> {
            try {
                resume.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Scheduler scheduler = Schedulers.fromExecutorService(paused);
        try {
            ClientSession a = t.session("A");
            List<LockGrant> seen = new ArrayList<>();
            Disposable subscription = a.acquire(SIM0).publishOn(scheduler).subscribe(seen::add);
            t.settle(); // granted: the grant waits in publishOn's queue behind the paused task
            assertThat(t.sim.state(SIM0).nativeOwner()).isEqualTo("A");
            subscription.dispose();
            resume.countDown();
            assertNothingLeaked();
            assertThat(seen).isEmpty();
        } finally {
            scheduler.dispose();
        }
    }

    /**
     * {@code zip} takes the grant (its {@code onNext} returns), then discards it through the discard hook of its
     * subscriber's context, without a word to the acquire: past the ownership point, so the documented recipe is a
     * discard hook that releases exactly that grant.
     */
    @Test
    void aZipThatDiscardsTheGrantReleasesItThroughTheDocumentedDiscardHook() {
        ClientSession a = t.session("A");
        TestSubscriber<Object> probe = TestSubscriber.create();
        Mono.zip(a.acquire(SIM0), Mono.delay(Duration.ofSeconds(1), t.time).then(Mono.error(new IllegalStateException(
                "other side failed"))))
                .doOnDiscard(LockGrant.class, grant -> a.release(grant).subscribe())
                .subscribe(probe);
        t.settle();
        assertThat(t.sim.state(SIM0).nativeOwner()).isEqualTo("A"); // granted, held by zip
        t.advance(Duration.ofSeconds(1));
        assertThat(probe.expectTerminalError()).hasMessage("other side failed");
        assertNothingLeaked();
    }

    @Test
    void aFlatMapChainCancelledWhileItUsesTheGrantReleasesIt() {
        ClientSession a = t.session("A");
        Disposable chain = a.acquire(SIM0).flatMap(grant -> Mono.never()).subscribe();
        t.settle();
        assertThat(t.sim.state(SIM0).nativeOwner()).isEqualTo("A");
        chain.dispose();
        assertNothingLeaked();
    }

    @Test
    void aSubscriberThatCancelsAfterTakingTheGrantDoesNotWantIt() {
        ClientSession a = t.session("A");
        AtomicReference<Subscription> upstream = new AtomicReference<>();
        a.acquire(SIM0).subscribe(new BaseSubscriber<LockGrant>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                upstream.set(subscription);
                subscription.request(1);
            }
        });
        t.settle();
        assertThat(t.sim.state(SIM0).nativeOwner()).isEqualTo("A");
        upstream.get().cancel(); // a late cancel of a completed acquire: the grant was dropped after all
        assertNothingLeaked();
    }

    @Test
    void anOperatorThatPassesTheGrantOnWhileCancellingKeepsIt() {
        ClientSession a = t.session("A");
        LockGrant grant = Flux.from(a.acquire(SIM0)).next().block(BLOCK); // next() cancels inside onNext
        assertThat(grant.lockCount()).isEqualTo(1);
        t.settle();
        assertThat(a.lockCount(SIM0).block(BLOCK)).isEqualTo(1);
        assertThat(t.sim.state(SIM0).nativeOwner()).isEqualTo("A");
        assertThat(a.release(SIM0).block(BLOCK)).isZero();
        assertNothingLeaked();
    }

    @Test
    void aGrantTakenWithTakeOneIsTheSubscribers() {
        ClientSession a = t.session("A");
        List<LockGrant> grants = Flux.from(a.acquire(SIM0)).take(1).collectList().block(BLOCK);
        assertThat(grants).hasSize(1);
        t.settle();
        assertThat(a.lockCount(SIM0).block(BLOCK)).isEqualTo(1);
        a.release(SIM0).block(BLOCK);
        assertNothingLeaked();
    }

    @Test
    void releasingTheSameGrantTwiceTakesOneCount() {
        ClientSession a = t.session("A");
        LockGrant first = a.acquire(SIM0).block(BLOCK);
        LockGrant second = a.acquire(SIM0).block(BLOCK);
        assertThat(a.release(first).block(BLOCK)).isEqualTo(1);
        assertThat(a.release(first).block(BLOCK)).isEqualTo(1);
        assertThat(a.release(second).block(BLOCK)).isZero();
        assertThat(a.release(second).block(BLOCK)).isZero();
        assertNothingLeaked();
    }

    @Test
    void aGrantDroppedAndReleasedByItsHolderIsReleasedOnce() {
        ClientSession a = t.session("A");
        a.acquire(SIM0).block(BLOCK); // count 1, the caller's
        AtomicReference<Subscription> upstream = new AtomicReference<>();
        a.acquire(SIM0).subscribe(new BaseSubscriber<LockGrant>() { // count 2
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                upstream.set(subscription);
                subscription.request(1);
            }
        });
        t.settle();
        assertThat(a.release(SIM0).block(BLOCK)).isEqualTo(1); // the caller releases "one count": the latest
        upstream.get().cancel(); // and the second grant is dropped too: it is released once, not twice
        t.settle();
        assertThat(a.lockCount(SIM0).block(BLOCK)).isEqualTo(1);
        assertThat(a.release(SIM0).block(BLOCK)).isZero();
        assertNothingLeaked();
    }

    /**
     * {@code subscribe(consumer)} then {@code dispose()} racing the holder's release, from another thread: Reactor's
     * {@code LambdaMonoSubscriber} drops a value that meets its own disposal. Whatever the interleaving, every grant
     * is either taken by the consumer (then released by the test) or released by the agent.
     */
    @Test
    void disposeRacingTheHandOffNeverLeavesTheRecorderHeld() throws Exception {
        ExecutorService racer = Executors.newSingleThreadExecutor();
        try {
            ClientSession holder = t.session("Holder");
            ClientSession waiter = t.session("Waiter");
            int taken = 0;
            for (int i = 0; i < 400; i++) {
                holder.acquire(SIM0).block(BLOCK);
                AtomicReference<LockGrant> got = new AtomicReference<>();
                Disposable d = waiter.acquire(SIM0, AcquireOptions.waitIndefinitely()).subscribe(got::set);
                t.settle();
                CountDownLatch go = new CountDownLatch(1);
                Future<?> disposed = racer.submit(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    d.dispose();
                });
                go.countDown();
                holder.release(SIM0).block(BLOCK);
                // what dispose() started (a release of a grant it dropped) is done once dispose() has returned
                disposed.get(BLOCK.toMillis(), TimeUnit.MILLISECONDS);
                t.settle();
                if (got.get() != null) {
                    taken++;
                    waiter.release(SIM0).block(BLOCK);
                }
                assertThat(waiter.lockCount(SIM0).block(BLOCK)).as("iteration %d", i).isZero();
            }
            assertNothingLeaked();
        } finally {
            racer.shutdownNow();
            assertThat(racer.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** {@code block(Duration)} that times out exactly as the grant arrives: never a grant nobody holds. */
    @Test
    void blockTimingOutAsTheGrantArrivesNeverLeavesTheRecorderHeld() {
        ClientSession holder = t.session("Holder");
        ClientSession waiter = t.session("Waiter");
        for (int i = 0; i < 100; i++) {
            holder.acquire(SIM0).block(BLOCK);
            Mono<LockGrant> wait = waiter.acquire(SIM0, AcquireOptions.waitIndefinitely());
            Thread releaser = new Thread(() -> holder.release(SIM0).block(BLOCK));
            releaser.start();
            LockGrant grant = null;
            try {
                grant = wait.block(Duration.ofNanos(1 + (i % 7) * 150_000L));
            } catch (IllegalStateException timedOut) {
                // the race went the other way
            }
            try {
                releaser.join(BLOCK.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            t.settle();
            if (grant != null) {
                waiter.release(SIM0).block(BLOCK);
            }
            assertThat(waiter.lockCount(SIM0).block(BLOCK)).as("iteration %d", i).isZero();
        }
        assertNothingLeaked();
    }
}
