package io.discagent.benchmarks;

import io.discagent.agent.DiscAgent;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import reactor.core.publisher.Flux;

/**
 * <b>queue</b>: {@code requests} acquire requests queued on one recorder, each from its own session (one session's
 * queued requests would be granted together as re-entrant counts), then drained. Targets: retained heap per pending
 * request &le; 512 B; draining 100,000 takes &le; 12&times; as long as draining 10,000.
 *
 * <p>Each iteration: a holder holds the recorder; the set-up measures the heap retained after forced full
 * collections, queues every request ({@code waitIndefinitely}, so no wait timer), waits until the agent counts them
 * all as waiting, and measures again: the difference divided by {@code requests} is the heap one pending request
 * keeps alive (the agent's request and attempt, its queue slot, the Reactor subscription of the caller's {@code Mono}
 * and the caller's subscriber, a lambda holding its session; the sessions themselves were opened before the first
 * measurement). The measured operation is the drain: the holder
 * releases, and every waiter releases the moment it is granted, which hands the recorder to the next one
 * (one native release and one native acquire per waiter), until the last is granted.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class QueueBenchmark {

    /** The pending-acquire limit the agent runs with: above every queue length measured. */
    static final int PENDING_LIMIT = 200_000;

    /** One options object shared by every request, as an application would keep it. */
    static final AcquireOptions WAIT = AcquireOptions.waitIndefinitely();

    @State(Scope.Thread)
    public static class QueueState {

        @Param({"10000", "100000"})
        public int requests;

        DiscAgent agent;
        ClientSession holder;
        List<ClientSession> waiters;
        CountDownLatch drained;
        long bytesPerRequest;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Consumer<Throwable> onFailure = failure::set;
        /** Grants so far in this iteration; written on the event loop only (grants are signalled there). */
        int granted;

        @Setup(Level.Trial)
        public void start() {
            agent = BenchAgents.start(1, PENDING_LIMIT);
            holder = BenchAgents.session(agent, "holder");
            waiters = Flux.range(0, requests)
                    .flatMapSequential(i -> agent.openSession("waiter " + i), 64)
                    .collectList()
                    .block(BenchAgents.PATIENCE);
        }

        @Setup(Level.Iteration)
        public void queue() {
            holder.acquire(BenchAgents.SIM0).block(BenchAgents.PATIENCE);
            long before = HeapProbe.retainedBytes();
            drained = new CountDownLatch(1);
            granted = 0;
            for (ClientSession waiter : waiters) {
                waiter.acquire(BenchAgents.SIM0, WAIT).subscribe(grant -> granted(waiter), onFailure);
            }
            BenchAgents.awaitCondition(() -> agent.statistics().waiting() == requests || failure.get() != null,
                    "every request to queue");
            checkNoFailure();
            long after = HeapProbe.retainedBytes();
            bytesPerRequest = (after - before) / requests;
        }

        /** On the event loop: the waiter releases at once, which hands the recorder to the next one. */
        private void granted(ClientSession waiter) {
            waiter.release(BenchAgents.SIM0).subscribe(null, onFailure);
            if (++granted == requests) {
                drained.countDown();
            }
        }

        @TearDown(Level.Iteration)
        public void checkDrained() {
            checkNoFailure();
            if (drained.getCount() != 0) {
                throw new IllegalStateException("the queue did not drain");
            }
        }

        @TearDown(Level.Trial)
        public void stop() {
            BenchAgents.close(agent);
        }

        private void checkNoFailure() {
            BenchAgents.throwIfFailed(failure, "a queued request failed");
        }
    }

    /** The heap figure of the iteration, reported next to the drain time. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Footprint {

        /** Retained heap per pending request, in bytes, measured in this iteration's set-up. */
        public long heapBytesPerPendingRequest;

        @Setup(Level.Iteration)
        public void clear() {
            heapBytesPerPendingRequest = 0;
        }
    }

    @Benchmark
    public void drain(QueueState s, Footprint footprint) throws InterruptedException {
        s.holder.release(BenchAgents.SIM0).subscribe(null, s.failure::set);
        if (!s.drained.await(BenchAgents.PATIENCE.toSeconds(), TimeUnit.SECONDS)) {
            throw new IllegalStateException("the queue did not drain within " + BenchAgents.PATIENCE);
        }
        footprint.heapBytesPerPendingRequest = s.bytesPerRequest;
    }
}
