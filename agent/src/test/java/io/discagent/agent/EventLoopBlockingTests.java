package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.ClientSession;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.scheduler.Schedulers;

/**
 * {@code block()} on the agent's own event loop fails at once with Reactor's error instead of freezing every
 * recorder; an agent started on the user's own Vert.x leaves that Vert.x's threads as they are.
 */
class EventLoopBlockingTests {

    @Test
    void blockingInsideAnApiCallbackFailsAtOnceAndTheAgentCarriesOn() {
        try (TestAgent t = TestAgent.start()) {
            ClientSession a = t.session("A");
            AtomicReference<Throwable> failure = new AtomicReference<>();
            a.acquire(SIM0).doOnNext(grant -> {
                try {
                    a.lockCount(SIM0).block();
                } catch (Throwable e) {
                    failure.set(e);
                }
            }).block(Duration.ofSeconds(10));
            assertThat(failure.get()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("block()/blockFirst()/blockLast() are blocking");
            assertThat(a.lockCount(SIM0).block(Duration.ofSeconds(10))).isEqualTo(1);
            assertThat(Schedulers.isNonBlockingThread(t.agent.eventLoopThread())).isTrue();
        }
    }

    @Test
    void theThreadsOfAUsersOwnVertxAreNotMarked() {
        Vertx vertx = Vertx.vertx();
        try {
            DiscAgent agent = DiscAgent.start(AgentOptions.builder().backend("simulated").vertx(vertx).build())
                    .block(Duration.ofSeconds(10));
            try {
                assertThat(Schedulers.isNonBlockingThread(agent.eventLoopThread())).isFalse();
            } finally {
                agent.close().block(Duration.ofSeconds(10));
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().join();
        }
    }
}
