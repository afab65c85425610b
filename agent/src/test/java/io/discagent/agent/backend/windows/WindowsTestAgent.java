package io.discagent.agent.backend.windows;

import io.discagent.agent.AgentActivity;
import io.discagent.agent.AgentOptions;
import io.discagent.agent.DiscAgent;
import io.discagent.agent.spi.BackendConfig;
import io.discagent.api.ClientSession;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * A real {@link DiscAgent} on a {@link WindowsBackend} over one process of a {@link FakeMachine}: real event loop and
 * native worker threads, the agent's delays on virtual time, and the backend's polling clock in the test's hands.
 */
final class WindowsTestAgent implements AutoCloseable {

    static final Duration BLOCK = Duration.ofSeconds(10);

    final FakeMachine machine;
    final AtomicLong clock = new AtomicLong();
    final VirtualTimeScheduler time = VirtualTimeScheduler.create();
    final WindowsBackend backend;
    final DiscAgent agent;

    private WindowsTestAgent(FakeMachine machine, String process, Map<String, String> properties,
            Consumer<AgentOptions.Builder> customizer) {
        this.machine = machine;
        this.backend = new WindowsBackend(machine.process(process), WindowsSettings.from(new BackendConfig(properties)),
                clock::get);
        AgentOptions.Builder options = AgentOptions.builder()
                .backend(backend)
                .timeScheduler(time)
                .mediaPollInterval(Duration.ZERO);
        customizer.accept(options);
        this.agent = DiscAgent.start(options.build()).block(BLOCK); // completes once hotplug has started
    }

    static WindowsTestAgent start(FakeMachine machine) {
        return start(machine, "agent", Map.of());
    }

    static WindowsTestAgent start(FakeMachine machine, String process, Map<String, String> properties) {
        return new WindowsTestAgent(machine, process, properties, b -> { });
    }

    static WindowsTestAgent start(FakeMachine machine, Map<String, String> properties,
            Consumer<AgentOptions.Builder> customizer) {
        return new WindowsTestAgent(machine, "agent", properties, customizer);
    }

    ClientSession session(String name) {
        return agent.openSession(name).block(BLOCK);
    }

    List<RecorderId> recorders() {
        return agent.recorders().block(BLOCK).stream().map(RecorderInfo::id).toList();
    }

    /**
     * Waits, boundedly, until the agent's threads make {@code condition} true (the workers are real threads: a
     * poll on the condition, not a sleep).
     */
    static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + BLOCK.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what + "\n" + agentThreads());
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    /** Where the agent's native workers are, for a timeout's message. */
    static String agentThreads() {
        StringBuilder dump = new StringBuilder();
        Thread.getAllStackTraces().forEach((thread, stack) -> {
            if (thread.getName().startsWith("discagent-native")) {
                dump.append(thread.getName()).append(' ').append(thread.getState()).append('\n');
                for (int i = 0; i < Math.min(stack.length, 12); i++) {
                    dump.append("    at ").append(stack[i]).append('\n');
                }
            }
        });
        return dump.toString();
    }

    /**
     * Wakes the control worker until it has pumped (and so run its idle work) {@code n} more times: an idle worker
     * otherwise sleeps until a call, a message or the end of its idle interval.
     */
    void awaitControlIdle(int n) {
        int target = machine.pumps("discagent-native-control") + n;
        await(() -> {
            backend.wakeControl();
            return machine.pumps("discagent-native-control") >= target;
        }, "the control worker idled " + n + " more times");
    }

    /**
     * Waits until no native call is in flight and the agent's activity stopped changing: virtual time can then be
     * moved deterministically (every timer the agent will set is set).
     */
    void settle() {
        AgentActivity previous = null;
        long deadline = System.nanoTime() + BLOCK.toNanos();
        while (true) {
            AgentActivity now = agent.activity().block(BLOCK);
            if (now.nativeCallsInFlight() == 0 && now.opening() == 0 && now.equals(previous)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the agent did not settle: " + now);
            }
            previous = now;
            Thread.onSpinWait();
        }
    }

    /** Moves the backend's polling clock, and wakes the control worker to look at it. */
    void advanceClock(Duration duration) {
        clock.addAndGet(duration.toNanos());
        backend.wakeControl();
    }

    @Override
    public void close() {
        agent.close().block(BLOCK);
        time.dispose();
    }
}
