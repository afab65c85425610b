package io.discagent.agent.backend.linux;

import io.discagent.agent.AgentOptions;
import io.discagent.agent.DiscAgent;
import io.discagent.api.ClientSession;
import io.discagent.api.RecorderId;
import io.discagent.api.event.RecorderEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import reactor.core.Disposable;

/** A real agent on the Linux backend for the given device nodes (no optical scan), with its events recorded. */
final class LinuxAgentFixture implements AutoCloseable {

    static final Duration BLOCK = Duration.ofSeconds(15);

    final DiscAgent agent;
    private final BlockingQueue<RecorderEvent> events = new LinkedBlockingQueue<>();
    private final List<RecorderEvent> seen = new ArrayList<>();
    private final Disposable subscription;

    private LinuxAgentFixture(DiscAgent agent) {
        this.agent = agent;
        this.subscription = agent.events().subscribe(events::add);
    }

    static LinuxAgentFixture start(Path... devices) {
        String list = List.of(devices).stream().map(Path::toString).collect(Collectors.joining(","));
        return new LinuxAgentFixture(DiscAgent.start(AgentOptions.builder()
                .backend("linux")
                .backendProperty("linux.devices", list)
                .backendProperty("linux.scanOptical", "false")
                .build()).block(BLOCK));
    }

    ClientSession session(String name) {
        return agent.openSession(name).block(BLOCK);
    }

    /** Waits (bounded) for the first event of {@code type} matching {@code condition}, skipping others. */
    <T extends RecorderEvent> T awaitEvent(Class<T> type, Predicate<T> condition, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                RecorderEvent event = left <= 0 ? null : events.poll(left, TimeUnit.NANOSECONDS);
                if (event == null) {
                    throw new AssertionError("no " + type.getSimpleName() + " within " + limit + "; saw " + seen);
                }
                seen.add(event);
                if (type.isInstance(event) && condition.test(type.cast(event))) {
                    return type.cast(event);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    List<RecorderId> recorderIds() {
        return agent.recorders().block(BLOCK).stream().map(r -> r.id()).collect(Collectors.toList());
    }

    @Override
    public void close() {
        subscription.dispose();
        agent.close().block(BLOCK);
    }
}
