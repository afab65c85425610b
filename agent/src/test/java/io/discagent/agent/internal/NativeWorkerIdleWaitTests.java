package io.discagent.agent.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.spi.IdleWait;
import io.discagent.agent.spi.NativeThreadHooks;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** A backend's {@link IdleWait}: the worker sleeps in it, on its own thread, and a new call wakes it. */
class NativeWorkerIdleWaitTests {

    /** A wait that records how it is used and sleeps on a latch-like flag. */
    static final class RecordingWait implements IdleWait {
        final AtomicInteger waits = new AtomicInteger();
        final AtomicInteger wakes = new AtomicInteger();
        final AtomicLong lastNanos = new AtomicLong(-1);
        volatile Thread waiter;
        volatile boolean woken;

        @Override
        public void await(long nanos) {
            waiter = Thread.currentThread();
            waits.incrementAndGet();
            lastNanos.set(nanos);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!woken && System.nanoTime() < deadline) {
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(1));
            }
            woken = false;
        }

        @Override
        public void wake() {
            wakes.incrementAndGet();
            woken = true;
        }
    }

    @Test
    void anIdleWorkerWaitsInTheBackendsWait_andACallWakesIt() throws InterruptedException {
        RecordingWait wait = new RecordingWait();
        AtomicInteger idles = new AtomicInteger();
        NativeWorker worker = new NativeWorker("discagent-native-wait-test", new NativeThreadHooks() {
            @Override
            public void onIdle() {
                idles.incrementAndGet();
            }

            @Override
            public Duration idleInterval() {
                return Duration.ofHours(1);
            }

            @Override
            public IdleWait idleWait() {
                return wait;
            }
        }).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (wait.waits.get() == 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(wait.waits.get()).isEqualTo(1);
            assertThat(wait.lastNanos.get()).isEqualTo(Duration.ofHours(1).toNanos());
            assertThat(wait.waiter.getName()).isEqualTo("discagent-native-wait-test");

            CountDownLatch ran = new CountDownLatch(1);
            worker.execute(ran::countDown);
            assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue(); // woken well before the hour is over
            assertThat(wait.wakes.get()).isPositive();
            // the idle hook runs after the call, on the worker: the latch can open before the worker gets there
            long idleDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (idles.get() == 0 && System.nanoTime() < idleDeadline) {
                Thread.onSpinWait();
            }
            assertThat(idles.get()).isPositive(); // the idle hook ran after the call
        } finally {
            worker.stop();
            assertThat(worker.awaitStop(10, TimeUnit.SECONDS)).isTrue();
        }
    }
}
