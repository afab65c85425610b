package io.discagent.agent;

import static io.discagent.agent.TestAgent.SIM0;
import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.ClientSession;
import io.discagent.api.error.EventOverflowException;
import io.discagent.api.event.LockTransition;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.test.subscriber.TestSubscriber;

/**
 * A subscriber that stalls learns that it overflowed within the overflow grace, even if it never requests again;
 * one that requests in time gets its buffered events first.
 */
class OverflowNoticeTests {

    private static void churn(TestAgent t, int transitions) {
        ClientSession a = t.session("A");
        for (int i = 0; i < transitions / 2; i++) {
            a.acquire(SIM0).block();
            a.release(SIM0).block();
        }
        t.settle();
    }

    @Test
    void aStalledSubscriberGetsTheErrorWithinTheGraceWithoutRequestingAgain() {
        try (TestAgent t = TestAgent.start(1, b -> b.eventBufferSize(16))) {
            TestSubscriber<LockTransition> stalled = TestSubscriber.builder().initialRequest(1).build();
            t.agent.lockTransitions().subscribe(stalled);
            churn(t, 3000);
            assertThat(stalled.getReceivedOnNext()).hasSize(1);
            assertThat(stalled.isTerminated()).as("not yet: it may still take its buffer").isFalse();
            t.advance(Duration.ofSeconds(1));
            assertThat(stalled.expectTerminalError()).isInstanceOfSatisfying(EventOverflowException.class,
                    e -> assertThat(e.hresult().code()).isEqualTo(0x8007006F));
            assertThat(stalled.getReceivedOnNext()).hasSize(1);
        }
    }

    @Test
    void aSubscriberThatRequestsWithinTheGraceGetsItsBufferFirst() {
        try (TestAgent t = TestAgent.start(1, b -> b.eventBufferSize(16))) {
            TestSubscriber<LockTransition> slow = TestSubscriber.builder().initialRequest(1).build();
            t.agent.lockTransitions().subscribe(slow);
            churn(t, 100);
            t.advance(Duration.ofMillis(500));
            slow.request(Long.MAX_VALUE); // delivered from the event loop
            t.settle();
            assertThat(slow.expectTerminalError()).isInstanceOf(EventOverflowException.class);
            assertThat(slow.getReceivedOnNext()).hasSize(1 + 16);
        }
    }
}
