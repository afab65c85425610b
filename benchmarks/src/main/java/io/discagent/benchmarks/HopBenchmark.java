package io.discagent.benchmarks;

import io.discagent.agent.DiscAgent;
import io.discagent.agent.backend.simulated.SimulatedBackend;
import io.discagent.agent.spi.BackendRecorder;
import io.discagent.agent.spi.RecorderDescriptor;
import io.discagent.api.ClientSession;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
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
 * <b>hop</b>: one acquire &rarr; release round trip through the agent (one session, uncontended), against the same two
 * simulated-backend calls made through a bare single-thread {@link ExecutorService} and back: the least it can cost
 * to serialise native calls onto one thread. Target: agent &le; 1.5&times; the baseline.
 *
 * <p>The agent's path per call: caller &rarr; event loop &rarr; the recorder's native worker &rarr; event loop &rarr;
 * caller. The baseline's: caller &rarr; executor &rarr; caller.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HopBenchmark {

    /** The client name both sides use. */
    static final String CLIENT = "hop benchmark";

    /** An agent on one simulated recorder and one session. */
    @State(Scope.Thread)
    public static class AgentState {

        DiscAgent agent;
        ClientSession session;

        @Setup(Level.Trial)
        public void start() {
            agent = BenchAgents.start();
            session = BenchAgents.session(agent, CLIENT);
        }

        @TearDown(Level.Trial)
        public void stop() {
            BenchAgents.close(agent);
        }
    }

    /** One simulated recorder opened on a bare single-thread executor, as the agent opens it on its worker. */
    @State(Scope.Thread)
    public static class BaselineState {

        ExecutorService executor;
        BackendRecorder recorder;

        @Setup(Level.Trial)
        public void start() throws ExecutionException, InterruptedException {
            SimulatedBackend backend = new SimulatedBackend(1);
            executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "hop-baseline"));
            recorder = executor.submit(() -> {
                RecorderDescriptor descriptor = backend.enumerate().get(0);
                return backend.open(descriptor);
            }).get();
        }

        @TearDown(Level.Trial)
        public void stop() throws InterruptedException {
            executor.submit(recorder::close);
            executor.shutdown();
            executor.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    /** Acquire then release through the agent, waiting for each result as an application would. */
    @Benchmark
    public Integer agent(AgentState s) {
        s.session.acquire(BenchAgents.SIM0).block(BenchAgents.PATIENCE);
        return s.session.release(BenchAgents.SIM0).block(BenchAgents.PATIENCE);
    }

    /** The same two simulated-backend calls, each one hop onto the executor and back. */
    @Benchmark
    public Object baseline(BaselineState s) throws ExecutionException, InterruptedException {
        BackendRecorder recorder = s.recorder;
        s.executor.submit(() -> recorder.acquireExclusiveAccess(false, CLIENT)).get();
        return s.executor.submit(recorder::releaseExclusiveAccess).get();
    }
}
