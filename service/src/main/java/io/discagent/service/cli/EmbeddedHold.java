package io.discagent.service.cli;

import io.discagent.service.problem.ExitCode;
import io.discagent.agent.AgentOptions;
import io.discagent.agent.DiscAgent;
import io.discagent.api.AcquireOptions;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderInfo;
import io.discagent.api.RetryPolicy;
import io.discagent.api.error.RecorderException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/**
 * {@code discagent exec}'s hold without a service: an agent inside the {@code exec} process holds the drive
 * ({@code withLock}, so a removed drive ends the hold and is reported by {@link #lost()}). If {@code exec} dies,
 * even by {@code SIGKILL}, the kernel drops the claim with the process.
 */
final class EmbeddedHold implements RecorderHold {

    private static final Duration START = Duration.ofSeconds(30);

    private final DiscAgent agent;
    private final ClientSession session;
    private volatile @Nullable Disposable holding;
    private volatile @Nullable HoldLost lost;
    private volatile @Nullable LockGrant grant;

    private EmbeddedHold(DiscAgent agent, ClientSession session) {
        this.agent = agent;
        this.session = session;
    }

    /**
     * Starts an agent on {@code backend} and opens a session. With {@code auto}, a machine without recorders would get
     * the simulated backend, whose paths no tool can open: that is refused.
     */
    static EmbeddedHold open(String backend, Map<String, String> properties, String clientName) {
        AgentOptions.Builder options = AgentOptions.builder().backend(backend);
        properties.forEach(options::backendProperty);
        DiscAgent agent = DiscAgent.start(options.build()).block(START);
        if (agent == null) {
            throw new AgentClient.Failure(ExitCode.FAILURE.code(), "the agent did not start");
        }
        if (backend.equals("auto") && !agent.backendName().equals("linux") && !agent.backendName().equals("windows")) {
            agent.close().block(START);
            throw new AgentClient.Failure(ExitCode.NOT_FOUND.code(), "no recorder found on this machine (the " + agent
                    .backendName() + " backend only pretends; choose it with --backend to try exec on it)");
        }
        try {
            return new EmbeddedHold(agent, agent.openSession(clientName).block(START));
        } catch (RuntimeException e) {
            agent.close().block(START);
            throw e;
        }
    }

    @Override
    public void acquire(@Nullable String recorder, Duration wait, boolean force) {
        hold(recorder != null ? RecorderId.of(recorder) : onlyRecorder(agent),
                new AcquireOptions(force, wait, RetryPolicy.automatic()));
    }

    private static RecorderId onlyRecorder(DiscAgent agent) {
        List<RecorderInfo> recorders = agent.recorders().block(START);
        if (recorders != null && recorders.size() == 1) {
            return recorders.get(0).id();
        }
        List<String> ids = recorders == null ? List.of() : recorders.stream().map(r -> r.id().value())
                .collect(Collectors.toList());
        throw new AgentClient.Failure(ids.isEmpty() ? ExitCode.NOT_FOUND.code() : ExitCode.USAGE.code(), ids.isEmpty()
                ? "no recorder found (backend " + agent.backendName() + ")"
                : "several recorders " + ids + ": choose one with --recorder");
    }

    /** Takes the lock with {@code withLock} and keeps it until {@link #close()}; waits for the grant. */
    private void hold(RecorderId recorder, AcquireOptions options) {
        CompletableFuture<LockGrant> granted = new CompletableFuture<>();
        holding = session.withLock(recorder, options, g -> {
            granted.complete(g);
            return Flux.never();
        }).subscribe(v -> { }, error -> {
            if (!granted.completeExceptionally(error)) {
                lost = new HoldLost("the hold on " + recorder + " was lost: " + error.getMessage(),
                        error instanceof RecorderException e ? ExecCommand.exitCode(e) : ExitCode.FAILURE.code());
            }
        });
        try {
            grant = granted.get(options.waitsForever() ? Long.MAX_VALUE : options.waitTimeout().toMillis()
                    + START.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RecorderException recorderError) {
                throw recorderError;
            }
            throw new AgentClient.Failure(ExitCode.FAILURE.code(), "acquiring " + recorder + " failed: " + cause);
        } catch (TimeoutException e) {
            throw new AgentClient.Failure(ExitCode.BUSY.code(), "acquiring " + recorder + " did not finish");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentClient.Failure(ExitCode.FAILURE.code(), "interrupted");
        }
    }

    @Override
    public String recorder() {
        LockGrant g = grant;
        return g == null ? "" : g.recorder().value();
    }

    @Override
    public List<String> devicePaths() {
        LockGrant g = grant;
        return g == null ? List.of() : g.devicePaths();
    }

    @Override
    public @Nullable String session() {
        return null;
    }

    @Override
    public @Nullable HoldLost lost() {
        return lost;
    }

    /** Closing the session fails the acquire that is waiting. */
    @Override
    public void abort() {
        session.close().subscribe(v -> { }, e -> { });
    }

    @Override
    public void close() {
        Disposable h = holding;
        if (h != null) {
            h.dispose(); // withLock releases on cancellation
        }
        try {
            session.close().block(START);
        } finally {
            agent.close().block(START);
        }
    }
}
