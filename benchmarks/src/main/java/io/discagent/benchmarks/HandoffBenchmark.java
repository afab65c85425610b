package io.discagent.benchmarks;

import io.discagent.agent.DiscAgent;
import io.discagent.agent.backend.simulated.SimulatedBackend;
import io.discagent.agent.spi.BackendRecorder;
import io.discagent.agent.spi.RecorderDescriptor;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.error.RecorderLockedException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * <b>handoff</b>: the time from a holder's release to the grant of the next queued waiter. Target: p50 &le; 20 &micro;s,
 * p99 &le; 200 &micro;s. Baseline: a waiter that polls with the 250 ms back-off Linux burners use on {@code EBUSY}.
 *
 * <p>Each invocation (sampled one by one, {@link Mode#SampleTime}) starts with the holder's {@code release} call and
 * ends when the waiter's grant has been signalled. The benchmark thread spins for the grant, so the sample is the
 * agent's hand-off (release hop to the event loop, native release and the waiter's native acquire back to back on the
 * recorder's worker, the grant on the event loop) plus the few nanoseconds it takes to see a volatile write, and not
 * the wake-up of a parked thread. Queueing the next waiter happens in the per-invocation set-up, outside the sample.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HandoffBenchmark {

    /** Two sessions on one recorder that take turns: one holds, the other waits in the agent's queue. */
    @State(Scope.Thread)
    public static class AgentState {

        DiscAgent agent;
        ClientSession holder;
        ClientSession waiter;
        volatile boolean granted;
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        @Setup(Level.Trial)
        public void start() {
            agent = BenchAgents.start();
            holder = BenchAgents.session(agent, "holder A");
            waiter = BenchAgents.session(agent, "waiter B");
            holder.acquire(BenchAgents.SIM0).block(BenchAgents.PATIENCE);
        }

        /** The waiter queues behind the holder; the sample starts once the agent counts it as waiting. */
        @Setup(Level.Invocation)
        public void queueWaiter() {
            granted = false;
            waiter.acquire(BenchAgents.SIM0, AcquireOptions.waitIndefinitely())
                    .subscribe(grant -> granted = true, failure::set);
            BenchAgents.awaitCondition(() -> agent.statistics().waiting() == 1 || failure.get() != null,
                    "the waiter to queue");
            checkNoFailure();
        }

        /** The waiter now holds: it is the next holder, and the old holder waits next. */
        @TearDown(Level.Invocation)
        public void swap() {
            checkNoFailure();
            ClientSession next = waiter;
            waiter = holder;
            holder = next;
        }

        @TearDown(Level.Trial)
        public void stop() {
            BenchAgents.close(agent);
        }

        private void checkNoFailure() {
            Throwable t = failure.get();
            if (t != null) {
                throw new IllegalStateException("hand-off failed", t);
            }
        }
    }

    @Benchmark
    @Warmup(iterations = 4, time = 2)
    @Measurement(iterations = 5, time = 2)
    @Fork(2)
    public void agent(AgentState s) {
        s.holder.release(BenchAgents.SIM0).subscribe(null, s.failure::set);
        BenchAgents.awaitCondition(() -> s.granted || s.failure.get() != null, "the waiter's grant");
    }

    /**
     * A holder and a polling burner, each with its own handle on one simulated recorder (locks are per handle). The
     * burner tries to lock and, on {@link RecorderLockedException} (EBUSY), tries again 250 ms later.
     */
    @State(Scope.Thread)
    public static class PollingState {

        static final long BACKOFF_MILLIS = 250;

        ScheduledExecutorService burnerThread;
        BackendRecorder holder;
        BackendRecorder burner;
        volatile CountDownLatch got = new CountDownLatch(1);

        @Setup(Level.Trial)
        public void start() {
            SimulatedBackend backend = new SimulatedBackend(1);
            RecorderDescriptor descriptor = backend.enumerate().get(0);
            holder = backend.open(descriptor);
            burner = backend.open(descriptor);
            burnerThread = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "polling-burner"));
        }

        /**
         * The holder locks, the burner starts polling, and the release follows at a random point of the burner's
         * 250 ms cycle (a real release is not synchronised with the burner's sleep).
         */
        @Setup(Level.Invocation)
        public void startPolling() throws InterruptedException {
            holder.acquireExclusiveAccess(false, "holder");
            got = new CountDownLatch(1);
            burnerThread.execute(this::attempt);
            long phase = ThreadLocalRandom.current().nextLong(TimeUnit.MILLISECONDS.toNanos(BACKOFF_MILLIS));
            TimeUnit.NANOSECONDS.sleep(phase);
        }

        private void attempt() {
            try {
                burner.acquireExclusiveAccess(false, "burner");
                got.countDown();
            } catch (RecorderLockedException busy) {
                burnerThread.schedule(this::attempt, BACKOFF_MILLIS, TimeUnit.MILLISECONDS);
            }
        }

        @TearDown(Level.Invocation)
        public void burnerReleases() {
            burner.releaseExclusiveAccess();
        }

        @TearDown(Level.Trial)
        public void stop() throws InterruptedException {
            burnerThread.shutdownNow();
            burnerThread.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    @Benchmark
    @Warmup(iterations = 1, time = 2)
    @Measurement(iterations = 6, time = 5)
    @Fork(1)
    public boolean polling(PollingState s) throws InterruptedException {
        s.holder.releaseExclusiveAccess();
        return s.got.await(BenchAgents.PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
    }
}
