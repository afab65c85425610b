package io.discagent.agent;

import io.discagent.agent.backend.simulated.SimulatedBackend;
import io.discagent.agent.backend.simulated.SimulatedSettings;
import io.discagent.api.ClientSession;
import io.discagent.api.RecorderId;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * A simulated agent on virtual time, for tests: the agent's event loop and native workers are real threads, every
 * delay and timeout runs on {@link #time}.
 */
public final class TestAgent implements AutoCloseable {

    public static final RecorderId SIM0 = RecorderId.of("sim-0");
    public static final RecorderId SIM1 = RecorderId.of("sim-1");
    private static final Duration BLOCK = Duration.ofSeconds(10);

    public final VirtualTimeScheduler time = VirtualTimeScheduler.create();
    public final SimulatedBackend sim;
    public final DiscAgent agent;

    private TestAgent(int recorders, Consumer<AgentOptions.Builder> customizer) {
        this(SimulatedSettings.DEFAULTS.withRecorders(recorders), customizer);
    }

    private TestAgent(SimulatedSettings settings, Consumer<AgentOptions.Builder> customizer) {
        this(new SimulatedBackend(settings), customizer);
    }

    private TestAgent(SimulatedBackend backend, Consumer<AgentOptions.Builder> customizer) {
        sim = backend;
        AgentOptions.Builder options = AgentOptions.builder()
                .backend(sim)
                .timeScheduler(time)
                .mediaPollInterval(Duration.ZERO);
        customizer.accept(options);
        agent = DiscAgent.start(options.build()).block(BLOCK);
    }

    /** An agent with two simulated recorders. */
    public static TestAgent start() {
        return new TestAgent(2, b -> { });
    }

    public static TestAgent start(int recorders, Consumer<AgentOptions.Builder> customizer) {
        return new TestAgent(recorders, customizer);
    }

    /** An agent with two simulated recorders that pass the lock on as {@code handOver} says. */
    public static TestAgent start(io.discagent.agent.backend.simulated.Simulator.HandOver handOver) {
        return new TestAgent(new SimulatedBackend(2, handOver), b -> { });
    }

    /** An agent on a simulated backend with these settings (disc directory, burn speed, discs). */
    public static TestAgent start(SimulatedSettings settings, Consumer<AgentOptions.Builder> customizer) {
        return new TestAgent(settings, customizer);
    }

    public ClientSession session(String name) {
        return agent.openSession(name).block(BLOCK);
    }

    /**
     * Waits until the agent has nothing left to do on its own: every native call returned (or is blocked on purpose
     * by the simulator) and the event loop went quiet. Virtual time can then be moved deterministically.
     */
    public AgentActivity settle() {
        AgentActivity previous = null;
        long deadline = System.nanoTime() + BLOCK.toNanos();
        while (System.nanoTime() < deadline) {
            AgentActivity now = agent.activity().block(BLOCK);
            int blocked = 0;
            for (RecorderId id : sim.recorders()) {
                blocked += sim.state(id).blockedCalls();
            }
            if (now.nativeCallsInFlight() <= blocked && now.opening() == 0 && now.equals(previous)) {
                return now;
            }
            previous = now;
            Thread.onSpinWait();
        }
        throw new AssertionError("the agent did not settle within " + BLOCK);
    }

    /** Settles, moves virtual time, settles again. */
    public void advance(Duration duration) {
        settle();
        time.advanceTimeBy(duration);
        settle();
    }

    /**
     * Moves virtual time in steps, settling after each one, so that work scheduled in reaction to earlier steps
     * (a retry after a failed native attempt) sees the clock it would see in real time.
     */
    public void advanceInSteps(Duration total, Duration step) {
        settle();
        for (long done = 0; done < total.toNanos(); done += step.toNanos()) {
            time.advanceTimeBy(Duration.ofNanos(Math.min(step.toNanos(), total.toNanos() - done)));
            settle();
        }
    }

    /**
     * Closes the agent. A native worker blocked on purpose (a simulated hang) is given up after the command timeout,
     * which runs on virtual time: if the close does not finish at once, move time past it.
     */
    @Override
    public void close() {
        CompletableFuture<Void> closing = agent.close().toFuture();
        for (int attempt = 0; !closing.isDone() && attempt < 20; attempt++) {
            try {
                closing.get(250, TimeUnit.MILLISECONDS);
            } catch (TimeoutException stillClosing) {
                time.advanceTimeBy(Duration.ofMinutes(1));
            } catch (InterruptedException | ExecutionException e) {
                throw new AssertionError("the agent did not close cleanly", e);
            }
        }
        closing.join();
        time.dispose();
    }
}
