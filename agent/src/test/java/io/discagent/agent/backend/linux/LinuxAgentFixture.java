package io.discagent.agent.backend.linux;

import io.discagent.agent.AgentOptions;
import io.discagent.agent.DiscAgent;
import io.discagent.api.ClientSession;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
import io.discagent.api.error.HResult;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.event.RecorderEvent;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import reactor.core.Disposable;

/** A real agent on the Linux backend, with its events recorded for bounded waits. */
final class LinuxAgentFixture implements AutoCloseable {

    static final Duration BLOCK = Duration.ofSeconds(15);

    final DiscAgent agent;
    private final Arrivals<RecorderEvent> events = new Arrivals<>();
    private final Disposable subscription;

    private LinuxAgentFixture(DiscAgent agent, Consumer<RecorderEvent> log) {
        this.agent = agent;
        this.subscription = agent.events().subscribe(event -> {
            log.accept(event);
            events.add(event);
        });
    }

    /** An agent for these device nodes only (no optical drives). */
    static LinuxAgentFixture start(Path... devices) {
        String list = List.of(devices).stream().map(Path::toString).collect(Collectors.joining(","));
        return start(AgentOptions.builder()
                .backend("linux")
                .backendProperty("linux.devices", list)
                .backendProperty("linux.scanOptical", "false")
                .build(), event -> { });
    }

    /** An agent with these options, whose every event also goes to {@code log} as it happens (event loop). */
    static LinuxAgentFixture start(AgentOptions options, Consumer<RecorderEvent> log) {
        return new LinuxAgentFixture(DiscAgent.start(options).block(BLOCK), log);
    }

    ClientSession session(String name) {
        return agent.openSession(name).block(BLOCK);
    }

    /** Waits (bounded) for the first event of {@code type} matching {@code condition}, skipping others. */
    <T extends RecorderEvent> T awaitEvent(Class<T> type, Predicate<T> condition, Duration limit) {
        RecorderEvent event = events.next(e -> type.isInstance(e) && condition.test(type.cast(e)), limit);
        if (event == null) {
            throw new AssertionError("no " + type.getSimpleName() + " within " + limit + "; saw " + events.seen());
        }
        return type.cast(event);
    }

    /**
     * The next event of {@code type} that meets {@code condition}, or {@code null} after {@code limit} (a guest
     * scenario records a failed check and goes on), with what was seen instead written to {@code log}.
     */
    <T extends RecorderEvent> @Nullable T findEvent(Class<T> type, Predicate<T> condition, Duration limit,
            GuestTranscript log) {
        try {
            return awaitEvent(type, condition, limit);
        } catch (AssertionError e) {
            log.log(e.getMessage());
            return null;
        }
    }

    /** Sets aside the events received so far, so that the next wait sees only what happens from now on. */
    void drain() {
        events.skipAll();
    }

    List<RecorderId> recorderIds() {
        return agent.recorders().block(BLOCK).stream().map(RecorderInfo::id).collect(Collectors.toList());
    }

    @Override
    public void close() {
        subscription.dispose();
        agent.close().block(BLOCK);
    }

    /** Whether {@code failure} is the agent's "the recorder is gone" (RecorderRemovedException, 0x80070037). */
    static boolean isDevNotExist(@Nullable Throwable failure) {
        return failure instanceof RecorderRemovedException removed
                && removed.hresult().equals(HResult.HRESULT_FROM_WIN32_ERROR_DEV_NOT_EXIST);
    }
}
