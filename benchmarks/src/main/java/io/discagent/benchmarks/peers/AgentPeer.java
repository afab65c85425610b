package io.discagent.benchmarks.peers;

import io.discagent.agent.AgentOptions;
import io.discagent.agent.DiscAgent;
import io.discagent.agent.backend.simulated.SimulatedBackend;
import io.discagent.api.AcquireOptions;
import io.discagent.benchmarks.BenchHandOver;
import io.discagent.api.ClientSession;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderId;
import java.time.Duration;
import java.util.function.Consumer;
import reactor.core.Disposable;

/**
 * The agent on one simulated recorder with zero latency (a native call costs a hop to its worker and back), as
 * {@code BenchAgents} starts it: the production command timeout, media polling off, hand-overs as the Linux backend
 * makes them ({@link #handOver}). A client is a session.
 */
final class AgentPeer implements Peer {

    private static final RecorderId SIM0 = RecorderId.of("sim-0");
    private static final Duration PATIENCE = Duration.ofSeconds(120);
    private static final AcquireOptions WAIT = AcquireOptions.waitIndefinitely();

    final DiscAgent agent;

    AgentPeer(int pendingAcquireMaxCount) {
        agent = DiscAgent.start(AgentOptions.builder()
                .backend(new SimulatedBackend(1, BenchHandOver.fromProperty()))
                .commandTimeout(AgentOptions.DEFAULT_COMMAND_TIMEOUT)
                .mediaPollInterval(Duration.ZERO)
                .pendingAcquireMaxCount(pendingAcquireMaxCount)
                .build()).block(PATIENCE);
    }

    @Override
    public String name() {
        return "discagent";
    }

    @Override
    public Object client(String name) {
        return agent.openSession(name).block(PATIENCE);
    }

    @Override
    public void closeClient(Object client) {
        ((ClientSession) client).close().block(PATIENCE);
    }

    @Override
    public Object acquire(Object client) {
        return ((ClientSession) client).acquire(SIM0, WAIT).block(PATIENCE);
    }

    @Override
    public void release(Object client, Object permit) {
        ((ClientSession) client).release((LockGrant) permit).block(PATIENCE);
    }

    /** Acquires and releases in one chain ({@code acquire(..).flatMap(release)}), waiting once for the end. */
    void acquireThenRelease(Object client) {
        ClientSession session = (ClientSession) client;
        session.acquire(SIM0, WAIT).flatMap(session::release).block(PATIENCE);
    }

    @Override
    public void releaseAsync(Object client, Object permit) {
        ((ClientSession) client).release((LockGrant) permit).subscribe();
    }

    @Override
    public Runnable enqueue(Object client, Consumer<Object> granted) {
        Disposable d = ((ClientSession) client).acquire(SIM0, WAIT).subscribe(granted::accept);
        return d::dispose;
    }

    @Override
    public int waiting() {
        return (int) agent.statistics().waiting();
    }

    @Override
    public void close() {
        agent.close().block(PATIENCE);
    }
}
