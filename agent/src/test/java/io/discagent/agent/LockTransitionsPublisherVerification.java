package io.discagent.agent;

import io.discagent.agent.backend.simulated.SimulatedBackend;
import io.discagent.api.RecorderId;
import io.discagent.api.event.LockTransition;
import java.time.Duration;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.reactivestreams.tck.TestEnvironment;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;

/**
 * The Reactive Streams TCK against the agent's lock-transition stream. The stream is hot and endless, so a
 * publisher of {@code n} elements is the stream of an agent with 64 recorders (64 snapshot transitions) limited to
 * {@code n}; the failed publisher is the stream of an unknown recorder.
 */
public class LockTransitionsPublisherVerification extends PublisherVerification<LockTransition> {

    private static final int RECORDERS = 64;
    private DiscAgent agent;

    public LockTransitionsPublisherVerification() {
        // §3.13 sleeps publisherReferenceGCTimeoutMillis after the cancel, then runs one GC: the TCK's default 300 ms
        // was too short late in the full suite on a 2-core machine (it passes alone in 0.3 s); the hub lets the
        // subscriber go on cancel, the rest of the chain when the loop removes the subscription
        super(new TestEnvironment(2000, 200), 2000);
    }

    @BeforeClass
    public void startAgent() {
        agent = DiscAgent.start(AgentOptions.builder().backend(new SimulatedBackend(RECORDERS))
                .mediaPollInterval(Duration.ZERO).build()).block(Duration.ofSeconds(10));
    }

    @AfterClass
    public void stopAgent() {
        agent.close().block(Duration.ofSeconds(10));
    }

    @Override
    public Publisher<LockTransition> createPublisher(long elements) {
        return agent.lockTransitions().take(elements);
    }

    @Override
    public Publisher<LockTransition> createFailedPublisher() {
        return agent.lockTransitions(RecorderId.of("no-such-recorder"));
    }

    @Override
    public long maxElementsFromPublisher() {
        return RECORDERS;
    }
}
