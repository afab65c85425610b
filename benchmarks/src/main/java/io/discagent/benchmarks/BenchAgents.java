package io.discagent.benchmarks;

import io.discagent.agent.AgentOptions;
import io.discagent.agent.DiscAgent;
import io.discagent.agent.backend.simulated.SimulatedBackend;
import io.discagent.api.ClientSession;
import io.discagent.api.RecorderId;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * How the benchmarks start an agent: the public API on the simulated backend with zero added latency, handing over
 * in place as the Linux backend does ({@link BenchHandOver}), the production command timeout (so its timer is part
 * of every native call, as in production) and media polling off (a poll would interleave calls nobody asked for with
 * the ones measured).
 */
final class BenchAgents {

    /** The first simulated recorder. */
    static final RecorderId SIM0 = RecorderId.of("sim-0");

    /** The longest any blocking step of a benchmark may take before it fails instead of hanging the run. */
    static final Duration PATIENCE = Duration.ofSeconds(60);

    private BenchAgents() {
    }

    /** An agent on {@code recorders} simulated recorders allowing {@code pendingAcquireMaxCount} waiters each. */
    static DiscAgent start(int recorders, int pendingAcquireMaxCount) {
        AgentOptions options = AgentOptions.builder()
                .backend(new SimulatedBackend(recorders, BenchHandOver.fromProperty()))
                .commandTimeout(AgentOptions.DEFAULT_COMMAND_TIMEOUT)
                .mediaPollInterval(Duration.ZERO)
                .pendingAcquireMaxCount(pendingAcquireMaxCount)
                .build();
        return DiscAgent.start(options).block(PATIENCE);
    }

    /** An agent on one simulated recorder with the default pending-acquire limit. */
    static DiscAgent start() {
        return start(1, 1000);
    }

    static ClientSession session(io.discagent.api.RecorderAgent agent, String clientName) {
        return agent.openSession(clientName).block(PATIENCE);
    }

    static void close(DiscAgent agent) {
        agent.close().block(PATIENCE);
    }

    /** Fails the benchmark if a signal recorded a failure in {@code failure}. */
    static void throwIfFailed(AtomicReference<Throwable> failure, String what) {
        Throwable t = failure.get();
        if (t != null) {
            throw new IllegalStateException(what, t);
        }
    }

    /**
     * Spins (then yields) until {@code condition} holds; fails after {@link #PATIENCE}. For the short waits of a
     * set-up, where parking would add the wake-up of the benchmark thread to nothing measured.
     */
    static void awaitCondition(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        int spins = 0;
        while (!condition.getAsBoolean()) {
            if (++spins % 1024 == 0) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("gave up waiting for " + what + " after " + PATIENCE);
                }
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
    }
}
