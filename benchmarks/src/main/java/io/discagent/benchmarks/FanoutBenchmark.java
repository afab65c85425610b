package io.discagent.benchmarks;

import io.discagent.agent.DiscAgent;
import io.discagent.api.ClientSession;
import io.discagent.api.LockState;
import io.discagent.api.SessionId;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.LockTransition.Cause;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import reactor.core.Disposable;
import reactor.core.publisher.Sinks;

/**
 * <b>fanout</b>: lock-transition events delivered to {@value #SUBSCRIBERS} subscribers, in deliveries per second
 * (one operation = one event reaching one subscriber). Baseline: a raw Reactor multicast sink
 * ({@code Sinks.many().multicast().onBackpressureBuffer()}) with the same subscribers. Target: agent &ge; 0.7&times;
 * the baseline.
 *
 * <p>Agent side: a session holds the recorder; each invocation makes {@value #EVENTS} transitions by re-entrant
 * acquires and releases (count 1&rarr;2&rarr;1&hellip;), which need no native call, so the event loop spends its time
 * creating and fanning out transitions. The invocation ends when the last subscriber (delivered to last) has seen
 * them all. Baseline side: the benchmark thread emits {@value #EVENTS} transitions into the sink, which delivers them
 * on the spot.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(FanoutBenchmark.EVENTS * FanoutBenchmark.SUBSCRIBERS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class FanoutBenchmark {

    static final int SUBSCRIBERS = 1000;
    static final int EVENTS = 100;

    /** One subscriber: counts what it receives (on the thread that delivers). */
    static final class Counter {

        long seen;
        long target = Long.MAX_VALUE;
        volatile CountDownLatch reached = new CountDownLatch(0);

        void onEvent(LockTransition event) {
            if (++seen == target) {
                reached.countDown();
            }
        }

        /** Arms the counter to count down once it has seen {@code more} further events. */
        CountDownLatch expect(long more) {
            CountDownLatch latch = new CountDownLatch(1);
            reached = latch;
            target = seen + more;
            return latch;
        }
    }

    @State(Scope.Thread)
    public static class AgentState {

        DiscAgent agent;
        ClientSession session;
        final List<Counter> counters = new ArrayList<>();
        final List<Disposable> subscriptions = new ArrayList<>();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        @Setup(Level.Trial)
        public void start() {
            agent = BenchAgents.start();
            session = BenchAgents.session(agent, "fanout");
            session.acquire(BenchAgents.SIM0).block(BenchAgents.PATIENCE);
            for (int i = 0; i < SUBSCRIBERS; i++) {
                Counter counter = new Counter();
                counters.add(counter);
                subscriptions.add(agent.lockTransitions(BenchAgents.SIM0).subscribe(counter::onEvent, failure::set));
            }
            BenchAgents.awaitCondition(() -> agent.activity().block(BenchAgents.PATIENCE).subscribers() == SUBSCRIBERS,
                    "every subscriber to register");
        }

        Counter last() {
            return counters.get(counters.size() - 1);
        }

        @TearDown(Level.Trial)
        public void stop() {
            subscriptions.forEach(Disposable::dispose);
            BenchAgents.close(agent);
            if (failure.get() != null) {
                throw new IllegalStateException("a subscriber failed", failure.get());
            }
        }
    }

    @Benchmark
    public void agent(AgentState s) throws InterruptedException {
        CountDownLatch done = s.last().expect(EVENTS);
        for (int i = 0; i < EVENTS / 2; i++) {
            s.session.acquire(BenchAgents.SIM0).subscribe(null, s.failure::set);
            s.session.release(BenchAgents.SIM0).subscribe(null, s.failure::set);
        }
        await(done, s.failure);
    }

    @State(Scope.Thread)
    public static class BaselineState {

        final Sinks.Many<LockTransition> sink = Sinks.many().multicast().onBackpressureBuffer();
        final List<Counter> counters = new ArrayList<>();
        final SessionId session = new SessionId("s-1");
        long sequence;

        @Setup(Level.Trial)
        public void start() {
            for (int i = 0; i < SUBSCRIBERS; i++) {
                Counter counter = new Counter();
                counters.add(counter);
                sink.asFlux().subscribe(counter::onEvent);
            }
        }

        Counter last() {
            return counters.get(counters.size() - 1);
        }

        LockTransition next(int count, int previous) {
            Cause cause = count > previous ? Cause.ACQUIRED : Cause.RELEASED;
            return new LockTransition(++sequence, Instant.now(), BenchAgents.SIM0,
                    LockState.held("fanout", session, previous), LockState.held("fanout", session, count), cause);
        }
    }

    @Benchmark
    public void baseline(BaselineState s) throws InterruptedException {
        CountDownLatch done = s.last().expect(EVENTS);
        for (int i = 0; i < EVENTS / 2; i++) {
            s.sink.emitNext(s.next(2, 1), Sinks.EmitFailureHandler.FAIL_FAST);
            s.sink.emitNext(s.next(1, 2), Sinks.EmitFailureHandler.FAIL_FAST);
        }
        await(done, new AtomicReference<>());
    }

    private static void await(CountDownLatch done, AtomicReference<Throwable> failure) throws InterruptedException {
        if (!done.await(BenchAgents.PATIENCE.toMillis(), TimeUnit.MILLISECONDS) || failure.get() != null) {
            throw new IllegalStateException("events were not all delivered", failure.get());
        }
    }
}
